#include "actors/metrics.hpp"

#include "actors/heap_usage.hpp"
#include "actors/replication_lag.hpp"
#include "query/memo.hpp"

#include <fmt/format.h>


namespace cairn {

metrics& metrics::instance() {
  static metrics m;
  return m;
}

metrics::metrics() : started_(std::chrono::steady_clock::now()) {
}

void metrics::count_request(std::string_view route, unsigned status) {
  std::lock_guard guard{requests_mutex_};
  ++requests_[{std::string{route}, status}];
}

void metrics::watch_memo(std::weak_ptr<const query::memo_cache> memo) {
  std::lock_guard guard{requests_mutex_};
  memo_ = std::move(memo);
}

std::string metrics::render() const {
  std::string out;
  auto uptime = std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
  auto family = [&](const char* name, const char* type, const char* help) {
    fmt::format_to(std::back_inserter(out), "# HELP {} {}\n# TYPE {} {}\n", name, help, name,
                   type);
  };
  auto counter = [&](const char* name, const char* help, uint64_t v) {
    family(name, "counter", help);
    fmt::format_to(std::back_inserter(out), "{} {}\n", name, v);
  };
  auto gauge = [&](const char* name, const char* help, double v) {
    family(name, "gauge", help);
    fmt::format_to(std::back_inserter(out), "{} {}\n", name, v);
  };
  gauge("cairn_uptime_seconds", "Seconds since this node started", uptime);
  {
    // Live allocations against what the allocator keeps free: resident
    // memory that grows while in-use stays flat is allocator retention.
    const auto heap = read_heap_usage();
    family("cairn_process_allocator_info", "gauge", "The allocator serving malloc (label), always 1");
    fmt::format_to(std::back_inserter(out), "cairn_process_allocator_info{{allocator=\"{}\"}} 1\n",
                   heap.allocator);
    gauge("cairn_process_heap_in_use_bytes", "Bytes of live heap allocations",
          static_cast<double>(heap.in_use));
    gauge("cairn_process_heap_free_bytes",
          "Bytes the allocator holds but no allocation uses (jemalloc: resident minus allocated)",
          static_cast<double>(heap.held_free));
  }
  family("cairn_http_requests_total", "counter", "HTTP requests by route and status code");
  {
    std::lock_guard guard{requests_mutex_};
    for (const auto& [key, n] : requests_)
      fmt::format_to(std::back_inserter(out),
                     "cairn_http_requests_total{{route=\"{}\",code=\"{}\"}} {}\n", key.first,
                     key.second, n);
  }
  gauge("cairn_http_open_connections", "HTTP connections currently open", open_connections.load());
  counter("cairn_ingest_requests_total", "Ingest requests acknowledged", ingest_requests.load());
  counter("cairn_ingest_events_total", "Events durably committed", ingest_events.load());
  counter("cairn_ingest_bytes_total", "Request body bytes of acknowledged ingest requests",
          ingest_bytes.load());
  counter("cairn_ingest_rejected_total", "Ingest requests rejected (4xx/5xx)",
          ingest_rejected.load());
  counter("cairn_ingest_commit_timeouts_total",
          "Ingest requests answered 503 because their commit outlasted ingest.commitTimeoutMs",
          ingest_commit_timeouts.load());
  gauge("cairn_ingest_stalled", "1 while a commit that outlasted ingest.commitTimeoutMs is unfinished",
        ingest_stalled.load());
  counter("cairn_ingest_commit_microseconds_total", "Time spent in durable batch commits",
          ingest_commit_microseconds.load());
  counter("cairn_ingest_commits_total",
          "Durable group commits of ingest requests (requests / commits = requests per group)",
          ingest_commits.load());
  counter("cairn_indexed_blocks_total", "Blocks written by indexers", indexed_blocks.load());
  counter("cairn_indexed_events_total", "Events folded into blocks", indexed_events.load());
  counter("cairn_queries_total", "Queries and searches executed", queries.load());
  counter("cairn_query_errors_total", "Queries that failed", query_errors.load());
  counter("cairn_queries_abandoned_total", "Queries stopped because the client closed its connection",
          queries_abandoned.load());
  counter("cairn_lease_acquisitions_total", "Times this node acquired the leader lease",
          lease_acquisitions.load());
  counter("cairn_lease_renewal_failures_total", "Failed lease acquisitions or renewals",
          lease_renewal_failures.load());
  counter("cairn_replicated_events_total", "Events applied from the leader's replication stream",
          replicated_events.load());
  gauge("cairn_store_next_id", "One past the highest event id stored on this node",
        static_cast<double>(store_next_id.load()));
  gauge("cairn_store_events", "Events held by this node (buffer and blocks; with shards, its "
                              "shards only)",
        static_cast<double>(stored_events.load()));
  gauge("cairn_store_buffered_events", "Of those, events in the write-ahead buffer not yet "
                                       "indexed into blocks",
        static_cast<double>(buffered_events.load()));
  gauge("cairn_is_leader", "1 if this node acts as leader", is_leader.load());
  gauge("cairn_epoch", "Leader epoch this node last saw", epoch.load());
  gauge("cairn_generation_model", "Model part of this node's storage generation",
        static_cast<double>(generation_model.load()));
  gauge("cairn_generation_write", "Write part of this node's storage generation",
        static_cast<double>(generation_write.load()));
  std::shared_ptr<const query::memo_cache> memo;
  {
    std::lock_guard guard{requests_mutex_};
    memo = memo_.lock();
  }
  if (memo) {
    // Held bytes are what a heap-size graph should be read against: the memo
    // grows with the number of blocks queried until its capacity.
    auto c = memo->snapshot();
    gauge("cairn_query_memo_bytes", "Bytes held by the query memo (keys, values, per-entry "
                                    "overhead)",
          static_cast<double>(c.bytes));
    gauge("cairn_query_memo_capacity_bytes", "The query memo's byte bound",
          static_cast<double>(memo->capacity()));
    gauge("cairn_query_memo_entries", "Per-block partial results held by the query memo",
          static_cast<double>(c.entries));
    counter("cairn_query_memo_hits_total", "Block partials reused from the memo", c.hits);
    counter("cairn_query_memo_misses_total", "Block partials not found in the memo", c.misses);
    counter("cairn_query_memo_evictions_total", "Memo entries evicted to stay within capacity",
            c.evictions);
  }
  replication_lag::instance().render(
    out, std::chrono::duration_cast<std::chrono::nanoseconds>(
           std::chrono::system_clock::now().time_since_epoch())
           .count());
  return out;
}

} // namespace cairn
