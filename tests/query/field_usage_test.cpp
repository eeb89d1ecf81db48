#include "query/field_usage.hpp"

#include <doctest/doctest.h>

using namespace cairn::query;
using cairn::storage::field;
using cairn::storage::field_bit;

namespace {

cairn::storage::field_projection of(const char* text) {
  static std::shared_ptr<const query_plan> keep; // the projection views its names
  keep = query_plan::compile(text, 0);
  return plan_projection(*keep);
}

} // namespace

TEST_SUITE("query.field_usage") {

TEST_CASE("a query reads only the fields its expressions name") {
  CHECK(of("select count(*) from stream group by @Level").fields == field_bit(field::level));
  CHECK(of("select count(*) from stream where @Level = 'Error'").fields == field_bit(field::level));
  CHECK(of("select count(*) from stream group by Substring(@Exception, 0, IndexOf(@Exception, ':'))").fields ==
        field_bit(field::exception));
  CHECK(of("select count(*) from stream group by time(1m)").fields == 0);
  CHECK(of("select count(*) from stream where @Timestamp > Now() - 1h and @Elapsed > 1ms").fields == 0);
  CHECK(of("@TraceId = 'x' and @SpanKind = 'Server'").fields ==
        (field_bit(field::trace_id) | field_bit(field::span_kind)));
}

TEST_CASE("named properties keep only those members; whole-object reads keep all") {
  auto p = of("select percentile(Elapsed, 95) from stream group by RequestPath");
  CHECK(p.fields == field_bit(field::properties));
  REQUIRE(p.property_names != nullptr);
  CHECK(p.property_names->size() == 2);
  p = of("select count(*) from stream where Http.Status = 500");
  REQUIRE(p.property_names != nullptr);
  CHECK(p.property_names->size() >= 1); // "Http" and the dotted "Http.Status"
  CHECK(of("select @Properties from stream").property_names == nullptr);
  CHECK(of("select count(*) from stream where Has(@Properties['A'])").property_names == nullptr);
}

TEST_CASE("messages and free text need the template and the named properties; @Data every property") {
  // The block decoder adds the members the templates' holes name.
  auto p = of("select count(*) from stream where \"timed out\"");
  CHECK((p.fields & field_bit(field::message)));
  CHECK((p.fields & field_bit(field::exception)));
  CHECK((p.fields & field_bit(field::properties)));
  REQUIRE(p.property_names != nullptr);
  CHECK(p.property_names->empty());
  p = of("select count(*) from stream where @Message like '%x%' and User = 'a'");
  CHECK((p.fields & field_bit(field::message_template)));
  REQUIRE(p.property_names != nullptr);
  CHECK(*p.property_names == std::vector<std::string>{"User"});
  p = of("select @Data from stream");
  CHECK((p.fields & field_bit(field::level)));
  CHECK((p.fields & field_bit(field::message)));
  CHECK(p.property_names == nullptr);
}

TEST_CASE("a filter reads what its where clause names; an empty filter nothing") {
  CHECK(of("@Exception is not null").fields == field_bit(field::exception));
  CHECK(of("").fields == 0);
}

}
