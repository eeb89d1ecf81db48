#pragma once
/// Memoized execution of a `select` over the node's event store.
///
/// Each block the plan's block filter cannot rule out is executed on its own
/// (a one-chunk event_source) into a partial result whose serialized bytes
/// are cached under (query fingerprint, block key, block content identity
/// [, clipped range]); a later run merges the cached bytes instead of
/// decoding the block. The write-ahead buffer is always executed fresh.
///
/// Cache keys (see query/memo.hpp for the fingerprint):
///   fingerprint | 16-byte block key | event_count min_id max_id stored_bytes
///   [| from to]   -- only for blocks straddling the effective range edges,
///                    whose partial depends on the clipping.
/// Retention rewrites a block under the same key with fewer events, which
/// changes event_count and stored_bytes, so stale entries never match; they
/// are never hit again and leave through probation (query/memo.hpp).
///
/// Threads: a run's blocks are split in two contiguous shares, one read on
/// the calling thread (a query pool thread), the other offered to the scan
/// helper thread (actors/scan_helper.hpp; with its own store_source fork),
/// and merged in block order; runs
/// of fewer than 32 blocks and the buffer stay on the calling thread. Each
/// block is decoded with the plan's field projection (query/field_usage.hpp).
#include "actors/store_source.hpp"
#include "query/executor.hpp"
#include "query/memo.hpp"

#include <cstdint>
#include <memory>

namespace cairn {

/// What one memoized run did, for the Statistics object and query spans.
struct memo_run_report {
  uint64_t memo_hits = 0;       ///< blocks whose partial came from the cache
  uint64_t memo_misses = 0;     ///< blocks decoded and executed
  uint64_t memo_stores = 0;     ///< fresh partials offered to the cache
  uint64_t blocks_vanished = 0; ///< listed, then gone (retention) before reading
  uint64_t block_events = 0;    ///< events scanned in freshly read blocks
  uint64_t buffer_events = 0;   ///< events scanned in the buffer
  bool bypassed = false;        ///< `for no_cache`, or no cache configured
  uint32_t retries = 0;         ///< buffer rescans: index passes moved events meanwhile
  // Unix-ns phase boundaries, for spans.
  int64_t blocks_start_ns = 0;
  int64_t blocks_end_ns = 0;
  int64_t buffer_start_ns = 0;
  int64_t buffer_end_ns = 0;
  double merge_ms = 0;          ///< time spent merging/deserializing partials
};

/// Runs `plan` (a select) over `source`, reusing and filling `cache`.
/// `cache` may be null and plan->no_cache bypasses it: then this is a plain
/// single executor pass over the blocks. Blocks and buffer are read in
/// separate transactions; blocks created by index passes during the run are
/// folded in and the buffer rescanned, so no event is missed or counted twice.
/// @throws query::query_error (memory bound, cancelled).
query::partial_result execute_memoized(const std::shared_ptr<const query::query_plan>& plan,
                                       store_source& source, const query::query_options& opts,
                                       query::memo_cache* cache, query::query_stats& stats,
                                       memo_run_report& report);

} // namespace cairn
