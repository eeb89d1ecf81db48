#pragma once
/// The clock: sends `tick` to its subscribers every period. Ticks drive lease
/// renewal, heartbeats and the command queue monitor, so every periodic duty
/// of a node has one time source.
#include "actors/messages.hpp"

#include <caf/event_based_actor.hpp>

#include <chrono>
#include <vector>

namespace cairn {

caf::behavior clock_actor(caf::event_based_actor* self, std::vector<caf::actor> subscribers,
                          std::chrono::milliseconds period);

} // namespace cairn
