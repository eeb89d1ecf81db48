#include "actors/node_fsm.hpp"

namespace cairn {

std::string_view to_string(node_state s) noexcept {
  switch (s) {
    case node_state::starting: return "starting";
    case node_state::follower: return "follower";
    case node_state::candidate: return "candidate";
    case node_state::activating_leader: return "activating_leader";
    case node_state::leader: return "leader";
    case node_state::deactivating: return "deactivating";
    case node_state::stopped: return "stopped";
  }
  return "?";
}

std::string_view to_string(node_event e) noexcept {
  switch (e) {
    case node_event::init_complete: return "init_complete";
    case node_event::lease_acquired: return "lease_acquired";
    case node_event::lease_held_elsewhere: return "lease_held_elsewhere";
    case node_event::lease_lost: return "lease_lost";
    case node_event::activation_complete: return "activation_complete";
    case node_event::deactivation_complete: return "deactivation_complete";
    case node_event::stop_requested: return "stop_requested";
  }
  return "?";
}

std::string_view to_string(node_command c) noexcept {
  switch (c) {
    case node_command::activate_leader: return "activate_leader";
    case node_command::deactivate_leader: return "deactivate_leader";
    case node_command::follow: return "follow";
    case node_command::stop_node: return "stop_node";
  }
  return "?";
}

node_transition node_fsm::transition(node_state s, node_event e, bool stop_pending) noexcept {
  using S = node_state;
  using E = node_event;
  using C = node_command;
  auto stay = node_transition{s, std::nullopt};
  if (s == S::stopped)
    return stay;
  switch (s) {
    case S::starting:
      if (e == E::init_complete)
        return {S::candidate, std::nullopt};
      if (e == E::stop_requested)
        return {S::stopped, C::stop_node};
      return stay;
    case S::candidate:
    case S::follower:
      switch (e) {
        case E::lease_acquired: return {S::activating_leader, C::activate_leader};
        case E::lease_held_elsewhere:
          return s == S::follower ? stay : node_transition{S::follower, C::follow};
        case E::lease_lost: return {S::candidate, std::nullopt};
        case E::stop_requested: return {S::stopped, C::stop_node};
        default: return stay;
      }
    case S::activating_leader:
      switch (e) {
        case E::activation_complete: return {S::leader, std::nullopt};
        // Losing the lease mid-activation: deactivate at once. The command
        // queue monitor terminates the node if activation never finishes.
        case E::lease_lost:
        case E::lease_held_elsewhere:
        case E::stop_requested: return {S::deactivating, C::deactivate_leader};
        default: return stay;
      }
    case S::leader:
      switch (e) {
        case E::lease_lost:
        case E::lease_held_elsewhere:
        case E::stop_requested: return {S::deactivating, C::deactivate_leader};
        default: return stay;
      }
    case S::deactivating:
      if (e == E::deactivation_complete)
        return stop_pending ? node_transition{S::stopped, C::stop_node}
                            : node_transition{S::candidate, std::nullopt};
      return stay;
    case S::stopped:
      return stay;
  }
  return stay;
}

node_transition node_fsm::on(node_event e) noexcept {
  if (e == node_event::stop_requested)
    stop_pending_ = true;
  auto t = transition(state_, e, stop_pending_);
  state_ = t.next;
  return t;
}

} // namespace cairn
