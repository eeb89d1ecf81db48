#pragma once
/// A small synchronous keep-alive HTTP/1.1 client for the CLI verbs that talk
/// to a running node (ingest, query, search).
#include <boost/asio/io_context.hpp>
#include <boost/beast/core/tcp_stream.hpp>

#include <optional>
#include <string>

namespace cairn::cli {

struct http_reply {
  unsigned status = 0;
  std::string body;
};

class http_client {
public:
  /// `server` is an http:// URL; `api_key` is sent as X-Seq-ApiKey if set.
  http_client(const std::string& server, std::string api_key);

  /// Sends a request; throws std::runtime_error when the node is unreachable.
  http_reply send(const std::string& method, const std::string& target, const std::string& body,
                  const std::string& content_type = {});

private:
  std::string host_, port_, api_key_;
  boost::asio::io_context ioc_;
  std::optional<boost::beast::tcp_stream> stream_;
};

/// Percent-encodes a query-string value.
std::string url_encode(std::string_view s);

} // namespace cairn::cli
