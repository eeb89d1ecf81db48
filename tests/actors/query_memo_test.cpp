/// Memoized execution over a real event store: memoized blocks are not
/// decoded again, results stay identical, `for no_cache` bypasses the memo,
/// new blocks and retention rewrites are read fresh.
#include "actors/query_memo.hpp"
#include "query/parse_error.hpp"
#include "query/result_json.hpp"
#include "tests/storage/store_fixture.hpp"

#include <doctest/doctest.h>

#include <atomic>

namespace cairn {

namespace {

using storage::test::event_spec;

constexpr int64_t t0 = 1'700'000'000'000'000'000;
constexpr int64_t step = 1'000'000'000; // 1 s between events

/// A store whose blocks hold 100 events, filled with `n` events from t0.
struct memo_fixture {
  storage::test::temp_dir dir;
  std::shared_ptr<storage::event_store> store;
  query::memo_cache cache{size_t{16} << 20};
  size_t next = 0;

  memo_fixture() {
    storage::store_options o;
    o.block_max_events = 100;
    // One buffer value per batch: an index pass then takes whole batches,
    // so the blocks the cases count hold exactly 100 events each.
    o.buffer_value_max_bytes = size_t{1} << 30;
    o.map_size = size_t{1} << 30;
    store = storage::test::open_store(dir.path, o);
  }

  /// Appends `n` events (User cycles over three names, N counts up).
  void append(size_t n) {
    static const char* users[] = {"alice", "bob", "carol"};
    storage::record_batch batch;
    for (size_t i = 0; i < n; ++i, ++next) {
      event_spec e;
      e.ts = t0 + static_cast<int64_t>(next) * step;
      e.level = next % 10 == 0 ? "Error" : "Information";
      e.message = "Request " + std::to_string(next);
      e.properties = std::string{"{\"User\":\""} + users[next % 3] +
                     "\",\"N\":" + std::to_string(next) + "}";
      storage::test::add_event(batch, e);
    }
    REQUIRE(store->append_batch(batch).has_value());
  }

  void flush() { REQUIRE(store->flush().has_value()); }

  struct run_result {
    std::string json;
    uint64_t blocks_read = 0;
    memo_run_report report;
    query::query_stats stats;
  };

  /// Runs `text` over [from, to) with the memo cache.
  /// `id_lo`/`id_hi` restrict the run as one share of a distributed query.
  run_result run(const std::string& text, int64_t from = INT64_MIN, int64_t to = INT64_MAX,
                 query::memo_cache* memo = nullptr, uint64_t id_lo = 0,
                 uint64_t id_hi = UINT64_MAX, uint64_t shard_mask = ~uint64_t{0},
                 unsigned shard_count = 0) {
    auto plan = query::query_plan::compile(text, t0 + 1'000'000 * step);
    query::query_options opts;
    opts.from_ns = from;
    opts.to_ns = to;
    store_source source{store};
    source.set_id_range(id_lo, id_hi);
    source.set_shard_mask(shard_mask, shard_count);
    run_result r;
    auto partial = execute_memoized(plan, source, opts, memo ? memo : &cache, r.stats, r.report);
    auto result = partial.finish(opts.from_ns, opts.to_ns);
    result.stats = {}; // timing differs between runs
    r.json = query::to_seq_json(result);
    r.blocks_read = source.blocks_read();
    return r;
  }

  /// The same query without any memo: the reference answer.
  std::string reference(const std::string& text, int64_t from = INT64_MIN, int64_t to = INT64_MAX) {
    query::memo_cache off{0};
    return run(text, from, to, &off).json;
  }
};

const std::string group_query = "select count(*) as c, sum(N) as s from stream group by User";

} // namespace

TEST_SUITE("actors.query_memo") {

TEST_CASE_FIXTURE(memo_fixture, "a second run reads no memoized block and gives identical rows") {
  append(1000);
  flush();
  auto first = run(group_query);
  CHECK(first.blocks_read == 10);
  CHECK(first.report.memo_misses == 10);
  CHECK(first.report.memo_hits == 0);
  auto second = run(group_query);
  CHECK(second.blocks_read == 0);
  CHECK(second.report.memo_hits == 10);
  CHECK(second.stats.events_scanned == 0);
  CHECK(second.json == first.json);
  CHECK(first.json == reference(group_query));
  CHECK(first.json.find("[\"alice\",334,") != std::string::npos);
}

TEST_CASE_FIXTURE(memo_fixture, "reformatted query text shares memo entries") {
  append(300);
  flush();
  run(group_query);
  auto again = run("  select count(*) as c,\n   sum(N) as s from stream\tgroup by User ");
  CHECK(again.blocks_read == 0);
  CHECK(again.report.memo_hits == 3);
}

TEST_CASE_FIXTURE(memo_fixture, "for no_cache reads every block and stores nothing") {
  append(500);
  flush();
  const std::string text = group_query + " for no_cache";
  auto first = run(text);
  auto second = run(text);
  CHECK(first.blocks_read == 5);
  CHECK(second.blocks_read == 5);
  CHECK(second.report.bypassed);
  CHECK(second.report.memo_hits == 0);
  CHECK(cache.snapshot().entries == 0);
  CHECK(second.json == reference(group_query));
}

TEST_CASE_FIXTURE(memo_fixture, "after more ingest and indexing only the new blocks are read") {
  append(500);
  flush();
  run(group_query);
  append(250); // two full blocks and a half one that stays buffered
  auto before_index = run(group_query);
  CHECK(before_index.blocks_read == 0); // the new events are still in the buffer
  CHECK(before_index.report.buffer_events == 250);
  CHECK(before_index.json == reference(group_query));
  flush();
  auto after = run(group_query);
  CHECK(after.blocks_read == 3);
  CHECK(after.report.memo_hits == 5);
  CHECK(after.report.buffer_events == 0);
  CHECK(after.json == reference(group_query));
}

TEST_CASE_FIXTURE(memo_fixture, "blocks inside any range are shared, straddling blocks are keyed by the range") {
  append(1000);
  flush();
  // Events 150..649: blocks 2..5 lie inside, blocks 1 and 6 straddle.
  const int64_t from = t0 + 150 * step, to = t0 + 650 * step;
  auto first = run(group_query, from, to);
  CHECK(first.blocks_read == 6);
  CHECK(first.json == reference(group_query, from, to));
  // Another range with the same inner blocks: only its edge blocks are new.
  const int64_t from2 = t0 + 120 * step, to2 = t0 + 680 * step;
  auto second = run(group_query, from2, to2);
  CHECK(second.report.memo_hits == 4);
  CHECK(second.blocks_read == 2);
  CHECK(second.json == reference(group_query, from2, to2));
  // The first range again: everything memoized.
  auto third = run(group_query, from, to);
  CHECK(third.blocks_read == 0);
  CHECK(third.json == first.json);
}

TEST_CASE_FIXTURE(memo_fixture, "shares whose id ranges move reuse the blocks wholly inside them") {
  append(1000);
  flush();
  // Ids 1..1000 in blocks of 100; a share up to id 450 holds blocks 1..4
  // whole and clips block 5.
  auto first = run(group_query, INT64_MIN, INT64_MAX, nullptr, 0, 450);
  CHECK(first.blocks_read == 5);
  // The data grew, the share's upper bound moved: only the clipped block is read again.
  auto second = run(group_query, INT64_MIN, INT64_MAX, nullptr, 0, 480);
  CHECK(second.report.memo_hits == 4);
  CHECK(second.blocks_read == 1);
  // A share in the middle that moved up by a few ids.
  run(group_query, INT64_MIN, INT64_MAX, nullptr, 450, 800);
  auto moved = run(group_query, INT64_MIN, INT64_MAX, nullptr, 480, 830);
  CHECK(moved.report.memo_hits == 2); // blocks 6 and 7 (ids 501..700) lie inside both
  // An unrestricted run shares the entries of every block a share held whole.
  auto all = run(group_query);
  CHECK(all.report.memo_hits == 7); // blocks 1..4, 6, 7 and 8 (inside the last share)
  CHECK(all.json == reference(group_query));
}

TEST_CASE_FIXTURE(memo_fixture, "sharded shares key a block by the shards its ids touch") {
  append(1000);
  flush();
  run(group_query);
  // Ids 1..1000 are all in the first 1024-id chunk: shard 0 of 2. A share of
  // shard 0 keeps every event, so it reuses the unrestricted entries.
  auto shard0 = run(group_query, INT64_MIN, INT64_MAX, nullptr, 0, UINT64_MAX, 0b01, 2);
  CHECK(shard0.report.memo_hits == 10);
  CHECK(shard0.blocks_read == 0);
  CHECK(shard0.json == reference(group_query));
  // A share of shard 1 keeps none of them: entries of its own...
  auto shard1 = run(group_query, INT64_MIN, INT64_MAX, nullptr, 0, UINT64_MAX, 0b10, 2);
  CHECK(shard1.report.memo_hits == 0);
  CHECK(shard1.blocks_read == 10);
  // ...reused when its upper bound moves (only the block it now crosses is read).
  auto moved = run(group_query, INT64_MIN, INT64_MAX, nullptr, 0, 950, 0b10, 2);
  CHECK(moved.report.memo_hits == 9);
  CHECK(moved.blocks_read == 1);
  CHECK(moved.json == shard1.json);
}

TEST_CASE_FIXTURE(memo_fixture, "time buckets stay correct when the range start moves the bucket phase") {
  append(600);
  flush();
  const std::string text = "select count(*) as c from stream group by time(1m)";
  const int64_t to = t0 + 10'000 * step;
  auto a = run(text, t0, to);
  auto b = run(text, t0 + 30 * step, to); // buckets now start 30 s later
  CHECK(b.json == reference(text, t0 + 30 * step, to));
  CHECK(b.json != a.json);
  auto c = run(text, t0 + 60 * step, to); // same phase as t0: inner blocks hit
  CHECK(c.report.memo_hits >= 4);
  CHECK(c.json == reference(text, t0 + 60 * step, to));
}

TEST_CASE_FIXTURE(memo_fixture, "a retention rewrite changes the block identity") {
  append(300);
  flush();
  auto first = run(group_query);
  CHECK(first.report.memo_misses == 3);
  // Deletes events 0..49: block 0 is rewritten under the same key.
  REQUIRE(store->delete_before(t0 + 50 * step).has_value());
  auto after = run(group_query);
  CHECK(after.report.memo_hits == 2);
  CHECK(after.blocks_read == 1);
  CHECK(after.json == reference(group_query));
  CHECK(after.json != first.json);
}

TEST_CASE_FIXTURE(memo_fixture, "Now() queries are not served from the memo") {
  append(300);
  flush();
  const std::string text = "select count(*) as c from stream where @Timestamp < Now()";
  run(text);
  // Another compile time: another fingerprint.
  auto plan = query::query_plan::compile(text, t0 + 2'000'000 * step);
  query::query_options opts;
  store_source source{store};
  query::query_stats stats;
  memo_run_report report;
  execute_memoized(plan, source, opts, &cache, stats, report);
  CHECK(report.memo_hits == 0);
  CHECK(source.blocks_read() == 3);
}

TEST_CASE_FIXTURE(memo_fixture, "the merged partial respects query.maxMemoryBytes") {
  append(3000);
  flush();
  auto plan = query::query_plan::compile("select count(*) from stream group by N", t0);
  query::query_options opts;
  opts.max_memory_bytes = 64 * 1024;
  store_source source{store};
  query::query_stats stats;
  memo_run_report report;
  try {
    execute_memoized(plan, source, opts, &cache, stats, report);
    FAIL("expected the memory bound");
  } catch (const query::query_error& e) {
    CHECK(e.error_kind() == query::query_error::kind::memory);
    CHECK(std::string{e.what()}.find("query.maxMemoryBytes") != std::string::npos);
  }
}

TEST_CASE_FIXTURE(memo_fixture, "a set cancel flag stops a memoized run") {
  append(300);
  flush();
  run(group_query);
  std::atomic<bool> cancel{true};
  auto plan = query::query_plan::compile(group_query, t0);
  query::query_options opts;
  opts.cancel = &cancel;
  store_source source{store};
  query::query_stats stats;
  memo_run_report report;
  CHECK_THROWS_AS(execute_memoized(plan, source, opts, &cache, stats, report), query::query_error);
}

}

} // namespace cairn
