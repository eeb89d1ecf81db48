/// The memo cache (segmented LRU bound, replacement, rejection of huge values) and the
/// memo fingerprint (normalization, Now(), bucket phase).
#include "query/memo.hpp"

#include <doctest/doctest.h>

#include <thread>
#include <vector>

#include <malloc.h>

namespace cairn::query {

namespace {

struct memo_fixture {
  static std::string value(size_t n, char c = 'x') { return std::string(n, c); }
  static size_t charge(const std::string& key, size_t n) {
    return key.size() + n + memo_cache::entry_overhead;
  }
};

} // namespace

TEST_SUITE("query.memo") {

TEST_CASE_FIXTURE(memo_fixture, "a stored value is returned until evicted by newer ones") {
  memo_cache cache{8 * charge("k0", 900)};
  for (int i = 0; i < 8; ++i)
    cache.put("k" + std::to_string(i), value(900, char('a' + i)));
  auto v = cache.get("k0");
  REQUIRE(v);
  CHECK(std::string_view{*v} == value(900, 'a'));
  // k0 was just used: the next insertion evicts k1, the least recently used.
  cache.put("k8", value(900));
  CHECK(cache.get("k1") == nullptr);
  CHECK(cache.get("k0") != nullptr);
  auto c = cache.snapshot();
  CHECK(c.evictions == 1);
  CHECK(c.entries == 8);
  CHECK(c.bytes <= cache.capacity());
  CHECK(c.hits == 2);
  CHECK(c.misses == 1);
}

TEST_CASE_FIXTURE(memo_fixture, "passes over more entries than fit keep hitting the entries hit before") {
  // Ten entries fit; each pass looks up 20 in order and stores each miss,
  // as a query over more blocks than the memo holds does.
  const size_t one = charge("k00", 900);
  memo_cache cache{10 * one};
  auto pass = [&](int entries) {
    int hits = 0;
    for (int i = 0; i < entries; ++i) {
      auto key = "k" + std::string(i < 10 ? "0" : "") + std::to_string(i);
      if (cache.get(key))
        ++hits;
      else
        cache.put(key, value(900));
      CHECK(cache.snapshot().bytes <= cache.capacity());
    }
    return hits;
  };
  // While the working set fits, the second pass hits everything: those
  // entries become protected.
  CHECK(pass(10) == 0);
  CHECK(pass(10) == 10);
  // Passes over twice what fits: plain LRU would hit nothing (each entry is
  // evicted before its next lookup); the protected 80% keep hitting.
  pass(20);
  for (int round = 0; round < 3; ++round) {
    const int hits = pass(20);
    INFO("round " << round);
    CHECK(hits >= 7);
  }
  auto c = cache.snapshot();
  CHECK(c.entries <= 10);
  CHECK(c.bytes == c.entries * one);
}

TEST_CASE_FIXTURE(memo_fixture, "a protected entry replaced or evicted keeps the byte accounting exact") {
  memo_cache cache{10 * charge("a", 100)};
  cache.put("a", value(100));
  cache.put("b", value(100));
  REQUIRE(cache.get("a")); // a is protected now
  cache.put("a", value(50)); // replaced: back in probation at its new size
  auto c = cache.snapshot();
  CHECK(c.entries == 2);
  CHECK(c.bytes == charge("a", 50) + charge("b", 100));
  // c is protected; new entries that are never hit evict probation only.
  cache.put("c", value(100));
  REQUIRE(cache.get("c"));
  for (int i = 0; i < 30; ++i) {
    cache.put("n" + std::to_string(i), value(100));
    CHECK(cache.snapshot().bytes <= cache.capacity());
  }
  CHECK(cache.get("a") == nullptr);
  CHECK(cache.get("b") == nullptr);
  CHECK(cache.get("c") != nullptr);
  c = cache.snapshot();
  // What is left: c and the newest n1x/n2x entries (three-byte keys).
  CHECK(c.entries >= 8);
  CHECK(c.bytes == charge("c", 100) + (c.entries - 1) * charge("n10", 100));
}

TEST_CASE_FIXTURE(memo_fixture, "replacing a key keeps one entry and its accounting") {
  memo_cache cache{1 << 20};
  cache.put("k", value(100));
  cache.put("k", value(200));
  auto c = cache.snapshot();
  CHECK(c.entries == 1);
  CHECK(c.bytes == charge("k", 200));
  CHECK(cache.get("k")->size() == 200);
}

TEST_CASE_FIXTURE(memo_fixture, "a value's spare capacity is not kept") {
  memo_cache cache{1 << 20};
  std::string slack = value(1000);
  slack.reserve(64 * 1024); // as a partial serialized by appending may be
  cache.put("k", std::move(slack));
  auto held = cache.get("k");
  REQUIRE(held);
  CHECK(std::string_view{*held} == value(1000));
  CHECK(cache.snapshot().bytes == charge("k", 1000));
  CHECK(held->capacity() < 2000);
}

TEST_CASE_FIXTURE(memo_fixture, "the byte charge covers what the entries really take from the heap") {
  // Small partials (a count's is tens of bytes) are where a low per-entry
  // estimate would let the cache hold far more than its bound.
  // The cache's pool takes large chunks, which malloc may map on their own
  // (hblkhd) rather than carve from the heap (uordblks).
  auto heap_in_use = [] {
    auto m = mallinfo2();
    return m.uordblks + m.hblkhd;
  };
  memo_cache cache{size_t{1} << 30};
  const auto before = heap_in_use();
  for (int i = 0; i < 20000; ++i)
    cache.put("select count(*) from stream group by @Level\0block " + std::to_string(i),
              value(24));
  const auto after = heap_in_use();
  // Sanitizer builds replace malloc: glibc's counters then stay at zero.
  if (after == 0 && before == 0)
    return;
  const auto used = after - before;
  const auto charged = cache.snapshot().bytes;
  INFO("heap bytes in use " << used << ", charged " << charged);
  CHECK(used <= charged);
  CHECK(used > charged / 2); // and the charge is not wildly above it
}

TEST_CASE_FIXTURE(memo_fixture, "values above an eighth of the capacity and a zero capacity are not stored") {
  memo_cache cache{8000};
  cache.put("big", value(1000));
  CHECK(cache.get("big") == nullptr);
  CHECK(cache.snapshot().rejected == 1);
  memo_cache off{0};
  off.put("k", value(1));
  CHECK(off.get("k") == nullptr);
}

TEST_CASE_FIXTURE(memo_fixture, "a value handed out survives its eviction") {
  memo_cache cache{16 * charge("k00", 100)};
  cache.put("k0", value(100, 'q'));
  auto held = cache.get("k0");
  REQUIRE(held);
  // k0 was hit (protected): newer entries that are hit too push it back to
  // probation and out.
  for (int i = 1; i < 40; ++i) {
    cache.put("k" + std::to_string(i), value(100));
    CHECK(cache.get("k" + std::to_string(i)));
  }
  CHECK(cache.get("k0") == nullptr);
  CHECK(std::string_view{*held} == value(100, 'q'));
}

TEST_CASE_FIXTURE(memo_fixture, "concurrent users keep the byte bound") {
  memo_cache cache{64 * 1024};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&cache, t] {
      for (int i = 0; i < 2000; ++i) {
        std::string key = "k" + std::to_string((i * 7 + t) % 300);
        if (!cache.get(key))
          cache.put(key, std::string(500, 'v'));
      }
    });
  for (auto& th : threads)
    th.join();
  auto c = cache.snapshot();
  CHECK(c.bytes <= cache.capacity());
  CHECK(c.hits + c.misses == 8000);
  CHECK(c.entries > 0);
}

TEST_CASE("normalization collapses whitespace outside literals only") {
  bool now = false;
  CHECK(normalize_query_text("  select  count(*)\n from   stream ", now) ==
        "select count(*) from stream");
  CHECK_FALSE(now);
  CHECK(normalize_query_text("select x from stream where A = 'a  b'", now) ==
        "select x from stream where A = 'a  b'");
  CHECK(normalize_query_text("A = 'it''s  x'   and B", now) == "A = 'it''s  x' and B");
  CHECK(normalize_query_text("\"free  text\"", now) == "\"free  text\"");
  // '/' may open a regex literal: whitespace is kept verbatim.
  CHECK(normalize_query_text(" @Message = /a  b/ ", now) == "@Message = /a  b/");
}

TEST_CASE("normalization detects Now() calls outside literals") {
  bool now = false;
  normalize_query_text("select count(*) from stream where @Timestamp > now () - 1h", now);
  CHECK(now);
  normalize_query_text("select count(*) from stream where Message = 'Now()'", now);
  CHECK_FALSE(now);
  normalize_query_text("select count(*) from stream where KnowIt = 1 and Now = 2", now);
  CHECK_FALSE(now);
}

TEST_CASE("fingerprints differ by Now() time and by bucket phase only when relevant") {
  auto a = query_plan::compile("select count(*) from stream group by time(1m)", 1000);
  auto b = query_plan::compile("select count(*) from stream  group by time(1m)", 2000);
  block_filter f1, f2, f3;
  f1.from_ns = 0;
  f2.from_ns = 60'000'000'000;
  f3.from_ns = 30'000'000'000;
  CHECK(memo_fingerprint(*a, f1) == memo_fingerprint(*b, f2));
  CHECK(memo_fingerprint(*a, f1) != memo_fingerprint(*a, f3));
  auto n1 = query_plan::compile("select count(*) from stream where @Timestamp < Now()", 1000);
  auto n2 = query_plan::compile("select count(*) from stream where @Timestamp < Now()", 2000);
  CHECK(memo_fingerprint(*n1, f1) != memo_fingerprint(*n2, f1));
  auto p = query_plan::compile("select count(*) from stream", 1000);
  CHECK(memo_fingerprint(*p, f1) == memo_fingerprint(*p, f3));
}

}

} // namespace cairn::query
