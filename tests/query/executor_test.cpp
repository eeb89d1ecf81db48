// Executor behaviour that data files cannot express: partial merging and
// serialization, cancellation, search paging, and the seed query's speed.
#include "query/executor.hpp"
#include "query/parse_error.hpp"
#include "query/result_json.hpp"
#include "tests/query/test_events.hpp"

#include <doctest/doctest.h>

#include <atomic>
#include <chrono>

namespace cairn::query::testing {

namespace {

struct fixture {
  memory_source source;
  int64_t now = 0;

  // n events over `blocks` blocks; every third has an exception.
  fixture(size_t n, size_t blocks) {
    parse_iso8601("2024-01-01T12:00:00Z", now);
    std::string err;
    for (size_t i = 0; i < n; ++i) {
      if (i % (n / blocks) == 0)
        source.new_block();
      std::string line = "{\"@t\":\"2024-01-01T10:" + std::string(i % 60 < 10 ? "0" : "") + std::to_string(i % 60) +
                         ":00Z\",\"@l\":\"" + (i % 2 ? "Error" : "Information") + "\",\"App\":\"app" +
                         std::to_string(i % 7) + "\",\"N\":" + std::to_string(i) +
                         (i % 3 == 0 ? ",\"@x\":\"System.Exception" + std::to_string(i % 5) + ": boom\"" : "") + "}";
      REQUIRE(append_clef(source.current(), line, i + 1, err));
    }
  }
};

std::string rows_json(const query_result& r) {
  query_result copy = r;
  copy.stats = {};
  return to_seq_json(copy);
}

// A source over several memory sources, one after another.
struct split_source : event_source {
  std::vector<memory_source*> parts;
  void scan(const scan_request& req, const chunk_callback& cb) override {
    for (auto* p : parts)
      p->scan(req, cb);
  }
};

} // namespace

TEST_SUITE("query.executor") {

TEST_CASE("partials from separate sources merge to the single-source result") {
  fixture all(700, 7);
  const char* q = "select count(*) as n, sum(N), min(N), max(N), mean(N), percentile(N, 90), "
                  "count(distinct(App)), first(N), last(N), any(N > 600), all(N >= 0) "
                  "from stream group by App, @Level";
  auto whole = run_query(q, all.source, {}, all.now);
  REQUIRE(whole.rows.size() == 14);

  // Same events split across two sources, merged through bytes.
  fixture a(350, 1), b(350, 1);
  // b's events must differ from a's: rebuild b from the second half of `all`.
  memory_source second;
  second.new_block();
  std::string err;
  for (size_t i = 350; i < 700; ++i) {
    std::string line = "{\"@t\":\"2024-01-01T10:" + std::string(i % 60 < 10 ? "0" : "") + std::to_string(i % 60) +
                       ":00Z\",\"@l\":\"" + (i % 2 ? "Error" : "Information") + "\",\"App\":\"app" +
                       std::to_string(i % 7) + "\",\"N\":" + std::to_string(i) +
                       (i % 3 == 0 ? ",\"@x\":\"System.Exception" + std::to_string(i % 5) + ": boom\"" : "") + "}";
    REQUIRE(append_clef(second.current(), line, i + 1, err));
  }
  auto plan = query_plan::compile(q, all.now);
  auto pa = execute_partial(plan, a.source, {});
  auto pb = execute_partial(plan, second, {});
  auto bytes = pb.serialize();
  auto pb2 = partial_result::deserialize(plan, bytes);
  pa.merge(pb2);
  auto merged = pa.finish(INT64_MIN, INT64_MAX);
  CHECK(rows_json(merged) == rows_json(whole));
}

TEST_CASE("a malformed partial is rejected") {
  auto plan = query_plan::compile("select count(*) from stream group by App", 0);
  CHECK_THROWS_AS(partial_result::deserialize(plan, "\x05garbage"), query_error);
}

TEST_CASE("a cancelled query stops with a clean error") {
  fixture f(3000, 3);
  std::atomic<bool> cancel{true};
  query_options o;
  o.cancel = &cancel;
  try {
    run_query("select count(*) from stream", f.source, o, f.now);
    FAIL("expected cancellation");
  } catch (const query_error& e) {
    CHECK(e.error_kind() == query_error::kind::cancelled);
  }
}

TEST_CASE("search returns newest first and pages with before") {
  fixture f(120, 4);
  auto plan = query_plan::compile_filter("@Level = 'Error'", f.now);
  search_options so;
  so.count = 5;
  auto hits = search(*plan, f.source, {}, so);
  REQUIRE(hits.size() == 5);
  for (size_t i = 1; i < hits.size(); ++i)
    CHECK((hits[i - 1].timestamp > hits[i].timestamp ||
           (hits[i - 1].timestamp == hits[i].timestamp && hits[i - 1].id > hits[i].id)));
  so.before = std::make_pair(hits.back().timestamp, hits.back().id);
  auto next = search(*plan, f.source, {}, so);
  REQUIRE(!next.empty());
  CHECK((next[0].timestamp < hits.back().timestamp ||
         (next[0].timestamp == hits.back().timestamp && next[0].id < hits.back().id)));
  storage::record_view rv;
  REQUIRE(rv.parse(next[0].record.data(), next[0].record.size()));
  CHECK(rv.get(storage::field::level) == "Error");
}

TEST_CASE("a filter matcher evaluates single records") {
  fixture f(10, 1);
  auto plan = query_plan::compile_filter("N >= 5 and has(@Exception)", f.now);
  filter_matcher m(plan);
  size_t hits = 0;
  f.source.scan({}, [&](const storage::block_summary*, std::span<const storage::record_view> events) {
    for (const auto& rv : events)
      hits += m.matches(rv);
    return true;
  });
  CHECK(hits == 2); // N = 6 and 9
}

// Run explicitly (Release build): query_tests -tc="*seed*" --no-skip
TEST_CASE("seed query over 2M events (benchmark)" * doctest::skip()) {
  fixture f(2000000, 500);
  const char* q = "select count(*) from stream group by Substring(@Exception, 0, IndexOf(@Exception, ':'))";
  for (int run = 0; run < 3; ++run) {
    auto t0 = std::chrono::steady_clock::now();
    auto r = run_query(q, f.source, {}, f.now);
    double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    MESSAGE("seed query: " << ms << " ms, groups " << r.rows.size());
    CHECK(r.rows.size() == 6);
  }
}
}

} // namespace cairn::query::testing
