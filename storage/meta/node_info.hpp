#pragma once

// Cluster membership rows (`nodes` table), written by each node's
// heartbeat and read by the leader and `cairn node` commands.

#include <cstdint>
#include <string>

namespace cairn::meta {

/// One node of the cluster as recorded in the metastore.
struct node_info {
  /// Stable node id (generated once per storage root).
  std::string id;
  /// Human name given by `cairn node setup --node-name`.
  std::string name;
  /// Address of the cluster (replication) listener.
  std::string cluster_uri;
  /// Address of the internal API used for proxying to the leader.
  std::string internal_uri;
  /// Public HTTP API address.
  std::string api_uri;
  /// Current role name ("leader", "follower", ...).
  std::string role;
  /// Lease epoch the node last saw.
  int64_t epoch = 0;
  /// Process generation (increments at every start of the node).
  int64_t generation = 0;
  /// Unix ms of the last heartbeat.
  int64_t last_heartbeat_ms = 0;
  /// Shard the node stores; empty if unsharded.
  std::string shard_id;
  /// How far the node's data lags behind the leader, in ms.
  int64_t data_age_ms = 0;
  /// Free-form health summary ("ok", "degraded: ...").
  std::string health;
};

} // namespace cairn::meta
