#include "tools/cli/http_client.hpp"

#include "tools/cli/cli_args.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>

namespace cairn::cli {

namespace http = boost::beast::http;

http_client::http_client(const std::string& server, std::string api_key)
  : api_key_(std::move(api_key)) {
  std::string_view rest = server;
  if (!rest.starts_with("http://"))
    throw usage_error{"--server must be an http:// URL, not '" + server + "'"};
  rest.remove_prefix(7);
  rest = rest.substr(0, rest.find('/'));
  auto colon = rest.rfind(':');
  host_ = std::string{colon == std::string_view::npos ? rest : rest.substr(0, colon)};
  port_ = colon == std::string_view::npos ? "80" : std::string{rest.substr(colon + 1)};
}

http_reply http_client::send(const std::string& method, const std::string& target,
                             const std::string& body, const std::string& content_type) {
  for (int attempt = 0;; ++attempt) {
    try {
      if (!stream_) {
        stream_.emplace(ioc_);
        boost::asio::ip::tcp::resolver resolver{ioc_};
        stream_->connect(resolver.resolve(host_, port_));
      }
      http::request<http::string_body> req{http::string_to_verb(method), target, 11};
      req.set(http::field::host, host_);
      if (!content_type.empty())
        req.set(http::field::content_type, content_type);
      if (!api_key_.empty())
        req.set("X-Seq-ApiKey", api_key_);
      req.body() = body;
      req.prepare_payload();
      http::write(*stream_, req);
      boost::beast::flat_buffer buf;
      http::response<http::string_body> res;
      http::read(*stream_, buf, res);
      if (!res.keep_alive())
        stream_.reset();
      return {res.result_int(), std::move(res.body())};
    } catch (const std::exception& e) {
      stream_.reset();
      // A kept-alive connection may have been closed by the server: retry once fresh.
      if (attempt >= 1)
        throw std::runtime_error{"cannot reach " + host_ + ":" + port_ + ": " + e.what()};
    }
  }
}

std::string url_encode(std::string_view s) {
  static constexpr char hex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(hex[c >> 4]);
      out.push_back(hex[c & 15]);
    }
  }
  return out;
}

} // namespace cairn::cli
