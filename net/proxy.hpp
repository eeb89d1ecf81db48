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
#include <string>

namespace cairn::net {

/// Header marking a request forwarded by a follower.
inline constexpr const char* forwarded_header = "X-Cairn-Forwarded";

void forward_to_leader(boost::asio::io_context& ioc, const std::string& leader_api_uri,
                       request& req, const request_info& info, responder respond,
                       std::chrono::milliseconds timeout);

} // namespace cairn::net
