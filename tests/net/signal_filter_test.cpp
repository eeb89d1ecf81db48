#include "net/signal_filter.hpp"

#include "query/query_plan.hpp"

#include <doctest/doctest.h>

#include <map>
#include <stdexcept>

using namespace cairn::net;

namespace {

/// Three stored signals; `everything` has no filter.
struct fixture {
  std::map<std::string, std::string, std::less<>> signals{
    {"signal-errors", "@Level = 'Error'"},
    {"signal-web", "App = 'web'"},
    {"signal-db", "App = 'db'"},
    {"signal-everything", ""}};
  signal_lookup lookup = [this](std::string_view id) -> std::optional<std::string> {
    auto it = signals.find(id);
    if (it == signals.end())
      return std::nullopt;
    return it->second;
  };
};

} // namespace

TEST_SUITE("net.signal_filter") {

TEST_CASE_FIXTURE(fixture, "a comma combines signals with and, a tilde with or") {
  CHECK(signal_expression_filter("signal-errors", lookup) == "(@Level = 'Error')");
  CHECK(signal_expression_filter("signal-errors,signal-web", lookup) ==
        "((@Level = 'Error')) and ((App = 'web'))");
  CHECK(signal_expression_filter("signal-web~signal-db", lookup) ==
        "(App = 'web') or (App = 'db')");
  CHECK(signal_expression_filter("signal-errors,signal-web~signal-db", lookup) ==
        "((@Level = 'Error')) and ((App = 'web') or (App = 'db'))");
}

TEST_CASE_FIXTURE(fixture, "a signal without a filter matches every event") {
  CHECK(signal_expression_filter("signal-everything", lookup).empty());
  CHECK(signal_expression_filter("signal-web~signal-everything,signal-errors", lookup) ==
        "(@Level = 'Error')");
}

TEST_CASE_FIXTURE(fixture, "unknown or empty signal ids are rejected") {
  CHECK_THROWS_AS(signal_expression_filter("signal-nope", lookup), std::invalid_argument);
  CHECK_THROWS_AS(signal_expression_filter("signal-web,", lookup), std::invalid_argument);
}

TEST_CASE("the filter joins the where clause of a select, or creates one") {
  CHECK(add_filter_to_sql("select count(*) from stream where A = 1 group by B", "X = 2") ==
        "select count(*) from stream where (X = 2) and ( A = 1 ) group by B");
  CHECK(add_filter_to_sql("select count(*) from stream group by time(1m)", "X = 2") ==
        "select count(*) from stream where X = 2  group by time(1m)");
  CHECK(add_filter_to_sql("select count(*) from stream", "X = 2") ==
        "select count(*) from stream where X = 2 ");
  // Keywords inside strings are not clauses.
  CHECK(add_filter_to_sql("select count(*) from stream where M = ' group by '", "X = 2") ==
        "select count(*) from stream where (X = 2) and ( M = ' group by ') ");
  CHECK(add_filter_to_sql("select 1 from stream", "") == "select 1 from stream");
}

TEST_CASE("the combined queries still compile") {
  for (auto sql : {"select count(*) as n from stream where @Level = 'Error' group by time(1m)",
                   "select count(*) as n from stream having n > 1",
                   "select count(*) as n from stream where A = 1 or B = 2 limit 5"}) {
    auto text = add_filter_to_sql(sql, "(App = 'web') or (App = 'db')");
    CAPTURE(text);
    CHECK_NOTHROW(cairn::query::query_plan::compile(text, 0));
  }
}

} // TEST_SUITE
