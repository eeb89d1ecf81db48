#pragma once
/// Asks an actor from a non-actor thread without blocking it: a short-lived
/// actor sends the request and runs the continuation when the reply (or the
/// error) arrives; the continuation then posts its response to the session.
#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>

#include <chrono>

namespace cairn::net {

template <class OnReply, class OnError, class... Ts>
void ask(caf::actor_system& sys, const caf::actor& target, std::chrono::milliseconds timeout,
         OnReply on_reply, OnError on_error, Ts&&... xs) {
  sys.spawn([=, ... xs = std::forward<Ts>(xs)](caf::event_based_actor* self) mutable {
    self->request(target, timeout, std::move(xs)...).then(on_reply, on_error);
  });
}

} // namespace cairn::net
