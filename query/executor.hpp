#pragma once
/// Runs compiled queries over an event_source.
///
/// Events are processed chunk by chunk (a block or a buffer slice) in
/// batches of `batch_size`: for each event the where clause is evaluated,
/// then group keys and aggregate arguments; between batches the executor
/// checks cancellation and the memory bound. All work happens on the
/// calling thread; run one executor per thread over disjoint sources and
/// merge the partials.
#include "query/partial_result.hpp"
#include "query/planner.hpp"
#include "query/query_plan.hpp"
#include "query/query_result.hpp"
#include "query/source.hpp"

#include <atomic>
#include <climits>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cairn::query {

inline constexpr size_t batch_size = 1024;

struct query_options {
  int64_t from_ns = INT64_MIN; ///< inclusive (rangeStartUtc / fromDateUtc)
  int64_t to_ns = INT64_MAX;   ///< exclusive (rangeEndUtc / toDateUtc)
  /// query.maxMemoryBytes: bound on group tables, distinct sets, rows.
  size_t max_memory_bytes = size_t(1) << 30;
  /// Set to true from another thread to stop; checked per batch.
  const std::atomic<bool>* cancel = nullptr;
};

/// The block filter for a plan and request range.
block_filter plan_blocks(const query_plan& plan, const query_options& opts);

/// Scans `source` and returns the plan's partial result.
/// @throws query_error (memory, cancelled).
partial_result execute_partial(const std::shared_ptr<const query_plan>& plan, event_source& source,
                               const query_options& opts, query_stats* stats = nullptr);

/// Compiles, executes and finishes a `select` in one call.
/// @throws query_error.
query_result run_query(std::string_view text, event_source& source, const query_options& opts, int64_t now_ns);

/// One search hit: the record bytes (copied out of the chunk).
struct search_hit {
  int64_t timestamp;
  uint64_t id;
  std::string record;
};

struct search_options {
  size_t count = 30;
  /// Paging: only events strictly older than (before_ts, before_id).
  std::optional<std::pair<int64_t, uint64_t>> before;
};

/// Matching events, newest first (by timestamp, then id), at most `count`.
std::vector<search_hit> search(const query_plan& filter, event_source& source, const query_options& opts,
                               const search_options& sopts, query_stats* stats = nullptr);

/// Evaluates a filter plan against single events (live tail, retention).
/// Not thread-safe: one matcher per thread.
class filter_matcher {
public:
  explicit filter_matcher(std::shared_ptr<const query_plan> plan);
  bool matches(const storage::record_view& rec);

private:
  std::shared_ptr<const query_plan> plan_;
  eval_context ctx_;
};

} // namespace cairn::query
