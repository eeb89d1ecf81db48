#pragma once
/// What the query planner may know about a block without decompressing it.
/// Filled by the indexer when the block is built; stored beside the block.
#include "storage/bloom.hpp"
#include "storage/levels.hpp"

#include <cstdint>

namespace cairn::storage {

struct block_summary {
  int64_t min_timestamp = 0; ///< smallest event timestamp (Unix ns)
  int64_t max_timestamp = 0; ///< largest event timestamp (Unix ns)
  uint64_t min_id = 0;
  uint64_t max_id = 0;
  uint32_t event_count = 0;
  uint32_t level_bits = 0;   ///< OR of level_bit(classify_level(level))
  /// Names of top-level properties and their dotted paths into nested
  /// objects ("Http.Method"), plus "@Exception" if any event has one.
  bloom_filter names;
  /// Tokens (for_each_token) of message, template, exception and of string
  /// property values at any depth.
  bloom_filter tokens;

  bool overlaps(int64_t from_ns, int64_t to_ns) const noexcept {
    return max_timestamp >= from_ns && min_timestamp < to_ns;
  }
  bool may_have_level(level_class c) const noexcept { return level_bits & level_bit(c); }
};

} // namespace cairn::storage
