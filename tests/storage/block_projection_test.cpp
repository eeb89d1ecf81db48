#include "storage/block_codec.hpp"
#include "storage/json_scan.hpp"

#include "tests/storage/store_fixture.hpp"

#include <algorithm>
#include <charconv>
#include <cstring>
#include <random>
#include <vector>

using namespace cairn::storage;
using namespace cairn::storage::test;
using cairn::storage::blockfmt::for_each_member;

namespace {

const char* const projection_props[] = {
  "",
  "{}",
  R"({"User":"alice","Ip":"10.0.0.1","Http":{"Method":"GET","Status":200}})",
  R"({"Elapsed":12.5,"RequestPath":"/api/orders","StatusCode":200})",
  R"({"Dup":1,"User":"bob","Dup":"two","User":"carol"})",
  R"({"K\"ey":"v","User":"dave"})",
  R"({ "User": "spaced" })", // not compact: stored verbatim, kept whole
};

/// A block of varied events (templates with holes, spans, exceptions).
struct projection_fixture {
  record_batch batch;
  std::string value;

  projection_fixture() {
    std::mt19937_64 rng{11};
    const char* templates[] = {"", "User {User} from {Ip}", "Took {Elapsed} ms", "No holes"};
    const char* messages[] = {"User alice from 10.0.0.1", "Took 12.5 ms", "free text", ""};
    const char* levels[] = {"", "Information", "Error", "Warning"};
    for (int i = 0; i < 2000; ++i) {
      event_spec e;
      e.ts = 1'700'000'000'000'000'000 + i * 1000;
      e.mt = templates[rng() % 4];
      e.message = messages[rng() % 4];
      e.properties = projection_props[rng() % std::size(projection_props)];
      e.level = levels[rng() % 4];
      if (rng() % 3 == 0)
        e.exception = "System.TimeoutException: timed out\n   at X()";
      if (rng() % 4 == 0)
        e.start = e.ts - 5000;
      add_event(batch, e);
      uint64_t id = 100 + i;
      std::memcpy(batch.bytes.data() + batch.offsets.back() + record_id_offset, &id, 8);
    }
    std::vector<record_view> views(batch.size());
    for (size_t i = 0; i < batch.size(); ++i) {
      auto r = batch.record(i);
      REQUIRE(views[i].parse(r.data(), r.size()));
    }
    block_encoder enc;
    REQUIRE(enc.encode(views, value));
  }

  /// Members of `obj` whose key is in `names`, in order.
  static std::vector<std::pair<std::string, std::string>> members(std::string_view obj,
                                                                   const std::vector<std::string>* names) {
    std::vector<std::pair<std::string, std::string>> out;
    for_each_member(obj, [&](std::string_view k, std::string_view v) {
      bool keep = !names;
      for (size_t i = 0; names && i < names->size(); ++i)
        keep = keep || (*names)[i] == k;
      if (keep)
        out.emplace_back(std::string(k), std::string(v));
      return true;
    });
    return out;
  }

  /// Checks each decoded record against the original.
  void check(const field_projection& p, const record_batch& out) {
    block_views views;
    views.assign(out);
    check(p, views.views());
  }

  void check(const field_projection& p, std::span<const record_view> out) {
    REQUIRE(out.size() == batch.size());
    uint32_t wanted = p.fields;
    if (wanted & field_bit(field::message))
      wanted |= field_bit(field::message_template) | field_bit(field::properties);
    for (size_t i = 0; i < batch.size(); ++i) {
      record_view a;
      const record_view& b = out[i];
      auto ra = batch.record(i);
      REQUIRE(a.parse(ra.data(), ra.size()));
      CHECK(a.timestamp() == b.timestamp());
      CHECK(a.id() == b.id());
      CHECK(a.start() == b.start());
      CHECK(a.event_type() == b.event_type());
      CHECK(a.flags() == b.flags());
      for (size_t f = 0; f < field_count; ++f) {
        auto fa = a.get(field(f)), fb = b.get(field(f));
        if (!(wanted & (1u << f))) {
          CHECK(fb.empty());
        } else if (f == size_t(field::properties) && p.property_names && fa != fb) {
          // A shredded object keeps the named members only; to render
          // messages, also those the block's templates name.
          std::vector<std::string> kept = *p.property_names;
          if (wanted & field_bit(field::message))
            kept.insert(kept.end(), {"User", "Ip", "Elapsed"});
          CHECK(members(fb, nullptr) == members(fa, &kept));
        } else {
          CHECK_MESSAGE(fa == fb, "record ", i, " field ", f);
        }
      }
    }
  }
};

} // namespace

TEST_SUITE("storage.block_projection") {

TEST_CASE_FIXTURE(projection_fixture, "a projection rebuilds the asked fields and leaves the others empty") {
  std::vector<std::string> names{"User", "Elapsed"}, no_names;
  const field_projection cases[] = {
    {field_bit(field::level), nullptr},
    {field_bit(field::exception), nullptr},
    {0, nullptr},
    {field_bit(field::properties), &names},
    {field_bit(field::properties) | field_bit(field::level), nullptr},
    {field_bit(field::message), &names}, // plus the members the templates name
    {field_bit(field::message), &no_names},
    {field_bit(field::trace_id) | field_bit(field::span_kind) | field_bit(field::resource), nullptr},
  };
  for (const auto& p : cases) {
    CAPTURE(p.fields);
    record_batch out;
    auto st = decode_block(value, out, p);
    REQUIRE_MESSAGE(st, (st ? "" : st.error().to_string()));
    check(p, out);
    // The same projection as views over the columns (no records rebuilt).
    block_views views;
    st = decode_block(value, views, p);
    REQUIRE_MESSAGE(st, (st ? "" : st.error().to_string()));
    check(p, views.views());
  }
}

TEST_CASE_FIXTURE(projection_fixture, "views of the full projection match every field, and reuse keeps them right") {
  block_views views;
  for (int round = 0; round < 2; ++round) {
    REQUIRE(decode_block(value, views, field_projection{}));
    check(field_projection{}, views.views());
  }
}

TEST_CASE_FIXTURE(projection_fixture, "the full projection restores records byte for byte") {
  record_batch out;
  REQUIRE(decode_block(value, out, field_projection{}));
  CHECK(out.bytes == batch.bytes);
  CHECK(out.offsets == batch.offsets);
}


TEST_CASE_FIXTURE(projection_fixture, "value codes give every event its field value and timestamp") {
  const uint32_t fields = field_bit(field::level) | field_bit(field::exception) | field_bit(field::message_template);
  block_columns cols;
  for (int round = 0; round < 2; ++round) { // the second decode reuses the buffers
    REQUIRE(decode_block_columns(value, column_selection{fields, {}, round == 0}, cols));
    REQUIRE(cols.size() == batch.size());
    CHECK(cols.timestamps().size() == (round == 0 ? batch.size() : 0));
    for (field f : {field::level, field::exception, field::message_template}) {
      auto codes = cols.codes(f);
      auto values = cols.values(f);
      REQUIRE(codes.size() == batch.size());
      CHECK(values[0].empty());
      for (size_t i = 0; i < batch.size(); ++i) {
        record_view r;
        REQUIRE(r.parse(batch.record(i).data(), batch.record(i).size()));
        REQUIRE(codes[i] < values.size());
        CHECK(values[codes[i]] == r.get(f));
        if (round == 0)
          CHECK(cols.timestamps()[i] == r.timestamp());
      }
    }
    // Repeating fields (CBK4: exceptions too) get one code per distinct value.
    CHECK(cols.values(field::level).size() == 4);
    CHECK(cols.values(field::message_template).size() == 4);
    CHECK(cols.values(field::exception).size() == 2);
    CHECK(cols.codes(field::message).empty());
  }
  CHECK_FALSE(decode_block_columns(value, column_selection{field_bit(field::properties)}, cols));
  CHECK_FALSE(decode_block_columns(value.substr(0, value.size() - 3), column_selection{fields, {}, true}, cols));
}

}

TEST_SUITE("storage.block_columns") {

TEST_CASE("property codes give each event the JSON text of its first member of that name") {
  const char* const props[] = {
    "",
    "{}",
    R"({"User":"alice","Ip":"10.0.0.1","Http":{"Method":"GET","Status":200}})",
    R"({"Elapsed":12.5,"RequestPath":"/api/orders","StatusCode":200})",
    R"({"Dup":1,"User":"bob","Dup":"two","User":"carol"})",
    R"({"Elapsed":0.05,"N":-12,"F":-1.500,"B":true,"Z":null,"S":"x\"y","O":{"a":1},"A":[1,2],"User":"alice"})",
    R"({"Elapsed":-0.000,"N":9223372036854775807,"Big":123456789012345678901234567890,"User":"dave"})",
  };
  const std::vector<std::string> names = {"User", "Elapsed", "Dup", "N", "F", "B", "Z", "S",
                                           "O", "A", "Big", "RequestPath", "Missing"};
  std::mt19937_64 rng{5};
  record_batch batch;
  for (int i = 0; i < 1500; ++i) {
    event_spec e;
    e.ts = 1'700'000'000'000'000'000 + i;
    e.mt = "";
    e.message = "m";
    e.properties = props[rng() % std::size(props)];
    add_event(batch, e);
  }
  std::vector<record_view> views(batch.size());
  for (size_t i = 0; i < batch.size(); ++i)
    REQUIRE(views[i].parse(batch.record(i).data(), batch.record(i).size()));
  block_encoder enc;
  std::string value;
  REQUIRE(enc.encode(views, value));
  block_columns cols;
  for (int round = 0; round < 2; ++round) {
    REQUIRE(decode_block_columns(value, column_selection{field_bit(field::level), names, false}, cols));
    REQUIRE(cols.complete());
    for (size_t p = 0; p < names.size(); ++p) {
      auto codes = cols.property_codes(p);
      auto values = cols.property_values(p);
      REQUIRE(codes.size() == batch.size());
      CHECK(values[0].empty());
      for (size_t i = 0; i < batch.size(); ++i) {
        auto want = blockfmt::find_member(views[i].get(field::properties), names[p]);
        REQUIRE(codes[i] < values.size());
        CHECK_MESSAGE(values[codes[i]] == want.value_or(""), "event ", i, " property ", names[p]);
      }
    }
    // Strings repeat by code: "alice" has one value however often it occurs.
    auto users = cols.property_values(0);
    CHECK(std::count(users.begin(), users.end(), std::string_view{"\"alice\""}) == 1);
  }
  // Asked as numeric, numbers come as the doubles their text parses to.
  column_selection numeric{0, names, false};
  numeric.numeric_properties = ~uint64_t(0);
  REQUIRE(decode_block_columns(value, numeric, cols));
  size_t as_numbers = 0;
  for (size_t p = 0; p < names.size(); ++p) {
    auto codes = cols.property_codes(p);
    auto numbers = cols.property_numbers(p);
    auto values = cols.property_values(p);
    REQUIRE(numbers.size() == values.size());
    for (size_t i = 0; i < batch.size(); ++i) {
      auto want = blockfmt::find_member(views[i].get(field::properties), names[p]).value_or("");
      if (numbers[codes[i]] == numbers[codes[i]]) {
        double parsed = 0;
        REQUIRE(std::from_chars(want.data(), want.data() + want.size(), parsed).ec == std::errc{});
        CHECK_MESSAGE(std::memcmp(&parsed, &numbers[codes[i]], sizeof parsed) == 0, names[p], " = ", want);
        ++as_numbers;
      } else {
        CHECK_MESSAGE(values[codes[i]] == want, "event ", i, " property ", names[p]);
      }
    }
  }
  CHECK(as_numbers > 1000);
}

TEST_CASE("a block with an escaped key or a spaced object cannot be read as property codes") {
  for (const char* odd : {R"({"K\"ey":"v","User":"dave"})", R"({ "User": "spaced" })"}) {
    record_batch batch;
    for (int i = 0; i < 10; ++i) {
      event_spec e;
      e.ts = 1'700'000'000'000'000'000 + i;
      e.properties = i == 5 ? odd : R"({"User":"alice"})";
      add_event(batch, e);
    }
    std::vector<record_view> views(batch.size());
    for (size_t i = 0; i < batch.size(); ++i)
      REQUIRE(views[i].parse(batch.record(i).data(), batch.record(i).size()));
    block_encoder enc;
    std::string value;
    REQUIRE(enc.encode(views, value));
    const std::vector<std::string> user = {"User"};
    block_columns cols;
    REQUIRE(decode_block_columns(value, column_selection{0, user, false}, cols));
    CHECK_FALSE(cols.complete());
    REQUIRE(decode_block_columns(value, column_selection{field_bit(field::level), {}, false}, cols));
    CHECK(cols.complete());
  }
}

}
