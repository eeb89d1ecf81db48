#include "actors/clock_actor.hpp"

namespace cairn {

caf::behavior clock_actor(caf::event_based_actor* self, std::vector<caf::actor> subscribers,
                          std::chrono::milliseconds period) {
  self->send(self, tick_atom::value);
  return {
    [=](tick_atom) {
      for (auto& s : subscribers)
        self->send(s, tick_atom::value);
      self->delayed_send(self, period, tick_atom::value);
    },
  };
}

} // namespace cairn
