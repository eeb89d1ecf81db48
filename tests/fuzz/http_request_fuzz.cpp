// libFuzzer target: raw bytes as an HTTP/1.1 request, handled the way the
// node's session does before a handler runs: a Beast request_parser with the
// server's limits, fed in pieces (as the socket delivers them), then target
// splitting, percent-decoding, query parameters, route matching and the JSON
// error body that echoes the path. Any crash, leak or UB is a finding.
#include "net/http_server.hpp"
#include "net/http_types.hpp"
#include "net/router.hpp"

#include <boost/beast/core/flat_buffer.hpp>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <string_view>

using namespace cairn::net;

namespace {

const router& routes() {
  static const router r = [] {
    router out;
    handler none = [](request&, const request_info&, responder) {};
    for (auto [verb, pattern] : std::initializer_list<std::pair<http::verb, const char*>>{
           {http::verb::post, "/ingest/clef"},
           {http::verb::post, "/api/events/raw"},
           {http::verb::get, "/api/events/stream"},
           {http::verb::get, "/api/events"},
           {http::verb::get, "/api/events/*"},
           {http::verb::get, "/api/data"},
           {http::verb::put, "/api/signals/*"},
           {http::verb::delete_, "/api/apikeys/*"},
           {http::verb::get, "/"},
           {http::verb::get, "/ui/*"}})
      out.add(verb, pattern, pattern, none);
    return out;
  }();
  return r;
}

void handle(const request& req, size_t max_target) {
  auto target = std::string_view{req.target()};
  if (target.size() > max_target)
    return; // answered 414 by the session
  auto qmark = target.find('?');
  request_info info;
  info.path = url_decode(target.substr(0, qmark));
  info.query = qmark == std::string_view::npos ? "" : std::string{target.substr(qmark + 1)};
  for (auto name : {"apiKey", "filter", "q", "count", "afterId", "fromDateUtc", ""})
    (void)query_param(info.query, name);
  (void)has_query_param(info.query, "wait");
  auto m = routes().match(req.method(), info.path);
  if (!m.target) {
    auto res = error_response(req, http::status::not_found, "no such endpoint: " + info.path);
    if (res.body().empty() || res.body().front() != '{' || res.body().back() != '}')
      std::abort();
  }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0)
    return 0;
  // The first byte picks the piece size the "socket" delivers.
  size_t piece = 1 + data[0] % 64;
  std::string_view input{reinterpret_cast<const char*>(data + 1), size - 1};
  server_limits limits;
  http::request_parser<http::string_body> parser;
  parser.header_limit(static_cast<uint32_t>(limits.max_header_bytes));
  parser.body_limit(1 << 20);
  parser.eager(true);
  boost::beast::flat_buffer buffer;
  size_t fed = 0;
  while (!parser.is_done()) {
    if (fed < input.size()) {
      auto n = std::min(piece, input.size() - fed);
      auto dst = buffer.prepare(n);
      std::memcpy(dst.data(), input.data() + fed, n);
      buffer.commit(n);
      fed += n;
    }
    boost::beast::error_code ec;
    auto used = parser.put(buffer.data(), ec);
    buffer.consume(used);
    if (ec == http::error::need_more) {
      if (fed == input.size()) {
        if (parser.got_some()) // as Beast's read loop: EOF before any byte is not a message
          parser.put_eof(ec);
        break;
      }
      continue;
    }
    if (ec)
      return 0; // the session answers 400/413/431 and closes
    if (used == 0 && fed == input.size())
      break; // no progress and nothing more to feed
  }
  if (parser.is_done())
    handle(parser.get(), limits.max_target_bytes);
  return 0;
}
