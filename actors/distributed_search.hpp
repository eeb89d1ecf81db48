#pragma once
/// Distributed search (GET /api/events, GET /api/events/{id}) for sharded
/// clusters (SPEC.md §6, issue 5).
///
/// Searches are answered by the leader (followers proxy them). A leader that
/// led from the start stores every event it committed, so it searches its
/// own store (no fan-out: single-node and 3-node clusters run exactly as
/// before). A leader elected after holding only some shards holds every
/// shard from its activation position on (full_copy_from, the `cut`) but,
/// below it, only its own shards; the older events of the other shards live
/// on their holders. Then a search runs as:
///
///   1. the missing shards are grouped by live holder (least loaded first)
///      and each holder is asked, on the cluster port, for its newest
///      `count` matches of those shards below `cut`:
///        leader -> endpoint (search, epoch, filter, now_ns, from_ns, to_ns,
///                            count, has_before, before_ts, before_id,
///                            cut, shard_mask, shard_count)
///                 -> (packed records, node name, next id) | error
///      (the same filter, time range and paging bound "older than
///      (before_ts, before_id)" as the local search);
///   2. meanwhile the leader searches its own shards below `cut` and every
///      shard from `cut` on (disjoint id sets: nothing is counted twice);
///   3. the hit lists (each newest-first, at most `count`) are merged and
///      cut to `count`, which is exactly the page a full copy would return.
/// A holder that fails, times out or whose log has not reached `cut` has
/// its shards re-sent, shard by shard, to another live holder; a shard no
/// live holder can answer fails the search with 503 naming the shards
/// (query_error kind::cancelled), never a silently short page.
///
/// One event by id goes the same way: the local store first, then, when the
/// id lies below `cut` in a shard this node does not hold, each live holder
/// of that shard in turn:
///   leader -> endpoint (fetchev, epoch, id) -> (found, record, node name, next id)
#include "actors/distributed_query.hpp"
#include "actors/shards.hpp"
#include "query/executor.hpp"

#include <caf/atom.hpp>
#include <caf/behavior.hpp>
#include <caf/event_based_actor.hpp>

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace cairn {

using search_atom = caf::atom_constant<caf::atom("search")>;
using fetch_event_atom = caf::atom_constant<caf::atom("fetchev")>;

/// Which events this node can search itself and which shards it must ask
/// others for (see the file comment).
struct search_layout {
  /// Placement not known yet although this node lacks some shards: no
  /// answer can be complete (the caller answers 503).
  bool unknown = false;
  /// Below `cut` only the `held` shards are stored here; from `cut` on every
  /// shard is. 0: everything is here.
  uint64_t cut = 0;
  unsigned shard_count = 0;
  shard_mask held = 0;
  /// Per shard: live node ids holding it (this node excluded).
  std::vector<std::vector<std::string>> holders;

  /// Whether this node stores every event (no fan-out).
  bool local_only() const noexcept {
    return !unknown && (cut == 0 || shard_count == 0 || missing() == 0);
  }
  /// Shards whose events below `cut` are not stored here.
  shard_mask missing() const noexcept { return all_shards(shard_count) & ~held; }
  /// Whether the event `id` may exist but is not stored here.
  bool elsewhere(uint64_t id) const noexcept {
    return !unknown && !local_only() && id < cut && ((missing() >> shard_of(id, shard_count)) & 1);
  }
};

/// The layout of the node whose routing (from the leader's placement keeper)
/// is `routing` and whose full_copy_from() is `full_from`; unknown if it
/// lacks shards (full_from != 0) but no placement arrived yet.
search_layout make_search_layout(const shard_routing& routing, uint64_t full_from);

/// This node's layout, cheap when it holds everything (one atomic load).
search_layout current_search_layout(const query_cluster& cluster);

/// Groups the shards of `mask` by the live holder that answers them: for
/// each shard the least loaded holder of `holders[s]` not in `failed[s]`
/// (ties: smaller node id). Shards without such a holder are returned in
/// `unanswered`.
struct holder_assignment {
  std::map<std::string, shard_mask> by_node;
  shard_mask unanswered = 0;
};
holder_assignment assign_holders(shard_mask mask, unsigned shard_count,
                                 const std::vector<std::vector<std::string>>& holders,
                                 const std::vector<std::set<std::string>>& failed);

/// "shard(s) 0, 4, 8": the shards of `mask`, for error messages.
std::string shard_names(shard_mask mask, unsigned shard_count);

/// Merges `more` (newest first) into `into` (newest first), keeping the
/// newest `count` by (timestamp, id) descending.
void merge_newest(std::vector<query::search_hit>& into, std::vector<query::search_hit>&& more,
                  size_t count);

/// Packs hits' records for the wire (concatenated records: self-delimiting).
std::string pack_hits(const std::vector<query::search_hit>& hits);
/// Unpacks records packed by pack_hits; nullopt if the bytes are not records.
std::optional<std::vector<query::search_hit>> unpack_hits(std::string bytes);

/// One filtered search over the cluster.
struct search_request {
  std::string filter;  ///< filter text (signal already folded in)
  int64_t now_ns = 0;  ///< fixes now() identically on every node
  size_t count = 30;
  /// Paging: only events strictly older than (timestamp, id).
  std::optional<std::pair<int64_t, uint64_t>> before;
};

/// Searches this node's store and, where `layout` lacks shards, their live
/// holders; returns at most `count` hits, newest first.
/// @throws query::query_error (parse errors; kind::cancelled when a shard
/// cannot be read or the search was cancelled).
std::vector<query::search_hit> search_cluster(const query_cluster& cluster,
                                              const std::shared_ptr<storage::event_store>& store,
                                              const search_request& request,
                                              const query::query_options& opts, int64_t epoch,
                                              const search_layout& layout);

/// The outcome of looking one event up across the cluster.
struct fetched_event {
  enum kind_t : uint8_t { found, not_found, unavailable } kind = not_found;
  std::string record; ///< the record bytes when found
  std::string detail; ///< why unavailable
};

/// Looks `id` up here, then (if it lies in a shard stored elsewhere) on the
/// live holders of its shard, one after the other. Blocks the calling
/// thread for up to a share timeout per holder: call it off the I/O threads.
fetched_event fetch_event(const query_cluster& cluster,
                          const std::shared_ptr<storage::event_store>& store, uint64_t id,
                          int64_t epoch, const search_layout& layout);

/// A one-shot detached worker answering one search or fetch message from
/// the cluster endpoint (a scan never blocks replication).
caf::behavior search_worker_actor(caf::event_based_actor* self,
                                  std::shared_ptr<const share_executor> exec);

} // namespace cairn
