#include "net/proxy.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <spdlog/spdlog.h>

#include <memory>

namespace cairn::net {

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
using tcp = asio::ip::tcp;

/// One forwarded exchange; keeps itself alive through its handlers.
struct exchange : std::enable_shared_from_this<exchange> {
  exchange(asio::io_context& ioc, request&& r, responder respond,
           std::chrono::milliseconds timeout, on_unreachable unreachable)
    : resolver(ioc), stream(ioc), req(std::move(r)), respond(std::move(respond)),
      timeout(timeout), unreachable(std::move(unreachable)) {
    parser.body_limit(boost::none);
  }

  void fail(const std::string& why) {
    spdlog::warn("proxy: cannot forward {} {} to the leader: {}",
                 std::string{req.method_string()}, std::string{req.target()}, why);
    request stub;
    stub.version(req.version());
    stub.keep_alive(req.keep_alive());
    auto res = error_response(stub, http::status::service_unavailable,
                              "the leader cannot be reached (" + why + "); retry shortly");
    res.set(http::field::retry_after, "1");
    respond(std::move(res));
  }

  void start(const std::string& host, const std::string& port) {
    stream.expires_after(timeout);
    resolver.async_resolve(host, port, [self = shared_from_this()](beast::error_code ec,
                                                                   tcp::resolver::results_type r) {
      if (ec)
        return self->fail("resolve: " + ec.message());
      self->stream.async_connect(r, [self](beast::error_code ec, const tcp::endpoint&) {
        if (ec && self->unreachable)
          return self->unreachable(); // nothing sent yet: safe to try again
        if (ec)
          return self->fail("connect: " + ec.message());
        self->req.keep_alive(false);
        self->req.prepare_payload();
        http::async_write(self->stream, self->req, [self](beast::error_code ec, size_t) {
          if (ec)
            return self->fail("write: " + ec.message());
          http::async_read(self->stream, self->buffer, self->parser,
                           [self](beast::error_code ec, size_t) {
                             if (ec)
                               return self->fail("read: " + ec.message());
                             auto res = self->parser.release();
                             res.erase(http::field::connection);
                             self->respond(std::move(res));
                             beast::error_code ignored;
                             self->stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
                           });
        });
      });
    });
  }

  tcp::resolver resolver;
  beast::tcp_stream stream;
  request req;
  responder respond;
  std::chrono::milliseconds timeout;
  on_unreachable unreachable;
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
};

} // namespace

void forward_to_leader(asio::io_context& ioc, const std::string& leader_api_uri, request& req,
                       const request_info& info, responder respond,
                       std::chrono::milliseconds timeout, on_unreachable unreachable) {
  std::string_view rest = leader_api_uri;
  if (rest.starts_with("http://"))
    rest.remove_prefix(7);
  rest = rest.substr(0, rest.find('/'));
  auto colon = rest.rfind(':');
  std::string host{colon == std::string_view::npos ? rest : rest.substr(0, colon)};
  std::string port{colon == std::string_view::npos ? "80" : rest.substr(colon + 1)};
  request copy = req; // the session keeps its own until the answer is sent
  auto xff = std::string{copy["X-Forwarded-For"]};
  copy.set("X-Forwarded-For",
           xff.empty() ? info.remote_address : xff + ", " + info.remote_address);
  copy.set(forwarded_header, "1");
  auto ex = std::make_shared<exchange>(ioc, std::move(copy), std::move(respond), timeout,
                                       std::move(unreachable));
  ex->start(host, port);
}

namespace {

/// One held request waiting for a reachable leader.
struct held_request : std::enable_shared_from_this<held_request> {
  held_request(asio::io_context& ioc, forward_policy p, request r, request_info i, responder res)
    : ioc(ioc), timer(ioc), policy(std::move(p)), req(std::move(r)), info(std::move(i)),
      respond(std::move(res)), deadline(std::chrono::steady_clock::now() + policy.budget) {}

  void attempt() {
    auto uri = policy.leader_uri();
    if (uri.empty())
      return retry("no leader is known");
    auto self = shared_from_this();
    forward_to_leader(ioc, uri, req, info, respond, policy.timeout,
                      [self] { self->retry("the leader refused the connection"); });
  }

  void retry(const char* why) {
    if (std::chrono::steady_clock::now() + policy.retry_every > deadline) {
      request stub;
      stub.version(req.version());
      stub.keep_alive(req.keep_alive());
      auto res = error_response(stub, http::status::service_unavailable,
                                std::string{why} + " after waiting " +
                                  std::to_string(policy.budget.count()) + " ms; retry shortly");
      res.set(http::field::retry_after, "1");
      return respond(std::move(res));
    }
    timer.expires_after(policy.retry_every);
    timer.async_wait([self = shared_from_this()](beast::error_code ec) {
      if (!ec)
        self->attempt();
    });
  }

  asio::io_context& ioc;
  asio::steady_timer timer;
  forward_policy policy;
  request req;
  request_info info;
  responder respond;
  std::chrono::steady_clock::time_point deadline;
};

} // namespace

void forward_with_retry(asio::io_context& ioc, const forward_policy& policy, request& req,
                        const request_info& info, responder respond) {
  std::make_shared<held_request>(ioc, policy, req, info, std::move(respond))->attempt();
}

} // namespace cairn::net
