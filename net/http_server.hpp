#pragma once
/// The Beast HTTP listener: accepts connections on every listen URI, reads
/// requests with a body limit enforced while streaming (chunked bodies too)
/// and per-read timeouts (a slow client cannot hold a connection forever),
/// dispatches them through the router and writes responses in order.
///
/// Lifecycle: constructed and started on the main thread; runs on the
/// io_context threads; stop() closes acceptors, after which the io_context
/// may be stopped. Handlers complete on any thread: responses are posted back
/// to the session's strand.
#include "net/router.hpp"

#include <boost/asio/io_context.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace cairn::net {

struct server_limits {
  size_t max_body_bytes = 10 * 1024 * 1024;
  size_t max_header_bytes = 16 * 1024; ///< request line + headers; beyond: 431 (or 414)
  size_t max_target_bytes = 8 * 1024;  ///< request target (URL); beyond: 414
  /// Whole time for a request's line and headers, and for the wait between
  /// keep-alive requests: a client trickling header bytes is cut off.
  std::chrono::milliseconds header_timeout{10000};
  std::chrono::milliseconds read_timeout{30000}; ///< body read and response write
  size_t max_connections = 1024;
  /// Concurrent connections from one client address (0: no limit), so one
  /// client cannot take every slot of max_connections.
  size_t max_connections_per_ip = 256;
};

class http_server {
public:
  /// Adds headers every response carries (X-Cairn-Generation).
  using header_decorator = std::function<void(response&)>;

  /// Sees every request before routing; returns true if it answered it
  /// (the follower proxy). Set before listen().
  using interceptor = std::function<bool(request&, const request_info&, const responder&)>;

  http_server(boost::asio::io_context& ioc, const router& routes, server_limits limits,
              header_decorator decorate, interceptor intercept = {});
  ~http_server();

  /// Loads the PEM certificate chain and private key https:// URIs serve
  /// (TLS 1.2+). Call before listen(). Returns an error message or "".
  std::string set_tls(const std::string& certificate_path, const std::string& private_key_path);

  /// Starts listening on `uri` (http://host:port, or https://host:port after
  /// set_tls()). Returns an error message or "".
  /// Port 0 picks a free port; bound_ports() tells which.
  std::string listen(const std::string& uri);

  std::vector<uint16_t> bound_ports() const;

  /// Stops accepting; open sessions finish their current exchange.
  void stop();

  struct impl;

private:
  std::shared_ptr<impl> impl_;
};

} // namespace cairn::net
