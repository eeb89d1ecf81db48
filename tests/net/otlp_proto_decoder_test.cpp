// Tests for the OTLP protobuf decoder, fed hand-encoded messages (a tiny
// test-side encoder) and cross-checked against protoc-encoded bytes.
#include <doctest/doctest.h>

#include <bit>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "net/decode/murmur3.hpp"
#include "net/decode/otlp_proto_decoder.hpp"
#include "storage/event_record.hpp"

using namespace cairn;
using storage::field;

namespace {

/// Minimal protobuf writer for building test inputs.
struct pb {
  std::string s;

  pb& raw_varint(uint64_t v) {
    do {
      uint8_t b = v & 0x7f;
      v >>= 7;
      s.push_back(char(v ? b | 0x80 : b));
    } while (v);
    return *this;
  }
  pb& tag(uint32_t field, int type) { return raw_varint(uint64_t(field) << 3 | uint64_t(type)); }
  pb& varint(uint32_t field, uint64_t v) { return tag(field, 0).raw_varint(v); }
  pb& fixed64(uint32_t field, uint64_t v) {
    tag(field, 1);
    for (int i = 0; i < 8; ++i)
      s.push_back(char(v >> (8 * i)));
    return *this;
  }
  pb& fixed32(uint32_t field, uint32_t v) {
    tag(field, 5);
    for (int i = 0; i < 4; ++i)
      s.push_back(char(v >> (8 * i)));
    return *this;
  }
  pb& bytes(uint32_t field, std::string_view v) {
    tag(field, 2).raw_varint(v.size());
    s.append(v);
    return *this;
  }
  pb& msg(uint32_t field, const pb& m) { return bytes(field, m.s); }
};

pb str(std::string_view v) { return pb{}.bytes(1, v); }
pb kv(std::string_view k, const pb& v) { return pb{}.bytes(1, k).msg(2, v); }

std::string unhex(std::string_view h) {
  std::string out;
  for (size_t i = 0; i + 1 < h.size(); i += 2)
    out.push_back(char(std::stoi(std::string(h.substr(i, 2)), nullptr, 16)));
  return out;
}

const std::string trace_hex = "5b8efff798038103d269b633813fc60c";
const std::string span_hex = "eee19b7ec3c1b174";
const std::string parent_hex = "eee19b7ec3c1b173";

/// The logs sample: every LogRecord field plus resource and scope.
std::string logs_sample() {
  pb attrs_any = pb{}
    .msg(5, pb{}.msg(1, str("a")).msg(1, pb{}.varint(3, 2)))                 // array
    ;
  pb record;
  // Fields in number order, as protoc writes them.
  record.fixed64(1, 1700000000123456789ull)
    .varint(2, 13)
    .bytes(3, "WARN")
    .msg(5, str("Hello {not a template}"))
    .msg(6, kv("s", str("x\"y")))
    .msg(6, kv("i", pb{}.varint(3, uint64_t(-5))))
    .msg(6, kv("d", pb{}.fixed64(4, std::bit_cast<uint64_t>(2.0))))
    .msg(6, kv("b", pb{}.varint(2, 1)))
    .msg(6, kv("arr", attrs_any))
    .msg(6, kv("kv", pb{}.msg(6, pb{}.msg(1, kv("k", pb{}.varint(3, 7))))))
    .msg(6, kv("bytes", pb{}.bytes(7, "\x01\x02\xff")))
    .msg(6, kv("empty", pb{}))
    .fixed32(8, 1)
    .bytes(9, unhex(trace_hex))
    .bytes(10, unhex(span_hex))
    .fixed64(11, 1700000000999999999ull);
  pb scope = pb{}.bytes(1, "my.lib").bytes(2, "1.0.0").msg(3, kv("sa", pb{}.varint(2, 0)));
  pb resource = pb{}.msg(1, kv("service.name", str("checkout"))).msg(1, kv("n", pb{}.varint(3, 3)));
  pb second = pb{}.varint(2, 17).msg(5, pb{}.msg(6, pb{}.msg(1, kv("a", str("b"))))).fixed64(11, 1700000001000000000ull);
  pb scope_logs = pb{}.msg(1, scope).msg(2, record).msg(2, second);
  pb resource_logs = pb{}.msg(1, resource).msg(2, scope_logs);
  return pb{}.msg(1, resource_logs).s;
}

const char* logs_sample_text = R"(
resource_logs {
  resource {
    attributes { key: "service.name" value { string_value: "checkout" } }
    attributes { key: "n" value { int_value: 3 } }
  }
  scope_logs {
    scope { name: "my.lib" version: "1.0.0" attributes { key: "sa" value { bool_value: false } } }
    log_records {
      time_unix_nano: 1700000000123456789
      observed_time_unix_nano: 1700000000999999999
      severity_number: 13
      severity_text: "WARN"
      body { string_value: "Hello {not a template}" }
      attributes { key: "s" value { string_value: "x\"y" } }
      attributes { key: "i" value { int_value: -5 } }
      attributes { key: "d" value { double_value: 2.0 } }
      attributes { key: "b" value { bool_value: true } }
      attributes { key: "arr" value { array_value { values { string_value: "a" } values { int_value: 2 } } } }
      attributes { key: "kv" value { kvlist_value { values { key: "k" value { int_value: 7 } } } } }
      attributes { key: "bytes" value { bytes_value: "\001\002\377" } }
      attributes { key: "empty" value { } }
      flags: 1
      trace_id: "\x5b\x8e\xff\xf7\x98\x03\x81\x03\xd2\x69\xb6\x33\x81\x3f\xc6\x0c"
      span_id: "\xee\xe1\x9b\x7e\xc3\xc1\xb1\x74"
    }
    log_records {
      observed_time_unix_nano: 1700000001000000000
      severity_number: 17
      body { kvlist_value { values { key: "a" value { string_value: "b" } } } }
    }
  }
}
)";

struct proto_fixture {
  decode::otlp_proto_decoder decoder;
  storage::record_batch batch;

  storage::record_view at(size_t i) {
    storage::record_view v;
    REQUIRE(v.parse(batch.record(i).data(), batch.record(i).size()));
    return v;
  }

  void check_logs_sample() {
    REQUIRE(batch.size() == 2);
    auto r = at(0);
    CHECK(r.timestamp() == 1700000000123456789LL);
    CHECK_FALSE(r.is_span());
    CHECK(r.get(field::level) == "WARN");
    CHECK(r.get(field::message) == "Hello {not a template}");
    CHECK(r.get(field::message_template) == "");
    CHECK(r.event_type() == decode::murmur3_32("Hello {not a template}"));
    CHECK(r.get(field::trace_id) == trace_hex);
    CHECK(r.get(field::span_id) == span_hex);
    CHECK(r.get(field::properties) ==
          R"({"s":"x\"y","i":-5,"d":2.0,"b":true,"arr":["a",2],"kv":{"k":7},"bytes":"AQL/","empty":null})");
    CHECK(r.get(field::resource) == R"({"service.name":"checkout","n":3})");
    CHECK(r.get(field::scope) == R"({"name":"my.lib","version":"1.0.0","sa":false})");
    auto s = at(1);
    CHECK(s.timestamp() == 1700000001000000000LL); // observed time fallback
    CHECK(s.get(field::level) == "Error");         // from severity number 17
    CHECK(s.get(field::message) == R"({"a":"b"})");
    CHECK(s.get(field::properties) == "");
    CHECK(s.get(field::trace_id) == "");
    CHECK(s.get(field::resource) == r.get(field::resource));
  }
};

/// Runs protoc to encode a text-format message; "" when protoc is missing.
std::string protoc_encode(const char* type, const char* text) {
  std::string dir = std::string(CAIRN_SOURCE_DIR) + "/tests/net";
  char in_name[] = "/tmp/cairn_otlp_in_XXXXXX";
  int fd = mkstemp(in_name);
  REQUIRE(fd >= 0);
  { std::ofstream(in_name) << text; }
  std::string out_name = std::string(in_name) + ".bin";
  std::string cmd = "protoc --proto_path=" + dir + " --encode=cairn_test." + type + " " + dir +
                    "/otlp_decoder_test.proto < " + in_name + " > " + out_name + " 2>/dev/null";
  int rc = std::system(cmd.c_str());
  std::remove(in_name);
  std::ifstream f(out_name, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  std::remove(out_name.c_str());
  return rc == 0 ? ss.str() : std::string{};
}

bool have_protoc() { return std::system("protoc --version >/dev/null 2>&1") == 0; }

} // namespace

TEST_SUITE("net.otlp_proto_decoder") {

TEST_CASE_FIXTURE(proto_fixture, "a hand-encoded logs request maps every field") {
  REQUIRE_FALSE(decoder.decode_logs(logs_sample(), batch));
  check_logs_sample();
}

TEST_CASE_FIXTURE(proto_fixture, "protoc's encoding of the same logs request decodes identically") {
  if (!have_protoc()) {
    MESSAGE("protoc not installed: cross-check skipped");
    return;
  }
  auto bytes = protoc_encode("ExportLogsServiceRequest", logs_sample_text);
  REQUIRE_FALSE(bytes.empty());
  CHECK(bytes == logs_sample()); // same field order, so the same bytes
  REQUIRE_FALSE(decoder.decode_logs(bytes, batch));
  check_logs_sample();
}

TEST_CASE_FIXTURE(proto_fixture, "a traces request maps spans, status and events") {
  pb event = pb{}.fixed64(1, 1700000000500000000ull).bytes(2, "retry").msg(3, kv("attempt", pb{}.varint(3, 2)));
  pb bare_event = pb{}.bytes(2, "bare").fixed64(1, 0);
  pb span = pb{}
    .bytes(1, unhex(trace_hex)).bytes(2, unhex(span_hex)).bytes(4, unhex(parent_hex))
    .bytes(5, "GET /api/{id}").varint(6, 2)
    .fixed64(7, 1700000000000000000ull).fixed64(8, 1700000001000000000ull)
    .msg(9, kv("http.status_code", pb{}.varint(3, 500)))
    .msg(11, event).msg(11, bare_event)
    .msg(15, pb{}.bytes(2, "boom").varint(3, 2));
  pb ok_span = pb{}.bytes(5, "child").varint(6, 3).fixed64(7, 5).fixed64(8, 9).msg(15, pb{}.varint(3, 1));
  pb scope_spans = pb{}.msg(2, span).msg(1, pb{}.bytes(1, "tracer")).msg(2, ok_span); // scope after a span
  pb request = pb{}.msg(1, pb{}.msg(2, scope_spans).msg(1, pb{}.msg(1, kv("service.name", str("api")))));
  REQUIRE_FALSE(decoder.decode_traces(request.s, batch));
  REQUIRE(batch.size() == 2);
  auto r = at(0);
  CHECK(r.timestamp() == 1700000001000000000LL);
  CHECK(r.start() == 1700000000000000000LL);
  CHECK(r.is_span());
  CHECK(r.get(field::message) == "GET /api/{id}");
  CHECK(r.get(field::message_template) == "");
  CHECK(r.get(field::level) == "Error");
  CHECK(r.get(field::span_kind) == "Server");
  CHECK(r.get(field::trace_id) == trace_hex);
  CHECK(r.get(field::span_id) == span_hex);
  CHECK(r.get(field::parent_id) == parent_hex);
  CHECK(r.get(field::properties) ==
        R"({"http.status_code":500,"StatusMessage":"boom","SpanEvents":[)"
        R"({"Name":"retry","Timestamp":"2023-11-14T22:13:20.500000000Z","Attributes":{"attempt":2}},)"
        R"({"Name":"bare","Timestamp":"1970-01-01T00:00:00.000000000Z"}]})");
  CHECK(r.get(field::resource) == R"({"service.name":"api"})");
  CHECK(r.get(field::scope) == R"({"name":"tracer"})");
  auto c = at(1);
  CHECK(c.get(field::level) == "");
  CHECK(c.get(field::span_kind) == "Client");
  CHECK(c.start() == 5);
  CHECK(c.timestamp() == 9);
  CHECK(c.get(field::parent_id) == "");
  CHECK(c.get(field::properties) == "");
}

TEST_CASE_FIXTURE(proto_fixture, "an empty request decodes to no records") {
  CHECK_FALSE(decoder.decode_logs("", batch));
  CHECK_FALSE(decoder.decode_traces("", batch));
  CHECK_FALSE(decoder.decode_logs(pb{}.msg(1, pb{}).s, batch));
  CHECK(batch.empty());
}

TEST_CASE_FIXTURE(proto_fixture, "malformed requests are rejected whole, naming the record") {
  pb good = pb{}.fixed64(1, 1).msg(5, str("ok"));
  auto wrap = [](const pb& record, int copies_before = 1) {
    pb scope_logs;
    for (int i = 0; i < copies_before; ++i)
      scope_logs.msg(2, pb{}.fixed64(1, 1));
    scope_logs.msg(2, record);
    return pb{}.msg(1, pb{}.msg(2, pb{}).msg(2, scope_logs)).s;
  };
  std::string truncated = wrap(good);
  truncated.pop_back();
  struct bad { std::string body; const char* error; };
  std::string nested_too_deep;
  {
    pb v = str("x");
    for (int i = 0; i < 80; ++i)
      v = pb{}.msg(5, pb{}.msg(1, v));
    nested_too_deep = wrap(pb{}.msg(6, kv("deep", v)));
  }
  const std::vector<bad> cases = {
    {"\x0a\x05\x01", "resourceLogs[0]: malformed protobuf"},
    {"\x0b", "resourceLogs[0]: field 1 has an unexpected wire type"}, // group wire type
    {std::string("\x00", 1), "request: malformed protobuf"}, // field 0
    {pb{}.varint(1, 5).s, "resourceLogs[0]: field 1 has an unexpected wire type"},
    {pb{}.varint(2, 5).s + "\x10", "request: malformed protobuf"}, // truncated varint
    {truncated, "resourceLogs[0]: malformed protobuf"},
    {wrap(pb{}.varint(1, 5)), "resourceLogs[0].scopeLogs[1].logRecords[1]: field 1 has an unexpected wire type"},
    {wrap(pb{}.bytes(3, "\xff\xfe")), "resourceLogs[0].scopeLogs[1].logRecords[1]: invalid UTF-8"},
    {wrap(pb{}.fixed64(1, ~0ull)), "resourceLogs[0].scopeLogs[1].logRecords[1]: time_unix_nano is out of range"},
    {wrap(pb{}.msg(6, kv("k", pb{}.bytes(3, "x")))), "resourceLogs[0].scopeLogs[1].logRecords[1]: field 3 has an unexpected wire type"},
    {wrap(pb{}.msg(6, pb{}.varint(1, 3))), "resourceLogs[0].scopeLogs[1].logRecords[1]: field 1 has an unexpected wire type"},
    {wrap(pb{}.msg(5, pb{}.bytes(1, "\xc0"))), "resourceLogs[0].scopeLogs[1].logRecords[1]: invalid UTF-8"},
    {nested_too_deep, "resourceLogs[0].scopeLogs[1].logRecords[1]: attribute values nested too deeply"},
    {wrap(pb{}.msg(5, str(std::string(storage::max_record_bytes, 'x'))), 3), "resourceLogs[0].scopeLogs[1].logRecords[3]: event exceeds 262144 bytes"},
  };
  for (const auto& c : cases) {
    std::string expected = c.error;
    CAPTURE(expected);
    batch.clear();
    REQUIRE_FALSE(decoder.decode_logs(logs_sample(), batch));
    auto before = batch;
    auto err = decoder.decode_logs(c.body, batch);
    REQUIRE(err);
    std::string text = *err;
    CAPTURE(text);
    CHECK(text.rfind(c.error, 0) == 0);
    CHECK(batch.bytes == before.bytes);
    CHECK(batch.offsets == before.offsets);
  }
  auto err = decoder.decode_traces(pb{}.msg(1, pb{}.msg(2, pb{}.msg(2, pb{}.fixed64(7, ~0ull)))).s, batch);
  REQUIRE(err);
  CHECK(*err == "resourceSpans[0].scopeSpans[0].spans[0]: span time is out of range");
}

} // TEST_SUITE
