// Catch-up paging over a store's blocks and buffer (actors/replication.hpp
// collect_after): every event once, in id order, whatever the page size.
#include "actors/replication.hpp"

#include "tests/storage/store_fixture.hpp"

#include <doctest/doctest.h>

#include <vector>

using namespace cairn;
using namespace cairn::storage::test;

namespace {

constexpr int64_t sec = 1'000'000'000;
constexpr int64_t t0 = 1'700'000'000 * sec;

/// A store of 100-event blocks: ids 1..800 indexed in id order, ids
/// 801..900 indexed although their timestamps are the OLDEST (so blocks in
/// time order are not in id order), and ids 901..950 still buffered.
struct paging_fixture {
  temp_dir dir;
  std::unique_ptr<storage::event_store> store;

  paging_fixture() {
    storage::store_options opts;
    opts.map_size = size_t{1} << 30;
    opts.block_max_events = 100;
    opts.index_pass_max_blocks = 64;
    store = open_store(dir.path, opts);
    for (int b = 0; b < 8; ++b)
      append(make_batch(100, t0 + b * 100 * sec, sec), 1 + b * 100);
    append(make_batch(100, t0 - 1000 * sec, sec), 801);
    for (int pass = 0; pass < 20; ++pass) {
      auto r = store->index_pass(t0 + 100000 * sec);
      REQUIRE(r);
      if (!r->more)
        break;
    }
    auto st = store->stats();
    REQUIRE(st);
    REQUIRE(st->buffered_events == 0);
    REQUIRE(st->block_count >= 9);
    append(make_batch(50, t0 + 2000 * sec, sec), 901);
  }

  void append(storage::record_batch batch, uint64_t first_id) {
    auto r = store->append_batch(batch, first_id);
    REQUIRE_MESSAGE(r.has_value(), (r ? std::string{} : r.error().to_string()));
  }

  /// Every id returned by paging from `after` in pages of `page` events.
  std::vector<uint64_t> page_through(uint64_t after, size_t page, size_t& calls) {
    std::vector<uint64_t> ids;
    storage::record_batch out;
    calls = 0;
    for (bool more = true; more && calls < 10000; ++calls) {
      more = collect_after(*store, after, page, out);
      CHECK(out.size() <= page);
      for (size_t i = 0; i < out.size(); ++i)
        ids.push_back(record_id(out.record(i)));
      if (out.empty())
        break;
      after = ids.back();
    }
    return ids;
  }
};

} // namespace

TEST_SUITE("actors.replication") {

TEST_CASE_FIXTURE(paging_fixture, "paging from the start returns every event once, in id order") {
  for (size_t page : {size_t{1}, size_t{37}, size_t{100}, size_t{250}, size_t{5000}}) {
    CAPTURE(page);
    size_t calls = 0;
    auto ids = page_through(0, page, calls);
    REQUIRE(ids.size() == 950);
    for (size_t i = 0; i < ids.size(); ++i)
      CHECK(ids[i] == i + 1);
    CHECK(calls <= 950 / page + 2); // "more" ends with the last page
  }
}

TEST_CASE_FIXTURE(paging_fixture, "paging from a position inside a block and inside the out-of-order block") {
  size_t calls = 0;
  auto ids = page_through(450, 120, calls);
  REQUIRE(ids.size() == 500);
  CHECK(ids.front() == 451);
  CHECK(ids.back() == 950);
  ids = page_through(850, 30, calls);
  REQUIRE(ids.size() == 100);
  CHECK(ids.front() == 851);
  ids = page_through(950, 30, calls);
  CHECK(ids.empty());
}

TEST_CASE_FIXTURE(paging_fixture, "a page is cut by bytes too, and still returns every event once") {
  storage::record_batch out;
  REQUIRE_FALSE(collect_after(*store, 0, 5000, out, SIZE_MAX));
  REQUIRE(out.size() == 950);
  const size_t record_bytes = out.record(0).size();
  const size_t cap = record_bytes * 40 + record_bytes / 2; // room for 40 records, not 41
  std::vector<uint64_t> ids;
  uint64_t after = 0;
  for (int calls = 0; calls < 1000; ++calls) {
    bool more = collect_after(*store, after, 5000, out, cap);
    CHECK(out.bytes.size() <= cap);
    if (more)
      CHECK(out.size() >= 30); // cut near the cap, not far below it
    for (size_t i = 0; i < out.size(); ++i)
      ids.push_back(record_id(out.record(i)));
    if (!more || out.empty())
      break;
    after = ids.back();
  }
  REQUIRE(ids.size() == 950);
  for (size_t i = 0; i < ids.size(); ++i)
    CHECK(ids[i] == i + 1);
  // A cap below one record still moves on, one record per page.
  CHECK(collect_after(*store, 0, 5000, out, 1));
  CHECK(out.size() == 1);
}

}
