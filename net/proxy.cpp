#include "net/proxy.hpp"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <spdlog/spdlog.h>

#include <memory>
#include <optional>

namespace cairn::net {

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
using tcp = asio::ip::tcp;

/// One forwarded exchange; keeps itself alive through its handlers. All its
/// handlers (resolve, connect, write, read, the deposed-leader watch) run on
/// one strand, so the first outcome wins and answers exactly once.
struct exchange : std::enable_shared_from_this<exchange> {
  exchange(asio::io_context& ioc, request&& r, responder respond, exchange_limits limits,
           on_unreachable unreachable)
    : strand(asio::make_strand(ioc)), resolver(strand), stream(strand), watch(strand),
      req(std::move(r)), respond(std::move(respond)), limits(std::move(limits)),
      unreachable(std::move(unreachable)) {
    parser.body_limit(boost::none);
  }

  /// Stops every pending operation; their handlers see `done` and return.
  void stop() {
    done = true;
    watch.cancel();
    beast::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream.close();
  }

  void fail(const std::string& why) {
    if (done)
      return;
    stop();
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

  /// Nothing was sent: the caller may safely try again (another leader).
  void give_back(const std::string& why) {
    if (done)
      return;
    if (!unreachable)
      return fail(why);
    stop();
    unreachable();
  }

  void start(const std::string& host, const std::string& port) {
    asio::dispatch(strand, [self = shared_from_this(), host, port] { self->run(host, port); });
  }

  void run(const std::string& host, const std::string& port) {
    stream.expires_after(limits.timeout);
    arm_watch();
    resolver.async_resolve(host, port, [self = shared_from_this()](beast::error_code ec,
                                                                   tcp::resolver::results_type r) {
      if (self->done)
        return;
      if (ec)
        return self->fail("resolve: " + ec.message());
      self->stream.async_connect(r, [self](beast::error_code ec, const tcp::endpoint&) {
        if (self->done)
          return;
        if (ec)
          return self->give_back("connect: " + ec.message());
        self->req.keep_alive(false);
        self->req.prepare_payload();
        self->sent = true; // from here on the leader may act on the request
        http::async_write(self->stream, self->req, [self](beast::error_code ec, size_t) {
          if (self->done)
            return;
          if (ec)
            return self->fail("write: " + ec.message());
          http::async_read(self->stream, self->buffer, self->parser,
                           [self](beast::error_code ec, size_t) {
                             if (self->done)
                               return;
                             if (ec)
                               return self->fail("read: " + ec.message());
                             auto res = self->parser.release();
                             res.erase(http::field::connection);
                             self->stop();
                             self->respond(std::move(res));
                           });
        });
      });
    });
  }

  /// Polls `limits.deposed` while the exchange is open. A deposed leader
  /// before anything was sent: try again with the new one; after: abandon
  /// with 503 (the request may or may not have been applied; the client
  /// decides, as for any failed request).
  void arm_watch() {
    if (!limits.deposed)
      return;
    watch.expires_after(limits.watch_every);
    watch.async_wait([self = shared_from_this()](beast::error_code ec) {
      if (ec || self->done)
        return;
      if (!self->limits.deposed())
        return self->arm_watch();
      if (!self->sent)
        return self->give_back("the leader lost its lease");
      self->fail("the leader lost its lease while handling the request");
    });
  }

  asio::strand<asio::io_context::executor_type> strand;
  tcp::resolver resolver;
  beast::tcp_stream stream;
  asio::steady_timer watch;
  request req;
  responder respond;
  exchange_limits limits;
  on_unreachable unreachable;
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  bool sent = false; ///< the request started going out
  bool done = false; ///< answered or handed back; every later handler returns
};

} // namespace

void forward_to_leader(asio::io_context& ioc, const std::string& leader_api_uri, request& req,
                       const request_info& info, responder respond,
                       const exchange_limits& limits, on_unreachable unreachable) {
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
  auto ex = std::make_shared<exchange>(ioc, std::move(copy), std::move(respond), limits,
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
    exchange_limits limits;
    bool read = req.method() == http::verb::get || req.method() == http::verb::head;
    limits.timeout = read ? policy.read_timeout : policy.write_timeout;
    limits.watch_every = policy.retry_every;
    limits.deposed = deposed_check(uri);
    forward_to_leader(ioc, uri, req, info, respond, limits,
                      [self] { self->retry("the leader could not be reached"); });
  }

  /// True once this node's view names a leader other than `uri`, or none
  /// for longer than the budget (by then the lease `uri` held has expired).
  is_deposed deposed_check(std::string uri) const {
    auto none_since = std::make_shared<std::optional<std::chrono::steady_clock::time_point>>();
    return [leader_uri = policy.leader_uri, budget = policy.budget, uri = std::move(uri),
            none_since] {
      auto now_uri = leader_uri();
      if (!now_uri.empty()) {
        none_since->reset();
        return now_uri != uri;
      }
      auto now = std::chrono::steady_clock::now();
      if (!*none_since)
        *none_since = now;
      return now - **none_since > budget;
    };
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
