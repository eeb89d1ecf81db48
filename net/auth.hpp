#pragma once
/// Route-level authorization (SPEC.md §3): the API key comes from the
/// `X-Seq-ApiKey` header (the literal `null` means none) or `?apiKey=`.
/// Until the first key exists, loopback clients need none; after that every
/// protected route needs a key holding the route's permission:
/// missing/unknown key -> 401, lacking permission -> 403.
#include "net/node_services.hpp"
#include "storage/meta/api_key.hpp"

#include <functional>
#include <optional>

namespace cairn::net {

/// Continues with the authenticated key (nullopt: anonymous loopback access).
using authorized = std::function<void(std::optional<meta::api_key_info> key)>;

/// Checks `needed` for this request; on success calls `proceed`, otherwise
/// answers 401/403/503 through `respond` itself.
void authorize(const node_services& s, const request& req, const request_info& info,
               meta::permission needed, responder respond, authorized proceed);

/// Wraps a handler so it runs only for requests holding the Read permission.
handler require_read(const node_services& s, handler inner);

/// The presented token, if any.
std::optional<std::string> presented_token(const request& req, const request_info& info);

} // namespace cairn::net
