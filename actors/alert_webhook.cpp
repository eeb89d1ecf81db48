#include "actors/alert_webhook.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <memory>

namespace cairn {

namespace {

namespace beast = boost::beast;
namespace http = beast::http;
using tcp = boost::asio::ip::tcp;

struct endpoint {
  std::string host, port = "80", target = "/";
};

bool parse_url(const std::string& url, endpoint& out) {
  constexpr std::string_view scheme = "http://";
  if (url.compare(0, scheme.size(), scheme) != 0)
    return false;
  auto rest = url.substr(scheme.size());
  auto slash = rest.find('/');
  auto authority = rest.substr(0, slash);
  if (slash != std::string::npos)
    out.target = rest.substr(slash);
  auto colon = authority.rfind(':');
  if (colon != std::string::npos) {
    out.host = authority.substr(0, colon);
    out.port = authority.substr(colon + 1);
  } else {
    out.host = authority;
  }
  return !out.host.empty() && !out.port.empty();
}

} // namespace

webhook_result post_json(const std::string& url, const std::string& json,
                         std::chrono::milliseconds timeout) {
  endpoint ep;
  if (!parse_url(url, ep))
    return {0, "not an http:// URL: " + url};
  // Async operations on a private io_context, run for at most `timeout`:
  // Beast's synchronous calls would ignore the deadline.
  boost::asio::io_context ioc;
  tcp::resolver resolver{ioc};
  beast::tcp_stream stream{ioc};
  http::request<http::string_body> req{http::verb::post, ep.target, 11};
  req.set(http::field::host, ep.host);
  req.set(http::field::content_type, "application/json");
  req.set(http::field::user_agent, "cairn-alerts");
  req.body() = json;
  req.prepare_payload();
  beast::flat_buffer buffer;
  http::response<http::string_body> res;
  webhook_result result;
  result.error = "timed out after " + std::to_string(timeout.count()) + " ms";
  auto fail = [&](const char* step, beast::error_code ec) {
    result.error = std::string{step} + ": " + ec.message();
  };
  resolver.async_resolve(ep.host, ep.port, [&](beast::error_code ec,
                                               tcp::resolver::results_type hosts) {
    if (ec)
      return fail("resolve", ec);
    stream.async_connect(hosts, [&](beast::error_code ec, const tcp::endpoint&) {
      if (ec)
        return fail("connect", ec);
      http::async_write(stream, req, [&](beast::error_code ec, size_t) {
        if (ec)
          return fail("write", ec);
        http::async_read(stream, buffer, res, [&](beast::error_code ec, size_t) {
          if (ec)
            return fail("read", ec);
          result.status = static_cast<int>(res.result_int());
          if (result.status >= 200 && result.status < 300)
            result.error.clear();
          else
            result.error = "HTTP " + std::to_string(result.status);
          beast::error_code ignored;
          stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
        });
      });
    });
  });
  ioc.run_for(timeout);
  return result;
}

} // namespace cairn
