#pragma once
/// The final, in-memory result of a `select` (query/result_json.hpp turns
/// it into Seq's JSON shapes).
#include "query/arena.hpp"
#include "query/value.hpp"

#include <climits>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace cairn::query {

struct query_stats {
  uint64_t chunks_scanned = 0;
  uint64_t events_scanned = 0;
  uint64_t events_matched = 0;
  double elapsed_ms = 0;
};

struct query_result {
  /// Group-key columns first, then the selected columns (no time column).
  std::vector<std::string> columns;
  size_t key_count = 0;
  /// Grouped by time(): row_times[i] is row i's bucket start (Unix ns).
  bool time_grouped = false;
  int64_t interval_ns = 0;
  int64_t range_from_ns = INT64_MIN; ///< effective range, for empty slices
  int64_t range_to_ns = INT64_MAX;
  std::vector<int64_t> row_times;
  std::vector<std::vector<value>> rows;
  /// Owns the text of every value in rows; shared so copies stay valid.
  std::shared_ptr<arena> storage = std::make_shared<arena>();
  query_stats stats;
};

} // namespace cairn::query
