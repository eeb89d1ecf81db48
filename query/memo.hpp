#pragma once
/// Memoization of per-block partial results (issue 9 item 4).
///
/// Blocks are immutable, so the partial result of a query over one block
/// depends only on the query, the block's content and, for blocks that
/// straddle an edge of the request range, on that range. A query that is run
/// again (dashboards refresh, users page) can merge cached partials of the
/// blocks it already saw and decode only new blocks plus the write-ahead
/// buffer, which is never cached.
///
/// Caveats:
/// - Entries are serialized partials (partial_result::serialize); they are
///   deserialized with the plan of the current run, which is compiled from
///   the same normalized text, so the layouts match.
/// - Queries that call Now() have results that depend on the clock: their
///   fingerprint includes now_ns, so they never hit (they still work).
/// - Time-bucketed queries (`group by time(d)`) align buckets on the range
///   start: the fingerprint includes that phase (origin mod d).
#include "query/planner.hpp"
#include "query/query_plan.hpp"

#include <cstdint>
#include <list>
#include <memory>
#include <memory_resource>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace cairn::query {

/// Default bound of the memo cache (query.memoBytes).
inline constexpr size_t default_memo_bytes = size_t{64} << 20;

/// A thread-safe map from memo keys to serialized partial results, bounded
/// in bytes (keys + value capacities + a fixed per-entry overhead).
///
/// Eviction: segmented LRU. New entries enter a probation segment; a hit
/// moves an entry to the protected segment (at most protected_share of the
/// capacity; its least recent entries fall back to probation). Evictions
/// take probation's least recent entry first. Why: queries pass over blocks
/// in order, so with plain LRU a working set one entry larger than the
/// capacity evicted exactly the entries the next pass needed and nothing
/// hit (a 20-minute sustained run: 49% hits, query p99 5.3 s); entries that
/// were hit once now survive passes over more blocks than fit.
///
/// Lifecycle: one per node, created at start and shared (shared_ptr) by
/// every query thread; all members may be called from any thread. Values are
/// handed out as shared_ptr so an eviction never invalidates a reader; they
/// must not outlive the cache.
///
/// Memory: entries (list and map nodes, keys, values) come from a pool of
/// the cache's own. Allocated from the query threads' malloc arenas, these
/// long-lived small blocks were interleaved with each query's transient
/// buffers, and the freed space between them could not be returned: in a
/// 10-minute sustained run anonymous RSS rose by twice the memo's growth.
class memo_cache {
public:
  /// Counters since creation (a consistent snapshot).
  struct counters {
    uint64_t hits = 0;
    uint64_t misses = 0;
    uint64_t insertions = 0;
    uint64_t evictions = 0;
    uint64_t rejected = 0; ///< values too large to be worth caching
    size_t bytes = 0;      ///< currently held (accounting bytes)
    size_t entries = 0;
  };

  /// @param capacity_bytes 0 disables the cache (every get misses, put drops).
  explicit memo_cache(size_t capacity_bytes) : capacity_(capacity_bytes) {}
  memo_cache(const memo_cache&) = delete;
  memo_cache& operator=(const memo_cache&) = delete;

  /// The cached bytes for `key` (and marks it recently used), or null.
  std::shared_ptr<const std::pmr::string> get(const std::string& key);

  /// Stores `value` under `key`, evicting least recently used entries to stay
  /// within the capacity. Values above capacity/8 are not stored: one huge
  /// partial (a group by @Id) would flush everything else for little gain.
  void put(const std::string& key, std::string_view value);

  counters snapshot() const;
  size_t capacity() const noexcept { return capacity_; }

  /// The protected segment's bound, as a share of the capacity.
  static constexpr double protected_share = 0.8;

  /// Bytes charged per entry besides key and value: what the pool really
  /// spends on it on 64-bit, so the byte bound holds for small partials too
  /// (a count's is tens of bytes): list node with the entry 96, shared
  /// string and control block 64, map node 48, bucket 8, rounding of the
  /// key and value buffers to their pools' block sizes, the newest chunks'
  /// spare blocks (measured: ~375 bytes per entry with a 55-byte key and a
  /// 24-byte value).
  static constexpr size_t entry_overhead = 320;

private:
  /// One pool for every thread, locked around each call. (A
  /// synchronized_pool_resource keeps pools per allocating thread, and each
  /// query's second scan thread is a new one: every query started a new
  /// set of chunks.) Values may be released outside the cache's mutex, by a
  /// reader holding one past its eviction, hence a lock of its own.
  class locked_pool final : public std::pmr::memory_resource {
  public:
    explicit locked_pool(std::pmr::pool_options options) : pool_(options) {}

  private:
    void* do_allocate(size_t bytes, size_t align) override {
      std::lock_guard lock{mutex_};
      return pool_.allocate(bytes, align);
    }
    void do_deallocate(void* p, size_t bytes, size_t align) override {
      std::lock_guard lock{mutex_};
      pool_.deallocate(p, bytes, align);
    }
    bool do_is_equal(const std::pmr::memory_resource& other) const noexcept override {
      return this == &other;
    }
    std::mutex mutex_;
    std::pmr::unsynchronized_pool_resource pool_;
  };

  struct entry {
    std::pmr::string key;
    std::shared_ptr<const std::pmr::string> value;
    size_t charge;
    bool in_protected = false; ///< which list holds it
  };
  using lru_list = std::pmr::list<entry>; ///< front = most recently used

  void evict_to(size_t target);
  /// Moves protected entries back to probation until the segment fits.
  void demote_protected();
  /// Unlinks one entry (from either list) and its index entry.
  void remove(lru_list::iterator node);

  const size_t capacity_;
  mutable std::mutex mutex_;
  /// Declared before the containers: destroyed after them. Chunks of at
  /// most 512 blocks: the spare room in each size class's newest chunk
  /// stays small next to the charge.
  locked_pool pool_{std::pmr::pool_options{512, 0}};
  lru_list probation_{&pool_};
  lru_list protected_{&pool_};
  size_t protected_bytes_ = 0;
  /// Views into the lists' keys; splicing between the lists keeps iterators valid.
  std::pmr::unordered_map<std::string_view, lru_list::iterator> index_{&pool_};
  counters counters_;
};

/// `text` with runs of whitespace outside quoted literals collapsed to one
/// space and the ends trimmed, so reformatting a query keeps its memo
/// entries. Texts containing '/' (regex literals or division: ambiguous to a
/// lexer-free scan) are only trimmed. `uses_now` is set if Now( appears
/// outside literals.
std::string normalize_query_text(std::string_view text, bool& uses_now);

/// The part of every memo key that identifies the query and the parts of the
/// request that change any block's partial: normalized text, Now() when
/// used, and the bucket phase of time-grouped queries.
/// @pre `filter` is plan_blocks(plan, opts) of the run.
std::string memo_fingerprint(const query_plan& plan, const block_filter& filter);

} // namespace cairn::query
