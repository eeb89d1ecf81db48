#pragma once
/// The follower proxy (SPEC.md §2): a follower forwards API requests to the
/// leader's internal API and relays the answer with status and headers
/// preserved and X-Forwarded-For added. Requests already forwarded once are
/// never forwarded again (no loops while leadership moves); with no reachable
/// leader the client gets 503 + Retry-After, which every Seq and OTel client
/// retries.
///
/// Bodies are relayed whole (both sides are already bounded by
/// ingest.maxBodyBytes), not streamed chunk by chunk.
#include "net/http_types.hpp"

#include <boost/asio/io_context.hpp>

#include <chrono>
#include <functional>
#include <string>

namespace cairn::net {

/// Header marking a request forwarded by a follower.
inline constexpr const char* forwarded_header = "X-Cairn-Forwarded";

/// Called when the leader could not be connected to (nothing was sent).
using on_unreachable = std::function<void()>;

void forward_to_leader(boost::asio::io_context& ioc, const std::string& leader_api_uri,
                       request& req, const request_info& info, responder respond,
                       std::chrono::milliseconds timeout, on_unreachable unreachable = {});

/// How a follower finds the leader while leadership moves.
struct forward_policy {
  /// The current leader's internal API URI, or "" while none is known.
  std::function<std::string()> leader_uri;
  /// How long to keep trying (unknown or unreachable leader) before 503:
  /// about a lease plus a tick, the longest an election takes.
  std::chrono::milliseconds budget{11000};
  std::chrono::milliseconds retry_every{100};
  std::chrono::milliseconds timeout{60000}; ///< for the forwarded exchange
};

/// Forwards to the leader, holding the request and retrying while no leader
/// is known or the known one refuses connections, so a fail-over or a
/// graceful leader restart is invisible to clients; 503 once the budget is
/// spent.
void forward_with_retry(boost::asio::io_context& ioc, const forward_policy& policy,
                        request& req, const request_info& info, responder respond);

} // namespace cairn::net
