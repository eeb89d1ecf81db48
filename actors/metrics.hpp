#pragma once
/// Process-wide Prometheus counters and gauges. Counters are monotonically
/// increasing atomics, written by whichever component owns the event they
/// count and read only by the /metrics renderer, so no actor's state is
/// shared: a probe is write-only for its owner and read-only for everyone else.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>

namespace cairn::query {
class memo_cache;
}

namespace cairn {

class metrics {
public:
  /// The process-wide registry.
  static metrics& instance();

  /// HTTP requests by route name and status code.
  void count_request(std::string_view route, unsigned status);

  std::atomic<uint64_t> ingest_requests{0};
  std::atomic<uint64_t> ingest_events{0};
  std::atomic<uint64_t> ingest_bytes{0};
  std::atomic<uint64_t> ingest_rejected{0};
  std::atomic<uint64_t> ingest_commit_timeouts{0}; ///< answered 503 by ingest.commitTimeoutMs
  std::atomic<int64_t> ingest_stalled{0};          ///< 1 while a timed-out commit is unfinished
  std::atomic<uint64_t> ingest_commit_microseconds{0};
  std::atomic<uint64_t> ingest_commits{0}; ///< group commits (each holds one or more requests)
  std::atomic<uint64_t> indexed_blocks{0};
  std::atomic<uint64_t> indexed_events{0};
  std::atomic<uint64_t> queries{0};
  std::atomic<uint64_t> query_errors{0};
  std::atomic<uint64_t> queries_abandoned{0}; ///< stopped because the client left
  std::atomic<uint64_t> lease_acquisitions{0};
  std::atomic<uint64_t> lease_renewal_failures{0};
  std::atomic<int64_t> is_leader{0};
  std::atomic<int64_t> epoch{0};
  std::atomic<uint64_t> generation_model{0};
  std::atomic<uint64_t> generation_write{0};
  std::atomic<int64_t> open_connections{0};
  std::atomic<uint64_t> replicated_events{0}; ///< applied from the leader (followers)
  std::atomic<uint64_t> store_next_id{0};     ///< this node's log position (next id)
  std::atomic<uint64_t> stored_events{0};     ///< events held here (buffer + blocks)
  std::atomic<uint64_t> buffered_events{0};   ///< of which still in the write-ahead buffer

  /// Reports this query memo's size and hit counters (the HTTP query routes
  /// own it; held weakly, so a discarded runtime simply stops being reported).
  void watch_memo(std::weak_ptr<const query::memo_cache> memo);

  /// Prometheus text exposition (version 0.0.4).
  std::string render() const;

private:
  metrics();
  std::chrono::steady_clock::time_point started_;
  mutable std::mutex requests_mutex_;
  std::map<std::pair<std::string, unsigned>, uint64_t> requests_;
  std::weak_ptr<const query::memo_cache> memo_; ///< guarded by requests_mutex_
};

} // namespace cairn
