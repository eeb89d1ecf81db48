#pragma once
/// Distributed queries (SPEC.md §6, issue 5 item 4): the leader plans a
/// `select`, splits the events it covers into id ranges ("shares") of about
/// equal event counts, one per live replica (itself included), and sends each
/// peer its share on the cluster port:
///
///   leader -> endpoint (query, epoch, text, now_ns, from_ns, to_ns, id_lo, id_hi)
///                      -> (partial_bytes, events, ms, node_name, next_id) | error
///
/// Every replica holds the same events but cuts blocks at different ids, so
/// shares are id ranges, never block keys. In a sharded cluster (placement
/// exists, actors/shards.hpp) a share is (shard mask, id range) instead:
///
///   leader -> endpoint (query, epoch, text, now_ns, from_ns, to_ns, id_lo, id_hi,
///                       shard_mask, shard_count) -> same answer
///
/// each shard goes to one live replica holding it (least loaded first), the
/// ids below the leader's write-ahead buffer are scanned there, and the
/// leader scans its own shards plus the buffer's ids of all shards. A failed
/// sharded share is re-sent, shard by shard, to another live holder; the
/// leader runs it only if it holds the shard (a leader elected after holding
/// some shards only lacks the others' older events), else the query fails
/// with 503 rather than count short. The executor compiles the same
/// text with the leader's `now_ns` (identical plan), scans only
/// id_lo <= id < id_hi (store_source::set_id_range) and returns the
/// serialized partial; the leader merges the partials. The leader keeps the
/// newest share (it covers the write-ahead buffer and ids not yet
/// replicated). A peer that fails, lags (its next_id does not reach id_hi)
/// or does not answer within query.shareTimeoutMs has its (id-range) share
/// run again on the leader. Executors refuse shares from an epoch older than the
/// newest they have seen (a deposed leader cannot enlist them).
#include "actors/store_source.hpp"
#include "query/executor.hpp"
#include "query/memo.hpp"
#include "query/partial_result.hpp"

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>
#include <caf/atom.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace cairn {

using query_atom = caf::atom_constant<caf::atom("query")>;

/// One id range of a distributed query: id_lo <= id < id_hi.
struct id_share {
  uint64_t id_lo = 0;
  uint64_t id_hi = UINT64_MAX;
};

/// Cuts the events of `blocks` (the leader's candidate blocks) and of the
/// buffer (`buffered` events with ids from `buffer_lo` up to `next_id`) into
/// `n` contiguous id ranges of about equal event counts, assuming ids spread
/// evenly within each block. The ranges cover [0, UINT64_MAX) together.
std::vector<id_share> split_by_ids(const std::vector<storage::block_info>& blocks,
                                   uint64_t buffer_lo, uint64_t buffered, uint64_t next_id,
                                   size_t n);

/// What one node did for a query (the Statistics "Nodes" entries).
struct node_work {
  std::string name;
  double ms = 0;        ///< time the node spent on its share(s)
  uint64_t events = 0;  ///< events it scanned
  uint32_t shares = 0;  ///< shares it ran (the leader also runs retried ones)
  std::string failure;  ///< why its share was taken back (empty: it answered)
};

/// Where each shard can be read (actors/shards.hpp), from the placement:
/// pushed by the leader's consensus module every tick.
struct shard_routing {
  unsigned shard_count = 0;                      ///< 0: unsharded (id-range shares)
  std::vector<std::vector<std::string>> holders; ///< per shard: node ids holding it
  std::string self_id;                           ///< this node's id (holds everything it led)
};

/// Cluster state the leader needs to distribute queries; shared between the
/// peer connector (writes the peer list) and the query pool threads.
class query_cluster {
public:
  query_cluster(caf::actor_system& sys, std::string node_name,
                std::chrono::milliseconds share_timeout)
    : sys_(sys), node_name_(std::move(node_name)), share_timeout_(share_timeout) {}

  /// The authenticated peers' cluster endpoints (from the peer connector).
  void set_peers(std::vector<caf::actor> peers) {
    std::lock_guard guard{mutex_};
    peers_ = std::move(peers);
  }
  /// As above, with each endpoint's node id (same order).
  void set_peers(std::vector<caf::actor> peers, std::vector<std::string> ids) {
    std::lock_guard guard{mutex_};
    peers_ = std::move(peers);
    peer_ids_ = std::move(ids);
  }
  std::vector<caf::actor> peers() const {
    std::lock_guard guard{mutex_};
    return peers_;
  }
  /// Node ids of peers() (empty strings where unknown).
  std::vector<std::string> peer_ids() const {
    std::lock_guard guard{mutex_};
    auto ids = peer_ids_;
    ids.resize(peers_.size());
    return ids;
  }
  void set_routing(shard_routing r) {
    std::lock_guard guard{mutex_};
    routing_ = std::move(r);
  }
  shard_routing routing() const {
    std::lock_guard guard{mutex_};
    return routing_;
  }
  caf::actor_system& system() const noexcept { return sys_; }
  const std::string& node_name() const noexcept { return node_name_; }
  std::chrono::milliseconds share_timeout() const noexcept { return share_timeout_; }

  /// The node's query memo, used for the leader's own shares (null: none).
  void set_memo(std::shared_ptr<query::memo_cache> memo) { memo_ = std::move(memo); }
  query::memo_cache* memo() const noexcept { return memo_.get(); }

private:
  caf::actor_system& sys_;
  std::string node_name_;
  std::chrono::milliseconds share_timeout_;
  std::shared_ptr<query::memo_cache> memo_; ///< set once before serving
  mutable std::mutex mutex_;
  std::vector<caf::actor> peers_;
  std::vector<std::string> peer_ids_;
  shard_routing routing_;
};

/// The result of a distributed run.
struct distributed_run {
  query::partial_result partial;
  query::query_stats stats;
  uint64_t blocks_read = 0;    ///< by the leader (its share and retried ones)
  uint64_t blocks_skipped = 0;
  std::vector<node_work> nodes; ///< the leader first
};

/// Runs `plan` (compiled from `text` at `now_ns`) over the leader's store
/// and its peers. With no peers this is a plain local run, unless this node
/// lacks older events of some shards (full_copy_from): then shards it does
/// not hold make the query fail with 503 (kind::cancelled).
/// @throws query::query_error (memory, cancelled).
distributed_run run_distributed(const query_cluster& cluster,
                                const std::shared_ptr<storage::event_store>& store,
                                const std::shared_ptr<const query::query_plan>& plan,
                                const std::string& text, int64_t now_ns,
                                const query::query_options& opts, int64_t epoch);

/// What an executor needs to run shares sent to its cluster endpoint.
struct share_executor {
  std::string node_name;
  std::shared_ptr<storage::event_store> store;
  size_t max_memory_bytes = size_t(1) << 30;
  /// The node's query memo (shared with /api/data), so repeated shares
  /// reuse per-block partials; null: none.
  std::shared_ptr<query::memo_cache> memo;
  std::chrono::milliseconds timeout{60000}; ///< cancels a share running longer
  /// Newest epoch seen on the cluster port (replication, queries, retention).
  std::shared_ptr<std::atomic<int64_t>> max_epoch = std::make_shared<std::atomic<int64_t>>(0);

  /// Records `epoch`; false if it is older than one already seen.
  bool admit_epoch(int64_t epoch) const;

  /// This node's log position (the next id it expects): a follower holding
  /// some shards is further along its log than its highest stored id (the
  /// committer publishes it).
  uint64_t log_position() const;
};

/// A one-shot detached worker running one share (spawned by the endpoint per
/// query message, so a long scan never blocks replication).
caf::behavior share_worker_actor(caf::event_based_actor* self,
                                 std::shared_ptr<const share_executor> exec);

} // namespace cairn
