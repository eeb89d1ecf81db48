#include "actors/node_fsm.hpp"

#include <doctest/doctest.h>

#include <optional>

using namespace cairn;

namespace {

using S = node_state;
using E = node_event;
using C = node_command;

struct row {
  S from;
  E event;
  S to;
  std::optional<C> command;
};

// The whole transition table (stop not pending), written out independently
// of the implementation: every (state, event) pair appears exactly once.
const row table[] = {
  {S::starting, E::init_complete, S::candidate, {}},
  {S::starting, E::lease_acquired, S::starting, {}},
  {S::starting, E::lease_held_elsewhere, S::starting, {}},
  {S::starting, E::lease_lost, S::starting, {}},
  {S::starting, E::activation_complete, S::starting, {}},
  {S::starting, E::deactivation_complete, S::starting, {}},
  {S::starting, E::stop_requested, S::stopped, C::stop_node},

  {S::candidate, E::init_complete, S::candidate, {}},
  {S::candidate, E::lease_acquired, S::activating_leader, C::activate_leader},
  {S::candidate, E::lease_held_elsewhere, S::follower, C::follow},
  {S::candidate, E::lease_lost, S::candidate, {}},
  {S::candidate, E::activation_complete, S::candidate, {}},
  {S::candidate, E::deactivation_complete, S::candidate, {}},
  {S::candidate, E::stop_requested, S::stopped, C::stop_node},

  {S::follower, E::init_complete, S::follower, {}},
  {S::follower, E::lease_acquired, S::activating_leader, C::activate_leader},
  {S::follower, E::lease_held_elsewhere, S::follower, {}},
  {S::follower, E::lease_lost, S::candidate, {}},
  {S::follower, E::activation_complete, S::follower, {}},
  {S::follower, E::deactivation_complete, S::follower, {}},
  {S::follower, E::stop_requested, S::stopped, C::stop_node},

  {S::activating_leader, E::init_complete, S::activating_leader, {}},
  {S::activating_leader, E::lease_acquired, S::activating_leader, {}},
  {S::activating_leader, E::lease_held_elsewhere, S::deactivating, C::deactivate_leader},
  {S::activating_leader, E::lease_lost, S::deactivating, C::deactivate_leader},
  {S::activating_leader, E::activation_complete, S::leader, {}},
  {S::activating_leader, E::deactivation_complete, S::activating_leader, {}},
  {S::activating_leader, E::stop_requested, S::deactivating, C::deactivate_leader},

  {S::leader, E::init_complete, S::leader, {}},
  {S::leader, E::lease_acquired, S::leader, {}},
  {S::leader, E::lease_held_elsewhere, S::deactivating, C::deactivate_leader},
  {S::leader, E::lease_lost, S::deactivating, C::deactivate_leader},
  {S::leader, E::activation_complete, S::leader, {}},
  {S::leader, E::deactivation_complete, S::leader, {}},
  {S::leader, E::stop_requested, S::deactivating, C::deactivate_leader},

  {S::deactivating, E::init_complete, S::deactivating, {}},
  {S::deactivating, E::lease_acquired, S::deactivating, {}},
  {S::deactivating, E::lease_held_elsewhere, S::deactivating, {}},
  {S::deactivating, E::lease_lost, S::deactivating, {}},
  {S::deactivating, E::activation_complete, S::deactivating, {}},
  {S::deactivating, E::deactivation_complete, S::candidate, {}},
  {S::deactivating, E::stop_requested, S::deactivating, {}},

  {S::stopped, E::init_complete, S::stopped, {}},
  {S::stopped, E::lease_acquired, S::stopped, {}},
  {S::stopped, E::lease_held_elsewhere, S::stopped, {}},
  {S::stopped, E::lease_lost, S::stopped, {}},
  {S::stopped, E::activation_complete, S::stopped, {}},
  {S::stopped, E::deactivation_complete, S::stopped, {}},
  {S::stopped, E::stop_requested, S::stopped, {}},
};

} // namespace

TEST_SUITE("actors.node_fsm") {

TEST_CASE("the transition table covers every state and event exactly once") {
  int seen[node_state_count][node_event_count] = {};
  for (const auto& r : table)
    ++seen[static_cast<int>(r.from)][static_cast<int>(r.event)];
  for (int s = 0; s < node_state_count; ++s)
    for (int e = 0; e < node_event_count; ++e) {
      INFO(to_string(static_cast<S>(s)), " / ", to_string(static_cast<E>(e)));
      CHECK(seen[s][e] == 1);
    }
}

TEST_CASE("every transition without a pending stop matches the table") {
  for (const auto& r : table) {
    INFO(to_string(r.from), " + ", to_string(r.event));
    auto t = node_fsm::transition(r.from, r.event, false);
    CHECK(t.next == r.to);
    CHECK(t.command == r.command);
  }
}

TEST_CASE("a pending stop only changes where deactivation ends") {
  for (const auto& r : table) {
    INFO(to_string(r.from), " + ", to_string(r.event));
    auto t = node_fsm::transition(r.from, r.event, true);
    if (r.from == S::deactivating && r.event == E::deactivation_complete) {
      CHECK(t.next == S::stopped);
      CHECK(t.command == C::stop_node);
    } else {
      CHECK(t.next == r.to);
      CHECK(t.command == r.command);
    }
  }
}

TEST_CASE("a leader asked to stop deactivates first and then stops") {
  node_fsm fsm;
  fsm.on(E::init_complete);
  fsm.on(E::lease_acquired);
  fsm.on(E::activation_complete);
  CHECK(fsm.is_acting_leader());
  auto t = fsm.on(E::stop_requested);
  CHECK(t.command == C::deactivate_leader);
  CHECK_FALSE(fsm.is_acting_leader());
  t = fsm.on(E::deactivation_complete);
  CHECK(fsm.state() == S::stopped);
  CHECK(t.command == C::stop_node);
}

TEST_CASE("only the leader state acts as leader") {
  for (int s = 0; s < node_state_count; ++s) {
    node_fsm fsm;
    // Drive to each state through real events.
    switch (static_cast<S>(s)) {
      case S::starting: break;
      case S::candidate: fsm.on(E::init_complete); break;
      case S::follower: fsm.on(E::init_complete); fsm.on(E::lease_held_elsewhere); break;
      case S::activating_leader: fsm.on(E::init_complete); fsm.on(E::lease_acquired); break;
      case S::leader:
        fsm.on(E::init_complete); fsm.on(E::lease_acquired); fsm.on(E::activation_complete);
        break;
      case S::deactivating:
        fsm.on(E::init_complete); fsm.on(E::lease_acquired); fsm.on(E::lease_lost);
        break;
      case S::stopped: fsm.on(E::stop_requested); break;
    }
    CHECK(fsm.state() == static_cast<S>(s));
    CHECK(fsm.is_acting_leader() == (static_cast<S>(s) == S::leader));
  }
}

}
