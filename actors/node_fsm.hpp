#pragma once
/// The node state machine of SPEC.md §2 as pure logic: (state, event) ->
/// (next state, command to publish). The node actor owns one instance and
/// feeds it events from the consensus module and the dispatcher; commands go
/// to the bounded command queue. Kept free of CAF so the whole transition
/// table is tested exhaustively.
#include <cstdint>
#include <optional>
#include <string_view>

namespace cairn {

enum class node_state : uint8_t {
  starting, follower, candidate, activating_leader, leader, deactivating, stopped,
};
inline constexpr int node_state_count = 7;

enum class node_event : uint8_t {
  init_complete,          ///< storage and metastore opened
  lease_acquired,         ///< we hold (or renewed) the lease
  lease_held_elsewhere,   ///< another node holds a valid lease
  lease_lost,             ///< renewal failed or our own clock passed the safe deadline
  activation_complete,    ///< leader-only services are running
  deactivation_complete,  ///< leader-only services have stopped
  stop_requested,         ///< SIGTERM / shutdown
};
inline constexpr int node_event_count = 7;

enum class node_command : uint8_t { activate_leader, deactivate_leader, follow, stop_node };

std::string_view to_string(node_state s) noexcept;
std::string_view to_string(node_event e) noexcept;
std::string_view to_string(node_command c) noexcept;

/// Result of one transition.
struct node_transition {
  node_state next;
  std::optional<node_command> command;
};

/// The state machine. Not thread-safe; owned by the node actor.
class node_fsm {
public:
  node_state state() const noexcept { return state_; }

  /// True while this node may act as leader (commit ingest, run services).
  bool is_acting_leader() const noexcept { return state_ == node_state::leader; }

  /// Applies an event; returns the transition taken (next may equal state).
  node_transition on(node_event e) noexcept;

  /// The pure transition function, exposed for exhaustive tests.
  /// `stop_pending` is the machine's memory of a stop asked for while a
  /// deactivation was running.
  static node_transition transition(node_state s, node_event e, bool stop_pending) noexcept;

private:
  node_state state_ = node_state::starting;
  bool stop_pending_ = false;
};

} // namespace cairn
