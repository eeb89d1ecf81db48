#pragma once
/// Types shared by the HTTP server, its route table and the handlers.
#include <boost/beast/http.hpp>

#include <functional>
#include <optional>
#include <string>

namespace cairn::net {

namespace http = boost::beast::http;

using request = http::request<http::string_body>;
using response = http::response<http::string_body>;

/// Completes a request; may be called from any thread, exactly once.
using responder = std::function<void(response)>;

/// Context a handler receives besides the request.
struct request_info {
  std::string remote_address; ///< peer IP, used for loopback checks and X-Forwarded-For
  bool is_loopback = false;
  std::string path;           ///< target without query string, percent-decoded
  std::string query;          ///< raw query string (no '?')
};

/// A route handler. It must eventually call `respond` once.
using handler = std::function<void(request& req, const request_info& info, responder respond)>;

/// Builds a JSON response with the given status.
response json_response(const request& req, http::status status, std::string body);

/// Builds `{"Error":"..."}` with the message JSON-escaped.
response error_response(const request& req, http::status status, std::string_view message);

/// Escapes a string for inclusion in a JSON string literal (no quotes added).
void json_escape_into(std::string& out, std::string_view s);

/// Returns the decoded value of query parameter `name`, or nullopt.
std::optional<std::string> query_param(std::string_view query, std::string_view name);

/// True if the query string contains `name` as a flag or key.
bool has_query_param(std::string_view query, std::string_view name);

/// Percent-decodes (and '+' -> ' ') a URL component.
std::string url_decode(std::string_view s);

} // namespace cairn::net
