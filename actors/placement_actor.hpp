#pragma once
/// The placement keeper (issue 5 item 2; layout in actors/shards.hpp). Runs
/// on every node, acts only while the node leads. Every tick it reads the
/// membership and `shard_replicas` from the metastore, then:
///  1. tells the committer each follower's shard mask (what it replicates);
///  2. gives every shard with fewer than `cluster.replication` holders
///     (capped by the registered holders) a copy on the least loaded live
///     node: the committer copies the shard's events there, and only then
///     is the holder recorded in the metastore;
///  3. publishes shard -> live holder node ids for distributed queries.
/// `remove` (cairn node remove / DELETE /api/cluster/nodes/NAME) takes a
/// dead node out of the membership and, unless another node carries its
/// shard id, out of the placement, then re-replicates at once and answers
/// what moved.
///
/// Detached: metastore calls and shard copies block, and must not delay the
/// consensus module's lease renewals.
#include "actors/cluster_view.hpp"
#include "actors/distributed_query.hpp"
#include "actors/messages.hpp"
#include "storage/meta/metastore.hpp"

#include <caf/stateful_actor.hpp>

#include <chrono>
#include <memory>
#include <optional>
#include <string>

namespace cairn {

using remove_atom = caf::atom_constant<caf::atom("remove")>;

struct placement_options {
  std::string metastore_uri;
  std::string node_id;
  std::string shard_id;   ///< this node's holder name (node id if unset)
  unsigned shard_count = 12;
  size_t replication = 3;
  std::chrono::milliseconds heartbeat_stale{3000}; ///< older heartbeat: node is down
  std::chrono::milliseconds copy_timeout{600000};  ///< bound of one addshards copy
  /// The first placement waits for this many live nodes (the configured
  /// cluster: peers + 1), or `initial_wait` of leading, whichever is first,
  /// so nodes starting a moment later get their share of the shards.
  size_t expected_nodes = 1;
  std::chrono::milliseconds initial_wait{10000};
};

struct placement_state {
  static inline const char* name = "placement";
  placement_options options;
  std::optional<meta::metastore> store;
  caf::actor committer;
  std::shared_ptr<cluster_view> view;
  std::shared_ptr<query_cluster> queries; ///< may be null (queries not distributed)
  bool was_leading = false;
  std::chrono::steady_clock::time_point leading_since;
  bool told_sharded = false; ///< the committer knows a placement exists
};

/// Whether the placement gives `shard_id` fewer than all `shard_count`
/// shards (false when there is no placement yet, or it cannot be read).
/// Read once at start-up, before any peer connects: such a node must not
/// pull every shard from its peers (it waits for the leader's catch-up of
/// its own shards).
bool holds_some_shards_only(const std::string& metastore_uri, const std::string& shard_id,
                            unsigned shard_count);

caf::behavior placement_actor(caf::stateful_actor<placement_state>* self,
                              placement_options options, caf::actor committer,
                              std::shared_ptr<cluster_view> view,
                              std::shared_ptr<query_cluster> queries);

} // namespace cairn
