#include "actors/committer_actor.hpp"

#include "actors/metrics.hpp"
#include "actors/replication.hpp"
#include "storage/buffer_pool.hpp"

#include <caf/event_based_actor.hpp>
#include <caf/scoped_actor.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <limits>
#include <optional>
#include <unordered_set>

namespace cairn {

namespace {

using self_ptr = caf::stateful_actor<committer_state>*;

/// Sent to itself: commit the pending ingest requests as one group.
using flush_atom = caf::atom_constant<caf::atom("grpflush")>;

/// From the indexer's timer: ask lagging followers where they are.
using probe_atom = caf::atom_constant<caf::atom("lagprobe")>;

/// prev_next_id of a catch-up run: apply unless already present.
constexpr uint64_t catch_up_run = std::numeric_limits<uint64_t>::max();

int64_t unix_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
           std::chrono::system_clock::now().time_since_epoch())
    .count();
}

int64_t steady_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
           std::chrono::steady_clock::now().time_since_epoch())
    .count();
}

void publish_generation(const storage::generation& g) {
  metrics::instance().generation_model = g.model;
  metrics::instance().generation_write = g.write;
}

/// Events held here, for /metrics (after every change of the store).
void publish_stored(const storage::event_store& store) {
  if (auto st = store.stats()) {
    metrics::instance().stored_events = st->buffered_events + st->indexed_events;
    metrics::instance().buffered_events = st->buffered_events;
  }
}

/// Appends a run whose ids are first_id.. (dropping the prefix already
/// stored); returns an error text or "".
std::string apply_run(self_ptr self, storage::record_batch& run, uint64_t first_id) {
  auto& st = self->state;
  if (first_id + run.size() <= st.next_id)
    return {}; // already here
  if (first_id < st.next_id) {
    size_t skip = st.next_id - first_id;
    storage::record_batch rest;
    for (size_t i = skip; i < run.size(); ++i) {
      rest.offsets.push_back(static_cast<uint32_t>(rest.bytes.size()));
      rest.bytes += run.record(i);
    }
    run = std::move(rest);
    first_id = st.next_id;
  }
  auto appended = st.store->append_batch(run, first_id);
  if (!appended)
    return appended.error().to_string();
  st.next_id = std::max(st.next_id, first_id + run.size());
  metrics::instance().replicated_events += run.size();
  metrics::instance().store_next_id = st.next_id;
  publish_generation(appended->gen);
  publish_stored(*st.store);
  return {};
}

/// Recomputes one follower's lag row from its acknowledged position.
void publish_lag(self_ptr self, const std::string& node_id, uint64_t acked) {
  auto behind = self->state.commits.behind_of(acked);
  replication_lag::instance().set(follower_lag{node_id, acked, behind.batches,
                                               behind.oldest_unix_ns});
}

/// Recomputes every follower's row and drops commits all of them hold.
void publish_all_lag(self_ptr self) {
  auto& st = self->state;
  if (!st.active)
    return;
  uint64_t min_acked = UINT64_MAX;
  for (const auto& [id, acked] : st.acked_next) {
    publish_lag(self, id, acked);
    min_acked = std::min(min_acked, acked);
  }
  if (min_acked != UINT64_MAX)
    st.commits.trim_below(min_acked);
}

/// A follower answered a replicate message: it holds everything below
/// `their_next` (a gap answer says the same about its log).
void note_ack(self_ptr self, const caf::actor_addr& peer, uint64_t their_next) {
  auto& st = self->state;
  if (!st.active)
    return;
  auto id = st.peer_ids.find(peer);
  if (id == st.peer_ids.end())
    return;
  auto& acked = st.acked_next[id->second];
  acked = std::max(acked, their_next);
  publish_lag(self, id->second, acked);
}

/// Starts tracking peers the leader has no position for yet: position
/// unknown (0) until their first answer; the next probe asks at once, so a
/// new or replacement node is caught up even if no batch follows.
void track_peers(self_ptr self) {
  auto& st = self->state;
  if (!st.active)
    return;
  for (const auto& [addr, id] : st.peer_ids)
    if (!st.acked_next.count(id))
      st.acked_next[id] = 0;
  publish_all_lag(self);
}

/// The shard mask of a follower, or null if it gets every record.
const position_mask* mask_of(self_ptr self, const caf::actor& peer) {
  auto& st = self->state;
  if (st.shard_count == 0)
    return nullptr;
  auto id = st.peer_ids.find(peer.address());
  if (id == st.peer_ids.end())
    return nullptr;
  auto m = st.peer_masks.find(id->second);
  if (m == st.peer_masks.end() || m->second.holds_all(st.shard_count))
    return nullptr; // every shard at every position: plain replication
  return &m->second;
}

/// Whether a follower joined a sharded cluster and its shards are not known
/// yet (the placement keeper tells them within a tick): it gets nothing
/// until then, neither all shards nor none (its position would move past
/// events of its shards).
bool awaiting_mask(self_ptr self, const caf::actor& peer) {
  auto& st = self->state;
  if (st.shard_count == 0)
    return false;
  auto id = st.peer_ids.find(peer.address());
  return id == st.peer_ids.end() || !st.peer_masks.count(id->second);
}

/// Records of `batch` a follower with mask `m` gets.
storage::record_batch records_for(self_ptr self, const position_mask& m,
                                  const storage::record_batch& batch) {
  storage::record_batch out;
  auto count = self->state.shard_count;
  filter_records(batch, [&](uint64_t id) { return mask_holds(m.at(id), id, count); }, out);
  return out;
}

/// Sends one committed batch (ids [first_id, first_id + size)) to a
/// follower: whole, or only its shards' records. Both answer (ack, ...).
template <class OnAck, class OnError>
void ship_batch(self_ptr self, const caf::actor& peer, uint64_t prev_next, uint64_t first_id,
                const storage::record_batch& batch, OnAck on_ack, OnError on_error) {
  auto& st = self->state;
  if (awaiting_mask(self, peer)) {
    caf::error not_sent = caf::make_error(caf::sec::runtime_error, "shards not known yet");
    on_error(not_sent);
    return;
  }
  if (auto m = mask_of(self, peer)) {
    auto part = records_for(self, *m, batch);
    self->request(peer, st.options.replication_timeout, sparse_atom::value, st.epoch, prev_next,
                  first_id + batch.size(), std::move(part.bytes))
      .then(on_ack, on_error);
    return;
  }
  self->request(peer, st.options.replication_timeout, replicate_atom::value, st.epoch, prev_next,
                first_id, batch.bytes)
    .then(on_ack, on_error);
}

/// Sends a peer every event it lacks from `from_next` on, oldest first. At
/// most one catch-up per peer and position: later gap answers for the same
/// position arrive while the first catch-up is still in flight.
void catch_up(self_ptr self, const caf::actor& peer, uint64_t from_next) {
  auto& st = self->state;
  if (awaiting_mask(self, peer))
    return; // the next probe after its shards are known catches it up
  auto& last = st.catching_up[peer.address()];
  if (last == from_next)
    return;
  last = from_next;
  storage::record_batch missing;
  bool more = collect_after(*st.store, from_next == 0 ? 0 : from_next - 1, 50000, missing);
  if (auto m = mask_of(self, peer)) {
    // Its shards only; the message still covers every id up to end_id, so
    // its position moves past the records it does not hold.
    if (missing.empty())
      return;
    uint64_t end_id = more ? record_id(missing.record(missing.size() - 1)) + 1 : st.next_id;
    auto part = records_for(self, *m, missing);
    self->request(peer, st.options.replication_timeout, sparse_atom::value, st.epoch,
                  std::max<uint64_t>(from_next, 1), end_id, std::move(part.bytes))
      .then(
        [self, peer](ack_atom, bool, uint64_t their_next) {
          note_ack(self, peer.address(), their_next);
          // Continue at once from where it is now (no wait for a probe).
          if (self->state.active && their_next < self->state.next_id)
            catch_up(self, peer, their_next);
        },
        [](caf::error&) {});
    spdlog::info("replication: sent {} missing events ({} of its shards) to a follower",
                 missing.size(), part.size());
    return;
  }
  for_each_id_run(missing, [&](storage::record_batch& run, uint64_t first) {
    self->request(peer, st.options.replication_timeout, replicate_atom::value, st.epoch,
                  catch_up_run, first, run.bytes)
      .then([self, addr = peer.address()](ack_atom, bool,
                                          uint64_t their_next) { note_ack(self, addr, their_next); },
            [](caf::error&) {});
  });
  if (!missing.empty())
    spdlog::info("replication: sent {} missing events to a follower", missing.size());
}

/// Asks every follower the leader has not heard confirm its whole log for
/// its position (an empty catch-up run is a no-op that answers next_id).
/// Acks of requests that timed out (a follower paused past the replication
/// timeout) are lost, so without this a follower's lag would only clear
/// with the next batch, and a gap would only be noticed then.
void probe_followers(self_ptr self) {
  auto& st = self->state;
  if (!st.active)
    return;
  for (const auto& peer : st.peers) {
    auto id = st.peer_ids.find(peer.address());
    if (id == st.peer_ids.end())
      continue;
    auto acked = st.acked_next.find(id->second);
    if (acked != st.acked_next.end() && acked->second >= st.next_id)
      continue;
    if (!st.probing.insert(peer.address()).second)
      continue; // one probe in flight per follower
    self->request(peer, st.options.replication_timeout, replicate_atom::value, st.epoch,
                  catch_up_run, uint64_t{0}, std::string{})
      .then(
        [self, peer](ack_atom, bool, uint64_t their_next) {
          self->state.probing.erase(peer.address());
          note_ack(self, peer.address(), their_next);
          if (self->state.active && their_next < self->state.next_id) {
            self->state.catching_up.erase(peer.address()); // ask again from where it is
            catch_up(self, peer, their_next);
          }
        },
        [self, addr = peer.address()](caf::error&) { self->state.probing.erase(addr); });
  }
}

/// Ids this store already holds in [lo, hi] (a shard copy may overlap what
/// a follower got before placement existed, or a retried copy).
std::unordered_set<uint64_t> ids_held(const storage::event_store& store, uint64_t lo,
                                      uint64_t hi) {
  std::unordered_set<uint64_t> out;
  constexpr int64_t all_from = std::numeric_limits<int64_t>::min();
  constexpr int64_t all_to = std::numeric_limits<int64_t>::max();
  auto overlapping = [&](const storage::block_key&, const storage::block_summary& s) {
    return s.max_id >= lo && s.min_id <= hi;
  };
  if (auto blocks = store.list_blocks(all_from, all_to, overlapping)) {
    storage::record_batch block;
    for (const auto& b : *blocks) {
      if (!store.read_block(b.key, block))
        continue;
      for (size_t i = 0; i < block.size(); ++i)
        if (auto id = record_id(block.record(i)); id >= lo && id <= hi)
          out.insert(id);
    }
  }
  (void)store.scan_buffer(all_from, all_to, [&](const storage::record_view& v) {
    if (v.id() >= lo && v.id() <= hi)
      out.insert(v.id());
    return true;
  });
  return out;
}

/// Ids a merge (pull from several peers) stored so far, and the store's next
/// id before it began: ids at or above it that are not in `stored` are not
/// held, so only older ones need a store lookup.
struct merge_state {
  uint64_t store_next_before = 0;
  std::unordered_set<uint64_t> stored;
};

/// Follower: stores the records of a shard copy it does not hold yet;
/// returns how many it stored, or an error text.
std::pair<uint64_t, std::string> apply_shard_copy(self_ptr self, storage::record_batch& got,
                                                  merge_state* merge = nullptr) {
  auto& st = self->state;
  if (got.empty())
    return {0, {}};
  uint64_t lo = UINT64_MAX, hi = 0;
  for (size_t i = 0; i < got.size(); ++i) {
    auto id = record_id(got.record(i));
    lo = std::min(lo, id);
    hi = std::max(hi, id);
  }
  // Nothing at or above the store's next id is held: skip the lookup (the
  // common case of a pull or catch-up past this node's newest event).
  uint64_t store_next = 0;
  if (merge)
    store_next = merge->store_next_before;
  else if (auto stats = st.store->stats())
    store_next = stats->next_id;
  std::unordered_set<uint64_t> held;
  if (lo < store_next)
    held = ids_held(*st.store, lo, std::min(hi, store_next - 1));
  storage::record_batch fresh;
  filter_records(
    got,
    [&](uint64_t id) { return !held.count(id) && !(merge && merge->stored.count(id)); }, fresh);
  if (merge)
    for (size_t i = 0; i < fresh.size(); ++i)
      merge->stored.insert(record_id(fresh.record(i)));
  uint64_t stored = 0;
  std::string error;
  for_each_id_run(fresh, [&](storage::record_batch& run, uint64_t first) {
    if (!error.empty())
      return;
    auto appended = st.store->append_batch(run, first);
    if (!appended) {
      error = appended.error().to_string();
      return;
    }
    stored += run.size();
    publish_generation(appended->gen);
  });
  metrics::instance().replicated_events += stored;
  publish_stored(*st.store);
  return {stored, error};
}

/// Events per pull page (a few MB of records per message).
constexpr uint32_t pull_page_events = 50000;

/// Pulls what this node lacks from `sources` (every reachable peer for a
/// new leader before it activates; one holder of every shard for a follower
/// that connects). Every source is asked from the same starting point and
/// the answers are merged, ids already held skipped: with shards, peers
/// hold different subsets, so one peer's answer must not move the position
/// past another's events.
void pull_from_peers(self_ptr self, const std::vector<caf::actor>& sources) {
  auto& st = self->state;
  caf::scoped_actor io{self->system()};
  const uint64_t start = st.next_id - 1;
  uint64_t end = st.next_id;
  merge_state merge;
  if (auto stats = st.store->stats())
    merge.store_next_before = stats->next_id;
  // One source: its pages are ascending and disjoint, nothing to dedupe
  // across sources (the per-id merge set is skipped).
  merge_state* dedupe = sources.size() > 1 ? &merge : nullptr;
  auto ask = [&](const caf::actor& peer, uint64_t after) {
    return io->request(peer, st.options.replication_timeout, pull_atom::value, st.epoch, after,
                       pull_page_events);
  };
  for (const auto& peer : sources) {
    // Pipelined: the next page is asked for as soon as a page arrives, so
    // the peer collects it while this node stores the one before (the
    // durable append waits on the disk).
    std::optional<decltype(ask(peer, 0))> pending{ask(peer, start)};
    for (int round = 0; round < 100000 && pending; ++round) {
      storage::record_batch got;
      bool more = false;
      bool ok = false;
      pending->receive(
        [&](std::string& bytes, bool m) {
          got.bytes = std::move(bytes);
          more = m;
          ok = true;
        },
        [&](caf::error& e) {
          spdlog::warn("replication: pull from a peer failed: {}", to_string(e));
        });
      pending.reset();
      if (!ok)
        break;
      if (!index_records(got)) {
        spdlog::error("replication: a peer sent malformed records");
        break;
      }
      if (got.empty())
        break;
      auto last = record_id(got.record(got.size() - 1));
      if (more)
        pending.emplace(ask(peer, last));
      auto [stored, err] = apply_shard_copy(self, got, dedupe);
      if (!err.empty()) {
        spdlog::error("replication: cannot store pulled events: {}", err);
        break; // a reply still in flight is dropped with the scoped actor
      }
      if (stored)
        spdlog::debug("replication: pulled {} events from a peer", stored);
      end = std::max(end, last + 1);
    }
  }
  spdlog::info("replication: pulled from {} peer(s) after id {}: position {} -> {}",
               sources.size(), start, start + 1, end);
  st.next_id = end;
  metrics::instance().store_next_id = st.next_id;
}

/// A follower that connects (and holds every shard) pulls what it missed
/// from ONE peer holding every shard, by the placement (any peer before a
/// placement exists: all are full copies), instead of every peer: the same
/// events once, not once per peer. Without such a peer it merges them all.
/// The leader's catch-up fills whatever that peer lacked itself.
void catch_up_on_connect(self_ptr self) {
  auto& st = self->state;
  std::vector<caf::actor> sources;
  const auto& placement = st.placement;
  // Placed on some shards only (or not yet placed): the leader's catch-up,
  // filtered by this node's shards, fills the gap; a pull would copy every
  // shard. The placement view can arrive before the keeper's sharded_atom.
  if (!placement.empty() && placement.mask_of(st.self_id) != all_shards(placement.shard_count())) {
    st.sharded = true;
    return;
  }
  for (const auto& peer : st.peers) {
    auto id = st.peer_ids.find(peer.address());
    if (id == st.peer_ids.end())
      continue;
    if (placement.empty() ||
        placement.mask_of(id->second) == all_shards(placement.shard_count())) {
      sources.push_back(peer);
      break;
    }
  }
  if (sources.empty())
    sources = st.peers;
  auto before = st.next_id;
  auto started = std::chrono::steady_clock::now();
  pull_from_peers(self, sources);
  if (st.next_id != before)
    spdlog::info("replication: caught up {} ids in {} ms", st.next_id - before,
                 std::chrono::duration_cast<std::chrono::milliseconds>(
                   std::chrono::steady_clock::now() - started)
                   .count());
}

/// Names shards of a mask, for error texts: "2, 7".
std::string shard_names(shard_mask m) {
  std::string out;
  for (unsigned s = 0; s < max_shards; ++s)
    if ((m >> s) & 1)
      out += (out.empty() ? "" : ", ") + std::to_string(s);
  return out;
}

/// Quorum acks in a placed cluster: ships the batch to every follower and
/// calls `done` once every shard the batch's ids fall into has a majority
/// of its holders confirmed (the leader among them where it holds the
/// shard), or with a 503 once every follower answered (or timed out)
/// without that. Acks of followers that do not hold a shard do not count
/// for it.
template <class Done>
void replicate_per_shard(self_ptr self, commit_result r, uint64_t prev_next, uint64_t first_id,
                         const storage::record_batch& batch, Done done) {
  auto& st = self->state;
  const auto touched = shards_of_range(first_id, first_id + batch.size(), st.placement.shard_count());
  auto confirmed = std::make_shared<std::vector<std::string>>();
  confirmed->push_back(st.self_id); // stored durably above
  if (st.placement.short_of(touched, *confirmed) == 0)
    return done(r); // e.g. replication 1: the leader alone is the majority
  auto fail = [](commit_result f, std::string why) {
    f.ok = false;
    f.http_status = 503;
    f.error = std::move(why);
    return f;
  };
  // Even every connected follower would not make a majority: answer now
  // instead of after the replication timeout (the batch still goes out).
  std::vector<std::string> reachable = *confirmed;
  for (const auto& [addr, id] : st.peer_ids)
    reachable.push_back(id);
  const auto hopeless = st.placement.short_of(touched, reachable);
  const auto peers = st.peers;
  auto answers = std::make_shared<size_t>(0);
  auto settled = std::make_shared<bool>(hopeless != 0);
  if (hopeless)
    done(fail(r, "shard(s) " + shard_names(hopeless) + " of this batch have too few holders "
                   "connected for a majority; the batch is stored on the leader but not "
                   "acknowledged; retry"));
  auto settle = [=]() mutable {
    if (*settled)
      return;
    auto missing = self->state.placement.short_of(touched, *confirmed);
    if (missing == 0) {
      *settled = true;
      done(r);
    } else if (*answers == peers.size()) {
      *settled = true;
      done(fail(r, "shard(s) " + shard_names(missing) + " of this batch: a majority of their "
                     "holders did not confirm in time; retry"));
    }
  };
  auto on_gap = [self](caf::actor peer, uint64_t their_next) { catch_up(self, peer, their_next); };
  for (auto& peer : peers) {
    std::string node_id; // looked up now: the peer may be gone when it answers
    if (auto id = st.peer_ids.find(peer.address()); id != st.peer_ids.end())
      node_id = id->second;
    ship_batch(
      self, peer, prev_next, first_id, batch,
      [=](ack_atom, bool applied, uint64_t their_next) mutable {
        note_ack(self, peer.address(), their_next);
        ++*answers;
        if (applied) {
          confirmed->push_back(node_id);
        } else {
          on_gap(peer, their_next);
        }
        settle();
      },
      [=](caf::error&) mutable {
        ++*answers;
        settle();
      });
  }
  if (peers.empty())
    settle();
}

/// The leader's part of one commit (one request or a group of them) after
/// the local commit: ships the batch to the followers and calls `done` once
/// with the answer for the client(s): at once with `ingest.ack = leader`,
/// after a majority of copies (or a failure) with `quorum`.
template <class Done>
void replicate_and_ack(self_ptr self, commit_result r, uint64_t prev_next, uint64_t first_id,
                       const storage::record_batch& batch, Done done) {
  auto& st = self->state;
  size_t needed = st.options.quorum_ack ? st.options.replicas / 2 : 0;
  auto peers = st.peers;
  auto on_gap = [self](caf::actor peer, uint64_t their_next) {
    catch_up(self, peer, their_next);
  };
  if (needed == 0) {
    for (auto& peer : peers)
      ship_batch(
          self, peer, prev_next, first_id, batch,
          [=](ack_atom, bool applied, uint64_t their_next) {
            note_ack(self, peer.address(), their_next);
            if (!applied)
              on_gap(peer, their_next);
          },
          [](caf::error&) {});
    return done(r);
  }
  if (!st.placement.empty())
    return replicate_per_shard(self, r, prev_next, first_id, batch, std::move(done));
  if (peers.size() < needed) {
    r.ok = false;
    r.http_status = 503;
    r.error = "only " + std::to_string(peers.size()) + " of the " + std::to_string(needed) +
              " followers a quorum needs are connected; the batch is stored on the leader "
              "but not acknowledged";
    return done(r);
  }
  auto acks = std::make_shared<size_t>(0);
  auto answers = std::make_shared<size_t>(0);
  auto settled = std::make_shared<bool>(false);
  auto settle = [=]() mutable {
    if (*settled)
      return;
    if (*acks >= needed) {
      *settled = true;
      done(r);
    } else if (*answers == peers.size()) {
      *settled = true;
      auto failed = r;
      failed.ok = false;
      failed.http_status = 503;
      failed.error = "only " + std::to_string(*acks) + " of " + std::to_string(needed) +
                     " follower copies confirmed in time; retry";
      done(failed);
    }
  };
  for (auto& peer : peers) {
    ship_batch(
        self, peer, prev_next, first_id, batch,
        [=](ack_atom, bool applied, uint64_t their_next) mutable {
          note_ack(self, peer.address(), their_next);
          ++*answers;
          if (applied)
            ++*acks;
          else
            on_gap(peer, their_next);
          settle();
        },
        [=](caf::error&) mutable {
          ++*answers;
          settle();
        });
  }
}

/// Leader: sends a follower every stored event below `below` of the shards
/// in `mask` (one pass over blocks, then the buffer), waiting for each
/// chunk's ack. Runs on its own detached worker (reads are allowed from any
/// thread), so a slow or frozen target never holds up ingest. Returns events
/// sent or an error text.
std::pair<uint64_t, std::string> copy_shards_to(caf::actor_system& sys,
                                                const storage::event_store& store,
                                                const caf::actor& peer, shard_mask mask,
                                                uint64_t below, int64_t epoch,
                                                unsigned shard_count, caf::timespan timeout) {
  caf::scoped_actor io{sys};
  uint64_t sent = 0;
  std::string error;
  storage::record_batch chunk;
  auto flush = [&] {
    if (chunk.empty() || !error.empty())
      return;
    io->request(peer, timeout, shardcopy_atom::value, epoch, chunk.bytes)
      .receive([&](ack_atom, bool, uint64_t) { sent += chunk.size(); },
               [&](caf::error& e) { error = to_string(e); });
    chunk.clear();
  };
  auto take = [&](std::string_view r) {
    auto id = record_id(r);
    if (id >= below || !mask_holds(mask, id, shard_count))
      return;
    chunk.offsets.push_back(static_cast<uint32_t>(chunk.bytes.size()));
    chunk.bytes += r;
    if (chunk.size() >= 20000)
      flush();
  };
  constexpr int64_t all_from = std::numeric_limits<int64_t>::min();
  constexpr int64_t all_to = std::numeric_limits<int64_t>::max();
  auto every = [](const storage::block_key&, const storage::block_summary&) { return true; };
  if (auto blocks = store.list_blocks(all_from, all_to, every)) {
    storage::record_batch block;
    for (const auto& b : *blocks) {
      if (!error.empty())
        break;
      if (!store.read_block(b.key, block))
        continue;
      for (size_t i = 0; i < block.size(); ++i)
        take(block.record(i));
    }
  }
  // The buffer: copied out first (its views die with the read transaction,
  // and flush() must not run inside it).
  storage::record_batch buffered;
  (void)store.scan_buffer(all_from, all_to, [&](const storage::record_view& v) {
    buffered.offsets.push_back(static_cast<uint32_t>(buffered.bytes.size()));
    buffered.bytes += v.bytes();
    return true;
  });
  for (size_t i = 0; i < buffered.size(); ++i)
    take(buffered.record(i));
  flush();
  return {sent, error};
}

/// A group grows until this many record bytes; then it is committed at once.
constexpr size_t group_max_bytes = size_t{16} << 20;

/// Answers every request of a group with `r` (failures) or with `r` and its
/// own first id (success: each request's events follow the previous one's).
void answer_group(std::vector<pending_ingest>& group, const commit_result& r) {
  uint64_t next_first = r.first_id;
  for (auto& p : group) {
    auto mine = r;
    if (r.ok)
      mine.first_id = next_first;
    next_first += p.batch.size();
    p.answer(std::move(mine));
  }
}

/// The requests of a stored group, kept until answered and replicated. The
/// last holder (the answer callback, or a replication handler waiting for a
/// follower) hands their record buffers back to the ingest routes
/// (storage/buffer_pool.hpp): nothing reads them after that.
struct committed_group {
  std::vector<pending_ingest> requests;
  committed_group() = default;
  committed_group(const committed_group&) = delete;
  committed_group& operator=(const committed_group&) = delete;
  ~committed_group() {
    for (auto& p : requests)
      storage::buffer_pool::ingest().give(std::move(p.batch.bytes));
  }
};

/// Stores every pending ingest request in one durable transaction, then
/// replicates the group as one batch and answers each request.
void commit_pending(self_ptr self) {
  auto& st = self->state;
  if (st.pending.empty())
    return;
  std::vector<pending_ingest> group;
  group.swap(st.pending);
  st.pending_bytes = 0;
  commit_result r;
  if (!st.active) {
    r.http_status = 503;
    r.error = "this node is not acting as leader; retry shortly";
    return answer_group(group, r);
  }
  if (steady_ns() > st.lease_valid_until_steady_ns) {
    r.http_status = 503;
    r.error = "this node's leader lease has lapsed; retry shortly";
    return answer_group(group, r);
  }
  // One request commits its own batch; several are concatenated (ids are
  // patched into the concatenation, which is also what followers receive).
  storage::record_batch* batch = &group.front().batch;
  if (group.size() > 1) {
    auto& all = st.group;
    all.bytes.clear();
    all.offsets.clear();
    size_t bytes = 0, count = 0;
    for (auto& p : group) {
      bytes += p.batch.bytes.size();
      count += p.batch.size();
    }
    all.bytes.reserve(bytes);
    all.offsets.reserve(count);
    for (auto& p : group) {
      auto base = static_cast<uint32_t>(all.bytes.size());
      for (auto off : p.batch.offsets)
        all.offsets.push_back(base + off);
      all.bytes += p.batch.bytes;
    }
    batch = &all;
  }
  auto started = std::chrono::steady_clock::now();
  auto prev_next = st.next_id;
  auto first_id = std::max(st.next_id, first_id_of_epoch(st.epoch));
  auto appended = st.store->append_batch(*batch, first_id);
  if (!appended) {
    const auto& err = appended.error();
    r.http_status = err.code == storage::errc::store_full ? 503 : 500;
    r.error = err.to_string();
    spdlog::error("committer: batch of {} events ({} requests) not stored: {}", batch->size(),
                  group.size(), r.error);
    return answer_group(group, r);
  }
  st.next_id = first_id + batch->size();
  auto& m = metrics::instance();
  m.store_next_id = st.next_id; // the leader's own commits move it too (catch-up checks compare it)
  m.ingest_events += batch->size();
  ++m.ingest_commits;
  m.ingest_commit_microseconds += std::chrono::duration_cast<std::chrono::microseconds>(
                                    std::chrono::steady_clock::now() - started)
                                    .count();
  publish_generation(appended->gen);
  publish_stored(*st.store);
  st.commits.add(first_id, st.next_id, unix_ns());
  publish_all_lag(self);
  r.ok = true;
  r.first_id = appended->first_id;
  r.model = appended->gen.model;
  r.write = appended->gen.write;
  auto waiting = std::make_shared<committed_group>();
  waiting->requests = std::move(group);
  replicate_and_ack(self, r, prev_next, first_id, *batch,
                    [waiting](const commit_result& res) { answer_group(waiting->requests, res); });
}

/// The answer to an ingest request with no events: what a commit would say.
commit_result empty_batch_answer(self_ptr self) {
  auto& st = self->state;
  commit_result r;
  r.ok = st.active && steady_ns() <= st.lease_valid_until_steady_ns;
  if (!r.ok) {
    r.http_status = 503;
    r.error = "this node cannot accept ingest now; retry shortly";
  }
  return r;
}

/// Adds a request to the next group commit: the `flush` message sent when
/// the group opens lands behind every request already in the mailbox.
void queue_ingest(self_ptr self, pending_ingest request) {
  auto& st = self->state;
  st.pending_bytes += request.batch.bytes.size();
  st.pending.push_back(std::move(request));
  if (!st.flush_scheduled) {
    st.flush_scheduled = true;
    self->send(self, flush_atom::value);
  }
  if (st.pending_bytes >= group_max_bytes)
    commit_pending(self);
}

} // namespace

caf::behavior committer_actor(self_ptr self, std::shared_ptr<storage::event_store> store,
                              committer_options options) {
  auto& st0 = self->state;
  st0.store = std::move(store);
  st0.options = options;
  if (auto stats = st0.store->stats())
    st0.next_id = std::max<uint64_t>(1, stats->next_id);
  metrics::instance().store_next_id = st0.next_id;
  publish_generation(st0.store->current_generation());
  publish_stored(*st0.store);
  return {
    [=](ingest_atom, storage::record_batch& batch) -> caf::result<commit_result> {
      if (batch.empty())
        return empty_batch_answer(self);
      auto rp = self->make_response_promise<commit_result>();
      queue_ingest(self, pending_ingest{std::move(batch), rp, nullptr});
      return rp;
    },
    // The HTTP routes' ingest: answered through the waiter, no reply message.
    [=](ingest_atom, storage::record_batch& batch, commit_waiter_ptr& waiter) {
      if (batch.empty())
        return waiter->answer(empty_batch_answer(self));
      queue_ingest(self, pending_ingest{std::move(batch), {}, std::move(waiter)});
    },
    [=](flush_atom) {
      self->state.flush_scheduled = false;
      commit_pending(self);
    },
    // A follower applies the leader's batch (forwarded by its endpoint).
    [=](apply_atom, int64_t epoch, uint64_t prev_next, uint64_t first_id,
        std::string& bytes) -> caf::result<ack_atom, bool, uint64_t> {
      auto& st = self->state;
      if (epoch < st.max_epoch_seen || (st.active && epoch < st.epoch))
        return caf::make_error(caf::sec::runtime_error,
                               "stale epoch " + std::to_string(epoch) + " < " +
                                 std::to_string(st.max_epoch_seen));
      st.max_epoch_seen = std::max(st.max_epoch_seen, epoch);
      storage::record_batch run;
      run.bytes = std::move(bytes);
      if (!index_records(run))
        return caf::make_error(caf::sec::runtime_error, "malformed records in a batch");
      bool duplicate = first_id + run.size() <= st.next_id;
      if (!duplicate && prev_next != catch_up_run && prev_next != st.next_id)
        return {ack_atom::value, false, st.next_id}; // a gap: the leader sends what is missing
      if (auto err = apply_run(self, run, first_id); !err.empty())
        return caf::make_error(caf::sec::runtime_error, err);
      return {ack_atom::value, true, st.next_id};
    },
    // A follower holding some shards applies its part of a batch or of a
    // catch-up: ids [prev_next, end_id), only its shards' records present.
    [=](sparse_atom, int64_t epoch, uint64_t prev_next, uint64_t end_id,
        std::string& bytes) -> caf::result<ack_atom, bool, uint64_t> {
      auto& st = self->state;
      if (epoch < st.max_epoch_seen || (st.active && epoch < st.epoch))
        return caf::make_error(caf::sec::runtime_error,
                               "stale epoch " + std::to_string(epoch) + " < " +
                                 std::to_string(st.max_epoch_seen));
      st.max_epoch_seen = std::max(st.max_epoch_seen, epoch);
      if (end_id <= st.next_id)
        return {ack_atom::value, true, st.next_id}; // already past it
      if (prev_next > st.next_id)
        return {ack_atom::value, false, st.next_id}; // a gap: the leader sends what is missing
      storage::record_batch part;
      part.bytes = std::move(bytes);
      if (!index_records(part))
        return caf::make_error(caf::sec::runtime_error, "malformed records in a batch");
      std::string error;
      for_each_id_run(part, [&](storage::record_batch& run, uint64_t first) {
        if (error.empty())
          error = apply_run(self, run, first);
      });
      if (!error.empty())
        return caf::make_error(caf::sec::runtime_error, error);
      st.next_id = std::max(st.next_id, end_id);
      metrics::instance().store_next_id = st.next_id;
      return {ack_atom::value, true, st.next_id};
    },
    // A follower stores older events of a shard newly placed on it.
    [=](shardcopy_atom, int64_t epoch,
        std::string& bytes) -> caf::result<ack_atom, bool, uint64_t> {
      auto& st = self->state;
      if (epoch < st.max_epoch_seen || (st.active && epoch < st.epoch))
        return caf::make_error(caf::sec::runtime_error, "stale epoch " + std::to_string(epoch));
      st.max_epoch_seen = std::max(st.max_epoch_seen, epoch);
      storage::record_batch got;
      got.bytes = std::move(bytes);
      if (!index_records(got))
        return caf::make_error(caf::sec::runtime_error, "malformed records in a shard copy");
      auto [stored, error] = apply_shard_copy(self, got);
      if (!error.empty())
        return caf::make_error(caf::sec::runtime_error, error);
      return {ack_atom::value, true, stored};
    },
    // Leader: the followers' shards from the placement (consensus module).
    // A mask only grows here; shards added to a follower that already has
    // an entry count from the current position on (their older events are
    // copied by addshards, or the follower had them already).
    [=](shardmasks_atom, uint32_t shard_count, std::vector<std::string>& ids,
        std::vector<uint64_t>& masks) {
      auto& st = self->state;
      st.shard_count = std::min<unsigned>(shard_count, max_shards);
      for (size_t i = 0; i < ids.size() && i < masks.size(); ++i) {
        auto it = st.peer_masks.find(ids[i]);
        if (it == st.peer_masks.end())
          st.peer_masks.emplace(ids[i], position_mask{masks[i]});
        else if (masks[i] & ~it->second.current())
          it->second.change(st.next_id, it->second.current() | masks[i]);
      }
    },
    // Leader: give follower `node_id` the shards in `mask`: from now on its
    // batches include them, and every older event of them is copied to it.
    // Answers (ok, events copied, error).
    [=](addshards_atom, const std::string& node_id,
        uint64_t mask) -> caf::result<bool, uint64_t, std::string> {
      auto& st = self->state;
      if (!st.active || st.shard_count == 0)
        return {false, uint64_t{0}, std::string{"this node is not leading a sharded cluster"}};
      caf::actor peer;
      for (const auto& p : st.peers)
        if (auto it = st.peer_ids.find(p.address()); it != st.peer_ids.end() && it->second == node_id)
          peer = p;
      if (!peer)
        return {false, uint64_t{0}, "node " + node_id + " is not connected"};
      auto it = st.peer_masks.try_emplace(node_id, position_mask{0}).first;
      auto below = st.next_id;
      it->second.change(below, it->second.current() | mask);
      // From here on its batches carry the new shards; the older events go
      // by a worker, so ingest continues meanwhile.
      auto rp = self->make_response_promise<bool, uint64_t, std::string>();
      auto store = st.store;
      auto epoch = st.epoch;
      auto count = st.shard_count;
      caf::timespan timeout = st.options.replication_timeout * 4;
      self->spawn<caf::detached>([=](caf::event_based_actor* worker) mutable {
        auto [sent, error] =
          copy_shards_to(worker->system(), *store, peer, mask, below, epoch, count, timeout);
        if (error.empty())
          rp.deliver(true, sent, std::string{});
        else
          rp.deliver(false, sent, "copy to " + node_id + " failed: " + error);
      });
      return rp;
    },
    // The placement keeper saw a placement: this node may hold only some
    // shards (so it must not pull every shard from its peers on connect).
    [=](sharded_atom) { self->state.sharded = true; },
    // Leader: shards newly placed on the leader itself. It holds what it
    // committed and what it pulled on activation, but not necessarily older
    // events of shards it was not placed on: pull every event of them from
    // the followers `from` (whole stores, filtered here; ids held skipped).
    [=](selfcopy_atom, uint64_t mask, uint32_t shard_count,
        const std::vector<std::string>& from) -> caf::result<bool, uint64_t, std::string> {
      auto& st = self->state;
      caf::scoped_actor io{self->system()};
      uint64_t stored = 0;
      std::string error;
      for (const auto& peer : st.peers) {
        auto id = st.peer_ids.find(peer.address());
        if (id == st.peer_ids.end() || std::find(from.begin(), from.end(), id->second) == from.end())
          continue;
        uint64_t after = 0;
        for (bool more = true; more && error.empty();) {
          more = false;
          io->request(peer, st.options.replication_timeout, pull_atom::value, st.epoch, after,
                      uint32_t{20000})
            .receive(
              [&](const std::string& bytes, bool m) {
                storage::record_batch got;
                got.bytes = bytes;
                if (!index_records(got) || got.empty())
                  return;
                after = record_id(got.record(got.size() - 1));
                storage::record_batch mine;
                filter_records(
                  got, [&](uint64_t rid) { return mask_holds(mask, rid, shard_count); }, mine);
                auto [n, err] = apply_shard_copy(self, mine);
                stored += n;
                error = err;
                more = m;
              },
              [&](caf::error& e) { error = to_string(e); });
        }
      }
      if (!error.empty())
        return {false, stored, error};
      return {true, stored, std::string{}};
    },
    // Every node: the placement as recorded (see placeview_atom).
    [=](placeview_atom, uint32_t shard_count, std::string& self_id,
        std::vector<std::string>& ids, std::vector<std::string>& holders,
        std::vector<uint64_t>& masks) {
      auto& st = self->state;
      std::vector<placed_node> nodes;
      for (size_t i = 0; i < ids.size() && i < holders.size() && i < masks.size(); ++i)
        nodes.push_back({std::move(ids[i]), std::move(holders[i]), masks[i]});
      st.placement = shard_quorum{std::min<unsigned>(shard_count, max_shards), std::move(nodes)};
      st.self_id = std::move(self_id);
      st.placement_known = true;
      if (st.pull_pending) {
        st.pull_pending = false;
        if (!st.active && !st.sharded)
          catch_up_on_connect(self);
      }
    },
    [=](forget_atom, const std::string& node_id) {
      auto& st = self->state;
      st.acked_next.erase(node_id);
      st.peer_masks.erase(node_id);
      replication_lag::instance().erase(node_id);
    },
    [=](peers_atom, std::vector<caf::actor>& peers, std::vector<std::string>& ids) {
      auto& st = self->state;
      bool grew = peers.size() > st.peers.size();
      st.peer_ids.clear();
      for (size_t i = 0; i < peers.size() && i < ids.size(); ++i)
        st.peer_ids[peers[i].address()] = ids[i];
      st.peers = std::move(peers);
      track_peers(self);
      spdlog::info("replication: {} authenticated peer(s)", st.peers.size());
      // A follower that (re)connects catches up at once instead of waiting
      // for the leader's next batch to reveal the gap.
      // Not in a sharded cluster: there the leader's catch-up (filtered by
      // this node's shards) fills the gap; a pull would copy every shard.
      // Which peer to pull from comes from the placement view: wait for it.
      if (grew && !st.active && !st.sharded) {
        if (st.placement_known)
          catch_up_on_connect(self);
        else
          st.pull_pending = true;
      }
    },
    [=](activate_atom, int64_t epoch) {
      auto& st = self->state;
      st.epoch = epoch;
      st.max_epoch_seen = std::max(st.max_epoch_seen, epoch);
      // Every shard is held here from where the pull below starts (it merges
      // every peer's events); below it, only this node's own shards if it
      // held some only (distributed queries ask their holders for the rest).
      // `sharded` only grows (a follower may have judged itself sharded from
      // a placement recorded halfway); a placement that now gives this node
      // every shard means it was a full copy all along.
      const bool placed_everywhere = st.placement_known && !st.placement.empty() &&
                                     st.placement.mask_of(st.self_id) == all_shards(st.placement.shard_count());
      full_copy_from() = st.sharded && !placed_everywhere ? st.next_id : 0;
      pull_from_peers(self, st.peers);
      st.active = true;
      st.acked_next.clear();
      track_peers(self);
      spdlog::info("committer: accepting ingest (epoch {}, next id {})", epoch, st.next_id);
      return true;
    },
    [=](lease_atom, int64_t epoch, int64_t valid_until_steady_ns) {
      auto& st = self->state;
      if (epoch >= st.epoch) {
        st.epoch = epoch;
        st.lease_valid_until_steady_ns = valid_until_steady_ns;
      }
    },
    [=](deactivate_atom) {
      self->state.active = false;
      self->state.acked_next.clear();
      replication_lag::instance().clear();
      spdlog::info("committer: no longer accepting ingest");
      return true;
    },
    [=](probe_atom) { probe_followers(self); },
    [=](index_atom) {
      auto& st = self->state;
      // Bounded: a few passes (each up to store_options::index_pass_max_blocks
      // blocks) per message, so commits interleave and ingest latency stays low.
      for (int i = 0; i < 2; ++i) {
        auto r = st.store->index_pass(unix_ns());
        if (!r) {
          spdlog::error("indexer: index pass failed: {}", r.error().to_string());
          return;
        }
        if (r->events) {
          metrics::instance().indexed_blocks += r->blocks;
          metrics::instance().indexed_events += r->events;
          publish_generation(r->gen);
          publish_stored(*st.store);
        }
        if (!r->more)
          return;
      }
      self->send(self, index_atom::value); // more is ready: continue after pending commits
    },
  };
}

caf::behavior indexer_actor(caf::event_based_actor* self, caf::actor committer,
                            std::chrono::milliseconds period) {
  self->send(self, tick_atom::value);
  return {
    [=](tick_atom) {
      self->send(committer, index_atom::value);
      self->send(committer, probe_atom::value);
      self->delayed_send(self, period, tick_atom::value);
    },
  };
}

} // namespace cairn
