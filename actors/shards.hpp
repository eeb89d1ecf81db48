#pragma once
/// Shards and placement (SPEC.md §6, issue 5 item 2).
///
/// Layout. The stream is split into a fixed number of shards
/// (`cluster.shards`, at most 64) over the leader-assigned ids:
///   shard_of(id) = (id >> shard_chunk_bits) % shard_count
/// i.e. runs of 1024 consecutive ids go round-robin to the shards. Why this
/// and not time segments or a per-event hash:
/// - ids are the replication log's positions ((epoch << 40) | counter), so a
///   shard is a fixed, leader-independent function of the position: no
///   metadata is needed to know where an event belongs, before or after a
///   fail-over, and a follower's "log position" stays one number;
/// - 1024-id chunks keep consecutive ids together, so a follower appends a
///   batch's part of its shards in a few durable runs, never one per event;
/// - every shard gets a slice of every time range, so a query over any
///   window spreads over all shard holders (time segments would put a
///   recent-window query on one replica set).
///
/// Placement. Each shard is held by `cluster.replication` nodes (capped by
/// the number of registered nodes). A holder is named by the node's
/// `shard_id` (`cairn node setup --shard-id`, else its node id), never by
/// its node id, so a node started with the shard id of a dead node is, for
/// placement, that node: it receives a full copy of exactly those shards
/// (the leader's catch-up is filtered by the shard mask) and takes its place
/// in queries. Placement lives in the metastore (`shard_replicas`); a
/// holder is recorded only after it received a full copy of the shard.
///
/// The leader stores every event it commits (it is the write-ahead log), so
/// a leader that led from the start can answer for a shard whose holders
/// are all down. A leader elected after holding some shards only holds
/// every shard from its activation position on (full_copy_from); older
/// events of the others are read from their live holders (aggregates:
/// actors/distributed_query.hpp; searches and events by id:
/// actors/distributed_search.hpp), and a query that cannot reach any
/// answers 503 rather than count short.
///
/// Quorum. With `ingest.ack = quorum` a batch is acknowledged when, for
/// every shard its ids fall into, a majority of that shard's recorded
/// holders have it durably (shard_quorum); the leader counts only for the
/// shards it holds.
#include <atomic>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace cairn {

/// Ids per chunk that go to one shard together.
inline constexpr int shard_chunk_bits = 10;
/// Shard masks are 64-bit: at most 64 shards.
inline constexpr unsigned max_shards = 64;

/// The shard of an event id.
inline unsigned shard_of(uint64_t id, unsigned shard_count) {
  return static_cast<unsigned>((id >> shard_chunk_bits) % shard_count);
}

/// A set of shards as bits (bit s = shard s).
using shard_mask = uint64_t;

/// Every shard of a layout with `shard_count` shards.
inline shard_mask all_shards(unsigned shard_count) {
  return shard_count >= 64 ? ~shard_mask{0} : (shard_mask{1} << shard_count) - 1;
}

/// Whether `mask` holds the shard of `id`.
inline bool mask_holds(shard_mask mask, uint64_t id, unsigned shard_count) {
  return (mask >> shard_of(id, shard_count)) & 1;
}

/// One placement row: `holder` (a node's shard id) holds `shard`.
struct shard_copy_plan {
  unsigned shard = 0;
  std::string holder;
};

/// Holders chosen for shards that have fewer than `replication` of them:
/// among `live_holders` (shard ids of nodes that heartbeat), each missing
/// copy goes to the node holding the fewest shards (ties: smallest shard
/// id), never twice to the same node. `placement` maps shard -> holders.
/// Deterministic, so every leader plans alike.
std::vector<shard_copy_plan>
plan_missing_copies(unsigned shard_count, size_t replication,
                    const std::map<unsigned, std::vector<std::string>>& placement,
                    const std::vector<std::string>& live_holders);

/// Which node answers which shards in a distributed query: each shard goes
/// to one of its live holders (`holders` of shard s: node ids, the leader's
/// `self` among them where placed), the least loaded so far (a tie prefers
/// a follower), so n nodes get about shard_count / n each. A shard without
/// a live holder goes to the leader, which holds what it committed.
/// Returns node id -> mask; the leader's entry is `self`.
std::map<std::string, shard_mask>
assign_query_shards(unsigned shard_count, const std::vector<std::vector<std::string>>& holders,
                    const std::string& self);

/// Shards the ids [first, end) fall into.
shard_mask shards_of_range(uint64_t first, uint64_t end, unsigned shard_count);

/// One registered node as the placement records it: its node id, its holder
/// name (shard id) and the shards recorded for that holder.
struct placed_node {
  std::string node_id;
  std::string holder;
  shard_mask mask = 0;
};

/// Per-shard majorities for `ingest.ack = quorum` (issue 5 item 3): a batch
/// is acknowledged when, for EVERY shard its ids fall into, a majority of
/// that shard's recorded holders (dead ones included: they are still
/// replicas) have persisted it. Holders are counted by holder name, so a
/// replacement node carrying a dead node's shard id is that replica. The
/// leader counts for a shard only if it is one of its holders.
/// Built by the committer from the placement keeper's view; a value type.
class shard_quorum {
public:
  shard_quorum() = default;
  shard_quorum(unsigned shard_count, std::vector<placed_node> nodes);

  /// No placement (or no shards): quorum is counted per batch instead.
  bool empty() const { return shard_count_ == 0 || holders_.empty(); }
  unsigned shard_count() const { return shard_count_; }

  /// Shards of `touched` that lack a majority of their holders among the
  /// node ids in `confirmed` (0: the batch is acknowledged). A shard with
  /// no recorded holder is never satisfied.
  shard_mask short_of(shard_mask touched, const std::vector<std::string>& confirmed) const;

  /// The recorded shards of node `node_id` (0 if it holds none or is unknown).
  shard_mask mask_of(const std::string& node_id) const;

  /// Node ids holding shard `s`, in registration order.
  std::vector<std::string> holders_of(unsigned s) const;

private:
  unsigned shard_count_ = 0;
  std::vector<placed_node> nodes_;
  std::vector<size_t> holders_; ///< per shard: distinct holder names
};

/// The lowest id from which this node's store holds every shard: 0 if it
/// always held every shard (it led from the start, or was a full copy),
/// else its log position when it began leading after holding only some
/// (what it pulled from every peer on activation covers all shards from
/// there). Written by the committer, read by the query planner's threads.
std::atomic<uint64_t>& full_copy_from();

/// A follower's shard mask as a function of the log position: shards added
/// at `since` apply to ids >= since only (older ids of a newly placed shard
/// arrive by a separate copy, so nothing is sent twice).
class position_mask {
public:
  /// Starts as `mask` for every id.
  explicit position_mask(shard_mask mask = ~shard_mask{0}) { steps_.push_back({0, mask}); }

  /// From id `since` on, the mask is `mask`.
  void change(uint64_t since, shard_mask mask);
  /// The mask that applies to `id`.
  shard_mask at(uint64_t id) const;
  /// The newest mask.
  shard_mask current() const { return steps_.back().mask; }
  /// Whether every position holds every one of `shard_count` shards.
  bool holds_all(unsigned shard_count) const {
    for (const auto& s : steps_)
      if ((s.mask & all_shards(shard_count)) != all_shards(shard_count))
        return false;
    return true;
  }

private:
  struct step {
    uint64_t since;
    shard_mask mask;
  };
  std::vector<step> steps_; ///< ascending `since`, first at 0
};

} // namespace cairn
