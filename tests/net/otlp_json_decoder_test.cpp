// Tests for the OTLP/HTTP JSON decoder: the JSON mapping of the same samples
// the protobuf decoder is tested with, plus JSON-only forms (string
// integers, enum names, snake_case names).
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "net/decode/murmur3.hpp"
#include "net/decode/otlp_json_decoder.hpp"
#include "storage/event_record.hpp"

using namespace cairn;
using storage::field;

namespace {

struct json_fixture {
  decode::otlp_json_decoder decoder;
  storage::record_batch batch;

  decode::decode_status logs(std::string body) { return decoder.decode_logs(body, batch); }
  decode::decode_status traces(std::string body) { return decoder.decode_traces(body, batch); }

  storage::record_view at(size_t i) {
    storage::record_view v;
    REQUIRE(v.parse(batch.record(i).data(), batch.record(i).size()));
    return v;
  }
};

const char* logs_body = R"({"resourceLogs":[{
  "scopeLogs":[{"logRecords":[
     {"timeUnixNano":"1700000000123456789","observedTimeUnixNano":1700000000999999999,
      "severityNumber":13,"severityText":"WARN","body":{"stringValue":"Hello {not a template}"},
      "attributes":[{"key":"s","value":{"stringValue":"x\"y"}},{"key":"i","value":{"intValue":"-5"}},
        {"key":"i2","value":{"intValue":6}},{"key":"d","value":{"doubleValue":2}},
        {"value":{"boolValue":true},"key":"b"},
        {"key":"arr","value":{"arrayValue":{"values":[{"stringValue":"a"},{"intValue":"2"}]}}},
        {"key":"kv","value":{"kvlistValue":{"values":[{"key":"k","value":{"intValue":7}}]}}},
        {"key":"bytes","value":{"bytesValue":"AQL/"}},{"key":"empty","value":{}},{"key":"none"}],
      "flags":1,"traceId":"5B8EFFF798038103D269B633813FC60C","spanId":"eee19b7ec3c1b174"},
     {"observed_time_unix_nano":"1700000001000000000","severity_number":"SEVERITY_NUMBER_ERROR",
      "body":{"kvlistValue":{"values":[{"key":"a","value":{"stringValue":"b"}}]}}}
   ],
   "scope":{"name":"my.lib","version":"1.0.0","attributes":[{"key":"sa","value":{"boolValue":false}}]}}],
  "resource":{"attributes":[{"key":"service.name","value":{"stringValue":"checkout"}},{"key":"n","value":{"intValue":"3"}}]}
}]})";

} // namespace

TEST_SUITE("net.otlp_json_decoder") {

TEST_CASE_FIXTURE(json_fixture, "a logs request maps every field, in any member order") {
  REQUIRE_FALSE(logs(logs_body));
  REQUIRE(batch.size() == 2);
  auto r = at(0);
  CHECK(r.timestamp() == 1700000000123456789LL);
  CHECK(r.get(field::level) == "WARN");
  CHECK(r.get(field::message) == "Hello {not a template}");
  CHECK(r.get(field::message_template) == "");
  CHECK(r.event_type() == decode::murmur3_32("Hello {not a template}"));
  CHECK(r.get(field::trace_id) == "5b8efff798038103d269b633813fc60c");
  CHECK(r.get(field::span_id) == "eee19b7ec3c1b174");
  CHECK(r.get(field::properties) ==
        R"({"s":"x\"y","i":-5,"i2":6,"d":2.0,"b":true,"arr":["a",2],"kv":{"k":7},"bytes":"AQL/","empty":null,"none":null})");
  CHECK(r.get(field::resource) == R"({"service.name":"checkout","n":3})");
  CHECK(r.get(field::scope) == R"({"name":"my.lib","version":"1.0.0","sa":false})");
  auto s = at(1);
  CHECK(s.timestamp() == 1700000001000000000LL);
  CHECK(s.get(field::level) == "Error");
  CHECK(s.get(field::message) == R"({"a":"b"})");
}

TEST_CASE_FIXTURE(json_fixture, "a traces request maps spans, status and events") {
  REQUIRE_FALSE(traces(R"({"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"api"}}]},
    "scopeSpans":[{"scope":{"name":"tracer"},"spans":[
      {"traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b174","parentSpanId":"eee19b7ec3c1b173",
       "name":"GET /api/{id}","kind":"SPAN_KIND_SERVER","startTimeUnixNano":"1700000000000000000",
       "endTimeUnixNano":1700000001000000000,"attributes":[{"key":"http.status_code","value":{"intValue":500}}],
       "events":[{"name":"retry","timeUnixNano":"1700000000500000000","attributes":[{"key":"attempt","value":{"intValue":2}}]}],
       "status":{"code":2,"message":"boom"}},
      {"name":"child","kind":3,"startTimeUnixNano":5,"endTimeUnixNano":9,"status":{"code":"STATUS_CODE_OK"}}]}]}]})"));
  REQUIRE(batch.size() == 2);
  auto r = at(0);
  CHECK(r.timestamp() == 1700000001000000000LL);
  CHECK(r.start() == 1700000000000000000LL);
  CHECK(r.get(field::message) == "GET /api/{id}");
  CHECK(r.get(field::level) == "Error");
  CHECK(r.get(field::span_kind) == "Server");
  CHECK(r.get(field::parent_id) == "eee19b7ec3c1b173");
  CHECK(r.get(field::properties) ==
        R"({"http.status_code":500,"StatusMessage":"boom","SpanEvents":[)"
        R"({"Name":"retry","Timestamp":"2023-11-14T22:13:20.500000000Z","Attributes":{"attempt":2}}]})");
  CHECK(r.get(field::resource) == R"({"service.name":"api"})");
  CHECK(r.get(field::scope) == R"({"name":"tracer"})");
  auto c = at(1);
  CHECK(c.get(field::level) == "");
  CHECK(c.get(field::span_kind) == "Client");
  CHECK(c.start() == 5);
  CHECK(c.timestamp() == 9);
}

TEST_CASE_FIXTURE(json_fixture, "empty bodies and empty requests decode to nothing") {
  CHECK_FALSE(logs(""));
  CHECK_FALSE(logs("{}"));
  CHECK_FALSE(traces(R"({"resourceSpans":[]})"));
  CHECK_FALSE(logs(R"({"resourceLogs":[{"scopeLogs":[{}]}]})"));
  CHECK(batch.empty());
}

TEST_CASE_FIXTURE(json_fixture, "malformed requests are rejected whole, naming the record") {
  struct bad { const char* body; const char* error; };
  const std::vector<bad> cases = {
    {R"([])", "request: body must be a JSON object"},
    {R"({"resourceLogs":{}})", "request: resourceLogs must be an array"},
    {R"({"resourceLogs":[1]})", "resourceLogs[0]: not a JSON object"},
    {R"({"resourceLogs":[{"scopeLogs":[{"logRecords":[{},{"timeUnixNano":"soon"}]}]}]})", "resourceLogs[0].scopeLogs[0].logRecords[1]: timeUnixNano must be an unsigned integer"},
    {R"({"resourceLogs":[{"scopeLogs":[{"logRecords":[{"timeUnixNano":-1}]}]}]})", "resourceLogs[0].scopeLogs[0].logRecords[0]: timeUnixNano must be"},
    {R"({"resourceLogs":[{"scopeLogs":[{"logRecords":[{"timeUnixNano":"18446744073709551615"}]}]}]})", "resourceLogs[0].scopeLogs[0].logRecords[0]: timeUnixNano is out of range"},
    {R"({"resourceLogs":[{"scopeLogs":[{"logRecords":[{"severityText":5}]}]}]})", "resourceLogs[0].scopeLogs[0].logRecords[0]: severityText must be a string"},
    {R"({"resourceLogs":[{"scopeLogs":[{"logRecords":[{"attributes":[{"key":"a","value":{"intValue":"1.5"}}]}]}]}]})", "resourceLogs[0].scopeLogs[0].logRecords[0].attributes[0]: intValue must be a 64-bit integer"},
    {R"({"resourceLogs":[{"scopeLogs":[{"logRecords":[{"attributes":[{"value":{}}]}]}]}]})", "resourceLogs[0].scopeLogs[0].logRecords[0].attributes[0]: key is missing"},
    {R"({"resourceLogs":[{"scopeLogs":[{"logRecords":[{"body":"text"}]}]}]})", "resourceLogs[0].scopeLogs[0].logRecords[0]: attribute value must be an AnyValue object"},
    {R"({"resourceLogs":[{"scopeLogs":[{"logRecords":[{"traceId":1}]}]}]})", "resourceLogs[0].scopeLogs[0].logRecords[0]: traceId must be a string"},
    {R"({"resourceLogs":[{"scopeLogs":[{"logRecords":[{"body":{"stringValue":"x"}}]}]}]} x)", "request: invalid JSON"},
    {R"({"resourceLogs":[{"scopeLogs":[{"logRecords":[{"body":{"stringValue":"x"}}]}]}]})", nullptr},
    {R"({"resourceLogs":[{"scopeLogs":[{"logRecords":[{"body":{"stringValue":"x}}]}]}]})", "request: invalid JSON"},
  };
  for (const auto& c : cases) {
    std::string body = c.body;
    CAPTURE(body);
    batch.clear();
    REQUIRE_FALSE(logs(logs_body));
    auto before = batch;
    auto err = logs(c.body);
    if (!c.error) {
      CHECK_FALSE(err);
      continue;
    }
    REQUIRE(err);
    std::string text = *err;
    CAPTURE(text);
    CHECK(text.rfind(c.error, 0) == 0);
    CHECK(batch.bytes == before.bytes);
    CHECK(batch.offsets == before.offsets);
  }
}

} // TEST_SUITE
