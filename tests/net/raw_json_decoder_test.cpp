// Tests for the legacy {"Events":[...]} decoder.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "net/decode/murmur3.hpp"
#include "net/decode/raw_json_decoder.hpp"
#include "storage/event_record.hpp"

using namespace cairn;
using storage::field;

namespace {

struct raw_fixture {
  decode::raw_json_decoder decoder;
  storage::record_batch batch;

  decode::decode_status decode(std::string body) { return decoder.decode(body, batch); }

  storage::record_view at(size_t i) {
    storage::record_view v;
    REQUIRE(v.parse(batch.record(i).data(), batch.record(i).size()));
    return v;
  }
};

} // namespace

TEST_SUITE("net.raw_json_decoder") {

TEST_CASE_FIXTURE(raw_fixture, "a seq-logging body maps every field") {
  REQUIRE_FALSE(decode(R"({"Events":[
    {"Timestamp":"2024-01-02T03:04:05.678Z","Level":"Error","TraceId":"ABCDEF0123456789ABCDEF0123456789",
     "SpanId":"0123456789ABCDEF","MessageTemplate":"User {u} did {n:000} things","Exception":"Error: x\n  at y",
     "Properties":{"u":"ann","n":5,"f":0.5,"o":{"a":[true,null]}},"Renderings":{"n":[{"Format":"000","Rendering":"005"}]}},
    {"Timestamp":"2024-01-02T03:04:06Z","RenderedMessage":"done","EventType":"$0000ABCD","Unknown":[1]}
  ]})"));
  REQUIRE(batch.size() == 2);
  auto r = at(0);
  CHECK(r.timestamp() == 1704164645678000000LL);
  CHECK(r.get(field::level) == "Error");
  CHECK(r.get(field::message_template) == "User {u} did {n:000} things");
  CHECK(r.get(field::message) == "User ann did 005 things");
  CHECK(r.get(field::exception) == "Error: x\n  at y");
  CHECK(r.get(field::trace_id) == "abcdef0123456789abcdef0123456789");
  CHECK(r.get(field::span_id) == "0123456789abcdef");
  CHECK(r.get(field::properties) == R"({"u":"ann","n":5,"f":0.5,"o":{"a":[true,null]}})");
  CHECK(r.event_type() == decode::murmur3_32("User {u} did {n:000} things"));
  CHECK_FALSE(r.is_span());
  auto s = at(1);
  CHECK(s.get(field::message) == "done");
  CHECK(s.get(field::message_template) == "");
  CHECK(s.event_type() == 0xabcdu);
  CHECK(s.flags() == storage::explicit_event_type);
  CHECK(s.get(field::properties) == "");
  CHECK(s.get(field::level) == "");
}

TEST_CASE_FIXTURE(raw_fixture, "lower-case events, empty arrays and empty bodies decode") {
  CHECK_FALSE(decode(""));
  CHECK_FALSE(decode(" \n"));
  CHECK_FALSE(decode(R"({"Events":[]})"));
  CHECK(batch.empty());
  REQUIRE_FALSE(decode(R"({"other":1,"events":[{"Timestamp":"2024-01-01T00:00:00Z","Properties":null}]})"));
  CHECK(batch.size() == 1);
}

TEST_CASE_FIXTURE(raw_fixture, "malformed bodies are rejected whole, naming the event") {
  struct bad { const char* body; const char* error; };
  const std::vector<bad> cases = {
    {R"([1])", "body must be a JSON object with an Events array"},
    {R"({"Evts":[]})", "body has no Events array"},
    {R"({"Events":{}})", "Events must be an array"},
    {R"({"Events":[{"Level":"x"}]})", "event 1: Timestamp is missing"},
    {R"({"Events":[{"Timestamp":"2024-01-01T00:00:00Z"},{"Timestamp":7}]})", "event 2: Timestamp must be a string"},
    {R"({"Events":[{"Timestamp":"nope"}]})", "event 1: Timestamp is not a valid ISO-8601 timestamp"},
    {R"({"Events":[{"Timestamp":"2024-01-01T00:00:00Z","Level":1}]})", "event 1: Level must be a string"},
    {R"({"Events":[{"Timestamp":"2024-01-01T00:00:00Z","MessageTemplate":{}}]})", "event 1: MessageTemplate must be a string"},
    {R"({"Events":[{"Timestamp":"2024-01-01T00:00:00Z","Properties":[1]}]})", "event 1: Properties must be an object"},
    {R"({"Events":[{"Timestamp":"2024-01-01T00:00:00Z","Properties":{"a":nul}}]})", "event 1: invalid JSON"},
    {R"({"Events":[{"Timestamp":"2024-01-01T00:00:00Z","EventType":-1}]})", "event 1: EventType must be a 32-bit"},
    {R"({"Events":[{"Timestamp":"2024-01-01T00:00:00Z"},5]})", "event 2: not a JSON object"},
    {R"({"Events":[{"Timestamp":"2024-01-01T00:00:00Z"})", "event 2: invalid JSON"},
    {R"({"Events":[]} [])", "invalid JSON"},
  };
  for (const auto& c : cases) {
    std::string body = c.body;
    CAPTURE(body);
    batch.clear();
    REQUIRE_FALSE(decode(R"({"Events":[{"Timestamp":"2024-01-01T00:00:00Z"}]})"));
    auto before = batch;
    auto err = decode(c.body);
    REQUIRE(err);
    std::string text = *err;
    CAPTURE(text);
    CHECK(text.rfind(c.error, 0) == 0);
    CHECK(batch.bytes == before.bytes);
    CHECK(batch.offsets == before.offsets);
  }
}

TEST_CASE_FIXTURE(raw_fixture, "an oversized event is rejected") {
  std::string big(storage::max_record_bytes, 'y');
  auto err = decode(R"({"Events":[{"Timestamp":"2024-01-01T00:00:00Z","RenderedMessage":")" + big + "\"}]}");
  REQUIRE(err);
  CHECK(*err == "event 1: event exceeds 262144 bytes");
  CHECK(batch.empty());
}

} // TEST_SUITE
