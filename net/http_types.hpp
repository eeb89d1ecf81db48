#pragma once
/// Types shared by the HTTP server, its route table and the handlers.
#include "storage/json_escape.hpp"

#include <boost/beast/http.hpp>

#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <string>

namespace cairn::net {

namespace http = boost::beast::http;

using request = http::request<http::string_body>;
using response = http::response<http::string_body>;

/// Completes a request; may be called from any thread, exactly once.
using responder = std::function<void(response)>;

/// Sends the next piece of a streamed body (any thread, once per producer
/// call); std::nullopt ends the stream. Calls after the client went away are
/// ignored.
using chunk_sink = std::function<void(std::optional<std::string> chunk)>;

/// Asked for the next piece of a streamed body once the previous one is on
/// the wire; must eventually call its sink exactly once. Not called again
/// after the client disconnected, so whatever it captures is released.
using chunk_producer = std::function<void(chunk_sink sink)>;

/// The streaming alternative to `responder` (Server-Sent Events): writes
/// `head` with chunked transfer encoding (its body is ignored), then pumps
/// `producer` until it ends the stream or the client disconnects; the
/// connection is closed afterwards. Call it instead of the responder.
using stream_responder = std::function<void(response head, chunk_producer producer)>;

/// Context a handler receives besides the request.
struct request_info {
  std::string remote_address; ///< peer IP, used for loopback checks and X-Forwarded-For
  bool is_loopback = false;
  std::string path;           ///< target without query string, percent-decoded
  std::string query;          ///< raw query string (no '?')
  /// Set by the HTTP session for routed requests; empty when the exchange
  /// cannot stream (then answer through the responder).
  stream_responder stream;
  /// Set by the HTTP session for routed requests: becomes true if the client
  /// closes its connection before the answer (long queries stop then).
  std::shared_ptr<std::atomic<bool>> client_gone;
};

/// A route handler. It must eventually call `respond` once.
using handler = std::function<void(request& req, const request_info& info, responder respond)>;

/// Builds a JSON response with the given status.
response json_response(const request& req, http::status status, std::string body);

/// Builds `{"Error":"..."}` with the message JSON-escaped.
response error_response(const request& req, http::status status, std::string_view message);


/// Returns the decoded value of query parameter `name`, or nullopt.
std::optional<std::string> query_param(std::string_view query, std::string_view name);

/// True if the query string contains `name` as a flag or key.
bool has_query_param(std::string_view query, std::string_view name);

/// Percent-decodes (and '+' -> ' ') a URL component.
std::string url_decode(std::string_view s);

} // namespace cairn::net
