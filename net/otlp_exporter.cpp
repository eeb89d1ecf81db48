#include "net/otlp_exporter.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <spdlog/spdlog.h>

namespace cairn::net {

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;

std::optional<http_endpoint> parse_http_endpoint(std::string_view uri) {
  constexpr std::string_view scheme = "http://";
  if (uri.substr(0, scheme.size()) != scheme)
    return std::nullopt;
  uri.remove_prefix(scheme.size());
  http_endpoint ep;
  auto slash = uri.find('/');
  auto authority = uri.substr(0, slash);
  if (slash != std::string_view::npos)
    ep.target = std::string{uri.substr(slash)};
  auto colon = authority.rfind(':');
  if (colon != std::string_view::npos && authority.find(']') == std::string_view::npos) {
    ep.port = std::string{authority.substr(colon + 1)};
    authority = authority.substr(0, colon);
  }
  if (authority.empty() || ep.port.empty() ||
      ep.port.find_first_not_of("0123456789") != std::string::npos)
    return std::nullopt;
  ep.host = std::string{authority};
  return ep;
}

otlp_exporter::otlp_exporter(http_endpoint endpoint, options opts)
  : endpoint_(std::move(endpoint)), opts_(std::move(opts)), thread_([this] { run(); }) {}

otlp_exporter::~otlp_exporter() {
  {
    std::lock_guard lock{mutex_};
    stop_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

void otlp_exporter::submit(const query_trace& trace) {
  std::string spans;
  trace.append_otlp_spans(spans);
  {
    std::lock_guard lock{mutex_};
    ++counters_.submitted;
    if (queue_.size() >= opts_.max_queue) {
      ++counters_.dropped;
      return;
    }
    queue_.push_back(std::move(spans));
  }
  wake_.notify_one();
}

otlp_exporter::counters otlp_exporter::snapshot() const {
  std::lock_guard lock{mutex_};
  return counters_;
}

bool otlp_exporter::drain(std::chrono::milliseconds budget) {
  std::unique_lock lock{mutex_};
  return idle_.wait_for(lock, budget, [&] { return queue_.empty() && !busy_; });
}

void otlp_exporter::run() {
  std::string prefix = "{\"resourceSpans\":[{\"resource\":{\"attributes\":["
                       "{\"key\":\"service.name\",\"value\":{\"stringValue\":\"" +
                       opts_.service_name + "\"}}";
  if (!opts_.node_name.empty())
    prefix += ",{\"key\":\"service.instance.id\",\"value\":{\"stringValue\":\"" + opts_.node_name +
              "\"}}";
  prefix += "]},\"scopeSpans\":[{\"scope\":{\"name\":\"cairn.query\"},\"spans\":[";
  const std::string suffix = "]}]}]}";
  std::unique_lock lock{mutex_};
  for (;;) {
    wake_.wait(lock, [&] { return stop_ || !queue_.empty(); });
    if (stop_)
      return;
    // 1. Take a batch under the lock, then POST without it.
    std::string body = prefix;
    size_t n = 0;
    while (!queue_.empty() && n < opts_.max_batch) {
      if (n)
        body.push_back(',');
      body += queue_.front();
      queue_.pop_front();
      ++n;
    }
    body += suffix;
    busy_ = true;
    lock.unlock();
    bool ok = post(body);
    lock.lock();
    busy_ = false;
    ++counters_.requests;
    (ok ? counters_.exported : counters_.dropped) += n;
    if (queue_.empty())
      idle_.notify_all();
  }
}

bool otlp_exporter::post(const std::string& body) {
  // Asynchronous operations on a private io_context: beast's tcp_stream
  // timeouts apply only to async calls, and run_for bounds the whole POST so
  // a black-holed endpoint cannot hold the exporter (or shutdown) for long.
  boost::asio::io_context ioc;
  boost::asio::ip::tcp::resolver resolver{ioc};
  beast::tcp_stream stream{ioc};
  bhttp::request<bhttp::string_body> req{bhttp::verb::post, endpoint_.target, 11};
  req.set(bhttp::field::host, endpoint_.host + ":" + endpoint_.port);
  req.set(bhttp::field::content_type, "application/json");
  req.set(bhttp::field::user_agent, "cairn-otlp-exporter");
  req.body() = body;
  req.prepare_payload();
  beast::flat_buffer buffer;
  bhttp::response<bhttp::string_body> res;
  std::string failure = "timed out";
  bool ok = false;
  auto fail = [&](const beast::error_code& ec) { failure = ec.message(); };
  resolver.async_resolve(endpoint_.host, endpoint_.port, [&](const beast::error_code& ec,
                                                             auto results) {
    if (ec)
      return fail(ec);
    stream.expires_after(opts_.timeout);
    stream.async_connect(results, [&](const beast::error_code& ec, const auto&) {
      if (ec)
        return fail(ec);
      bhttp::async_write(stream, req, [&](const beast::error_code& ec, size_t) {
        if (ec)
          return fail(ec);
        bhttp::async_read(stream, buffer, res, [&](const beast::error_code& ec, size_t) {
          if (ec)
            return fail(ec);
          ok = res.result_int() / 100 == 2;
          if (!ok)
            failure = "answered " + std::to_string(res.result_int());
          beast::error_code ignored;
          stream.socket().shutdown(boost::asio::ip::tcp::socket::shutdown_both, ignored);
        });
      });
    });
  });
  ioc.run_for(opts_.timeout + std::chrono::milliseconds(200));
  if (!ok)
    spdlog::debug("otlp export to {}:{}{} failed: {}", endpoint_.host, endpoint_.port,
                  endpoint_.target, failure);
  return ok;
}

} // namespace cairn::net
