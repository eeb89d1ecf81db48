#include "actors/dispatcher_actor.hpp"

#include <spdlog/spdlog.h>

#include <memory>

namespace cairn {

caf::behavior dispatcher_actor(caf::stateful_actor<dispatcher_state>* self,
                               std::vector<caf::actor> leader_services) {
  self->state.leader_services = std::move(leader_services);
  return {
    [=](command_atom, node_command cmd, int64_t epoch) {
      auto node = caf::actor_cast<caf::actor>(self->current_sender());
      auto& services = self->state.leader_services;
      bool activating = cmd == node_command::activate_leader;
      if ((cmd != node_command::activate_leader && cmd != node_command::deactivate_leader) ||
          services.empty()) {
        self->send(node, done_atom::value, cmd);
        return;
      }
      // Fan out and report once every service has answered. No timeout here
      // on purpose: a service that never answers leaves the command running,
      // and the command queue monitor terminates the node past its deadline.
      auto remaining = std::make_shared<size_t>(services.size());
      for (auto& service : services) {
        auto on_reply = [=](bool) {
          if (--*remaining == 0)
            self->send(node, done_atom::value, cmd);
        };
        if (activating)
          self->request(service, caf::infinite, activate_atom::value, epoch)
            .then(on_reply, [=](caf::error& err) {
              spdlog::error("dispatcher: activation failed: {}", to_string(err));
            });
        else
          self->request(service, caf::infinite, deactivate_atom::value)
            .then(on_reply, [=](caf::error& err) {
              spdlog::error("dispatcher: deactivation failed: {}", to_string(err));
            });
      }
    },
  };
}

} // namespace cairn
