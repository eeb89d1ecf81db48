#pragma once
/// API key authentication for the HTTP layer. The actor owns its own
/// metastore session (detached: SQL blocks), answers `auth` requests for a
/// token with the key's info, and every tick republishes the number of keys
/// so the HTTP threads can tell "keys required" without asking. Results are
/// cached by token hash until the next tick, so a hot client costs one
/// hash-map lookup per request and a removed key stops working within a tick.
#include "actors/messages.hpp"
#include "storage/meta/metastore.hpp"

#include <caf/stateful_actor.hpp>

#include <atomic>
#include <memory>
#include <optional>
#include <unordered_map>

namespace cairn {

using auth_atom = caf::atom_constant<caf::atom("auth")>;

/// What the HTTP threads read without messaging: written only by the auth actor.
struct auth_snapshot {
  std::atomic<int64_t> key_count{-1}; ///< -1 until the first refresh
};

/// Reply to an auth request (local-only).
struct auth_result {
  bool found = false;
  meta::api_key_info key;
  std::string error; ///< metastore failure, if any
};

struct auth_state {
  static inline const char* name = "auth";
  std::string metastore_uri;
  std::optional<meta::metastore> store;
  std::shared_ptr<auth_snapshot> snapshot;
  std::unordered_map<std::string, auth_result> cache; ///< token hash -> result
};

caf::behavior auth_actor(caf::stateful_actor<auth_state>* self, std::string metastore_uri,
                         std::shared_ptr<auth_snapshot> snapshot);

} // namespace cairn

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(cairn::auth_result)
