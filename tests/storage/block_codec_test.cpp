#include "storage/block_codec.hpp"

#include "tests/storage/store_fixture.hpp"

#include <vector>

using namespace cairn::storage;
using namespace cairn::storage::test;

namespace {

struct codec_fixture {
  record_batch batch;
  std::vector<record_view> views;

  void patch_ids(uint64_t first) {
    for (size_t i = 0; i < batch.size(); ++i) {
      uint64_t id = first + i;
      std::memcpy(batch.bytes.data() + batch.offsets[i] + record_id_offset, &id, 8);
    }
  }
  void make_views() {
    views.clear();
    for (size_t i = 0; i < batch.size(); ++i) {
      record_view v;
      auto r = batch.record(i);
      REQUIRE(v.parse(r.data(), r.size()));
      views.push_back(v);
    }
  }
};

} // namespace

TEST_SUITE("storage.block_codec") {

TEST_CASE_FIXTURE(codec_fixture, "a block restores every record byte for byte") {
  event_spec e;
  e.ts = -5'000'000'000; // before 1970
  add_event(batch, e);
  e.ts = 0;
  e.start = -7; // span starting before its timestamp's epoch
  e.trace_id = "0af7651916cd43dd8448eb211c80319c";
  e.span_id = "b7ad6b7169203331";
  add_event(batch, e);
  e = event_spec{};
  e.ts = 1'700'000'000'000'000'000;
  e.start = e.ts - 1234567;
  e.level = "";
  e.mt = "";
  e.message = std::string(300, 'x') + "\xc3\xa9";
  e.exception = "System.Exception: boom\n   at Foo()";
  e.properties = "";
  e.event_type = 0xffffffff;
  add_event(batch, e);
  e.start = INT64_MAX; // extreme elapsed values wrap and still round-trip
  add_event(batch, e);
  patch_ids(1);
  // Ids out of order, as replication or late events produce.
  uint64_t big = UINT64_MAX;
  std::memcpy(batch.bytes.data() + batch.offsets[1] + record_id_offset, &big, 8);
  make_views();
  block_encoder enc;
  std::string value;
  REQUIRE(enc.encode(views, value));
  record_batch out;
  REQUIRE(decode_block(value, out));
  REQUIRE(out.size() == batch.size());
  CHECK(out.bytes == batch.bytes);
  CHECK(out.offsets == batch.offsets);
}

TEST_CASE_FIXTURE(codec_fixture, "messages rendered from templates round-trip whatever their shape") {
  std::pair<const char*, const char*> cases[] = {
    {"User {User} logged in", "User \"alice\" logged in"},       // decomposes
    {"{A}{B}", "12"},                                          // adjacent holes
    {"{A} and {A}", "x and y and x and y"},                     // literal inside a value
    {"Braces {{literal}} {N}", "Braces {literal} 5"},           // escapes: stored verbatim
    {"Ends with {X}", "Ends with"},                             // does not decompose
    {"No holes", "No holes"},
    {"Unclosed {X", "Unclosed {X"},
    {"{X} tail", "value tail"},
    {"", "plain OTLP body {not a template}"},
  };
  int64_t ts = 1;
  for (auto& [mt, msg] : cases) {
    event_spec e;
    e.ts = ts++;
    e.mt = mt;
    e.message = msg;
    add_event(batch, e);
  }
  patch_ids(1);
  make_views();
  block_encoder enc;
  std::string value;
  REQUIRE(enc.encode(views, value));
  record_batch out;
  REQUIRE(decode_block(value, out));
  CHECK(out.bytes == batch.bytes);
}

TEST_CASE_FIXTURE(codec_fixture, "an empty run encodes and decodes to nothing") {
  block_encoder enc;
  std::string value;
  REQUIRE(enc.encode({}, value));
  record_batch out = make_batch(2, 0);
  REQUIRE(decode_block(value, out));
  CHECK(out.empty());
  CHECK(out.bytes.empty());
}

TEST_CASE_FIXTURE(codec_fixture, "damaged block values are reported as corrupt") {
  batch = make_batch(100, 1'000);
  patch_ids(10);
  make_views();
  block_encoder enc;
  std::string value;
  REQUIRE(enc.encode(views, value));
  record_batch out;
  for (std::string bad : {value.substr(0, value.size() / 2), std::string{"XBK2"} + value.substr(4),
                          value.substr(0, 7)}) {
    auto st = decode_block(bad, out);
    REQUIRE_FALSE(st);
    CHECK(st.error().code == errc::corrupt);
  }
  // A format version from a newer build is refused as such, not as damage.
  auto st = decode_block(std::string{"CBK3"} + value.substr(4), out);
  REQUIRE_FALSE(st);
  CHECK(st.error().code == errc::incompatible);
}

TEST_CASE_FIXTURE(codec_fixture, "similar events compress well below their raw size") {
  batch = make_batch(4000, 1'700'000'000'000'000'000);
  patch_ids(1);
  make_views();
  block_encoder enc;
  std::string value;
  REQUIRE(enc.encode(views, value));
  CHECK(value.size() * 10 < batch.bytes.size());
}

}
