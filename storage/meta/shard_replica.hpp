#pragma once

// Shard placement rows (`shard_replicas` table, migration 3): which holder
// (a node's shard id) has a full copy of which shard. Written by the leader
// (actors/shards.hpp explains the layout), read by every leader after it.

#include <cstdint>
#include <string>

namespace cairn::meta {

struct shard_replica {
  /// Shard number, 0 .. cluster.shards - 1.
  int shard = 0;
  /// The holder's shard id (node_info::shard_id), not its node id.
  std::string holder;
  /// Unix ms when the holder had received its full copy.
  int64_t placed_ms = 0;
};

} // namespace cairn::meta
