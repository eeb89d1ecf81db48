#pragma once
/// The command dispatcher: runs node commands by starting or stopping the
/// leader-only services (each answers activate/deactivate when done), then
/// reports `done` to the node actor. Commands arrive one at a time because
/// the node's command queue lets only one run.
#include "actors/messages.hpp"

#include <caf/stateful_actor.hpp>

#include <vector>

namespace cairn {

struct dispatcher_state {
  static inline const char* name = "dispatcher";
  std::vector<caf::actor> leader_services;
};

caf::behavior dispatcher_actor(caf::stateful_actor<dispatcher_state>* self,
                               std::vector<caf::actor> leader_services);

} // namespace cairn
