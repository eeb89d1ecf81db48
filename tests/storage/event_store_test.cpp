#include "storage/event_store.hpp"

#include "tests/storage/store_fixture.hpp"

#include <map>
#include <set>

using namespace cairn::storage;
using namespace cairn::storage::test;

namespace {

constexpr int64_t sec = 1'000'000'000;
constexpr int64_t t0 = 1'700'000'000 * sec;

struct store_fixture {
  temp_dir dir;
  store_options opts;
  std::unique_ptr<event_store> store;

  store_fixture() {
    opts.map_size = size_t{1} << 30;
    opts.block_max_events = 100;
    store = open_store(dir.path, opts);
  }

  void reopen() {
    store.reset();
    store = open_store(dir.path, opts);
  }

  append_result append(record_batch batch) {
    auto r = store->append_batch(batch);
    REQUIRE_MESSAGE(r.has_value(), (r ? std::string{} : r.error().to_string()));
    return *r;
  }

  /// Every stored record (buffer and blocks), keyed by id.
  std::map<uint64_t, std::string> everything() {
    std::map<uint64_t, std::string> out;
    auto n = store->scan_buffer(INT64_MIN, INT64_MAX, [&](const record_view& v) {
      out.emplace(v.id(), std::string{v.bytes()});
      return true;
    });
    REQUIRE(n);
    auto blocks = store->list_blocks(INT64_MIN, INT64_MAX);
    REQUIRE(blocks);
    record_batch b;
    for (auto& bi : *blocks) {
      REQUIRE(store->read_block(bi.key, b));
      for (size_t i = 0; i < b.size(); ++i) {
        record_view v;
        auto r = b.record(i);
        REQUIRE(v.parse(r.data(), r.size()));
        CHECK(out.emplace(v.id(), std::string{r}).second);
      }
    }
    return out;
  }

  /// Ids of one newest_first page.
  std::vector<uint64_t> page(size_t count, std::optional<uint64_t> after, int64_t from = INT64_MIN,
                             int64_t to = INT64_MAX) {
    std::vector<uint64_t> ids;
    auto r = store->newest_first(count, after, from, to, [&](const record_view& v) {
      ids.push_back(v.id());
      return true;
    });
    REQUIRE_MESSAGE(r.has_value(), (r ? std::string{} : r.error().to_string()));
    CHECK(*r == ids.size());
    return ids;
  }
};

} // namespace

TEST_SUITE("storage.event_store") {

TEST_CASE_FIXTURE(store_fixture, "appended events read back from the buffer with ids patched") {
  auto batch = make_batch(10, t0, sec);
  auto original = batch.bytes;
  auto r = store->append_batch(batch);
  REQUIRE(r);
  CHECK(r->first_id == 1);
  std::vector<uint64_t> ids;
  auto n = store->scan_buffer(t0 + 2 * sec, t0 + 5 * sec, [&](const record_view& v) {
    ids.push_back(v.id());
    CHECK(v.bytes() == batch.record(v.id() - 1)); // patched copy in the caller's batch
    return true;
  });
  REQUIRE(n);
  CHECK(*n == 3);
  CHECK(ids == std::vector<uint64_t>{3, 4, 5});
  // Only the id bytes differ from what the decoder produced.
  for (size_t i = 0; i < batch.size(); ++i) {
    auto a = batch.record(i), b = std::string_view{original}.substr(batch.offsets[i], a.size());
    CHECK(a.substr(0, 8) == b.substr(0, 8));
    CHECK(a.substr(16) == b.substr(16));
  }
}

TEST_CASE_FIXTURE(store_fixture, "ids stay unique across batches and reopening") {
  std::set<uint64_t> ids;
  for (int round = 0; round < 3; ++round) {
    for (int b = 0; b < 4; ++b) {
      auto r = append(make_batch(25, t0 + b * sec));
      CHECK(r.first_id == ids.size() + 1);
      for (uint64_t i = 0; i < 25; ++i)
        CHECK(ids.insert(r.first_id + i).second);
    }
    reopen();
  }
  CHECK(everything().size() == 300);
  auto s = store->stats();
  REQUIRE(s);
  CHECK(s->next_id == 301);
}

TEST_CASE_FIXTURE(store_fixture, "generation counts batches in write and passes in model") {
  CHECK(store->current_generation() == generation{1, 0});
  append(make_batch(150, t0));
  auto r = append(make_batch(10, t0 + 100 * sec));
  CHECK(r.gen == generation{1, 2});
  CHECK(r.gen.to_string() == "1.2");
  auto ip = store->index_pass(t0); // a full block's worth: both batches, whole, in one pass
  REQUIRE(ip);
  CHECK(ip->events == 160);
  CHECK_FALSE(ip->more);
  CHECK(ip->gen == generation{2, 2});
  auto blocks = store->list_blocks(INT64_MIN, INT64_MAX);
  REQUIRE(blocks);
  CHECK(blocks->size() == 2); // cut evenly: 80 + 80
  append(make_batch(60, t0 + 200 * sec));
  auto none = store->index_pass(t0); // 60 buffered, all too young
  REQUIRE(none);
  CHECK(none->events == 0);
  CHECK(none->gen == generation{2, 3});
  auto g = store->flush();
  REQUIRE(g);
  CHECK(*g == generation{3, 3});
  auto ret = store->delete_before(t0 + 10 * sec);
  REQUIRE(ret);
  CHECK(ret->gen == generation{4, 3});
  reopen();
  CHECK(store->current_generation() == generation{4, 3});
  record_batch empty;
  auto e = store->append_batch(empty);
  REQUIRE(e);
  CHECK(e->gen == generation{4, 3});
}

TEST_CASE_FIXTURE(store_fixture, "index passes keep every event byte for byte") {
  record_batch batch;
  for (int i = 0; i < 250; ++i) {
    event_spec e;
    e.ts = t0 + (i * 7919 % 250) * sec; // shuffled timestamps
    e.level = i % 3 ? "Information" : "Error";
    e.message = "Event " + std::to_string(i);
    if (i % 5 == 0) {
      e.start = e.ts - i;
      e.trace_id = "0af7651916cd43dd8448eb211c80319c";
      e.span_id = "b7ad6b7169203331";
    }
    add_event(batch, e);
  }
  append(batch);
  auto before = everything();
  REQUIRE(before.size() == 250);
  REQUIRE(store->flush());
  auto s = store->stats();
  REQUIRE(s);
  CHECK(s->buffered_events == 0);
  CHECK(s->buffered_bytes == 0);
  CHECK(s->indexed_events == 250);
  CHECK(s->block_count == 3);
  CHECK(s->indexed_raw_bytes == batch.bytes.size());
  CHECK(s->indexed_stored_bytes < s->indexed_raw_bytes);
  CHECK(everything() == before);
  // Blocks hold disjoint, consecutive key ranges in key order.
  auto blocks = store->list_blocks(INT64_MIN, INT64_MAX);
  REQUIRE(blocks);
  REQUIRE(blocks->size() == 3);
  for (size_t i = 1; i < blocks->size(); ++i)
    CHECK((*blocks)[i - 1].summary.max_timestamp < (*blocks)[i].summary.min_timestamp);
}

TEST_CASE_FIXTURE(store_fixture, "partial blocks wait until their events are old enough") {
  append(make_batch(30, t0, sec)); // t0 .. t0+29s
  opts.index_min_age_ns = 10 * sec;
  reopen();
  auto r = store->index_pass(t0 + 25 * sec); // cutoff t0+15s: 15 events
  REQUIRE(r);
  CHECK(r->events == 15);
  CHECK_FALSE(r->more);
  auto again = store->index_pass(t0 + 25 * sec);
  REQUIRE(again);
  CHECK(again->events == 0);
  auto s = store->stats();
  REQUIRE(s);
  CHECK(s->buffered_events == 15);
  CHECK(s->indexed_events == 15);
}

TEST_CASE_FIXTURE(store_fixture, "blocks are cut by bytes as well as by count") {
  opts.block_max_bytes = 4096;
  reopen();
  auto batch = make_batch(90, t0);
  append(batch);
  REQUIRE(store->flush());
  auto blocks = store->list_blocks(INT64_MIN, INT64_MAX);
  REQUIRE(blocks);
  size_t per_event = batch.bytes.size() / 90;
  CHECK(blocks->size() >= batch.bytes.size() / 4096);
  for (auto& b : *blocks)
    CHECK(b.raw_bytes <= 4096 + per_event);
}

TEST_CASE_FIXTURE(store_fixture, "summaries describe their blocks and list_blocks filters by time") {
  record_batch batch;
  for (int i = 0; i < 200; ++i) {
    event_spec e;
    e.ts = t0 + i * sec;
    e.level = i < 100 ? "Debug" : "Warning";
    e.properties = i < 100 ? R"({"Cart":{"Total":12.5}})" : R"({"Order":{"Id":"ord-77"}})";
    add_event(batch, e);
  }
  append(batch);
  REQUIRE(store->flush());
  auto all = store->list_blocks(INT64_MIN, INT64_MAX);
  REQUIRE(all);
  REQUIRE(all->size() == 2);
  auto& a = (*all)[0].summary;
  auto& b = (*all)[1].summary;
  CHECK(a.min_timestamp == t0);
  CHECK(a.max_timestamp == t0 + 99 * sec);
  CHECK(a.min_id == 1);
  CHECK(a.max_id == 100);
  CHECK(a.event_count == 100);
  CHECK(a.may_have_level(level_class::debug));
  CHECK_FALSE(a.may_have_level(level_class::warning));
  CHECK(a.names.may_contain("Cart.Total"));
  CHECK(b.names.may_contain("Order.Id"));
  CHECK(b.tokens.may_contain("ord"));
  CHECK(b.tokens.may_contain("77"));
  CHECK((*all)[1].key == block_key{t0 + 199 * sec, 200});
  auto late = store->list_blocks(t0 + 150 * sec, t0 + 160 * sec);
  REQUIRE(late);
  REQUIRE(late->size() == 1);
  CHECK(late->front().summary.min_timestamp == t0 + 100 * sec);
  auto edge = store->list_blocks(t0 + 99 * sec, t0 + 100 * sec); // [from, to)
  REQUIRE(edge);
  CHECK(edge->size() == 1);
  auto none = store->list_blocks(t0 + 200 * sec, t0 + 300 * sec);
  REQUIRE(none);
  CHECK(none->empty());
  // With a predicate: it sees the filters, and only the kept blocks come
  // back, with every summary field but the filters.
  int asked = 0;
  auto orders = store->list_blocks(INT64_MIN, INT64_MAX, [&](const block_key&, const block_summary& s) {
    ++asked;
    return s.names.may_contain("Order.Id");
  });
  REQUIRE(orders);
  CHECK(asked == 2);
  REQUIRE(orders->size() == 1);
  const auto& kept = orders->front();
  CHECK(kept.key == (*all)[1].key);
  CHECK(kept.summary.min_timestamp == b.min_timestamp);
  CHECK(kept.summary.max_timestamp == b.max_timestamp);
  CHECK(kept.summary.min_id == b.min_id);
  CHECK(kept.summary.max_id == b.max_id);
  CHECK(kept.summary.event_count == b.event_count);
  CHECK(kept.summary.level_bits == b.level_bits);
  CHECK(kept.stored_bytes == (*all)[1].stored_bytes);
  CHECK(kept.raw_bytes == (*all)[1].raw_bytes);
  CHECK(kept.summary.names.byte_size() == 0);
  CHECK(kept.summary.tokens.byte_size() == 0);
  CHECK(b.tokens.byte_size() > 0);
}

TEST_CASE_FIXTURE(store_fixture, "a block spanning a long time is found from inside its range") {
  // A late event makes one block span a day; a query in the middle of that
  // day must still list the block although its key (greatest event) is later.
  record_batch batch = make_batch(1, t0 - 86400 * sec);
  append(batch);
  append(make_batch(5, t0));
  append(make_batch(150, t0 + 1000 * sec));
  REQUIRE(store->flush());
  auto mid = store->list_blocks(t0 - 43200 * sec, t0 - 43100 * sec);
  REQUIRE(mid);
  REQUIRE(mid->size() == 1); // its range covers the window: the scan must not miss it
  CHECK(mid->front().summary.min_timestamp == t0 - 86400 * sec);
  auto first = store->list_blocks(t0 - 86400 * sec, t0 - 86399 * sec);
  REQUIRE(first);
  REQUIRE(first->size() == 1);
  CHECK(first->front().summary.min_timestamp == t0 - 86400 * sec);
}

TEST_CASE_FIXTURE(store_fixture, "get_by_id finds events in the buffer and in blocks") {
  append(make_batch(100, t0));
  REQUIRE(store->index_pass(t0)); // 100 into a block
  append(make_batch(50, t0 + 100 * sec)); // 50 stay buffered
  auto expected = everything();
  for (uint64_t id : {1u, 57u, 100u, 101u, 150u}) {
    auto r = store->get_by_id(id);
    REQUIRE_MESSAGE(r.has_value(), id);
    CHECK(*r == expected[id]);
  }
  auto missing = store->get_by_id(151);
  REQUIRE_FALSE(missing);
  CHECK(missing.error().code == errc::not_found);
}

TEST_CASE_FIXTURE(store_fixture, "newest_first pages through buffer and blocks in key order") {
  // Interleave: late events land in the buffer after newer ones were indexed.
  append(make_batch(250, t0, sec));          // ids 1..250, t0..t0+249s
  REQUIRE(store->flush());
  append(make_batch(30, t0 + 5 * sec + 1, 10 * sec)); // ids 251..280 between old ones
  append(make_batch(5, t0 + 249 * sec));      // ids 281..285: same ts as id 250
  // The expected order: every event sorted by (ts, id) descending.
  std::vector<std::pair<event_key, uint64_t>> keys;
  for (auto& [id, bytes] : everything()) {
    record_view v;
    REQUIRE(v.parse(bytes.data(), bytes.size()));
    keys.push_back({event_key{v.timestamp(), v.id()}, v.id()});
  }
  std::sort(keys.rbegin(), keys.rend());
  std::vector<uint64_t> expected;
  for (auto& k : keys)
    expected.push_back(k.second);
  REQUIRE(expected.size() == 285);
  CHECK(expected[0] == 280); // t0 + 295s + 1ns, the newest of the late batch
  std::vector<uint64_t> got;
  std::optional<uint64_t> after;
  for (;;) {
    auto p = page(37, after);
    if (p.empty())
      break;
    CHECK(p.size() <= 37);
    got.insert(got.end(), p.begin(), p.end());
    after = p.back();
  }
  CHECK(got == expected);
  // A time window: [t0+10s, t0+20s) newest first.
  auto w = page(100, std::nullopt, t0 + 10 * sec, t0 + 20 * sec);
  std::vector<uint64_t> want;
  for (auto& k : keys)
    if (k.first.timestamp >= t0 + 10 * sec && k.first.timestamp < t0 + 20 * sec)
      want.push_back(k.second);
  CHECK(w == want);
  auto unknown = store->newest_first(10, 999999, INT64_MIN, INT64_MAX, [](const record_view&) { return true; });
  REQUIRE_FALSE(unknown);
  CHECK(unknown.error().code == errc::not_found);
}

TEST_CASE_FIXTURE(store_fixture, "delete_before removes old events from the buffer and blocks") {
  for (int b = 0; b < 3; ++b) { // blocks [0,99] [100,199] [200,249]
    append(make_batch(b < 2 ? 100 : 50, t0 + b * 100 * sec, sec));
    REQUIRE(store->flush());
  }
  append(make_batch(20, t0 + 140 * sec, sec)); // buffered, straddles the cut
  auto r = store->delete_before(t0 + 150 * sec);
  REQUIRE(r);
  CHECK(r->deleted_events == 150 + 10);
  CHECK(r->blocks_deleted == 1);
  CHECK(r->blocks_rewritten == 1);
  auto left = everything();
  CHECK(left.size() == 110);
  for (auto& [id, bytes] : left) {
    record_view v;
    REQUIRE(v.parse(bytes.data(), bytes.size()));
    CHECK(v.timestamp() >= t0 + 150 * sec);
  }
  auto s = store->stats();
  REQUIRE(s);
  CHECK(s->indexed_events == 100);
  CHECK(s->buffered_events == 10);
  CHECK(s->block_count == 2);
  auto blocks = store->list_blocks(INT64_MIN, INT64_MAX);
  REQUIRE(blocks);
  CHECK(blocks->front().summary.min_timestamp == t0 + 150 * sec);
  CHECK(blocks->front().summary.event_count == 50);
}

TEST_CASE_FIXTURE(store_fixture, "delete_matching removes only matching old events") {
  record_batch batch[2];
  for (int i = 0; i < 200; ++i) {
    event_spec e;
    e.ts = t0 + i * sec;
    e.level = i % 2 ? "Debug" : "Information";
    add_event(batch[i / 100], e);
  }
  append(batch[0]);
  REQUIRE(store->index_pass(t0)); // first 100 indexed
  append(batch[1]);               // the rest buffered
  auto is_debug = [](const record_view& v) { return v.get(field::level) == "Debug"; };
  int skipped_blocks = 0;
  auto r = store->delete_matching(is_debug, t0 + 150 * sec, [&](const block_summary& s) {
    bool may = s.may_have_level(level_class::debug);
    skipped_blocks += !may;
    return may;
  });
  REQUIRE(r);
  CHECK(r->deleted_events == 75);
  CHECK(r->blocks_rewritten == 1);
  auto left = everything();
  CHECK(left.size() == 125);
  for (auto& [id, bytes] : left) {
    record_view v;
    REQUIRE(v.parse(bytes.data(), bytes.size()));
    CHECK((v.get(field::level) != "Debug" || v.timestamp() >= t0 + 150 * sec));
  }
  // Nothing matches now: a second pass deletes nothing and rewrites nothing.
  auto again = store->delete_matching(is_debug, t0 + 150 * sec);
  REQUIRE(again);
  CHECK(again->deleted_events == 0);
  CHECK(again->blocks_rewritten == 0);
  auto s = store->stats();
  REQUIRE(s);
  CHECK(s->indexed_events + s->buffered_events == 125);
}

TEST_CASE_FIXTURE(store_fixture, "batches given explicit ids advance the allocator and refuse duplicates") {
  auto batch = make_batch(5, t0);
  auto r = store->append_batch(batch, 1000);
  REQUIRE(r);
  CHECK(r->first_id == 1000);
  auto next = append(make_batch(1, t0));
  CHECK(next.first_id == 1005);
  auto dup = make_batch(5, t0);
  auto d = store->append_batch(dup, 1000);
  REQUIRE_FALSE(d);
  CHECK(d.error().code == errc::duplicate_key);
  CHECK(store->current_generation().write == 2); // the failed batch counted nothing
  CHECK(everything().size() == 6);
}

TEST_CASE_FIXTURE(store_fixture, "malformed records are refused and nothing of their batch is stored") {
  auto batch = make_batch(3, t0);
  batch.bytes.push_back('x'); // the last record gains a trailing byte
  auto r = store->append_batch(batch);
  REQUIRE_FALSE(r);
  CHECK(r.error().code == errc::invalid_record);
  CHECK(r.error().context.find("record 2") != std::string::npos);
  CHECK(everything().empty());
}

TEST_CASE("storage.event_store: a full map is reported as store_full and the store stays usable") {
  temp_dir dir;
  store_options o;
  o.map_size = 256 * 1024;
  auto store = open_store(dir.path, o);
  uint64_t stored = 0;
  store_error err;
  for (int i = 0; i < 1000; ++i) {
    auto batch = make_batch(50, t0 + i * sec);
    auto r = store->append_batch(batch);
    if (!r) {
      err = r.error();
      break;
    }
    stored += 50;
  }
  CHECK(err.code == errc::store_full);
  CHECK(err.to_string().find("store full") == 0);
  CHECK(err.context.find("MDB_MAP_FULL") != std::string::npos);
  REQUIRE(stored > 0);
  auto n = store->scan_buffer(INT64_MIN, INT64_MAX, [](const record_view&) { return true; });
  REQUIRE(n);
  CHECK(*n == stored);
  auto s = store->stats();
  REQUIRE(s);
  CHECK(s->buffered_events == stored);
  // Deleting makes room again.
  REQUIRE(store->delete_before(INT64_MAX));
  auto batch = make_batch(50, t0);
  auto again = store->append_batch(batch);
  CHECK_MESSAGE(again.has_value(), (again ? std::string{} : again.error().to_string()));
}

}

TEST_SUITE("storage.event_store") {

TEST_CASE_FIXTURE(store_fixture, "a batch larger than a buffer value is stored as several values in one commit") {
  opts.buffer_value_max_bytes = 1000; // a few records per value
  reopen();
  auto batch = make_batch(40, t0, sec);
  event_spec big; // bigger than a value on its own
  big.ts = t0 + 7 * sec;
  big.message = std::string(3000, 'x');
  add_event(batch, big);
  for (int i = 0; i < 9; ++i) {
    event_spec e;
    e.ts = t0 - i * sec; // out of key order within the batch
    add_event(batch, e);
  }
  auto before = store->current_generation();
  auto appended = store->append_batch(batch); // patches the ids into batch
  REQUIRE(appended);
  auto a = *appended;
  CHECK(a.gen.write == before.write + 1); // one commit
  auto s = store->stats();
  REQUIRE(s);
  CHECK(s->buffered_events == 50);
  CHECK(s->buffered_bytes == batch.bytes.size());
  // Every record comes back byte for byte under its id, in key order.
  auto all = everything();
  REQUIRE(all.size() == 50);
  for (size_t i = 0; i < batch.size(); ++i) {
    auto it = all.find(a.first_id + i);
    REQUIRE(it != all.end());
    CHECK(it->second == batch.record(i));
    auto got = store->get_by_id(a.first_id + i);
    REQUIRE(got);
    CHECK(*got == batch.record(i));
  }
  int64_t last_ts = INT64_MIN;
  REQUIRE(store->scan_buffer(INT64_MIN, INT64_MAX, [&](const record_view& v) {
    CHECK(v.timestamp() >= last_ts);
    last_ts = v.timestamp();
    return true;
  }));
  // Reopened, the next batch's values follow; a flush folds everything.
  reopen();
  auto b = append(make_batch(30, t0 + 100 * sec, sec));
  CHECK(b.first_id == a.first_id + 50);
  REQUIRE(store->flush());
  s = store->stats();
  REQUIRE(s);
  CHECK(s->buffered_events == 0);
  CHECK(s->indexed_events == 80);
  CHECK(everything().size() == 80);
}

TEST_CASE_FIXTURE(store_fixture, "an index pass takes whole batches up to its limit and says more is ready") {
  opts.index_pass_max_blocks = 3;
  reopen();
  for (int b = 0; b < 8; ++b)
    append(make_batch(100, t0 + b * 100 * sec, sec));
  auto first = store->index_pass(t0);
  REQUIRE(first);
  CHECK(first->events == 300); // three batches, nothing split
  CHECK(first->more);          // 500 still buffered
  auto s = store->stats();
  REQUIRE(s);
  CHECK(s->buffered_events == 500);
  CHECK(s->block_count == 3);
  uint32_t indexed = first->events;
  for (int pass = 0; pass < 4 && indexed < 800; ++pass) {
    auto r = store->index_pass(t0);
    REQUIRE(r);
    indexed += r->events;
  }
  CHECK(indexed == 800);
  s = store->stats();
  REQUIRE(s);
  CHECK(s->buffered_events == 0);
  CHECK(s->buffered_bytes == 0);
  CHECK(s->indexed_events == 800);
  CHECK(everything().size() == 800);
}

TEST_CASE_FIXTURE(store_fixture, "a partial pass keeps the young events of a batch buffered and findable") {
  append(make_batch(30, t0, sec)); // ids 1..30 at t0 .. t0+29s
  opts.index_min_age_ns = 10 * sec;
  reopen();
  auto r = store->index_pass(t0 + 20 * sec); // cutoff t0+10s: ids 1..10
  REQUIRE(r);
  CHECK(r->events == 10);
  for (uint64_t id : {1u, 10u, 11u, 30u}) {
    auto got = store->get_by_id(id);
    REQUIRE_MESSAGE(got.has_value(), id);
    record_view v;
    REQUIRE(v.parse(got->data(), got->size()));
    CHECK(v.id() == id);
  }
  std::vector<uint64_t> buffered;
  REQUIRE(store->scan_buffer(INT64_MIN, INT64_MAX, [&](const record_view& v) {
    buffered.push_back(v.id());
    return true;
  }));
  CHECK(buffered.size() == 20);
  CHECK(buffered.front() == 11);
  CHECK(buffered.back() == 30);
  // Their ids still count as buffered for a re-sent replicated batch.
  auto dup = make_batch(1, t0 + 29 * sec);
  auto d = store->append_batch(dup, 30);
  REQUIRE_FALSE(d);
  CHECK(d.error().code == errc::duplicate_key);
}

TEST_CASE_FIXTURE(store_fixture, "a batch whose records start after leading bytes is stored without them") {
  auto batch = make_batch(3, t0);
  std::string lead = "leading bytes that are not a record";
  batch.bytes.insert(0, lead);
  for (auto& o : batch.offsets)
    o += static_cast<uint32_t>(lead.size());
  auto r = store->append_batch(batch);
  REQUIRE(r);
  std::vector<std::string> got;
  REQUIRE(store->scan_buffer(INT64_MIN, INT64_MAX, [&](const record_view& v) {
    got.emplace_back(v.bytes());
    return true;
  }));
  REQUIRE(got.size() == 3);
  for (size_t i = 0; i < 3; ++i)
    CHECK(got[i] == batch.record(i));
  REQUIRE(store->flush());
  CHECK(everything().size() == 3);
}

TEST_CASE_FIXTURE(store_fixture, "scan_buffer delivers events of interleaved batches in key order") {
  append(make_batch(50, t0, 2 * sec));           // even seconds
  append(make_batch(50, t0 + sec, 2 * sec));     // odd seconds
  append(make_batch(10, t0 + 20 * sec + 1, sec)); // between the others
  std::vector<event_key> keys;
  REQUIRE(store->scan_buffer(t0 + 10 * sec, t0 + 30 * sec, [&](const record_view& v) {
    keys.push_back(event_key{v.timestamp(), v.id()});
    return true;
  }));
  CHECK(keys.size() == 20 + 10);
  CHECK(std::is_sorted(keys.begin(), keys.end()));
  CHECK(keys.front().timestamp == t0 + 10 * sec);
  CHECK(keys.back().timestamp < t0 + 30 * sec);
}

}
