#include "actors/node_actor.hpp"

#include "actors/metrics.hpp"

#include <spdlog/spdlog.h>

namespace cairn {

namespace {

using self_ptr = caf::stateful_actor<node_actor_state>*;

/// Starts the next queued command if none is running.
void pump(self_ptr self) {
  auto& st = self->state;
  if (auto cmd = st.queue->start_next(std::chrono::steady_clock::now())) {
    spdlog::debug("node: running command {}", to_string(*cmd));
    self->send(st.dispatcher, command_atom::value, *cmd, st.epoch);
  }
}

void publish(self_ptr self) {
  auto& st = self->state;
  cluster_view::snapshot v;
  v.acting_leader = st.fsm.is_acting_leader();
  // Another node holds the lease: requests can be forwarded to it, also
  // while this node is stopping (graceful hand-over).
  v.follower = !v.acting_leader && !st.leader_id.empty() && st.leader_id != st.node_id &&
               (st.fsm.state() == node_state::follower || st.fsm.state() == node_state::stopped);
  v.leader_id = st.leader_id;
  v.leader_api_uri = st.leader_api_uri;
  v.epoch = st.epoch;
  st.view->set(std::move(v));
}

void apply(self_ptr self, node_event e) {
  auto& st = self->state;
  auto before = st.fsm.state();
  auto t = st.fsm.on(e);
  if (t.next != before)
    spdlog::info("node: {} -> {} on {} (epoch {})", to_string(before), to_string(t.next),
                 to_string(e), st.epoch);
  metrics::instance().is_leader = st.fsm.is_acting_leader() ? 1 : 0;
  publish(self);
  if (t.command) {
    st.queue->push(*t.command, std::chrono::steady_clock::now());
    pump(self);
  }
}

} // namespace

caf::behavior node_actor(self_ptr self, std::string node_id, caf::actor dispatcher,
                         caf::actor committer, size_t queue_capacity,
                         std::chrono::milliseconds command_deadline,
                         std::shared_ptr<cluster_view> view) {
  auto& st = self->state;
  st.node_id = std::move(node_id);
  st.dispatcher = std::move(dispatcher);
  st.committer = std::move(committer);
  st.view = std::move(view);
  st.queue = std::make_unique<command_queue>(queue_capacity, command_deadline);
  apply(self, node_event::init_complete);
  return {
    [=](lease_atom, const lease_status& ls) {
      auto& st = self->state;
      if (!ls.holder.empty()) {
        st.leader_id = ls.holder;
        st.leader_api_uri = ls.leader_api_uri;
      }
      switch (ls.kind) {
        case lease_status::acquired:
          if (ls.epoch != st.epoch && st.fsm.is_acting_leader()) {
            // A new epoch while we believed we led means we lost it in
            // between: step down before taking it up again.
            apply(self, node_event::lease_lost);
          }
          st.epoch = ls.epoch;
          st.lease_valid_until_steady_ns = ls.valid_until_steady_ns;
          self->send(st.committer, lease_atom::value, ls.epoch, ls.valid_until_steady_ns);
          metrics::instance().epoch = ls.epoch;
          apply(self, node_event::lease_acquired);
          break;
        case lease_status::held_elsewhere:
          st.epoch = std::max(st.epoch, ls.epoch);
          metrics::instance().epoch = st.epoch;
          apply(self, node_event::lease_held_elsewhere);
          break;
        case lease_status::lost:
          if (st.fsm.is_acting_leader() || st.fsm.state() == node_state::activating_leader)
            spdlog::warn("node: lease lost: {}", ls.reason);
          apply(self, node_event::lease_lost);
          break;
      }
    },
    [=](done_atom, node_command cmd) {
      auto& st = self->state;
      st.queue->complete(cmd);
      if (cmd == node_command::activate_leader)
        apply(self, node_event::activation_complete);
      else if (cmd == node_command::deactivate_leader)
        apply(self, node_event::deactivation_complete);
      pump(self);
    },
    [=](tick_atom) {
      auto& st = self->state;
      auto now = std::chrono::steady_clock::now();
      // Our own clock decides: past the safe end of the lease we stop acting
      // as leader even if the consensus module is stuck in a database call.
      auto now_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(now.time_since_epoch());
      if ((st.fsm.is_acting_leader() || st.fsm.state() == node_state::activating_leader) &&
          now_ns.count() > st.lease_valid_until_steady_ns) {
        spdlog::warn("node: lease deadline passed without renewal; stepping down");
        apply(self, node_event::lease_lost);
      }
      st.queue->check(now);
    },
    [=](stop_atom) { apply(self, node_event::stop_requested); },
    [=](status_atom) {
      auto& st = self->state;
      return node_status{st.node_id, std::string{to_string(st.fsm.state())},
                         st.fsm.is_acting_leader(), st.epoch, st.leader_id, st.leader_api_uri};
    },
  };
}

} // namespace cairn
