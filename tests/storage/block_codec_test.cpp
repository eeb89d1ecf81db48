#include "storage/block_codec.hpp"
#include "storage/json_scan.hpp"
#include "storage/message_holes.hpp"

#include "tests/storage/store_fixture.hpp"

#include <zstd.h>

#include <algorithm>
#include <random>
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
  /// Encodes the batch, decodes it, and checks every byte came back.
  void check_round_trip() {
    make_views();
    block_encoder enc;
    std::string value;
    REQUIRE(enc.encode(views, value));
    record_batch out;
    auto st = decode_block(value, out);
    REQUIRE_MESSAGE(st, (st ? "" : st.error().to_string()));
    REQUIRE(out.size() == batch.size());
    for (size_t i = 0; i < batch.size(); ++i)
      CHECK_MESSAGE(out.record(i) == batch.record(i), "record ", i);
    CHECK(out.offsets == batch.offsets);
    // Views assembled over the columns carry the same header and fields.
    block_views assembled;
    st = decode_block(value, assembled, field_projection{});
    REQUIRE_MESSAGE(st, (st ? "" : st.error().to_string()));
    REQUIRE(assembled.size() == batch.size());
    for (size_t i = 0; i < batch.size(); ++i) {
      const record_view& v = assembled.views()[i];
      CHECK(v.timestamp() == views[i].timestamp());
      CHECK(v.id() == views[i].id());
      CHECK(v.start() == views[i].start());
      CHECK(v.event_type() == views[i].event_type());
      CHECK(v.flags() == views[i].flags());
      for (size_t f = 0; f < field_count; ++f)
        CHECK_MESSAGE(v.get(field(f)) == views[i].get(field(f)), "record ", i, " field ", f);
    }
    check_messages(value);
  }
  /// Messages decoded as columns equal the records' messages, unless some
  /// event has a template but no message (the block is then not complete()).
  void check_messages(const std::string& value) {
    make_views();
    block_columns cols;
    column_selection messages;
    messages.messages = true;
    auto st = decode_block_columns(value, messages, cols);
    REQUIRE_MESSAGE(st, (st ? "" : st.error().to_string()));
    REQUIRE(cols.size() == views.size());
    bool renders_at_read = false;
    for (auto& v : views)
      renders_at_read |= v.get(field::message).empty() && !v.get(field::message_template).empty();
    CHECK(cols.complete() == !renders_at_read);
    if (cols.complete())
      for (size_t i = 0; i < views.size(); ++i)
        CHECK_MESSAGE(cols.message(uint32_t(i)) == views[i].get(field::message), "record ", i);
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
  auto st = decode_block(std::string{"CBK9"} + value.substr(4), out);
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

TEST_CASE_FIXTURE(codec_fixture, "blocks written at zstd level 3 (before the default became 1) decode the same") {
  batch = make_batch(4000, 1'700'000'000'000'000'000);
  patch_ids(1);
  make_views();
  std::string at3, at1;
  block_encoder old_default{3};
  REQUIRE(old_default.encode(views, at3));
  block_encoder new_default;
  REQUIRE(new_default.encode(views, at1));
  CHECK(at3 != at1); // the levels really differ on this data
  record_batch from3, from1;
  REQUIRE(decode_block(at3, from3));
  REQUIRE(decode_block(at1, from1));
  CHECK(from3.bytes == batch.bytes);
  CHECK(from1.bytes == batch.bytes);
  CHECK(from1.offsets == from3.offsets);
}


/// Property objects the shredder must restore exactly, including ones it
/// has to leave verbatim.
const char* const property_cases[] = {
  "",
  "{}",
  R"({"A":1})",
  R"({"Nested":{"a":[1,{"b":null}],"c":"}"},"Arr":[1,2,[3]],"E":[],"O":{}})",
  R"({"Unicode":"h\u00e9llo \ud83d\ude00 \u65e5\u672c","Raw":"héllo 日本 😀"})",
  R"({"Esc":"a\"b\\c\/d\n\t","K\"ey":"v","k\\":1})",
  R"({"Dup":1,"Dup":"two","Dup":{"x":3}})",
  R"({"F1":1.0,"F2":1e400,"F3":-0,"F4":-0.0,"F5":0.05,"F6":-12.50,"F7":1E5,"F8":2.5e-3})",
  R"({"I1":0,"I2":-1,"I3":9223372036854775807,"I4":-9223372036854775808,"I5":9223372036854775808})",
  R"({"D1":1234567890.123456789,"D2":12345678901234567890.5,"D3":0.0000000000000000001,"D4":00.5,"D5":01})",
  R"({"B":true,"C":false,"N":null,"S":"","T":"true"})",
  R"({ "Spaced": 1 })",
  R"({"a":1,})",
  R"({"a"})",
  R"([1,2,3])",
  R"("just a string")",
  R"({"Trailing":1}x)",
  R"({"x":-})",
};

TEST_CASE_FIXTURE(codec_fixture, "property objects of every shape round-trip byte for byte") {
  int64_t ts = 1;
  // Twice, so the second round meets strings already numbered in the block.
  for (int round = 0; round < 2; ++round)
    for (const char* props : property_cases) {
      event_spec e;
      e.ts = ts++;
      e.mt = "";
      e.message = "m";
      e.properties = props;
      add_event(batch, e);
    }
  event_spec huge;
  huge.ts = ts++;
  huge.properties = R"({"Big":")" + std::string(200'000, 'z') + R"(","User":"alice"})";
  add_event(batch, huge);
  patch_ids(1);
  check_round_trip();
}

TEST_CASE_FIXTURE(codec_fixture, "messages that render properties round-trip whether or not they match") {
  struct msg_case {
    const char* mt;
    const char* message;
    const char* props;
  } cases[] = {
    {"User {User} from {Ip}", "User alice from 10.0.0.1", R"({"User":"alice","Ip":"10.0.0.1"})"}, // both refs
    {"User {User}", "User \"alice\"", R"({"User":"alice"})"},                  // Serilog quoting: explicit
    {"Took {Elapsed:0.0000} ms", "Took 12.3400 ms", R"({"Elapsed":12.34})"},   // format changed it
    {"Took {Elapsed:0.0000} ms", "Took 12.3456 ms", R"({"Elapsed":12.3456})"}, // format kept it
    {"Esc {S}", "Esc a\"b\nc é 😀", R"({"S":"a\"b\nc \u00e9 \ud83d\ude00"})"},
    {"Obj {@O} arr {A}", R"(Obj {"x":1} arr [1,2])", R"({"O":{"x":1},"A":[1,2]})"},
    {"Dup {D}", "Dup 1", R"({"D":1,"D":2})"},  // first member wins
    {"Dup {D}", "Dup 2", R"({"D":1,"D":2})"},  // not the first: explicit
    {"Missing {M}", "Missing x", R"({"N":1})"},
    {"Missing {M}", "Missing {M}", R"({"N":1})"},
    {"Aligned {N,5}", "Aligned     7", R"({"N":7})"},
    {"Spaced {A}", "Spaced 1", R"({ "A": 1 })"}, // verbatim properties are looked up too
    {"Absent {A}", "Absent 1", ""},
    {"{A}{B}", "12", R"({"A":1,"B":2})"},
    {"{A}{B}", "21", R"({"A":1,"B":2})"},
    {"{{Esc}} {A}", "{Esc} 1", R"({"A":1})"},
    {"Bad {\"}", "Bad x", R"({"\"":"x"})"},
    {"Empty {}", "Empty x", R"({"":"x"})"},
    {"Neg {N}", "Neg -0", R"({"N":-0})"},
    {"Big {N}", "Big 1e400", R"({"N":1e400})"},
  };
  int64_t ts = 1;
  for (auto& c : cases) {
    event_spec e;
    e.ts = ts++;
    e.mt = c.mt;
    e.message = c.message;
    e.properties = c.props;
    add_event(batch, e);
  }
  patch_ids(1);
  check_round_trip();
}

TEST_CASE_FIXTURE(codec_fixture, "a random mix of templates and property shapes round-trips") {
  std::mt19937_64 rng{7};
  const char* templates[] = {"", "User {User} from {Ip}", "{A}{B}", "Took {Elapsed:0.0000} ms", "No holes"};
  const char* messages[] = {"User alice from 10.0.0.1", "12", "Took 12.3400 ms", "free text", ""};
  for (int i = 0; i < 3000; ++i) {
    event_spec e;
    e.ts = 1'700'000'000'000'000'000 + int64_t(rng() % 1'000'000'000) - 500'000'000;
    e.mt = templates[rng() % 5];
    e.message = messages[rng() % 5];
    e.properties = property_cases[rng() % std::size(property_cases)];
    if (rng() % 4 == 0)
      e.properties = R"({"User":"alice","Ip":"10.0.0.)" + std::to_string(rng() % 300) + R"(","Elapsed":)" +
                     std::to_string(rng() % 100'000) + "." + std::to_string(rng() % 100) + "}";
    if (rng() % 3 == 0)
      e.start = e.ts - int64_t(rng() % 1'000'000);
    // Repeating fields: first occurrences, back-references and empties.
    const char* levels[] = {"", "Information", "Warning", "information"};
    e.level = levels[rng() % 4];
    const char* resources[] = {"", R"({"service.name":"shop"})", R"({"service.name":"cart","host":"a"})"};
    e.resource = resources[rng() % 3];
    add_event(batch, e);
  }
  patch_ids(100);
  check_round_trip();
}

TEST_CASE_FIXTURE(codec_fixture, "messages decoded as columns equal the records' whatever their holes hold") {
  std::mt19937_64 rng{11};
  const char* templates[] = {"",
                             "No holes",
                             "Esc {Esc} and {Unicode} {Raw}",
                             "{Dup} {F1}{F2} {F3} {F4} {F5} {F6} {F7} {F8}",
                             "{I1} {I2} {I3} {I4} {I5}",
                             "{D1} {D2} {D3} {D4} {D5}",
                             "{B}{C}{N}{S}{T} {@B,5} {$C:000}",
                             "Nested {Nested} {Arr} {E} {O}",
                             "{Spaced} {a} {A}",
                             "Missing {Missing} {}"};
  blockfmt::template_shape shape;
  for (int i = 0; i < 4000; ++i) {
    event_spec e;
    e.ts = 1'700'000'000'000'000'000 + int64_t(rng() % 1'000'000);
    e.mt = templates[rng() % std::size(templates)];
    e.properties = property_cases[rng() % std::size(property_cases)];
    // Mostly the message the template renders to (holes become property
    // references), sometimes other hole values or unrelated text.
    shape.parse(e.mt);
    std::string message{shape.literals[0]};
    for (size_t h = 0; h < shape.names.size(); ++h) {
      auto v = blockfmt::find_member(e.properties, shape.names[h]);
      if (v && rng() % 8 != 0)
        REQUIRE(blockfmt::append_plain_rendering(*v, message));
      else
        message += std::to_string(rng() % 100);
      message += shape.literals[h + 1];
    }
    e.message = rng() % 10 == 0 ? std::string{"free text"} : message;
    if (e.mt.empty() && rng() % 3 == 0)
      e.message = "";
    add_event(batch, e);
  }
  patch_ids(1);
  check_round_trip();
}

TEST_CASE_FIXTURE(codec_fixture, "a CBK1 block written before format 2 still decodes") {
  // Written by the CBK1 encoder (commit 7f95a31) from the records below.
  const char* hex =
    "43424b31d101000028b52ffd60d10025090036103c32608b330630e5cd4431c3"
    "32c38660ba92b0eec673557e6d49a8daed571c350108d23e296d228d6ce3040f"
    "22925cc6746364a72e0031002f0010c8344db60f308b0d2a24490511c6004305"
    "4786464708049222c9171bd88e56b0add94e904c60fb614717b61f015ea7d96c"
    "01b76263fdb67829f676341b39a007133f4dac5e26036ee2b5d1e37d243e5013"
    "6e1c0f88f9349bb22502205053bf9dd775496b92cd0897d52dc2759379494937"
    "a7c579120c93d47a61b5cbe664366411cc26ad6846e740ee73414e81f7d6e92b"
    "af263de5f65e292dfa0f45b88511af7eb1389cbe8213a107714bdf09c387573f"
    "7d477bf5d31400691017e3863561a11656b96a36b7de42f54d096017fd35611c"
    "bc172b9bd8910176031be286beab98b9e0255ec38a12";
  std::string value;
  for (const char* p = hex; *p; p += 2)
    value.push_back(static_cast<char>(std::stoi(std::string(p, 2), nullptr, 16)));
  event_spec e;
  e.ts = 1'700'000'000'000'000'000;
  add_event(batch, e);
  e.ts += 5;
  e.message = "User \"bob\" logged in";
  e.properties = "";
  e.start = e.ts - 1000;
  e.trace_id = "0af7651916cd43dd8448eb211c80319c";
  e.span_id = "b7ad6b7169203331";
  add_event(batch, e);
  e = event_spec{};
  e.ts = 1'700'000'000'000'000'100;
  e.mt = "{A} and {B}";
  e.message = "1 and 2";
  e.properties = R"({"A":1,"B":"2"})";
  add_event(batch, e);
  patch_ids(7);
  record_batch out;
  auto st = decode_block(value, out);
  REQUIRE_MESSAGE(st, (st ? "" : st.error().to_string()));
  CHECK(out.bytes == batch.bytes);
  CHECK(out.offsets == batch.offsets);  check_messages(value);
}

TEST_CASE_FIXTURE(codec_fixture, "a CBK3 block written before format 4 still decodes, as records, views and codes") {
  // Written by the CBK3 encoder (commit 50e8831) from the records below.
  const char* hex =
    "43424b33050000008e030000050000000d000000050000000200000014000000"
    "0500000005000000050000000500000005000000050000000500000005000000"
    "05000000020000000500000005000000170000002a0000000e0000008c000000"
    "2000000010000000000000000000000028000000000000000000000003000000"
    "1600000081000000320000001c0000002f000000130000004900000025000000"
    "1500000005000000050000002500000005000000050000006500000006060702"
    "028080d0e2c6bfce972f0e5613005002020202d00fcdab3412cdab3412cdab34"
    "12cdab3412cdab341200000000000a01160e014572726f72496e666f726d6174"
    "696f6e5761726e696e673e0101160355736572207b557365727d206c6f676765"
    "6420696e2066726f6d207b49707d7b417d20616e64207b427d02020204040000"
    "00000000023102320231023228b52ffd20910502005403252525001d53797374"
    "656d2e494f2e494f457863657074696f6e3a206469736b0a2020206174204128"
    "2954696d656f7574736c6f77020074308c1ca1aa0c0000200000306166373635"
    "3139313663643433646438343438656232313163383033313963000010000062"
    "3761643662373136393230333333310000000000000000000028b52ffd202ae5"
    "0000b014147b202241223a20312c202242223a20223222207d01008e9e4d0000"
    "000000000000000028b52ffd209ae50200f4040000000304557365720e024970"
    "1604487474705d01030001020105616c6963650103626f620600010831302e31"
    "320600001d7b224d6574686f64223a22474554222c22537461747573223a3230"
    "307d03009a50f25beab2c09501";
  std::string value;
  for (const char* p = hex; *p; p += 2)
    value.push_back(static_cast<char>(std::stoi(std::string(p, 2), nullptr, 16)));
  REQUIRE(value.substr(0, 4) == "CBK3");
  // Five events: repeated levels and exceptions, a span, shredded and
  // verbatim properties, a derived message.
  event_spec e;
  e.ts = 1'700'000'000'000'000'000;
  e.level = "Error";
  e.exception = "System.IO.IOException: disk\n   at A()";
  add_event(batch, e);
  e.ts += 7;
  e.properties = R"({"User":"bob","Ip":"10.0.0.2","Http":{"Method":"GET","Status":200}})";
  e.message = "User bob logged in from 10.0.0.2";
  add_event(batch, e);
  e = event_spec{};
  e.ts = 1'700'000'000'000'000'050;
  e.start = e.ts - 1000;
  e.trace_id = "0af7651916cd43dd8448eb211c80319c";
  e.span_id = "b7ad6b7169203331";
  e.exception = "System.IO.IOException: disk\n   at A()";
  add_event(batch, e);
  e = event_spec{};
  e.ts = 1'700'000'000'000'000'040;
  e.level = "Warning";
  e.mt = "{A} and {B}";
  e.message = "1 and 2";
  e.properties = R"({ "A": 1, "B": "2" })";
  add_event(batch, e);
  e.level = "Error";
  e.exception = "System.TimeoutException: slow";
  add_event(batch, e);
  patch_ids(40);
  record_batch out;
  auto st = decode_block(value, out);
  REQUIRE_MESSAGE(st, (st ? "" : st.error().to_string()));
  CHECK(out.bytes == batch.bytes);
  CHECK(out.offsets == batch.offsets);
  block_views assembled;
  REQUIRE(decode_block(value, assembled, field_projection{}));
  REQUIRE(assembled.size() == batch.size());
  block_columns cols;
  REQUIRE(decode_block_columns(value, column_selection{field_bit(field::exception) | field_bit(field::level), {}, true}, cols));
  REQUIRE(cols.size() == batch.size());
  make_views();
  for (size_t i = 0; i < batch.size(); ++i) {
    CHECK(assembled.views()[i].get(field::exception) == views[i].get(field::exception));
    CHECK(cols.values(field::exception)[cols.codes(field::exception)[i]] == views[i].get(field::exception));
    CHECK(cols.values(field::level)[cols.codes(field::level)[i]] == views[i].get(field::level));
    CHECK(cols.timestamps()[i] == views[i].timestamp());
  }  check_messages(value);
}

TEST_CASE_FIXTURE(codec_fixture, "many interleaved name orders, strings and repeating values round-trip") {
  // More name orders than the encoder remembers successors per name, more
  // distinct levels/templates/exceptions than its recent-value fronts hold,
  // and strings from pools small (hits) and large (misses): every number
  // the fronts hand out must match what the maps would.
  std::mt19937_64 rng{11};
  const std::vector<std::string> names = {"A", "B", "Cc", "Dd", "E", "Ff", "G", "Hh", "I", "Jj", "K", "Ll"};
  for (int i = 0; i < 4000; ++i) {
    event_spec e;
    e.ts = 1'700'000'000'000'000'000 + i;
    int shape = int(rng() % 12);
    e.mt = "T" + std::to_string(shape) + " {A}";
    e.message = "T" + std::to_string(shape) + " x";
    e.level = "L" + std::to_string(rng() % 20);
    if (rng() % 2)
      e.exception = std::string(200, 'x') + std::to_string(rng() % 15);
    std::vector<std::string> order = names;
    std::shuffle(order.begin(), order.begin() + 4, std::mt19937_64{uint64_t(shape)});
    size_t count = 1 + size_t(shape) % names.size();
    std::string props = "{";
    for (size_t k = 0; k < count; ++k) {
      if (k)
        props += ',';
      uint64_t pool = k % 2 ? 3 : 5000;
      props += "\"" + order[k] + "\":\"v" + std::to_string(rng() % pool) + "\"";
    }
    e.properties = props + "}";
    add_event(batch, e);
  }
  patch_ids(1);
  check_round_trip();
}

TEST_CASE_FIXTURE(codec_fixture, "shredded properties store repeated names and values once") {
  // The same events with properties the shredder accepts and, with one
  // space added, ones it must keep verbatim: the shredded block is smaller.
  std::mt19937_64 rng{3};
  record_batch compact, spaced;
  for (int i = 0; i < 4000; ++i) {
    event_spec e;
    e.ts = i;
    e.mt = "Took {Elapsed} ms";
    std::string elapsed = std::to_string(rng() % 100'000) + "." + std::to_string(1000 + rng() % 9000);
    e.message = "Took " + elapsed + " ms";
    e.properties = R"({"Elapsed":)" + elapsed + R"(,"SourceContext":"Shop.Api.OrdersController","Status":)" +
                   std::to_string(200 + rng() % 3) + "}";
    add_event(compact, e);
    e.properties.insert(1, " ");
    add_event(spaced, e);
  }
  auto encoded_size = [&](const record_batch& b) {
    batch = b;
    make_views();
    block_encoder enc;
    std::string value;
    REQUIRE(enc.encode(views, value));
    return value.size();
  };
  size_t shredded = encoded_size(compact), verbatim = encoded_size(spaced);
  CHECK(shredded * 10 < verbatim * 8);
}


TEST_CASE_FIXTURE(codec_fixture, "damaged column images are refused without reading out of bounds") {
  // Damage the image inside a valid zstd frame, so the column decoders (not
  // zstd's checksum) meet it. Run under ASan to make this test bite.
  int64_t ts = 1;
  for (const char* props : property_cases) {
    event_spec e;
    e.ts = ts++;
    e.properties = props;
    add_event(batch, e);
    e.ts = ts++;
    e.properties = R"({"User":"alice","Ip":"10.0.0.1","Ms":1.25})";
    e.message = "User alice logged in from 10.0.0.1";
    add_event(batch, e);
  }
  patch_ids(1);
  make_views();
  block_encoder enc;
  std::string value;
  REQUIRE(enc.encode(views, value));
  // CBK4: 192 header bytes (storage/block_codec.hpp), then 14 groups, each
  // raw or one zstd frame. Damage one group's bytes, re-frame it if it was
  // compressed, and patch its stored size.
  constexpr size_t groups = 14, sizes_at = 12 + 4 * block_column_count, header = sizes_at + 4 * groups;
  REQUIRE(value.substr(0, 4) == "CBK4");
  std::vector<std::string> raw(groups);
  std::vector<bool> framed(groups);
  {
    uint32_t col[block_column_count];
    std::memcpy(col, value.data() + 12, sizeof col);
    size_t group_raw[groups] = {};
    for (size_t c = 0; c < block_column_count; ++c) {
      // The timestamps (column 1) have the last group to themselves.
      size_t g = c == 1 ? groups - 1 : c < 6 ? 0 : c < 6 + 2 * field_count ? 1 + (c - 6) % field_count : groups - 2;
      group_raw[g] += col[c];
    }
    size_t at = header;
    for (size_t g = 0; g < groups; ++g) {
      uint32_t stored;
      std::memcpy(&stored, value.data() + sizes_at + 4 * g, 4);
      framed[g] = stored != group_raw[g];
      raw[g].resize(group_raw[g]);
      if (framed[g])
        REQUIRE(ZSTD_decompress(raw[g].data(), raw[g].size(), value.data() + at, stored) == raw[g].size());
      else
        raw[g] = value.substr(at, stored);
      at += stored;
    }
    REQUIRE(at == value.size());
  }
  std::mt19937_64 rng{11};
  record_batch out;
  int refused = 0;
  for (int i = 0; i < 2000; ++i) {
    size_t g = rng() % groups;
    if (raw[g].empty())
      continue;
    std::string bad_value = value.substr(0, header);
    for (size_t k = 0; k < groups; ++k) {
      std::string part = raw[k];
      if (k == g)
        for (int n = 0; n < 1 + int(rng() % 3); ++n)
          part[rng() % part.size()] = static_cast<char>(rng());
      if (framed[k]) {
        std::string frame(ZSTD_compressBound(part.size()), '\0');
        frame.resize(ZSTD_compress(frame.data(), frame.size(), part.data(), part.size(), 1));
        part = frame;
      }
      uint32_t stored = static_cast<uint32_t>(part.size());
      std::memcpy(bad_value.data() + sizes_at + 4 * k, &stored, 4);
      bad_value += part;
    }
    auto st = decode_block(bad_value, out);
    if (!st) {
      CHECK(st.error().code == errc::corrupt);
      ++refused;
    }
    block_views views_out;
    st = decode_block(bad_value, views_out, field_projection{});
    if (!st)
      CHECK(st.error().code == errc::corrupt);
    block_columns columns_out;
    st = decode_block_columns(bad_value, column_selection{coded_fields_mask, {}, true}, columns_out);
    if (!st)
      CHECK(st.error().code == errc::corrupt);
    // Property codes and messages rebuilt from their holes as well.
    const std::string asked[] = {"User", "Ms"};
    column_selection with_messages{0, asked, false};
    with_messages.messages = true;
    st = decode_block_columns(bad_value, with_messages, columns_out);
    if (!st)
      CHECK(st.error().code == errc::corrupt);
    else if (columns_out.complete())
      for (uint32_t e = 0; e < columns_out.size(); ++e)
        CHECK(columns_out.message(e).size() < bad_value.size() * 64);
  }
  CHECK(refused > 0);
}

}
