#pragma once
/// Background OTLP/HTTP JSON exporter for Cairn's own query spans
/// (`diagnostics.otlpEndpoint`), so one Cairn can trace another.
///
/// submit() never blocks a query: traces go into a bounded queue and one
/// exporter thread drains it, batching up to `max_batch` traces into one
/// ExportTraceServiceRequest POSTed with short timeouts. When the queue is
/// full or the endpoint is down, traces are dropped and counted.
///
/// Lifecycle: created at start by the query routes; the destructor stops the
/// thread (a POST in flight ends within its timeout). Thread-safe.
#include "actors/query_tracer.hpp"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

namespace cairn::net {

/// Parts of an http:// endpoint URI.
struct http_endpoint {
  std::string host;
  std::string port = "80";
  std::string target = "/";
};

/// Parses "http://host[:port][/path]"; nullopt for other schemes or junk.
std::optional<http_endpoint> parse_http_endpoint(std::string_view uri);

class otlp_exporter {
public:
  struct options {
    size_t max_queue = 256;   ///< traces waiting; beyond this they are dropped
    size_t max_batch = 64;    ///< traces per request
    std::chrono::milliseconds timeout{2000}; ///< connect + write + read
    std::string service_name = "cairn";
    std::string node_name;
  };

  /// Counters since start.
  struct counters {
    uint64_t submitted = 0;
    uint64_t exported = 0; ///< traces in requests answered 2xx
    uint64_t dropped = 0;  ///< queue full, endpoint down or non-2xx
    uint64_t requests = 0;
  };

  /// @pre `endpoint` parsed by parse_http_endpoint.
  otlp_exporter(http_endpoint endpoint, options opts);
  ~otlp_exporter();
  otlp_exporter(const otlp_exporter&) = delete;
  otlp_exporter& operator=(const otlp_exporter&) = delete;

  /// Queues a finished trace; drops it (counted) when the queue is full.
  void submit(const query_trace& trace);

  counters snapshot() const;

  /// Waits until the queue is empty and no request is in flight (tests).
  bool drain(std::chrono::milliseconds budget);

private:
  void run();
  /// POSTs `body`; true on a 2xx answer.
  bool post(const std::string& body);

  const http_endpoint endpoint_;
  const options opts_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::condition_variable idle_;
  std::deque<std::string> queue_; ///< rendered span lists, one per trace
  bool busy_ = false;
  bool stop_ = false;
  counters counters_;
  std::thread thread_;
};

} // namespace cairn::net
