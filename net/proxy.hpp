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

/// Polled while a forwarded exchange waits for the leader's answer; true
/// once the leader it was sent to is no longer the leader.
using is_deposed = std::function<bool()>;

/// How one forwarded exchange is bounded.
struct exchange_limits {
  std::chrono::milliseconds timeout{60000}; ///< the whole exchange, connect to last byte
  is_deposed deposed;                       ///< may be empty: never abandoned early
  std::chrono::milliseconds watch_every{100};
};

/// Forwards one request to `leader_api_uri` and relays the answer. Answers
/// 503 + Retry-After when the exchange fails or times out, or as soon as
/// `limits.deposed` says the leader lost its lease: a deposed leader may be
/// hung or cut off and never answer, and the client should retry on the new
/// one instead of waiting for its own timeout.
void forward_to_leader(boost::asio::io_context& ioc, const std::string& leader_api_uri,
                       request& req, const request_info& info, responder respond,
                       const exchange_limits& limits, on_unreachable unreachable = {});

/// How a follower finds the leader while leadership moves.
struct forward_policy {
  /// The current leader's internal API URI, or "" while none is known.
  std::function<std::string()> leader_uri;
  /// How long to keep trying (unknown or unreachable leader) before 503:
  /// about a lease plus a tick, the longest an election takes. Also how
  /// long an exchange may go on while no leader at all is known (the one it
  /// was sent to may still hold its lease until then).
  std::chrono::milliseconds budget{11000};
  std::chrono::milliseconds retry_every{100};
  /// Upstream timeout for reads (GET): a query may run up to
  /// query.timeoutMs on the leader, which then answers by itself.
  std::chrono::milliseconds read_timeout{65000};
  /// Upstream timeout for everything else (ingest, admin calls), which the
  /// leader answers within its command deadline.
  std::chrono::milliseconds write_timeout{30000};
};

/// Forwards to the leader, holding the request and retrying while no leader
/// is known or the known one refuses connections, so a fail-over or a
/// graceful leader restart is invisible to clients; 503 once the budget is
/// spent. Once sent, the exchange is abandoned (503 + Retry-After) when
/// `policy.leader_uri` names another leader, or none for longer than the
/// budget: nothing is sent twice, the client decides whether to retry.
void forward_with_retry(boost::asio::io_context& ioc, const forward_policy& policy,
                        request& req, const request_info& info, responder respond);

} // namespace cairn::net
