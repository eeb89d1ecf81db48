// Distributed search (actors/distributed_search.hpp): a node lacking older
// events of some shards searches its own part and asks live holders for the
// rest; the merged page equals what a full copy answers, whatever the
// filter, count or paging bound, also when a holder fails or lags.
#include "actors/distributed_search.hpp"

#include "query/parse_error.hpp"
#include "tests/storage/store_fixture.hpp"

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/scoped_actor.hpp>
#include <doctest/doctest.h>

#include <cstring>
#include <memory>
#include <string>
#include <vector>

using namespace cairn;
using namespace cairn::storage::test;

namespace {

constexpr int64_t sec = 1'000'000'000;
constexpr int64_t t0 = 1'700'000'000 * sec;
constexpr unsigned shards = 2;
constexpr uint64_t last_id = 4000; ///< ids 1..last_id
constexpr uint64_t cut = 3000;     ///< the "leader" holds every shard from here

/// Timestamps scrambled against ids (a fail-over leaves ids and time out of
/// step), with ties so the (timestamp, id) order is exercised.
int64_t ts_of(uint64_t id) { return t0 + static_cast<int64_t>((id * 7919) % 1500) * sec; }

/// A store with the events whose ids `keep` accepts, partly indexed into
/// blocks, the rest buffered; appended in runs of consecutive ids.
std::shared_ptr<storage::event_store> make_store(const temp_dir& dir, auto keep) {
  storage::store_options opts;
  opts.map_size = size_t{1} << 30;
  opts.block_max_events = 256;
  std::shared_ptr<storage::event_store> store = open_store(dir.path, opts);
  storage::record_batch run;
  uint64_t run_first = 0;
  auto flush = [&] {
    if (run.empty())
      return;
    auto r = store->append_batch(run, run_first);
    REQUIRE_MESSAGE(r.has_value(), (r ? std::string{} : r.error().to_string()));
    run.clear();
  };
  for (uint64_t id = 1; id <= last_id; ++id) {
    if (!keep(id)) {
      flush();
      continue;
    }
    if (run.empty())
      run_first = id;
    event_spec e;
    e.ts = ts_of(id);
    e.level = id % 3 == 0 ? "Warning" : "Information";
    e.message = "Request " + std::to_string(id) + " handled";
    e.properties = "{\"N\":" + std::to_string(id) + "}";
    add_event(run, e);
    if (id == 2500) { // everything before goes into blocks
      flush();
      for (int pass = 0; pass < 50; ++pass) {
        auto r = store->index_pass(t0 + 100000 * sec);
        REQUIRE(r);
        if (!r->more)
          break;
      }
    }
  }
  flush();
  return store;
}

/// A cluster endpoint stand-in: hands search and fetch messages to a worker
/// over `store`, as actors/cluster_gate_actor.cpp does.
caf::behavior fake_endpoint(caf::event_based_actor* self,
                            std::shared_ptr<const share_executor> exec) {
  return {
    [=](search_atom, int64_t epoch, std::string& filter, int64_t now_ns, int64_t from_ns,
        int64_t to_ns, uint64_t count, bool has_before, int64_t before_ts, uint64_t before_id,
        uint64_t id_hi, uint64_t mask, uint32_t shard_count) {
      auto worker = self->spawn(search_worker_actor, exec);
      return self->delegate(worker, search_atom::value, epoch, std::move(filter), now_ns, from_ns,
                            to_ns, count, has_before, before_ts, before_id, id_hi, mask,
                            shard_count);
    },
    [=](fetch_event_atom, int64_t epoch, uint64_t id) {
      auto worker = self->spawn(search_worker_actor, exec);
      return self->delegate(worker, fetch_event_atom::value, epoch, id);
    },
  };
}

/// A holder whose every answer is an error (a crashed share).
caf::behavior broken_endpoint(caf::event_based_actor*) {
  return {
    [=](search_atom, int64_t, std::string&, int64_t, int64_t, int64_t, uint64_t, bool, int64_t,
        uint64_t, uint64_t, uint64_t, uint32_t) -> caf::result<std::string, std::string, uint64_t> {
      return caf::make_error(caf::sec::runtime_error, "disk on fire");
    },
    [=](fetch_event_atom, int64_t, uint64_t) -> caf::result<bool, std::string, std::string, uint64_t> {
      return caf::make_error(caf::sec::runtime_error, "disk on fire");
    },
  };
}

/// The leader holds shard 0 below `cut` and everything from `cut` on;
/// holders h1 and h2 hold shard 1 (h2 only up to id 2047 in the lagging
/// case); `full` holds every event and answers what a full copy would.
struct search_fixture {
  temp_dir full_dir, leader_dir, h1_dir, h2_dir;
  std::shared_ptr<storage::event_store> full, leader, h1, h2;
  caf::actor_system_config cfg;
  std::unique_ptr<caf::actor_system> sys;
  std::unique_ptr<query_cluster> cluster;
  std::vector<caf::actor> actors;
  search_layout layout;

  explicit search_fixture(bool h2_lags = false) {
    full = make_store(full_dir, [](uint64_t) { return true; });
    leader = make_store(leader_dir, [](uint64_t id) {
      return id >= cut || shard_of(id, shards) == 0;
    });
    h1 = make_store(h1_dir, [](uint64_t id) { return shard_of(id, shards) == 1; });
    h2 = make_store(h2_dir, [h2_lags](uint64_t id) {
      return shard_of(id, shards) == 1 && (!h2_lags || id < 2048);
    });
    sys = std::make_unique<caf::actor_system>(cfg);
    cluster = std::make_unique<query_cluster>(*sys, "leader", std::chrono::milliseconds(2000));
    shard_routing routing;
    routing.shard_count = shards;
    routing.self_id = "leader-id";
    routing.holders = {{"leader-id", "h1-id"}, {"h1-id", "h2-id"}};
    cluster->set_routing(routing);
    layout = make_search_layout(routing, cut);
  }

  ~search_fixture() {
    for (auto& a : actors)
      caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
    cluster.reset();
    sys.reset();
  }

  caf::actor endpoint(const std::string& name, std::shared_ptr<storage::event_store> store) {
    auto exec = std::make_shared<share_executor>();
    exec->node_name = name;
    exec->store = std::move(store);
    actors.push_back(sys->spawn(fake_endpoint, exec));
    return actors.back();
  }

  void connect(std::vector<caf::actor> peers, std::vector<std::string> ids) {
    cluster->set_peers(std::move(peers), std::move(ids));
  }

  std::vector<uint64_t> ids_of(const std::vector<query::search_hit>& hits) {
    std::vector<uint64_t> out;
    for (const auto& h : hits)
      out.push_back(h.id);
    return out;
  }

  /// What a full copy answers.
  std::vector<uint64_t> expected(const std::string& filter, size_t count,
                                 std::optional<std::pair<int64_t, uint64_t>> before,
                                 int64_t from = INT64_MIN, int64_t to = INT64_MAX) {
    auto plan = query::query_plan::compile_filter(filter, t0);
    store_source source{full};
    query::query_options opts;
    opts.from_ns = from;
    opts.to_ns = to;
    query::search_options so;
    so.count = count;
    so.before = before;
    return ids_of(query::search(*plan, source, opts, so));
  }

  std::vector<uint64_t> distributed(const std::string& filter, size_t count,
                                    std::optional<std::pair<int64_t, uint64_t>> before,
                                    int64_t from = INT64_MIN, int64_t to = INT64_MAX) {
    query::query_options opts;
    opts.from_ns = from;
    opts.to_ns = to;
    search_request r{filter, t0, count, before};
    return ids_of(search_cluster(*cluster, leader, r, opts, 1, layout));
  }
};

struct lagging_fixture : search_fixture {
  lagging_fixture() : search_fixture(true) {}
};

} // namespace

TEST_SUITE("actors.distributed_search") {

TEST_CASE("a node that led from the start searches alone; one lacking shards knows which") {
  shard_routing routing;
  routing.shard_count = 4;
  routing.self_id = "me";
  routing.holders = {{"me", "a"}, {"a", "b"}, {"me", "b"}, {"a", "b", "c"}};
  CHECK(make_search_layout(routing, 0).local_only());
  auto l = make_search_layout(routing, 5000);
  CHECK_FALSE(l.local_only());
  CHECK(l.held == 0b0101);
  CHECK(l.missing() == 0b1010);
  CHECK(l.holders[1] == std::vector<std::string>{"a", "b"});
  CHECK(l.holders[0] == std::vector<std::string>{"a"}); // itself excluded
  CHECK(l.elsewhere(1024));        // shard 1, below the cut
  CHECK_FALSE(l.elsewhere(2048));  // shard 2: held here
  CHECK_FALSE(l.elsewhere(5 * 1024 + 1)); // from the cut on: here
  // Lacking shards before any placement arrived: nothing can be answered.
  auto unknown = make_search_layout(shard_routing{}, 5000);
  CHECK(unknown.unknown);
  CHECK_FALSE(unknown.local_only());
  // Holding every shard by placement: no fan-out either.
  routing.holders = {{"me"}, {"me"}, {"me"}, {"me"}};
  CHECK(make_search_layout(routing, 5000).local_only());
}

TEST_CASE("missing shards go to the least loaded live holder, skipping failed ones") {
  std::vector<std::vector<std::string>> holders = {{"a", "b"}, {"a", "b"}, {"a"}, {}};
  auto a = assign_holders(0b0111, 4, holders, {});
  CHECK(a.unanswered == 0);
  CHECK((a.by_node["a"] | a.by_node["b"]) == 0b0111);
  CHECK((a.by_node["a"] & a.by_node["b"]) == 0);
  CHECK(a.by_node["b"] != 0); // spread, not all on "a"
  std::vector<std::set<std::string>> failed(4);
  failed[2].insert("a");
  auto b = assign_holders(0b1100, 4, holders, failed);
  CHECK(b.unanswered == 0b1100);
  CHECK(b.by_node.empty());
  CHECK(shard_names(0b1100, 4) == "shards 2, 3");
  CHECK(shard_names(0b0010, 4) == "shard 1");
}

TEST_CASE("merging keeps the newest count hits by timestamp, then id") {
  auto hit = [](int64_t ts, uint64_t id) { return query::search_hit{ts, id, {}}; };
  std::vector<query::search_hit> a = {hit(9, 1), hit(7, 5), hit(7, 2), hit(1, 3)};
  merge_newest(a, {hit(8, 4), hit(7, 3), hit(0, 9)}, 5);
  std::vector<std::pair<int64_t, uint64_t>> got;
  for (const auto& h : a)
    got.emplace_back(h.timestamp, h.id);
  CHECK(got == std::vector<std::pair<int64_t, uint64_t>>{{9, 1}, {8, 4}, {7, 5}, {7, 3}, {7, 2}});
}

TEST_CASE("packed hits travel whole; bytes that are not records are refused") {
  storage::record_batch batch;
  for (uint64_t id : {7, 3}) {
    event_spec e;
    e.ts = t0 + static_cast<int64_t>(id);
    add_event(batch, e);
    std::memcpy(batch.bytes.data() + batch.offsets.back() + storage::record_id_offset, &id, 8);
  }
  std::vector<query::search_hit> hits;
  for (size_t i = 0; i < batch.size(); ++i) {
    storage::record_view v;
    REQUIRE(v.parse(batch.record(i).data(), batch.record(i).size()));
    hits.push_back({v.timestamp(), v.id(), std::string{batch.record(i)}});
  }
  auto back = unpack_hits(pack_hits(hits));
  REQUIRE(back);
  REQUIRE(back->size() == 2);
  CHECK((*back)[0].id == 7); // newest first
  CHECK((*back)[1].record == hits[1].record);
  CHECK_FALSE(unpack_hits(pack_hits(hits) + "xyz"));
  CHECK(unpack_hits(std::string{})->empty());
}

TEST_CASE_FIXTURE(search_fixture, "searches across holders equal a full copy's pages") {
  connect({endpoint("h1", h1), endpoint("h2", h2)}, {"h1-id", "h2-id"});
  for (std::string filter : {"", "@Level = 'Warning'", "N > 1000 and N < 3500", "N = 1500",
                             "\"Request 20\""}) {
    for (size_t count : {size_t{1}, size_t{30}, size_t{777}, size_t{5000}}) {
      CAPTURE(filter);
      CAPTURE(count);
      CHECK(distributed(filter, count, std::nullopt) == expected(filter, count, std::nullopt));
    }
  }
  // A time window.
  CHECK(distributed("", 100, std::nullopt, t0 + 100 * sec, t0 + 400 * sec) ==
        expected("", 100, std::nullopt, t0 + 100 * sec, t0 + 400 * sec));
  // Paging with afterId's bound: every event exactly once, newest first.
  std::vector<uint64_t> all;
  std::optional<std::pair<int64_t, uint64_t>> before;
  for (int page = 0; page < 100; ++page) {
    auto ids = distributed("@Level <> 'Warning'", 113, before);
    REQUIRE(ids == expected("@Level <> 'Warning'", 113, before));
    if (ids.empty())
      break;
    all.insert(all.end(), ids.begin(), ids.end());
    before = std::make_pair(ts_of(ids.back()), ids.back());
  }
  CHECK(all.size() == expected("@Level <> 'Warning'", 100000, std::nullopt).size());
}

TEST_CASE_FIXTURE(search_fixture, "a holder that fails has its shards asked of another") {
  // h1 is least loaded by name and gets shard 1 first: it fails.
  actors.push_back(sys->spawn(broken_endpoint));
  connect({actors.back(), endpoint("h2", h2)}, {"h1-id", "h2-id"});
  CHECK(distributed("N > 10", 500, std::nullopt) == expected("N > 10", 500, std::nullopt));
}

TEST_CASE_FIXTURE(lagging_fixture, "a holder whose log has not reached the cut is not trusted") {
  // h2 stops at id 2047 (< cut): its answer would be short.
  connect({endpoint("h2", h2)}, {"h2-id"});
  CHECK_THROWS_AS(distributed("", 100, std::nullopt), query::query_error);
  connect({endpoint("h2", h2), endpoint("h1", h1)}, {"h2-id", "h1-id"});
  CHECK(distributed("", 4000, std::nullopt) == expected("", 4000, std::nullopt));
}

TEST_CASE_FIXTURE(search_fixture, "no live holder of a missing shard: an error naming it") {
  connect({}, {});
  try {
    distributed("", 10, std::nullopt);
    FAIL("a short page was returned");
  } catch (const query::query_error& e) {
    CHECK(e.error_kind() == query::query_error::kind::cancelled);
    CHECK(std::string{e.what()}.find("shard 1") != std::string::npos);
  }
}

TEST_CASE_FIXTURE(search_fixture, "events are fetched by id from the holder of their shard") {
  actors.push_back(sys->spawn(broken_endpoint));
  connect({actors.back(), endpoint("h2", h2)}, {"h1-id", "h2-id"});
  auto ts_at = [&](const fetched_event& f) {
    storage::record_view v;
    REQUIRE(v.parse(f.record.data(), f.record.size()));
    return std::make_pair(v.timestamp(), v.id());
  };
  // Stored here (shard 0 below the cut; anything from the cut on).
  for (uint64_t id : {uint64_t{5}, uint64_t{3500}}) {
    auto f = fetch_event(*cluster, leader, id, 1, layout);
    REQUIRE(f.kind == fetched_event::found);
    CHECK(ts_at(f) == std::make_pair(ts_of(id), id));
  }
  // Shard 1 below the cut: h1 fails, h2 answers.
  auto f = fetch_event(*cluster, leader, 1500, 1, layout);
  REQUIRE(f.kind == fetched_event::found);
  CHECK(ts_at(f) == std::make_pair(ts_of(1500), uint64_t{1500}));
  // Past the cut: it would be stored here.
  CHECK(fetch_event(*cluster, leader, last_id + 10, 1, layout).kind == fetched_event::not_found);
  connect({}, {});
  auto gone = fetch_event(*cluster, leader, 1500, 1, layout);
  CHECK(gone.kind == fetched_event::unavailable);
  CHECK(gone.detail.find("shard 1") != std::string::npos);
}

} // TEST_SUITE
