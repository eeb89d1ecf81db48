#include "actors/distributed_query.hpp"

#include "actors/metrics.hpp"
#include "actors/query_memo.hpp"
#include "actors/replication_lag.hpp"
#include "actors/shards.hpp"
#include "query/parse_error.hpp"

#include <caf/event_based_actor.hpp>
#include <caf/scoped_actor.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <map>
#include <optional>
#include <set>

namespace cairn {

namespace {

/// Events of one id interval, for the split estimate.
struct id_interval {
  uint64_t lo;
  uint64_t hi; ///< inclusive
  uint64_t events;
};

/// One share run on this node through the ordinary executor path (blocks,
/// memoized per block when `memo` is set, then the buffer with folding of
/// blocks indexed meanwhile).
struct local_share {
  query::partial_result partial;
  query::query_stats stats;
  uint64_t blocks_read = 0;
  uint64_t blocks_skipped = 0;
  double ms = 0;
};

local_share run_local_share(const std::shared_ptr<storage::event_store>& store,
                            const std::shared_ptr<const query::query_plan>& plan,
                            const query::query_options& opts, const id_share& share,
                            query::memo_cache* memo, uint64_t shard_mask = ~uint64_t{0},
                            unsigned shard_count = 0) {
  auto started = std::chrono::steady_clock::now();
  store_source source{store};
  source.set_id_range(share.id_lo, share.id_hi);
  source.set_shard_mask(shard_mask, shard_count);
  query::query_stats stats;
  memo_run_report report;
  // Blocks a share clips are memoized under the clip (store_source::memo_clip):
  // shares move with the data, so most blocks of a repeated query lie wholly
  // inside one and reuse their partial.
  auto partial = execute_memoized(plan, source, opts, memo, stats, report);
  local_share out{std::move(partial), stats, source.blocks_read(), source.blocks_skipped(), 0};
  out.ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started)
             .count();
  return out;
}

void add_stats(query::query_stats& into, const query::query_stats& s) {
  into.chunks_scanned += s.chunks_scanned;
  into.events_scanned += s.events_scanned;
  into.events_matched += s.events_matched;
}

} // namespace

std::vector<id_share> split_by_ids(const std::vector<storage::block_info>& blocks,
                                   uint64_t buffer_lo, uint64_t buffered, uint64_t next_id,
                                   size_t n) {
  n = std::max<size_t>(1, n);
  std::vector<id_interval> parts;
  uint64_t total = 0;
  for (const auto& b : blocks) {
    if (b.summary.event_count == 0)
      continue;
    parts.push_back({b.summary.min_id, b.summary.max_id, b.summary.event_count});
    total += b.summary.event_count;
  }
  if (buffered && next_id > buffer_lo) {
    parts.push_back({buffer_lo, next_id - 1, buffered});
    total += buffered;
  }
  std::sort(parts.begin(), parts.end(),
            [](const id_interval& a, const id_interval& b) { return a.lo < b.lo; });
  std::vector<uint64_t> cuts; // n - 1 ascending cut ids
  uint64_t seen = 0;
  size_t next_part = 0;
  for (size_t k = 1; k < n; ++k) {
    const uint64_t target = total * k / n;
    while (next_part < parts.size() && seen + parts[next_part].events <= target)
      seen += parts[next_part++].events;
    uint64_t cut;
    if (next_part == parts.size()) {
      cut = parts.empty() ? 0 : parts.back().hi + 1;
    } else {
      const auto& p = parts[next_part];
      // Ids spread evenly inside an interval: cut at the target's fraction.
      const double frac = static_cast<double>(target - seen) / static_cast<double>(p.events);
      cut = p.lo + static_cast<uint64_t>(frac * static_cast<double>(p.hi - p.lo + 1));
    }
    if (!cuts.empty())
      cut = std::max(cut, cuts.back());
    cuts.push_back(cut);
  }
  std::vector<id_share> shares;
  uint64_t lo = 0;
  for (auto cut : cuts) {
    shares.push_back({lo, cut});
    lo = cut;
  }
  shares.push_back({lo, UINT64_MAX});
  return shares;
}

namespace {

/// True if each of `peer_ids` (the connected peers) is a recorded holder of
/// every shard; false if any peer's id is unknown yet.
bool every_peer_holds_all(const shard_routing& routing, const std::vector<std::string>& peer_ids) {
  if (routing.holders.size() < routing.shard_count)
    return false;
  for (const auto& id : peer_ids) {
    if (id.empty())
      return false;
    for (unsigned s = 0; s < routing.shard_count; ++s)
      if (std::find(routing.holders[s].begin(), routing.holders[s].end(), id) ==
          routing.holders[s].end())
        return false;
  }
  return true;
}

/// Adds one share the leader scanned itself to the run and to its own work
/// figures. @throws query::query_error past query.maxMemoryBytes.
template <class Local>
void merge_local(distributed_run& run, node_work& self_work, const Local& local,
                 const query::query_options& opts) {
  run.partial.merge(local.partial);
  add_stats(run.stats, local.stats);
  run.blocks_read += local.blocks_read;
  run.blocks_skipped += local.blocks_skipped;
  self_work.ms += local.ms;
  self_work.events += local.stats.events_scanned;
  ++self_work.shares;
  if (run.partial.memory_bytes() > opts.max_memory_bytes)
    throw query::query_error(query::query_error::kind::memory, "query exceeded query.maxMemoryBytes");
}

/// Waits for one peer's share reply and merges its partial into `run`; sets
/// `w.failure` instead on an error or timeout, on a partial that does not
/// decode, or when `behind(their_next)` says the peer's log was too short
/// for the share (its part then runs on the leader).
template <class Handle, class Behind>
void collect_share(Handle& pending, const std::shared_ptr<const query::query_plan>& plan,
                   distributed_run& run, node_work& w, Behind behind) {
  pending.receive(
    [&](std::string& bytes, uint64_t events, double ms, std::string& name, uint64_t their_next) {
      w.name = std::move(name);
      if (behind(their_next)) {
        w.failure = "behind (next id " + std::to_string(their_next) + ")";
        return;
      }
      try {
        run.partial.merge(query::partial_result::deserialize(plan, bytes));
      } catch (const query::query_error& e) {
        w.failure = std::string{"bad partial: "} + e.what();
        return;
      }
      run.stats.events_scanned += events;
      w.ms = ms;
      w.events = events;
      w.shares = 1;
    },
    [&](caf::error& e) { w.failure = to_string(e); });
}

/// A sharded run: each shard's ids below `cut` go to one live replica holding
/// it (actors/shards.hpp assign_query_shards); the leader scans its own
/// shards below `cut` and every shard from `cut` on (its write-ahead buffer:
/// not indexed yet, possibly not replicated yet). `cut` is at least where
/// this node began holding every shard (full_copy_from: a leader elected
/// after holding some shards only lacks the older events of the others).
/// A share that fails, times out or comes from a replica whose log has not
/// reached `cut` is sent again, shard by shard, to another live holder; a
/// shard no other holder can answer runs on the leader if it holds it, and
/// otherwise the query fails with 503 (never a silently short count).
distributed_run run_sharded(const query_cluster& cluster,
                            const std::shared_ptr<storage::event_store>& store,
                            const std::shared_ptr<const query::query_plan>& plan,
                            const std::string& text, int64_t now_ns,
                            const query::query_options& opts, int64_t epoch,
                            const shard_routing& routing, uint64_t cut, uint64_t next_id) {
  const unsigned count = routing.shard_count;
  auto peers = cluster.peers();
  auto peer_ids = cluster.peer_ids();
  std::map<std::string, caf::actor> connected;
  for (size_t i = 0; i < peers.size(); ++i)
    if (!peer_ids[i].empty())
      connected[peer_ids[i]] = peers[i];
  // 1. Who can answer each shard: its live holders; the leader where it is
  // placed, or for every shard if it always held all of them.
  const uint64_t full_from = full_copy_from().load();
  auto leader_holds = [&](unsigned s) {
    return full_from == 0 || (s < routing.holders.size() &&
                              std::find(routing.holders[s].begin(), routing.holders[s].end(),
                                        routing.self_id) != routing.holders[s].end());
  };
  std::vector<std::vector<std::string>> live(count);
  shard_mask unanswerable = 0;
  for (unsigned s = 0; s < count; ++s) {
    if (s < routing.holders.size())
      for (const auto& h : routing.holders[s])
        if (h == routing.self_id || connected.count(h))
          live[s].push_back(h);
    if (live[s].empty()) {
      if (leader_holds(s))
        live[s].push_back(routing.self_id);
      else
        unanswerable |= shard_mask{1} << s;
    }
  }
  auto refuse = [&](shard_mask missing) {
    std::string names;
    for (unsigned s = 0; s < count; ++s)
      if ((missing >> s) & 1)
        names += (names.empty() ? "" : ", ") + std::to_string(s);
    return query::query_error(
      query::query_error::kind::cancelled,
      "shard(s) " + names + " cannot be read: no live replica holding them answered and this "
      "node does not hold their older events; the result would be incomplete, retry when a "
      "holder is back");
  };
  if (unanswerable)
    throw refuse(unanswerable);
  auto assignment = assign_query_shards(count, live, routing.self_id);
  // Peers scan up to the lowest position they have confirmed (the leader's
  // replication lag table), so a replica that keeps up takes its full share
  // of the newest events too; without a confirmation, up to `cut` (the
  // start of the leader's write-ahead buffer).
  cut = std::max(cut, full_from);
  {
    uint64_t confirmed = next_id;
    for (const auto& [node, mask] : assignment) {
      if (node == routing.self_id)
        continue;
      follower_lag lag;
      confirmed = replication_lag::instance().find(node, lag) ? std::min(confirmed, lag.acked_next)
                                                              : std::min(confirmed, cut);
    }
    cut = std::max(cut, confirmed);
  }

  caf::scoped_actor io{cluster.system()};
  struct sent_share {
    std::string node;
    shard_mask mask;
  };
  using handle_t = decltype(io->request(caf::actor{}, cluster.share_timeout(), query_atom::value,
                                        epoch, text, now_ns, opts.from_ns, opts.to_ns,
                                        uint64_t{0}, cut, uint64_t{0}, uint32_t{0}));
  std::vector<sent_share> sent;
  std::vector<handle_t> pending;
  auto send_share = [&](const std::string& node, shard_mask mask) {
    sent.push_back({node, mask});
    pending.push_back(io->request(connected[node], cluster.share_timeout(), query_atom::value,
                                  epoch, text, now_ns, opts.from_ns, opts.to_ns, uint64_t{0}, cut,
                                  uint64_t{mask}, uint32_t{count}));
  };
  for (const auto& [node, mask] : assignment)
    if (node != routing.self_id)
      send_share(node, mask);

  distributed_run run{query::partial_result(plan), {}, 0, 0, {}};
  node_work self_work{cluster.node_name(), 0, 0, 0, {}};
  auto run_here = [&](const id_share& s, shard_mask mask, unsigned shard_count) {
    auto local = run_local_share(store, plan, opts, s, cluster.memo(), mask, shard_count);
    merge_local(run, self_work, local, opts);
  };
  if (auto mine = assignment.find(routing.self_id); mine != assignment.end())
    run_here({0, cut}, mine->second, count);
  run_here({cut, UINT64_MAX}, ~shard_mask{0}, 0);

  // 2. Collect; re-send what failed to other holders until every shard
  // answered (each round drops the failed node for its shards: bounded).
  std::vector<node_work> peer_work;
  std::vector<std::set<std::string>> failed_on(count);
  for (size_t done = 0; done < pending.size();) {
    shard_mask retry = 0;
    for (size_t end = pending.size(); done < end; ++done) {
      node_work w;
      w.name = sent[done].node;
      collect_share(pending[done], plan, run, w,
                    [&](uint64_t their_next) { return their_next < cut && their_next < next_id; });
      if (!w.failure.empty()) {
        for (unsigned s = 0; s < count; ++s)
          if ((sent[done].mask >> s) & 1)
            failed_on[s].insert(sent[done].node);
        retry |= sent[done].mask;
      }
      peer_work.push_back(std::move(w));
    }
    if (!retry)
      break;
    if (opts.cancel && opts.cancel->load())
      throw query::query_error(query::query_error::kind::cancelled, "the query was cancelled");
    // Another live holder per shard (least loaded in this round), else the
    // leader if it holds the shard, else the query cannot be answered.
    std::map<std::string, shard_mask> again;
    std::map<std::string, size_t> load;
    shard_mask here = 0, missing = 0;
    for (unsigned s = 0; s < count; ++s) {
      if (!((retry >> s) & 1))
        continue;
      const std::string* best = nullptr;
      for (const auto& h : live[s])
        if (h != routing.self_id && !failed_on[s].count(h) && (!best || load[h] < load[*best]))
          best = &h;
      if (best) {
        ++load[*best];
        again[*best] |= shard_mask{1} << s;
      } else if (leader_holds(s)) {
        here |= shard_mask{1} << s;
      } else {
        missing |= shard_mask{1} << s;
      }
    }
    if (missing)
      throw refuse(missing);
    for (const auto& [node, mask] : again) {
      spdlog::warn("query: shards {:#x} retried on {}", mask, node);
      send_share(node, mask);
    }
    if (here) {
      spdlog::warn("query: shards {:#x} retried here", here);
      run_here({0, cut}, here, count);
    }
  }
  run.nodes.push_back(std::move(self_work));
  for (auto& w : peer_work)
    run.nodes.push_back(std::move(w));
  return run;
}

} // namespace

distributed_run run_distributed(const query_cluster& cluster,
                                const std::shared_ptr<storage::event_store>& store,
                                const std::shared_ptr<const query::query_plan>& plan,
                                const std::string& text, int64_t now_ns,
                                const query::query_options& opts, int64_t epoch) {
  auto peers = cluster.peers();
  // 1. Plan: the events this query may touch, by the leader's own blocks.
  auto filter = query::plan_blocks(*plan, opts);
  std::vector<storage::block_info> candidates;
  uint64_t buffered = 0, next_id = 1, buffer_lo = 0;
  if (!filter.is_empty()) {
    store_source lister{store};
    query::scan_request listing;
    listing.filter = &filter;
    listing.from_ns = filter.from_ns;
    listing.to_ns = filter.to_ns;
    candidates = lister.list_candidates(listing);
    lister.list_blocks(INT64_MIN, INT64_MAX, [&](const storage::block_key&, const storage::block_summary& s) {
      buffer_lo = std::max(buffer_lo, s.max_id + 1);
      return false; // only the highest id is wanted
    });
    if (auto st = store->stats()) {
      buffered = st->buffered_events;
      next_id = st->next_id;
    }
  }
  auto routing = cluster.routing();
  const uint64_t full_from = full_copy_from().load();
  if (full_from != 0 && routing.shard_count == 0 && !filter.is_empty())
    throw query::query_error(query::query_error::kind::cancelled,
                             "this node does not hold every shard and the shard placement is "
                             "not known yet; retry shortly");
  // Few events: not worth a round trip; unless this node lacks older events
  // of some shards (then its own blocks say nothing about theirs).
  const bool holds_all = routing.shard_count == 0 || full_from == 0;
  if (filter.is_empty() || (candidates.empty() && holds_all))
    peers.clear();
  // A node lacking shards takes the sharded path even with no peer
  // connected: it refuses (503) the shards nobody can answer rather than
  // count them short from its own store. Where every node holds every
  // shard (the default: three nodes, three replicas) id-range shares are
  // cheaper: blocks mix the ids of several shards, so with shard masks
  // every node would decode every block and keep a third of its events.
  const bool full_replicas = holds_all && every_peer_holds_all(routing, cluster.peer_ids());
  if (routing.shard_count != 0 && !full_replicas &&
      (!peers.empty() || (!holds_all && !filter.is_empty())))
    return run_sharded(cluster, store, plan, text, now_ns, opts, epoch, routing,
                       buffer_lo ? buffer_lo : next_id, next_id);
  auto shares = split_by_ids(candidates, buffer_lo, buffered, next_id, peers.size() + 1);

  // 2. Send the peers their shares (the oldest ones); requests go out now,
  // their timeouts run while the leader scans its own share.
  caf::scoped_actor io{cluster.system()};
  auto ask = [&](const caf::actor& peer, const id_share& s) {
    return io->request(peer, cluster.share_timeout(), query_atom::value, epoch, text, now_ns,
                       opts.from_ns, opts.to_ns, s.id_lo, s.id_hi);
  };
  using handle_t = decltype(ask(caf::actor{}, id_share{}));
  std::vector<handle_t> pending;
  pending.reserve(peers.size());
  for (size_t i = 0; i < peers.size(); ++i)
    pending.push_back(ask(peers[i], shares[i]));

  // 3. The leader's own share: the newest ids, buffer included.
  distributed_run run{query::partial_result(plan), {}, 0, 0, {}};
  node_work self_work{cluster.node_name(), 0, 0, 0, {}};
  auto run_here = [&](const id_share& s) {
    auto local = run_local_share(store, plan, opts, s, cluster.memo());
    merge_local(run, self_work, local, opts);
  };
  run_here(shares.back());

  // 4. Collect; a share that fails or comes from a lagging replica runs here.
  std::vector<node_work> peer_work;
  std::vector<id_share> retry;
  for (size_t i = 0; i < pending.size(); ++i) {
    node_work w;
    w.name = "peer " + std::to_string(i + 1);
    collect_share(pending[i], plan, run, w, [&](uint64_t their_next) {
      return shares[i].id_hi != UINT64_MAX && their_next < shares[i].id_hi && their_next < next_id;
    });
    if (!w.failure.empty()) {
      spdlog::warn("query: share {} of {} on {} failed ({}); running it here", i + 1,
                   shares.size(), w.name, w.failure);
      retry.push_back(shares[i]);
    }
    peer_work.push_back(std::move(w));
  }
  for (const auto& s : retry) {
    if (opts.cancel && opts.cancel->load())
      throw query::query_error(query::query_error::kind::cancelled, "the query was cancelled");
    run_here(s);
  }
  run.nodes.push_back(std::move(self_work));
  for (auto& w : peer_work)
    run.nodes.push_back(std::move(w));
  return run;
}

bool share_executor::admit_epoch(int64_t epoch) const {
  auto seen = max_epoch->load();
  while (epoch > seen && !max_epoch->compare_exchange_weak(seen, epoch)) {
  }
  return epoch >= seen;
}

uint64_t share_executor::log_position() const {
  uint64_t next_id = metrics::instance().store_next_id.load();
  if (auto st = store->stats())
    next_id = std::max(next_id, st->next_id);
  return next_id;
}

/// (partial bytes, events scanned, ms, node name, next id) or an error.
using share_reply = caf::result<std::string, uint64_t, double, std::string, uint64_t>;

namespace {

/// One share on this node: (partial bytes, events scanned, ms, node name,
/// log position) or an error.
share_reply run_share(const share_executor& exec, int64_t epoch, const std::string& text,
                      int64_t now_ns, int64_t from_ns, int64_t to_ns, uint64_t id_lo,
                      uint64_t id_hi, uint64_t shard_mask, unsigned shard_count) {
  if (!exec.admit_epoch(epoch))
    return caf::make_error(caf::sec::runtime_error,
                           "stale epoch " + std::to_string(epoch) + " < " +
                             std::to_string(exec.max_epoch->load()));
  const uint64_t next_id = exec.log_position();
  if (id_hi != UINT64_MAX && next_id < id_hi)
    // Not replicated this far yet: the leader runs the share itself.
    return share_reply{std::string{}, uint64_t{0}, 0.0, exec.node_name, next_id};
  try {
    auto plan = query::query_plan::compile(text, now_ns);
    query::query_options opts;
    opts.from_ns = from_ns;
    opts.to_ns = to_ns;
    opts.max_memory_bytes = exec.max_memory_bytes;
    auto local = run_local_share(exec.store, plan, opts, id_share{id_lo, id_hi}, exec.memo.get(), shard_mask,
                                 shard_count);
    return share_reply{local.partial.serialize(), uint64_t{local.stats.events_scanned}, local.ms,
                       exec.node_name, next_id};
  } catch (const query::query_error& e) {
    return caf::make_error(caf::sec::runtime_error, std::string{"query: "} + e.what());
  }
}

} // namespace

caf::behavior share_worker_actor(caf::event_based_actor* self,
                                 std::shared_ptr<const share_executor> exec) {
  return {
    [=](query_atom, int64_t epoch, const std::string& text, int64_t now_ns, int64_t from_ns,
        int64_t to_ns, uint64_t id_lo, uint64_t id_hi) -> share_reply {
      self->quit();
      return run_share(*exec, epoch, text, now_ns, from_ns, to_ns, id_lo, id_hi, ~uint64_t{0}, 0);
    },
    [=](query_atom, int64_t epoch, const std::string& text, int64_t now_ns, int64_t from_ns,
        int64_t to_ns, uint64_t id_lo, uint64_t id_hi, uint64_t shard_mask,
        uint32_t shard_count) -> share_reply {
      self->quit();
      return run_share(*exec, epoch, text, now_ns, from_ns, to_ns, id_lo, id_hi, shard_mask,
                       std::min<unsigned>(shard_count, max_shards));
    },
  };
}

} // namespace cairn
