#include "actors/committer_actor.hpp"

#include "actors/metrics.hpp"
#include "actors/replication.hpp"

#include <caf/event_based_actor.hpp>
#include <caf/scoped_actor.hpp>
#include <spdlog/spdlog.h>

#include <limits>

namespace cairn {

namespace {

using self_ptr = caf::stateful_actor<committer_state>*;

/// Sent to itself: commit the pending ingest requests as one group.
using flush_atom = caf::atom_constant<caf::atom("grpflush")>;

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
  return {};
}

/// Sends a peer every event it lacks from `from_next` on, oldest first. At
/// most one catch-up per peer and position: later gap answers for the same
/// position arrive while the first catch-up is still in flight.
void catch_up(self_ptr self, const caf::actor& peer, uint64_t from_next) {
  auto& st = self->state;
  auto& last = st.catching_up[peer.address()];
  if (last == from_next)
    return;
  last = from_next;
  storage::record_batch missing;
  collect_after(*st.store, from_next == 0 ? 0 : from_next - 1, 50000, missing);
  for_each_id_run(missing, [&](storage::record_batch& run, uint64_t first) {
    self->request(peer, st.options.replication_timeout, replicate_atom::value, st.epoch,
                  catch_up_run, first, run.bytes)
      .then([](ack_atom, bool, uint64_t) {}, [](caf::error&) {});
  });
  if (!missing.empty())
    spdlog::info("replication: sent {} missing events to a follower", missing.size());
}

/// A new leader pulls what it lacks from every reachable peer.
void pull_from_peers(self_ptr self) {
  auto& st = self->state;
  caf::scoped_actor io{self->system()};
  for (const auto& peer : st.peers) {
    for (int round = 0; round < 1000; ++round) {
      bool more = false;
      bool ok = false;
      io->request(peer, st.options.replication_timeout, pull_atom::value, st.epoch,
                  st.next_id - 1, uint32_t{20000})
        .receive(
          [&](const std::string& bytes, bool m) {
            storage::record_batch got;
            got.bytes = bytes;
            if (!index_records(got)) {
              spdlog::error("replication: a peer sent malformed records");
              return;
            }
            for_each_id_run(got, [&](storage::record_batch& run, uint64_t first) {
              if (auto err = apply_run(self, run, first); !err.empty())
                spdlog::error("replication: cannot store pulled events: {}", err);
            });
            if (!got.empty())
              spdlog::info("replication: pulled {} events from a peer", got.size());
            more = m && !got.empty();
            ok = true;
          },
          [&](caf::error& e) {
            spdlog::warn("replication: pull from a peer failed: {}", to_string(e));
          });
      if (!ok || !more)
        break;
    }
  }
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
      self->request(peer, st.options.replication_timeout, replicate_atom::value, st.epoch,
                    prev_next, first_id, batch.bytes)
        .then(
          [=](ack_atom, bool applied, uint64_t their_next) {
            if (!applied)
              on_gap(peer, their_next);
          },
          [](caf::error&) {});
    return done(r);
  }
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
    self->request(peer, st.options.replication_timeout, replicate_atom::value, st.epoch,
                  prev_next, first_id, batch.bytes)
      .then(
        [=](ack_atom, bool applied, uint64_t their_next) mutable {
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
    p.promise.deliver(std::move(mine));
  }
}

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
  m.ingest_commit_microseconds += std::chrono::duration_cast<std::chrono::microseconds>(
                                    std::chrono::steady_clock::now() - started)
                                    .count();
  publish_generation(appended->gen);
  r.ok = true;
  r.first_id = appended->first_id;
  r.model = appended->gen.model;
  r.write = appended->gen.write;
  auto waiting = std::make_shared<std::vector<pending_ingest>>(std::move(group));
  replicate_and_ack(self, r, prev_next, first_id, *batch,
                    [waiting](const commit_result& res) { answer_group(*waiting, res); });
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
  return {
    [=](ingest_atom, storage::record_batch& batch) -> caf::result<commit_result> {
      auto& st = self->state;
      if (batch.empty()) { // nothing to store: answer as a commit would
        commit_result r;
        r.ok = st.active && steady_ns() <= st.lease_valid_until_steady_ns;
        if (!r.ok) {
          r.http_status = 503;
          r.error = "this node cannot accept ingest now; retry shortly";
        }
        return r;
      }
      auto rp = self->make_response_promise<commit_result>();
      st.pending_bytes += batch.bytes.size();
      st.pending.push_back(pending_ingest{std::move(batch), rp});
      if (!st.flush_scheduled) {
        st.flush_scheduled = true;
        self->send(self, flush_atom::value);
      }
      if (st.pending_bytes >= group_max_bytes)
        commit_pending(self);
      return rp;
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
    [=](peers_atom, std::vector<caf::actor>& peers) {
      auto& st = self->state;
      bool grew = peers.size() > st.peers.size();
      st.peers = std::move(peers);
      spdlog::info("replication: {} authenticated peer(s)", st.peers.size());
      // A follower that (re)connects catches up at once instead of waiting
      // for the leader's next batch to reveal the gap.
      if (grew && !st.active) {
        auto before = st.next_id;
        auto started = std::chrono::steady_clock::now();
        pull_from_peers(self);
        if (st.next_id != before)
          spdlog::info("replication: caught up {} ids in {} ms", st.next_id - before,
                       std::chrono::duration_cast<std::chrono::milliseconds>(
                         std::chrono::steady_clock::now() - started)
                         .count());
      }
    },
    [=](activate_atom, int64_t epoch) {
      auto& st = self->state;
      st.epoch = epoch;
      st.max_epoch_seen = std::max(st.max_epoch_seen, epoch);
      pull_from_peers(self);
      st.active = true;
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
      spdlog::info("committer: no longer accepting ingest");
      return true;
    },
    [=](index_atom) {
      auto& st = self->state;
      // Bounded: at most a few blocks per message so commits interleave.
      for (int i = 0; i < 8; ++i) {
        auto r = st.store->index_pass(unix_ns());
        if (!r) {
          spdlog::error("indexer: index pass failed: {}", r.error().to_string());
          return;
        }
        if (r->events) {
          metrics::instance().indexed_blocks++;
          metrics::instance().indexed_events += r->events;
          publish_generation(r->gen);
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
      self->delayed_send(self, period, tick_atom::value);
    },
  };
}

} // namespace cairn
