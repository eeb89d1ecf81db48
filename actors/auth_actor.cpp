#include "actors/auth_actor.hpp"

#include <spdlog/spdlog.h>

namespace cairn {

namespace {

using self_ptr = caf::stateful_actor<auth_state>*;

bool ensure_store(self_ptr self) {
  auto& st = self->state;
  if (st.store)
    return true;
  auto opened = meta::metastore::open(st.metastore_uri);
  if (!opened) {
    spdlog::warn("auth: metastore unavailable: {}", opened.error().message);
    return false;
  }
  st.store.emplace(std::move(*opened));
  return true;
}

void refresh(self_ptr self) {
  auto& st = self->state;
  st.cache.clear();
  if (!ensure_store(self))
    return;
  auto n = st.store->api_key_count();
  if (!n) {
    spdlog::warn("auth: cannot count API keys: {}", n.error().message);
    st.store.reset();
    return;
  }
  st.snapshot->key_count = static_cast<int64_t>(*n);
}

} // namespace

caf::behavior auth_actor(self_ptr self, std::string metastore_uri,
                         std::shared_ptr<auth_snapshot> snapshot) {
  self->state.metastore_uri = std::move(metastore_uri);
  self->state.snapshot = std::move(snapshot);
  refresh(self);
  return {
    [=](tick_atom) { refresh(self); },
    [=](auth_atom, const std::string& token) {
      auto& st = self->state;
      auto hash = meta::hash_token(token);
      if (auto i = st.cache.find(hash); i != st.cache.end())
        return i->second;
      auth_result r;
      if (!ensure_store(self)) {
        r.error = "metastore unavailable";
        return r;
      }
      auto found = st.store->authenticate(token);
      if (!found) {
        r.error = found.error().message;
        st.store.reset();
        return r;
      }
      if (*found) {
        r.found = true;
        r.key = **found;
        // A key exists, whatever the count of the last tick said: from now
        // on clients without one are refused (the next tick counts exactly).
        int64_t none = 0;
        st.snapshot->key_count.compare_exchange_strong(none, 1);
      }
      st.cache.emplace(hash, r);
      return r;
    },
  };
}

} // namespace cairn
