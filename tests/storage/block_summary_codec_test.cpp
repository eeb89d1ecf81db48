#include "storage/block_summary_codec.hpp"

#include "storage/block_codec.hpp"
#include "tests/storage/store_fixture.hpp"

using namespace cairn::storage;
using namespace cairn::storage::test;

namespace {

struct summary_fixture {
  record_batch batch;
  summary_builder builder;
  block_encoder encoder;

  /// The summary as event_store builds it: fed by the block encoder from
  /// its own split of each record's properties.
  block_summary summarize_while_encoding() {
    std::vector<record_view> views;
    for (size_t i = 0; i < batch.size(); ++i) {
      record_view v;
      auto r = batch.record(i);
      REQUIRE(v.parse(r.data(), r.size()));
      views.push_back(v);
    }
    builder.reset();
    std::string value;
    REQUIRE(encoder.encode(views, value, &builder));
    return builder.finish();
  }

  block_summary summarize() {
    builder.reset();
    for (size_t i = 0; i < batch.size(); ++i) {
      record_view v;
      auto r = batch.record(i);
      REQUIRE(v.parse(r.data(), r.size()));
      builder.add(v);
    }
    return builder.finish();
  }
};

} // namespace

TEST_SUITE("storage.block_summary_codec") {

TEST_CASE_FIXTURE(summary_fixture, "a summary covers time and id ranges and levels") {
  event_spec e;
  e.ts = 500;
  e.level = "warn";
  add_event(batch, e);
  e.ts = -20;
  e.level = "";
  add_event(batch, e);
  e.ts = 90;
  e.level = "ERROR";
  add_event(batch, e);
  uint64_t ids[] = {7, 3, 11};
  for (size_t i = 0; i < 3; ++i)
    std::memcpy(batch.bytes.data() + batch.offsets[i] + record_id_offset, &ids[i], 8);
  auto s = summarize();
  CHECK(s.min_timestamp == -20);
  CHECK(s.max_timestamp == 500);
  CHECK(s.min_id == 3);
  CHECK(s.max_id == 11);
  CHECK(s.event_count == 3);
  CHECK(s.may_have_level(level_class::warning));
  CHECK(s.may_have_level(level_class::information));
  CHECK(s.may_have_level(level_class::error));
  CHECK_FALSE(s.may_have_level(level_class::debug));
  CHECK_FALSE(s.may_have_level(level_class::fatal));
}

TEST_CASE_FIXTURE(summary_fixture, "blooms know present names and tokens") {
  event_spec e;
  e.properties = R"({"RequestPath":"/api/Orders/42","Http":{"Method":"POST","Headers":{"Accept":"text/html"}},)"
                 R"("Items":[{"Sku":"ZX-81"},"loose"],"Count":3})";
  e.exception = "System.InvalidOperationException: Sequence contains no elements";
  e.resource = R"({"service":{"name":"checkout"}})";
  e.trace_id = "0af7651916cd43dd8448eb211c80319c";
  add_event(batch, e);
  auto s = summarize();
  for (auto name : {"RequestPath", "Http", "Http.Method", "Http.Headers.Accept", "Items", "Items.Sku", "Count",
                    "@Exception", "@Resource.service", "@Resource.service.name"})
    CHECK_MESSAGE(s.names.may_contain(name), name);
  for (auto token : {"api", "orders", "42", "post", "text", "html", "zx", "81", "loose", "sequence", "system",
                     "invalidoperationexception", "checkout", "user", "alice", "logged",
                     "0af7651916cd43dd8448eb211c80319c"})
    CHECK_MESSAGE(s.tokens.may_contain(token), token);
  // With ~10 bits per item, a handful of absent probes must mostly say no.
  int false_positives = 0;
  for (int i = 0; i < 100; ++i)
    false_positives += s.names.may_contain("Absent" + std::to_string(i)) +
                       s.tokens.may_contain("absent" + std::to_string(i));
  CHECK(false_positives < 20);
}

TEST_CASE_FIXTURE(summary_fixture, "events without exceptions leave @Exception out") {
  add_event(batch, event_spec{});
  auto s = summarize();
  CHECK_FALSE(s.names.may_contain("@Exception"));
  CHECK(s.names.may_contain("User"));
}

TEST_CASE_FIXTURE(summary_fixture, "a stored summary reads back whole and by its head") {
  batch = make_batch(50, 1000, 10);
  auto s = summarize();
  std::string stored;
  serialize_summary(s, 12345, 678, stored);
  summary_head head;
  REQUIRE(head.decode(stored));
  CHECK(head.event_count == 50);
  CHECK(head.min_timestamp == 1000);
  CHECK(head.max_timestamp == 1490);
  CHECK(head.raw_bytes == 12345);
  CHECK(head.stored_bytes == 678);
  block_summary back;
  REQUIRE(deserialize_summary(stored, back));
  CHECK(back.level_bits == s.level_bits);
  CHECK(back.names.may_contain("Http.Method"));
  CHECK(back.tokens.may_contain("request"));
  CHECK_FALSE(deserialize_summary(std::string_view{stored}.substr(0, stored.size() - 1), back));
  CHECK_FALSE(head.decode(std::string_view{stored}.substr(0, 10)));
}

}

TEST_SUITE("storage.block_summary_codec") {

TEST_CASE_FIXTURE(summary_fixture, "repeated templates, exceptions, resources and scopes are folded in exactly once") {
  // 20 templates/resources cycling (more than the builder remembers), one
  // exception text on every third event: every token and name must be in
  // the blooms, and the summary must not depend on the order of events.
  std::vector<event_spec> events;
  for (int i = 0; i < 200; ++i) {
    event_spec e;
    e.ts = i;
    int k = (i * 7) % 20;
    e.mt = "Step" + std::to_string(k) + " of {Job} finished";
    e.message = "done";
    e.properties = R"({"Job":"x"})";
    e.resource = R"({"service":{"name":"svc)" + std::to_string(k) + R"("},"Host)" + std::to_string(k) + R"(":1})";
    if (i % 3 == 0)
      e.exception = "System.Exception: Boom" + std::to_string(k % 4) + "\n   at Worker.Run()";
    events.push_back(e);
  }
  for (auto& e : events)
    add_event(batch, e);
  auto forward = summarize();
  for (int k = 0; k < 20; ++k) {
    CHECK(forward.tokens.may_contain("step" + std::to_string(k)));
    CHECK(forward.tokens.may_contain("svc" + std::to_string(k)));
    CHECK(forward.names.may_contain("@Resource.Host" + std::to_string(k)));
  }
  for (int k = 0; k < 4; ++k)
    CHECK(forward.tokens.may_contain("boom" + std::to_string(k)));
  CHECK(forward.names.may_contain("@Exception"));
  CHECK(forward.names.may_contain("@Resource.service.name"));
  batch.clear();
  for (auto it = events.rbegin(); it != events.rend(); ++it)
    add_event(batch, *it);
  auto backward = summarize();
  std::string a, b;
  serialize_summary(forward, 0, 0, a);
  serialize_summary(backward, 0, 0, b);
  CHECK(a == b);
  // Nothing carries over into the next block.
  batch.clear();
  event_spec plain;
  add_event(batch, plain);
  auto next = summarize();
  CHECK_FALSE(next.tokens.may_contain("step3"));
  CHECK_FALSE(next.names.may_contain("@Exception"));
}

}

TEST_SUITE("storage.block_summary_codec") {

TEST_CASE_FIXTURE(summary_fixture, "compact JSON walked in place gives the same summary as parsed JSON") {
  // The same properties compact (walked in place) and with spaces (not
  // compact: parsed by simdjson) must give identical blooms; escaped text
  // always takes the parser.
  const char* docs[] = {
    R"({"User":"Alice Smith","Ip":"10.0.0.1","Http":{"Method":"GET","Status":200,"Path":"/api/Orders/42"}})",
    R"({"Items":[{"Sku":"A-1","Qty":2},{"Sku":"B-2","Tags":["red","Big"]}],"Total":12.5,"Ok":true,"N":null})",
    R"({"Empty":{},"EmptyList":[],"Nested":[[1,"x y"],[{"Deep":{"Er":"ZZ top"}}]],"Neg":-1.5e3})",
    R"({"Unicode":"Grüße aus Köln","Dotted.Name":"v"})",
    // Escapes: walked in place too, tokens and names of the decoded text.
    R"j({"Trace":"at A.B()\n   at C.D()","Path":"C:\\dir\\File","U":"caf\u00e9 ok","K\u0041y":{"N\tx":"a\tb"}})j",
  };
  auto spaced = [](std::string s) {
    std::string out;
    bool in_string = false;
    for (char c : s) {
      out.push_back(c);
      if (c == '"')
        in_string = !in_string;
      else if (!in_string && (c == ':' || c == ',' || c == '[' || c == '{'))
        out.push_back(' ');
    }
    return out;
  };
  for (const char* d : docs) {
    event_spec e;
    e.properties = d;
    e.resource = R"({"service":{"name":"Checkout Svc"}})";
    batch.clear();
    add_event(batch, e);
    auto compact = summarize();
    e.properties = spaced(d);
    e.resource = spaced(e.resource);
    batch.clear();
    add_event(batch, e);
    auto parsed = summarize();
    std::string a, b;
    serialize_summary(compact, 0, 0, a);
    serialize_summary(parsed, 0, 0, b);
    CHECK_MESSAGE(a == b, d);
  }
  event_spec e;
  e.properties = R"({"Quote":"say \"Hello\" now","Tab\tKey":"x\ny"})";
  batch.clear();
  add_event(batch, e);
  auto s = summarize();
  CHECK(s.tokens.may_contain("hello"));
  CHECK(s.tokens.may_contain("now"));
  CHECK(s.tokens.may_contain("y"));
  CHECK(s.names.may_contain("Tab\tKey"));
  CHECK_FALSE(s.tokens.may_contain("nnow"));
  event_spec compact;
  batch.clear();
  add_event(batch, compact);
  auto c = summarize();
  CHECK(c.names.may_contain("Http.Method"));
  CHECK(c.tokens.may_contain("get"));
  CHECK(c.tokens.may_contain("10"));
}

TEST_CASE_FIXTURE(summary_fixture, "a summary fed from the block encoder's split equals one scanned from the records") {
  // Repeated names and strings (skipped on repeat), nested values, escapes
  // in keys and strings, a nested value with whitespace (not compact: the
  // whole object goes to simdjson), a top-level object with whitespace (not
  // split at all), and records without properties.
  const char* props[] = {
    R"({"User":"alice","Ip":"10.0.0.1","Http":{"Method":"GET","Status":200}})",
    R"({"User":"alice","Ip":"10.0.0.2","Http":{"Method":"POST","Status":201}})",
    R"({"User":"bob","Items":[{"Sku":"A-1"},"loose words"],"Ok":true})",
    R"j({"Trace":"at A.B()\n   at C.D()","K\u0041y":{"N\tx":"a\tb"},"User":"alice"})j",
    R"({"Spaced":{"Inner": "Gamma Delta"},"User":"carol"})",
    R"({ "Top" : "Whitespace Everywhere" })",
    "",
    R"({"User":"bob","Ip":"10.0.0.1","Dup":"x","Dup":"second value"})",
  };
  for (int round = 0; round < 3; ++round)
    for (const char* p : props) {
      event_spec e;
      e.properties = p;
      e.ts = round;
      add_event(batch, e);
    }
  auto scanned = summarize();
  auto fed = summarize_while_encoding();
  std::string a, b;
  serialize_summary(scanned, 0, 0, a);
  serialize_summary(fed, 0, 0, b);
  CHECK(a == b);
  for (const char* name : {"User", "Http.Method", "Items.Sku", "KAy", "KAy.N\tx", "Spaced.Inner", "Top", "Dup"})
    CHECK_MESSAGE(fed.names.may_contain(name), name);
  for (const char* token : {"alice", "bob", "carol", "post", "loose", "words", "gamma", "whitespace", "second", "b"})
    CHECK_MESSAGE(fed.tokens.may_contain(token), token);
}

}
