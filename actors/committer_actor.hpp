#pragma once
/// The ingest committer: the single writer of the node's event store.
///
/// As leader it assigns ids ((epoch << 40) | counter, unique cluster-wide),
/// appends each accepted batch in one durable LMDB transaction, ships it to
/// the followers (actors/replication.hpp) and only then lets the HTTP 201 go
/// out: at once with `ingest.ack = leader`, after a majority of the batch's
/// replicas hold it durably with `quorum`. As follower it applies the
/// leader's batches in log order. On activation it first pulls from every
/// reachable peer what it lacks, so acknowledged events survive fail-over.
///
/// Index passes run here too, on `index` messages from the indexer's timer:
/// LMDB allows one write transaction at a time, so serializing commits and
/// index passes in one actor costs nothing and keeps the store single-writer.
/// Runs detached: fsync and activation pulls block.
#include "actors/commit_waiter.hpp"
#include "actors/messages.hpp"
#include "actors/replication_lag.hpp"
#include "actors/shards.hpp"
#include "storage/event_store.hpp"

#include <caf/stateful_actor.hpp>
#include <caf/typed_response_promise.hpp>

#include <map>
#include <set>
#include <memory>
#include <vector>

namespace cairn {

struct committer_options {
  bool quorum_ack = false;  ///< ingest.ack = quorum
  size_t replicas = 1;      ///< copies each batch should have (leader included)
  std::chrono::milliseconds replication_timeout{5000};
};

/// One ingest request waiting for the next group commit. Answered through
/// `waiter` if it came directly from an HTTP route (actors/commit_waiter.hpp),
/// else through the response promise of its CAF request.
struct pending_ingest {
  storage::record_batch batch;
  caf::typed_response_promise<commit_result> promise;
  commit_waiter_ptr waiter;

  void answer(commit_result r) {
    if (waiter)
      waiter->answer(r);
    else
      promise.deliver(std::move(r));
  }
};

struct committer_state {
  static inline const char* name = "committer";
  std::shared_ptr<storage::event_store> store;
  committer_options options;
  bool active = false;
  int64_t epoch = 0;
  int64_t max_epoch_seen = 0; ///< fencing: older epochs are refused
  uint64_t next_id = 1;       ///< one past the highest id stored here
  /// Fencing: commits are refused once the steady clock passes this, even if
  /// no deactivation arrived (a node resumed after SIGSTOP must not commit
  /// on a lease that expired while it was paused).
  int64_t lease_valid_until_steady_ns = 0;
  std::vector<caf::actor> peers; ///< authenticated cluster endpoints
  /// Node id of each peer endpoint (from the cluster handshake), for lag.
  std::map<caf::actor_addr, std::string> peer_ids;
  /// Leader only: recent commits and each follower's acknowledged next id
  /// (actors/replication_lag.hpp).
  commit_log commits;
  std::map<std::string, uint64_t> acked_next;
  std::set<caf::actor_addr> probing; ///< followers with a position probe in flight
  /// Leader only: shards per follower node id (actors/shards.hpp), pushed
  /// by the consensus module from the placement. A follower without an
  /// entry gets every record (no placement yet: full copies).
  unsigned shard_count = 0;
  std::map<std::string, position_mask> peer_masks;
  /// Follower: a placement exists, so this node may hold only some shards.
  bool sharded = false;
  /// The placement as recorded (placement keeper, every tick): per-shard
  /// majorities for quorum acks, holders to pull each shard from.
  shard_quorum placement;
  std::string self_id;         ///< this node's id (from the placement keeper)
  bool placement_known = false; ///< a view arrived (possibly "no placement yet")
  /// A catch-up pull waits for the placement view (peers connected first).
  bool pull_pending = false;
  /// Group commit: ingest requests queue here and the next `flush` message
  /// (sent when the first one arrives, so it lands behind every request
  /// already in the mailbox) stores them all in one LMDB transaction: one
  /// fsync for every request that arrived while the previous one ran.
  std::vector<pending_ingest> pending;
  size_t pending_bytes = 0;
  bool flush_scheduled = false;
  storage::record_batch group; ///< reused concatenation of a group's batches
  std::map<caf::actor_addr, uint64_t> catching_up; ///< peer -> position last sent from
};

caf::behavior committer_actor(caf::stateful_actor<committer_state>* self,
                              std::shared_ptr<storage::event_store> store,
                              committer_options options);

/// The indexer: asks the committer for an index pass every period.
caf::behavior indexer_actor(caf::event_based_actor* self, caf::actor committer,
                            std::chrono::milliseconds period);

} // namespace cairn
