// Tests for the CLEF decoder: field mapping, type preservation, rendering,
// and the one-input-per-line table of malformed bodies.
#include <doctest/doctest.h>

#include <cstdio>
#include <string>
#include <vector>

#include "net/decode/clef_decoder.hpp"
#include "net/decode/murmur3.hpp"
#include "storage/event_record.hpp"

using namespace cairn;
using storage::field;

namespace {

struct clef_fixture {
  decode::clef_decoder decoder;
  storage::record_batch batch;

  decode::decode_status decode(std::string body) { return decoder.decode(body, batch); }

  storage::record_view at(size_t i) {
    storage::record_view v;
    REQUIRE(v.parse(batch.record(i).data(), batch.record(i).size()));
    return v;
  }
};

} // namespace

TEST_SUITE("net.clef_decoder") {

TEST_CASE_FIXTURE(clef_fixture, "every reified field lands in its record slot") {
  auto err = decode(
    R"({"@t":"2024-01-02T03:04:05.6789012+10:00","@mt":"Hello {User}","@m":"Hi there",)"
    R"("@l":"Warning","@x":"System.Exception: boom","@i":"0a1b2c3d","@tr":"0AF7651916CD43DD8448EB211C80319C",)"
    R"("@sp":"B7AD6B7169203331","@ps":"00F067AA0BA902B7","@st":"2024-01-02T03:04:04Z","@sk":"Server",)"
    R"("@ra":{"service.name":"api","n":1},"@sa":{"name":"lib","version":"1.2"},"@r":["x"],"User":"bob"})");
  REQUIRE_FALSE(err);
  REQUIRE(batch.size() == 1);
  auto r = at(0);
  // 03:04:05.6789012+10:00 = 17:04:05.6789012Z the previous day.
  CHECK(r.timestamp() == 1704128645678901200LL);
  CHECK(r.start() == 1704164644000000000LL);
  CHECK(r.is_span());
  CHECK(r.event_type() == 0x0a1b2c3du);
  CHECK(r.flags() == storage::explicit_event_type);
  CHECK(r.id() == 0);
  CHECK(r.get(field::level) == "Warning");
  CHECK(r.get(field::message_template) == "Hello {User}");
  CHECK(r.get(field::message) == "Hi there");
  CHECK(r.get(field::exception) == "System.Exception: boom");
  CHECK(r.get(field::trace_id) == "0af7651916cd43dd8448eb211c80319c");
  CHECK(r.get(field::span_id) == "b7ad6b7169203331");
  CHECK(r.get(field::parent_id) == "00f067aa0ba902b7");
  CHECK(r.get(field::span_kind) == "Server");
  CHECK(r.get(field::properties) == R"({"User":"bob"})");
  CHECK(r.get(field::resource) == R"({"service.name":"api","n":1})");
  CHECK(r.get(field::scope) == R"({"name":"lib","version":"1.2"})");
}

TEST_CASE_FIXTURE(clef_fixture, "property values keep their JSON types and original number text") {
  REQUIRE_FALSE(decode(
    R"({"@t":"2024-01-01T00:00:00Z", "i" : 42, "big":18446744073709551615, "f":1.0, "e":1e3, "neg":-7,)"
    R"( "b":true, "n":null, "s":"a\"b\\c\n\u00e9", "arr":[1, "x", [false]], "obj":{"k":{"d":2.50}}})"));
  CHECK(at(0).get(field::properties) ==
        R"({"i":42,"big":18446744073709551615,"f":1.0,"e":1e3,"neg":-7,"b":true,"n":null,)"
        R"("s":"a\"b\\c\n)" "\xc3\xa9" R"(","arr":[1,"x",[false]],"obj":{"k":{"d":2.50}}})");
}

TEST_CASE_FIXTURE(clef_fixture, "doubled @ escapes a user property and unknown @ fields are kept") {
  REQUIRE_FALSE(decode(R"({"@t":"2024-01-01T00:00:00Z","@@x":1,"@d":{"m":2},"@":3})"));
  CHECK(at(0).get(field::properties) == R"({"@x":1,"@d":{"m":2},"@":3})");
}

TEST_CASE_FIXTURE(clef_fixture, "a template is rendered when @m is absent") {
  REQUIRE_FALSE(decode(
    R"({"@t":"2024-01-01T00:00:00Z","@mt":"{{lit}} {User} has {Count:000} items {Missing} {@Obj} {$Arr} {Price:F2}","User":"bo\"b","Count":7,"Obj":{"a":1},"Arr":[1,2],"Price":3.14159})"));
  auto r = at(0);
  CHECK(r.get(field::message) == R"({lit} bo"b has 007 items {Missing} {"a":1} [1,2] 3.14)");
  CHECK(r.get(field::message_template) ==
        "{{lit}} {User} has {Count:000} items {Missing} {@Obj} {$Arr} {Price:F2}");
}

TEST_CASE_FIXTURE(clef_fixture, "event type hashes the template, else the message") {
  REQUIRE_FALSE(decode("{\"@t\":\"2024-01-01T00:00:00Z\",\"@mt\":\"A {x}\",\"x\":1}\n"
                       "{\"@t\":\"2024-01-01T00:00:00Z\",\"@m\":\"plain\"}\n"
                       "{\"@t\":\"2024-01-01T00:00:00Z\",\"@i\":1234}\n"));
  REQUIRE(batch.size() == 3);
  CHECK(at(0).event_type() == decode::murmur3_32("A {x}"));
  CHECK(at(0).flags() == 0);
  CHECK(at(1).event_type() == decode::murmur3_32("plain"));
  CHECK(at(2).event_type() == 1234u);
  CHECK(at(2).flags() == storage::explicit_event_type);
  CHECK_FALSE(at(0).is_span());
  CHECK(at(0).get(field::properties) == R"({"x":1})");
  CHECK(at(1).get(field::properties) == "");
}

TEST_CASE_FIXTURE(clef_fixture, "CRLF, blank lines, a missing final newline and an empty body are fine") {
  CHECK_FALSE(decode(""));
  CHECK_FALSE(decode("  \r\n\n\t\n"));
  CHECK(batch.empty());
  REQUIRE_FALSE(decode("\r\n{\"@t\":\"2024-01-01T00:00:00Z\",\"@m\":\"a\"}\r\n\r\n"
                       "{\"@t\":\"2024-01-01T00:00:01Z\",\"@m\":\"b\"}"));
  REQUIRE(batch.size() == 2);
  CHECK(at(0).get(field::message) == "a");
  CHECK(at(1).get(field::message) == "b");
  CHECK(at(1).timestamp() - at(0).timestamp() == 1'000'000'000);
}

TEST_CASE_FIXTURE(clef_fixture, "a decoded batch appends after existing records") {
  REQUIRE_FALSE(decode(R"({"@t":"2024-01-01T00:00:00Z","@m":"first"})"));
  REQUIRE_FALSE(decode(R"({"@t":"2024-01-01T00:00:00Z","@m":"second"})"));
  REQUIRE(batch.size() == 2);
  CHECK(batch.offsets[1] == batch.record(0).size());
  CHECK(at(1).get(field::message) == "second");
}

TEST_CASE_FIXTURE(clef_fixture, "malformed input is rejected whole, naming the line") {
  // One case per line: body, then the exact start of the error text.
  struct bad { const char* body; const char* error; };
  const std::vector<bad> cases = {
    {"{\"@m\":\"no time\"}", "line 1: @t is missing"},
    {"{\"@t\":1}", "line 1: @t must be a string"},
    {"{\"@t\":\"yesterday\"}", "line 1: @t is not a valid ISO-8601 timestamp"},
    {"{\"@t\":\"2024-02-30T00:00:00Z\"}", "line 1: @t is not a valid ISO-8601 timestamp"},
    {"{\"@t\":\"2024-01-01T00:00:00Z\",\"@mt\":5}", "line 1: @mt must be a string"},
    {"{\"@t\":\"2024-01-01T00:00:00Z\",\"@m\":[]}", "line 1: @m must be a string"},
    {"{\"@t\":\"2024-01-01T00:00:00Z\",\"@l\":3}", "line 1: @l must be a string"},
    {"{\"@t\":\"2024-01-01T00:00:00Z\",\"@x\":{}}", "line 1: @x must be a string"},
    {"{\"@t\":\"2024-01-01T00:00:00Z\",\"@i\":true}", "line 1: @i must be a number or a hex string"},
    {"{\"@t\":\"2024-01-01T00:00:00Z\",\"@i\":\"xyz\"}", "line 1: @i must be a hex string"},
    {"{\"@t\":\"2024-01-01T00:00:00Z\",\"@i\":4294967296}", "line 1: @i must be a 32-bit"},
    {"{\"@t\":\"2024-01-01T00:00:00Z\",\"@ra\":\"x\"}", "line 1: @ra must be an object"},
    {"{\"@t\":\"2024-01-01T00:00:00Z\",\"@st\":\"soon\"}", "line 1: @st is not a valid ISO-8601"},
    {"[1,2]", "line 1: not a JSON object"},
    {"\"text\"", "line 1: not a JSON object"},
    {"not json", "line 1: not a JSON object"},
    {"{not json}", "line 1: invalid JSON"},
    {"{\"@t\":\"2024-01-01T00:00:00Z\"", "line 1: invalid JSON"},
    {"{\"@t\":\"2024-01-01T00:00:00Z\",\"a\":tru}", "line 1: invalid JSON"},
    {"{\"@t\":\"2024-01-01T00:00:00Z\",\"a\":[1,}", "line 1: invalid JSON"},
    {"{\"@t\":\"2024-01-01T00:00:00Z\",\"a\":\"\\q\"}", "line 1: invalid JSON"},
    {"{\"@t\":\"2024-01-01T00:00:00Z\"} {}", "line 1: invalid JSON"},
    {"{\"@t\":\"2024-01-01T00:00:00Z\",\"a\":\"\xff\"}", "line 1: invalid JSON"},
    {"{\"@t\":\"2024-01-01T00:00:00Z\"}\n\n{\"@t\":5}", "line 3: @t must be a string"},
    {"{\"@t\":\"2024-01-01T00:00:00Z\"}\r\n{}", "line 2: @t is missing"},
  };
  for (const auto& c : cases) {
    std::string body = c.body;
    CAPTURE(body);
    batch.clear();
    REQUIRE_FALSE(decode(R"({"@t":"2024-01-01T00:00:00Z","@m":"kept"})"));
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

TEST_CASE_FIXTURE(clef_fixture, "an event over the record limit is rejected") {
  std::string big(storage::max_record_bytes, 'x');
  auto err = decode("{\"@t\":\"2024-01-01T00:00:00Z\"}\n{\"@t\":\"2024-01-01T00:00:00Z\",\"@m\":\"" +
                    big + "\"}");
  REQUIRE(err);
  CHECK(*err == "line 2: event exceeds 262144 bytes");
  CHECK(batch.empty());
  // Just under the limit is accepted.
  std::string fits(storage::max_record_bytes - 200, 'x');
  CHECK_FALSE(decode("{\"@t\":\"2024-01-01T00:00:00Z\",\"@m\":\"" + fits + "\"}"));
  CHECK(batch.size() == 1);
}

TEST_CASE_FIXTURE(clef_fixture, "timestamps accept offsets, fractions and no seconds") {
  REQUIRE_FALSE(decode("{\"@t\":\"1970-01-01T00:00:00Z\"}\n"
                       "{\"@t\":\"1970-01-01T01:00:00.5+01:00\"}\n"
                       "{\"@t\":\"1970-01-01T00:00:00.1234567891-0130\"}\n"
                       "{\"@t\":\"1969-12-31 23:59\"}\n"));
  CHECK(at(0).timestamp() == 0);
  CHECK(at(1).timestamp() == 500'000'000);
  CHECK(at(2).timestamp() == 5400LL * 1'000'000'000 + 123'456'789);
  CHECK(at(3).timestamp() == -60LL * 1'000'000'000);
}

TEST_CASE_FIXTURE(clef_fixture, "names and strings copy alike whether or not they hold escapes") {
  // Clean names and strings are copied as they stand; escaped ones are
  // unescaped and written back minimally. Escapes sit at every distance
  // from the start so both the 16-byte and the byte-wise scan meet them.
  for (size_t distance = 0; distance < 40; ++distance) {
    std::string pad(distance, 'p');
    std::string body = "{\"@t\":\"2024-01-01T00:00:00Z\",\"" + pad + "\\u0041\":\"" + pad +
                       "\\/\\u00e9\",\"" + pad + "\":\"" + pad + "\",\"n\":[\"" + pad + "\\\"\"]}";
    CAPTURE(body);
    batch.clear();
    REQUIRE_FALSE(decode(body));
    CHECK(at(0).get(field::properties) == "{\"" + pad + "A\":\"" + pad + "/\xc3\xa9\",\"" + pad + "\":\"" + pad +
                                             "\",\"n\":[\"" + pad + "\\\"\"]}");
  }
  // A name that unescapes to a reified one is that field; spaces around
  // tokens are dropped.
  REQUIRE_FALSE(decode(R"({"@t":"2024-01-01T00:00:00Z", "\u0040m" : "hi" , "k" : "v w" , "o":{ "a b" : "c" }})"));
  CHECK(at(batch.size() - 1).get(field::message) == "hi");
  CHECK(at(batch.size() - 1).get(field::properties) == R"({"k":"v w","o":{"a b":"c"}})");
}

TEST_CASE_FIXTURE(clef_fixture, "numbers keep their text or are rejected, on either side of the plain-number limits") {
  // Short plain numbers are checked by the decoder itself, the rest by
  // simdjson: both must accept and reject the same texts.
  const std::vector<const char*> kept = {"123456789012345678", "1234567890123456789", "-0", "0.5",
                                         "12345678901234567.5", "123456789012345678.5", "1e5",
                                         "18446744073709551615", "-12.50"};
  const std::vector<const char*> rejected = {"01", "1.", "-", "1e400", "-01", "1.5.5",
                                             "99999999999999999999999", "0x1", "1.5e", "1.a"};
  for (const char* n : kept) {
    CAPTURE(n);
    batch.clear();
    REQUIRE_FALSE(decode(std::string("{\"@t\":\"2024-01-01T00:00:00Z\",\"n\":") + n + "}"));
    CHECK(at(0).get(field::properties) == std::string("{\"n\":") + n + "}");
  }
  for (const char* n : rejected) {
    CAPTURE(n);
    auto err = decode(std::string("{\"@t\":\"2024-01-01T00:00:00Z\",\"n\":[") + n + "]}");
    REQUIRE(err);
    CHECK(err->rfind("line 1: invalid JSON", 0) == 0);
  }
}

TEST_CASE_FIXTURE(clef_fixture, "templates repeated over many events render and hash like the first time") {
  // More distinct templates than the decoder's cache holds, each seen several
  // times, interleaved, plus one too long to cache.
  std::string body;
  std::string long_tmpl = std::string(5000, 'L') + " {N}";
  for (int round = 0; round < 3; ++round)
    for (int t = 0; t < 300; ++t)
      body += "{\"@t\":\"2024-01-01T00:00:00Z\",\"@mt\":\"T" + std::to_string(t) + " {N:000} {{x}} {Missing}\",\"N\":" +
              std::to_string(t) + "}\n";
  body += "{\"@t\":\"2024-01-01T00:00:00Z\",\"@mt\":\"" + long_tmpl + "\",\"N\":1}\n";
  REQUIRE_FALSE(decode(body));
  REQUIRE(batch.size() == 901);
  for (size_t i = 0; i < 900; ++i) {
    int t = int(i % 300);
    char expected[64];
    std::snprintf(expected, sizeof expected, "T%d %03d {x} {Missing}", t, t);
    auto r = at(i);
    CHECK(r.get(field::message) == expected);
    CHECK(r.event_type() == decode::murmur3_32(r.get(field::message_template)));
  }
  CHECK(at(900).get(field::message) == std::string(5000, 'L') + " 1");
  CHECK(at(900).event_type() == decode::murmur3_32(long_tmpl));
}

} // TEST_SUITE

TEST_SUITE("net.clef_decoder") {

TEST_CASE_FIXTURE(clef_fixture, "deeply nested property values are rejected, not recursed into") {
  std::string deep = std::string(5000, '[') + std::string(5000, ']');
  auto err = decode("{\"@t\":\"2024-01-01T00:00:00Z\",\"a\":" + deep + "}");
  REQUIRE(err);
  CHECK(err->rfind("line 1: invalid JSON", 0) == 0);
  std::string ok = std::string(100, '[') + std::string(100, ']');
  CHECK_FALSE(decode("{\"@t\":\"2024-01-01T00:00:00Z\",\"a\":" + ok + "}"));
}

} // TEST_SUITE
