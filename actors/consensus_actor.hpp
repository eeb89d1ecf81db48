#pragma once
/// The consensus module: every clock tick it acquires or renews the leader
/// lease row in the metastore (the database guarantees one winner) and tells
/// the node actor what it learned. It runs detached because metastore calls
/// block; the node actor enforces the lease deadline on its own ticks, so a
/// hung database call cannot keep a stale leader acting.
#include "actors/messages.hpp"
#include "storage/meta/metastore.hpp"

#include <caf/stateful_actor.hpp>

#include <chrono>
#include <optional>

namespace cairn {

struct consensus_options {
  std::string metastore_uri;
  std::string node_id;
  std::string lease_name = "leader";
  std::chrono::milliseconds lease{10000};
  std::chrono::milliseconds tick{1000};
  bool manual_leader = false; ///< DR mode: hold the lease permanently
  meta::node_info self;       ///< this node's membership row (id, name, URIs, shard)
};

struct consensus_state {
  static inline const char* name = "consensus";
  consensus_options options;
  std::optional<meta::metastore> store;
  caf::actor node;
  bool holding = false;
  bool retiring = false; ///< after release: only watch who leads, never acquire
  int64_t epoch = 0;
  bool registered = false;
  std::vector<meta::node_info> nodes; ///< membership as of the last tick
};

caf::behavior consensus_actor(caf::stateful_actor<consensus_state>* self,
                              consensus_options options, caf::actor node);

/// How long before its lease ends by its own clock a leader stops acting.
std::chrono::milliseconds lease_safety_margin(const consensus_options& o);

} // namespace cairn

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(std::vector<cairn::meta::node_info>)
