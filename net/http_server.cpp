#include "net/http_server.hpp"

#include "actors/metrics.hpp"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <mutex>
#include <optional>
#include <unordered_map>

#include <sys/socket.h>

namespace cairn::net {

namespace asio = boost::asio;
namespace beast = boost::beast;
using tcp = asio::ip::tcp;

struct http_server::impl : std::enable_shared_from_this<http_server::impl> {
  asio::io_context& ioc;
  const router& routes;
  server_limits limits;
  header_decorator decorate;
  interceptor intercept;
  std::shared_ptr<asio::ssl::context> tls; ///< set by set_tls(); needed by https:// URIs
  std::mutex acceptors_mutex;
  std::vector<std::shared_ptr<tcp::acceptor>> acceptors;
  std::atomic<size_t> connections{0};
  std::mutex per_ip_mutex;
  std::unordered_map<std::string, size_t> per_ip; ///< open connections by client address

  /// Counts a new connection from `address`; false if that address is at its limit.
  bool admit(const std::string& address) {
    std::lock_guard guard{per_ip_mutex};
    auto& n = per_ip[address];
    if (limits.max_connections_per_ip && n >= limits.max_connections_per_ip)
      return false;
    ++n;
    return true;
  }

  void release(const std::string& address) {
    std::lock_guard guard{per_ip_mutex};
    if (auto it = per_ip.find(address); it != per_ip.end() && --it->second == 0)
      per_ip.erase(it);
  }

  impl(asio::io_context& c, const router& r, server_limits l, header_decorator d, interceptor i)
    : ioc(c), routes(r), limits(l), decorate(std::move(d)), intercept(std::move(i)) {
  }

  void accept(std::shared_ptr<tcp::acceptor> acceptor, bool use_tls);
};

namespace {

using tls_stream = beast::ssl_stream<beast::tcp_stream>;

/// One client connection: read a request, dispatch it, write the response,
/// repeat while keep-alive holds. `Stream` is beast::tcp_stream (http://)
/// or tls_stream (https://, after a TLS handshake).
template <class Stream>
class session : public std::enable_shared_from_this<session<Stream>> {
  static constexpr bool is_tls = std::is_same_v<Stream, tls_stream>;
  using std::enable_shared_from_this<session<Stream>>::shared_from_this;

public:
  /// Takes over a connection already counted in server->connections and,
  /// under `address`, in server->per_ip.
  template <class... TlsContext>
  session(tcp::socket&& socket, std::shared_ptr<http_server::impl> server,
          const asio::ip::address& address, TlsContext&... tls)
    : stream_(std::move(socket), tls...), server_(std::move(server)) {
    info_.remote_address = address.to_string();
    info_.is_loopback = address.is_loopback();
    metrics::instance().open_connections++;
  }

  ~session() {
    metrics::instance().open_connections--;
    server_->connections--;
    server_->release(info_.remote_address);
  }

  void start() {
    if constexpr (is_tls) {
      // The handshake counts against the header timeout: a client that
      // never finishes it is cut off like a slow header.
      lowest().expires_after(server_->limits.header_timeout);
      stream_.async_handshake(asio::ssl::stream_base::server,
                              [self = shared_from_this()](beast::error_code ec) {
                                if (ec)
                                  return self->close();
                                self->read_header();
                              });
    } else {
      asio::dispatch(stream_.get_executor(),
                     beast::bind_front_handler(&session::read_header, shared_from_this()));
    }
  }

private:
  beast::tcp_stream& lowest() { return beast::get_lowest_layer(stream_); }

  void read_header() {
    parser_.emplace();
    parser_->body_limit(server_->limits.max_body_bytes);
    parser_->header_limit(static_cast<uint32_t>(server_->limits.max_header_bytes));
    // One deadline for the whole header (Beast does not reset it per read):
    // trickling bytes does not extend it.
    lowest().expires_after(server_->limits.header_timeout);
    http::async_read_header(stream_, buffer_, *parser_,
                            beast::bind_front_handler(&session::on_header, shared_from_this()));
  }

  void on_header(beast::error_code ec, size_t) {
    if (ec)
      return on_read_error(ec);
    auto& req = parser_->get();
    if (req.target().size() > server_->limits.max_target_bytes)
      return refuse(http::status::uri_too_long,
                    "request URL exceeds " + std::to_string(server_->limits.max_target_bytes) +
                      " bytes");
    // curl and others wait for "100 Continue" before sending a large body.
    if (beast::iequals(req[http::field::expect], "100-continue")) {
      auto cont = std::make_shared<http::response<http::empty_body>>(http::status::continue_,
                                                                      req.version());
      http::async_write(stream_, *cont,
                        [self = shared_from_this(), cont](beast::error_code ec, size_t) {
                          if (ec)
                            return self->close();
                          self->read_body();
                        });
      return;
    }
    read_body();
  }

  void read_body() {
    if constexpr (!is_tls) {
      if (read_whole_body())
        return;
    }
    lowest().expires_after(server_->limits.read_timeout);
    http::async_read(stream_, buffer_, *parser_,
                     beast::bind_front_handler(&session::on_read, shared_from_this()));
  }

  // -- large bodies over plain TCP ------------------------------------------
  // Beast reads a body 64 KiB at a time through the flat buffer, re-arming
  // the stream timer (a timerfd_settime) and copying each chunk into the
  // string body: a 370 KB ingest batch cost ~6 reads, ~6 wake-ups and two
  // copies. A body with a Content-Length is instead read straight into the
  // request's string, sized once (with simdjson's padding spare, so the
  // decoders need not grow it), under one deadline for the whole body, each
  // read taking all the socket holds. (SO_RCVLOWAT, to be woken only when
  // the rest has arrived, stalled some connections for the whole read
  // timeout on this kernel, 6.18: not used.)

  /// Bodies at least this large take the whole-body path.
  static constexpr size_t whole_body_min_bytes = 16 * 1024;
  /// Spare capacity after the body (simdjson::SIMDJSON_PADDING is 64).
  static constexpr size_t body_padding_bytes = 64;

  /// Starts the whole-body read; false if this request must go through Beast
  /// (chunked, no length, small, or already complete).
  bool read_whole_body() {
    auto& p = *parser_;
    if (p.is_done() || p.chunked() || !p.content_length())
      return false;
    auto length = *p.content_length();
    if (length < whole_body_min_bytes || length > server_->limits.max_body_bytes)
      return false;
    lowest().expires_never();
    // The previous request's body buffer (held by req_ until now anyway) is
    // reused: a fresh one of this size is mmapped by malloc (the node fixes
    // glibc's mmap threshold at 256 KiB) and page-faulted in, ~90 faults per
    // 370 KB body.
    std::string spare = std::move(req_.body());
    req_ = p.release(); // the header; the body is filled below
    auto& body = req_.body();
    body.swap(spare);
    // Not cleared first: resize() zero-fills only what it adds (a clear()
    // made it memset all ~370 KB per request, ~1% of the server's CPU), and
    // every byte below `length` is overwritten below before the body is used.
    body.reserve(static_cast<size_t>(length) + body_padding_bytes);
    body.resize(static_cast<size_t>(length));
    // Bytes that arrived with the header.
    size_t have = std::min<size_t>(body.size(), buffer_.size());
    asio::buffer_copy(asio::buffer(body.data(), have), buffer_.data());
    buffer_.consume(have);
    if (have == body.size()) {
      dispatch_request();
      return true;
    }
    body_deadline_.expires_after(server_->limits.read_timeout);
    body_deadline_.async_wait([self = shared_from_this()](beast::error_code ec) {
      if (ec)
        return; // cancelled: the body arrived
      beast::error_code ignored;
      self->lowest().socket().cancel(ignored);
    });
    asio::async_read(lowest().socket(), asio::buffer(body.data() + have, body.size() - have),
                     beast::bind_front_handler(&session::on_whole_body, shared_from_this()));
    return true;
  }

  void on_whole_body(beast::error_code ec, size_t) {
    body_deadline_.cancel();
    if (ec)
      return close(); // timeout (cancelled read), reset or end of stream mid-body
    dispatch_request();
  }

  void on_read_error(beast::error_code ec) {
    if (ec == http::error::body_limit) {
      request req;
      req.version(11);
      return send(error_response(req, http::status::payload_too_large,
                                 "request body exceeds " +
                                   std::to_string(server_->limits.max_body_bytes) +
                                   " bytes (ingest.maxBodyBytes)"),
                  "-", false);
    }
    if (ec == http::error::header_limit) {
      // The parser keeps the unparsed header in the buffer: without a line
      // end in it, the request line (the URL) alone is too long.
      // (The parser may also have consumed a complete start line: then the
      // buffer no longer starts with a method, and the headers are too long.)
      auto data = beast::buffers_to_string(buffer_.data());
      auto space = data.find(' ');
      bool starts_with_method =
        space != std::string::npos && space > 0 && space < 16 &&
        std::all_of(data.begin(), data.begin() + static_cast<std::ptrdiff_t>(space),
                    [](char c) { return c >= 'A' && c <= 'Z'; });
      if (starts_with_method && data.find("\r\n") == std::string::npos)
        return refuse(http::status::uri_too_long,
                      "request line exceeds " +
                        std::to_string(server_->limits.max_header_bytes) + " bytes");
      return refuse(http::status::request_header_fields_too_large,
                    "request headers exceed " +
                      std::to_string(server_->limits.max_header_bytes) + " bytes");
    }
    if (ec.category() == http::make_error_code(http::error::end_of_stream).category() &&
        ec != http::error::end_of_stream && ec != http::error::partial_message) {
      request req;
      req.version(11);
      return send(error_response(req, http::status::bad_request,
                                 "malformed HTTP request: " + ec.message()),
                  "-", false);
    }
    close(); // end of stream, timeout, reset
  }

  /// Answers a request that cannot be read further, then closes.
  void refuse(http::status status, std::string message) {
    request req;
    req.version(11);
    send(error_response(req, status, message), "-", false);
  }

  void on_read(beast::error_code ec, size_t) {
    if (ec)
      return on_read_error(ec);
    lowest().expires_never();
    req_ = parser_->release();
    dispatch_request();
  }

  /// Routes the request in req_ (header and body complete).
  void dispatch_request() {
    auto target = std::string_view{req_.target()};
    auto qmark = target.find('?');
    info_.path = url_decode(target.substr(0, qmark));
    info_.query = qmark == std::string_view::npos ? "" : std::string{target.substr(qmark + 1)};
    bool keep_alive = req_.keep_alive();
    if (server_->intercept) {
      route_name_ = "proxy";
      if (server_->intercept(req_, info_, make_responder(keep_alive)))
        return;
    }
    auto m = server_->routes.match(req_.method(), info_.path);
    if (!m.target) {
      auto status = m.path_known ? http::status::method_not_allowed : http::status::not_found;
      return send(error_response(req_, status,
                                 m.path_known ? "method not allowed on " + info_.path
                                              : "no such endpoint: " + info_.path),
                  m.path_known ? std::string{m.name} : "unknown", keep_alive);
    }
    route_name_ = std::string{m.name};
    auto once = std::make_shared<std::atomic<bool>>(false);
    info_.stream = make_stream_responder(once);
    info_.client_gone = std::make_shared<std::atomic<bool>>(false);
    (*m.target)(req_, info_, make_responder(keep_alive, once));
    // The answer is posted to this strand, so it cannot have been sent yet.
    if (!once->load())
      watch_client(info_.client_gone);
  }

  // -- noticing a client that leaves while its request runs -----------------
  // Waiting for readability consumes nothing: an orderly close or a reset
  // (peek sees 0 bytes or an error) sets the exchange's client_gone flag, so
  // long queries stop; bytes (a pipelined request) just end the watch.

  void watch_client(std::shared_ptr<std::atomic<bool>> gone) {
    watching_ = true;
    lowest().socket().async_wait(tcp::socket::wait_read, [self = shared_from_this(), gone](beast::error_code ec) {
      if (ec || !self->watching_)
        return;
      char c;
      ssize_t n = ::recv(self->lowest().socket().native_handle(), &c, 1, MSG_PEEK | MSG_DONTWAIT);
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
        return self->watch_client(gone);
      self->watching_ = false;
      if (n <= 0)
        gone->store(true);
    });
  }

  /// Ends the watch before this session reads or writes the socket again.
  void stop_watching() {
    if (!watching_)
      return;
    watching_ = false;
    beast::error_code ec;
    lowest().socket().cancel(ec);
  }

  /// A responder that posts the answer back to this session's strand.
  /// `once` is shared with the stream responder: the first answer wins.
  responder make_responder(bool keep_alive,
                           std::shared_ptr<std::atomic<bool>> once =
                             std::make_shared<std::atomic<bool>>(false)) {
    auto self = shared_from_this();
    return [self, once, keep_alive](response res) {
      if (once->exchange(true))
        return; // a handler answered twice: keep the first
      asio::post(self->stream_.get_executor(),
                 [self, keep_alive, res = std::move(res)]() mutable {
                   self->send(std::move(res), self->route_name_, keep_alive);
                 });
    };
  }

  /// The streaming responder of this exchange. It holds the session weakly
  /// (info_ lives inside the session); the handler keeps the session alive
  /// through its plain responder until it answers.
  stream_responder make_stream_responder(std::shared_ptr<std::atomic<bool>> once) {
    std::weak_ptr<session> weak = shared_from_this();
    return [weak, once](response head, chunk_producer producer) {
      auto self = weak.lock();
      if (!self || once->exchange(true))
        return;
      asio::post(self->stream_.get_executor(),
                 [self, head = std::move(head), producer = std::move(producer)]() mutable {
                   self->start_stream(std::move(head), std::move(producer));
                 });
    };
  }

  // -- streamed responses (SSE) -------------------------------------------
  // The head goes out with chunked encoding; then each chunk the producer
  // delivers is written as one HTTP chunk, and the producer is asked again
  // once it is on the wire. A read on the socket watches for the client
  // going away (EventSource never sends anything after its request), which
  // closes the socket and ends the pump. The connection never returns to
  // keep-alive: nothing else can follow an endless body.

  void start_stream(response head, chunk_producer producer) {
    stop_watching();
    metrics::instance().count_request(route_name_, head.result_int());
    if (server_->decorate)
      server_->decorate(head);
    auto h = std::make_shared<http::response<http::empty_body>>(std::move(head.base()));
    h->keep_alive(false);
    h->chunked(true);
    producer_ = std::move(producer);
    auto sr = std::make_shared<http::response_serializer<http::empty_body>>(*h);
    lowest().expires_after(server_->limits.read_timeout);
    http::async_write_header(stream_, *sr,
                             [self = shared_from_this(), h, sr](beast::error_code ec, size_t) {
                               if (ec)
                                 return self->end_stream();
                               self->watch_for_close();
                               self->next_chunk();
                             });
  }

  void watch_for_close() {
    // Plain TCP reads the socket itself (no timer); TLS must read through
    // the TLS layer, whose timer the keepalive writes keep pushing back.
    auto& source = [this]() -> auto& {
      if constexpr (is_tls)
        return stream_;
      else
        return lowest().socket();
    }();
    source.async_read_some(
      asio::buffer(probe_), [self = shared_from_this()](beast::error_code, size_t) {
        self->end_stream(); // EOF, reset, or a client talking out of turn
      });
  }

  void next_chunk() {
    if (streaming_done_)
      return;
    auto self = shared_from_this();
    producer_([self](std::optional<std::string> chunk) {
      asio::post(self->stream_.get_executor(), [self, chunk = std::move(chunk)]() mutable {
        self->on_chunk(std::move(chunk));
      });
    });
  }

  void on_chunk(std::optional<std::string> chunk) {
    if (streaming_done_)
      return;
    if (!chunk) {
      lowest().expires_after(server_->limits.read_timeout);
      return asio::async_write(stream_, http::make_chunk_last(),
                               [self = shared_from_this()](beast::error_code, size_t) {
                                 self->end_stream();
                               });
    }
    if (chunk->empty())
      return next_chunk(); // an empty chunk would read as the last one
    chunk_ = std::move(*chunk);
    lowest().expires_after(server_->limits.read_timeout);
    asio::async_write(stream_, http::make_chunk(asio::buffer(chunk_)),
                      [self = shared_from_this()](beast::error_code ec, size_t) {
                        if (ec)
                          return self->end_stream();
                        self->next_chunk();
                      });
  }

  void end_stream() {
    if (streaming_done_)
      return;
    streaming_done_ = true;
    producer_ = nullptr; // releases what the producer captured
    close();
  }

  void send(response res, std::string route, bool keep_alive) {
    stop_watching();
    metrics::instance().count_request(route, res.result_int());
    if (server_->decorate)
      server_->decorate(res);
    res.keep_alive(keep_alive);
    res.prepare_payload();
    res_ = std::make_shared<response>(std::move(res));
    lowest().expires_after(server_->limits.read_timeout);
    http::async_write(stream_, *res_,
                      [self = shared_from_this(), keep_alive](beast::error_code ec, size_t) {
                        self->res_.reset();
                        if (ec)
                          return self->close();
                        if (!keep_alive)
                          return self->linger_close();
                        self->read_header();
                      });
  }

  /// Closes after a final response: stop sending, then discard what the
  /// client still sends (briefly), so closing with unread bytes does not
  /// reset the connection and destroy the response before the client reads it
  /// (e.g. a 431 while the client is still sending its huge header).
  void linger_close() {
    beast::error_code ec;
    lowest().socket().shutdown(tcp::socket::shutdown_send, ec);
    lowest().expires_after(std::chrono::seconds(2));
    drain();
  }

  void drain() {
    lowest().async_read_some(asio::buffer(probe_),
                             [self = shared_from_this()](beast::error_code ec, size_t) {
                               if (ec)
                                 return self->close();
                               self->drain();
                             });
  }

  void close() {
    // TLS: no close_notify exchange; every response is length-delimited
    // or chunked, so a client cannot mistake the close for a complete body.
    beast::error_code ec;
    lowest().socket().shutdown(tcp::socket::shutdown_send, ec);
    lowest().close();
  }

  Stream stream_;
  beast::flat_buffer buffer_;
  std::shared_ptr<http_server::impl> server_;
  std::optional<http::request_parser<http::string_body>> parser_;
  request req_;
  request_info info_;
  std::string route_name_;
  std::shared_ptr<response> res_;
  asio::steady_timer body_deadline_{stream_.get_executor()}; ///< whole-body reads only
  chunk_producer producer_;      ///< set while streaming
  std::string chunk_;            ///< the chunk being written
  std::array<char, 64> probe_{}; ///< sink for the close-watching read
  bool streaming_done_ = false;
  bool watching_ = false; ///< watch_client's wait is pending
};

} // namespace

void http_server::impl::accept(std::shared_ptr<tcp::acceptor> acceptor, bool use_tls) {
  acceptor->async_accept(
    asio::make_strand(ioc), [self = shared_from_this(), acceptor, use_tls](beast::error_code ec,
                                                                           tcp::socket socket) {
      if (ec == asio::error::operation_aborted || !acceptor->is_open())
        return;
      if (!ec) {
        beast::error_code ep_ec;
        auto peer = socket.remote_endpoint(ep_ec);
        // Refuse rather than queue: a flood must not starve the accept loop,
        // and one address must not take every slot.
        if (ep_ec || self->connections.load() >= self->limits.max_connections ||
            !self->admit(peer.address().to_string())) {
          beast::error_code ignored;
          socket.close(ignored);
        } else {
          self->connections++;
          if (use_tls)
            std::make_shared<session<tls_stream>>(std::move(socket), self, peer.address(),
                                                  *self->tls)
              ->start();
          else
            std::make_shared<session<beast::tcp_stream>>(std::move(socket), self,
                                                         peer.address())
              ->start();
        }
      }
      self->accept(acceptor, use_tls);
    });
}

http_server::http_server(asio::io_context& ioc, const router& routes, server_limits limits,
                         header_decorator decorate, interceptor intercept)
  : impl_(std::make_shared<impl>(ioc, routes, limits, std::move(decorate),
                                 std::move(intercept))) {
}

http_server::~http_server() {
  stop();
}

std::string http_server::set_tls(const std::string& certificate_path,
                                 const std::string& private_key_path) {
  auto ctx = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_server);
  ctx->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                   asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                   asio::ssl::context::no_tlsv1_1 | asio::ssl::context::single_dh_use);
  boost::system::error_code ec;
  ctx->use_certificate_chain_file(certificate_path, ec);
  if (ec)
    return "cannot load the TLS certificate chain " + certificate_path + " (api.certificatePath): " +
           ec.message();
  ctx->use_private_key_file(private_key_path, asio::ssl::context::pem, ec);
  if (ec)
    return "cannot load the TLS private key " + private_key_path + " (api.privateKeyPath): " +
           ec.message();
  impl_->tls = std::move(ctx);
  return {};
}

std::string http_server::listen(const std::string& uri) {
  std::string_view rest = uri;
  bool use_tls = false;
  if (rest.starts_with("http://")) {
    rest.remove_prefix(7);
  } else if (rest.starts_with("https://")) {
    if (!impl_->tls)
      return "https listen URI " + uri +
             " needs api.certificatePath and api.privateKeyPath (PEM files)";
    rest.remove_prefix(8);
    use_tls = true;
  } else {
    return "listen URI must start with http:// or https:// : " + uri;
  }
  if (auto slash = rest.find('/'); slash != std::string_view::npos)
    rest = rest.substr(0, slash);
  auto colon = rest.rfind(':');
  std::string host{colon == std::string_view::npos ? rest : rest.substr(0, colon)};
  std::string port{colon == std::string_view::npos ? (use_tls ? "443" : "80")
                                                   : rest.substr(colon + 1)};
  if (host.size() > 2 && host.front() == '[')
    host = host.substr(1, host.size() - 2);
  if (host == "localhost")
    host = "127.0.0.1";
  boost::system::error_code ec;
  auto address = asio::ip::make_address(host, ec);
  if (ec)
    return "bad listen address '" + host + "' in " + uri;
  char* end = nullptr;
  long port_number = std::strtol(port.c_str(), &end, 10);
  if (*end || port_number < 0 || port_number > 65535)
    return "bad port in " + uri;
  auto acceptor = std::make_shared<tcp::acceptor>(asio::make_strand(impl_->ioc));
  tcp::endpoint ep{address, static_cast<uint16_t>(port_number)};
  acceptor->open(ep.protocol(), ec);
  if (!ec)
    acceptor->set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec)
    acceptor->bind(ep, ec);
  if (!ec)
    acceptor->listen(asio::socket_base::max_listen_connections, ec);
  if (ec)
    return "cannot listen on " + uri + ": " + ec.message();
  {
    std::lock_guard guard{impl_->acceptors_mutex};
    impl_->acceptors.push_back(acceptor);
  }
  impl_->accept(acceptor, use_tls);
  return {};
}

std::vector<uint16_t> http_server::bound_ports() const {
  std::vector<uint16_t> out;
  std::lock_guard guard{impl_->acceptors_mutex};
  for (auto& a : impl_->acceptors) {
    boost::system::error_code ec;
    auto ep = a->local_endpoint(ec);
    if (!ec)
      out.push_back(ep.port());
  }
  return out;
}

void http_server::stop() {
  std::lock_guard guard{impl_->acceptors_mutex};
  for (auto& a : impl_->acceptors) {
    asio::post(a->get_executor(), [a] {
      boost::system::error_code ec;
      a->close(ec);
    });
  }
  impl_->acceptors.clear();
}

} // namespace cairn::net
