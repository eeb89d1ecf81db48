#pragma once
/// The node actor: owns the node state machine and the bounded command queue
/// with its monitor. Consensus reports lease rounds here; transitions publish
/// commands to the queue; the dispatcher runs them one at a time and reports
/// back; every clock tick the monitor checks the queue (SPEC.md §2).
#include "actors/cluster_view.hpp"
#include "actors/command_queue.hpp"
#include "actors/messages.hpp"
#include "actors/node_fsm.hpp"

#include <caf/event_based_actor.hpp>
#include <caf/stateful_actor.hpp>

namespace cairn {

struct node_actor_state {
  static inline const char* name = "node";
  std::string node_id;
  node_fsm fsm;
  std::unique_ptr<command_queue> queue;
  caf::actor dispatcher;
  caf::actor committer; ///< told every lease renewal, for commit-time fencing
  int64_t epoch = 0;
  std::string leader_id;
  std::string leader_api_uri;
  std::shared_ptr<cluster_view> view;
  int64_t lease_valid_until_steady_ns = 0; ///< act as leader only before this
};

/// Spawned with the dispatcher it sends commands to.
caf::behavior node_actor(caf::stateful_actor<node_actor_state>* self, std::string node_id,
                         caf::actor dispatcher, caf::actor committer, size_t queue_capacity,
                         std::chrono::milliseconds command_deadline,
                         std::shared_ptr<cluster_view> view);

} // namespace cairn
