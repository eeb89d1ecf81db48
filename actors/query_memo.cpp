#include "actors/query_memo.hpp"

#include "actors/scan_helper.hpp"
#include "query/parse_error.hpp"

#include <algorithm>
#include <chrono>
#include <exception>
#include <optional>
#include <span>
#include <cstring>
#include <unordered_set>
#include <vector>

namespace cairn {

namespace {

int64_t unix_ns_now() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
           std::chrono::system_clock::now().time_since_epoch())
    .count();
}

/// Delivers one block to the executor, decoded as the executor asks.
class one_block_source final : public query::event_source {
public:
  one_block_source(store_source& store, const storage::block_info& block) : store_(store), block_(block) {}
  void scan(const query::scan_request& request, const query::chunk_callback& chunk) override {
    vanished = !store_.deliver_block(block_, request, chunk);
  }
  bool vanished = false;

private:
  store_source& store_;
  const storage::block_info& block_;
};

void append_u64(std::string& out, uint64_t v) {
  char b[8];
  std::memcpy(b, &v, 8);
  out.append(b, 8);
}

/// The memo key of `block` for a run with `fingerprint`, effective range and
/// the source's id restriction (a distributed query's share).
std::string block_memo_key(const std::string& fingerprint, const storage::block_info& block,
                           const query::block_filter& filter, const store_source& source) {
  std::string key = fingerprint;
  key.push_back('\0');
  char k[storage::event_key_size];
  block.key.encode(k);
  key.append(k, sizeof k);
  append_u64(key, block.summary.event_count);
  append_u64(key, block.summary.min_id);
  append_u64(key, block.summary.max_id);
  append_u64(key, block.stored_bytes);
  const bool inside = block.summary.min_timestamp >= filter.from_ns &&
                      block.summary.max_timestamp < filter.to_ns;
  if (!inside) {
    append_u64(key, static_cast<uint64_t>(filter.from_ns));
    append_u64(key, static_cast<uint64_t>(filter.to_ns));
  }
  source.memo_clip(block.summary, key);
  return key;
}

void add_stats(query::query_stats& into, const query::query_stats& s) {
  into.chunks_scanned += s.chunks_scanned;
  into.events_scanned += s.events_scanned;
  into.events_matched += s.events_matched;
}

void check_bounds(const query::partial_result& p, const query::query_options& opts) {
  if (opts.cancel && opts.cancel->load(std::memory_order_relaxed))
    throw query::query_error(query::query_error::kind::cancelled, "the query was cancelled");
  if (p.memory_bytes() > opts.max_memory_bytes)
    throw query::query_error(query::query_error::kind::memory,
                             "query exceeded query.maxMemoryBytes");
}

} // namespace

namespace {

/// Hash of a block key for the set of blocks already folded into a run.
struct block_key_hash {
  size_t operator()(const storage::block_key& k) const noexcept {
    return std::hash<uint64_t>{}(static_cast<uint64_t>(k.timestamp) * 0x9e3779b97f4a7c15ull ^ k.id);
  }
};

/// The blocks of [filter.from_ns, filter.to_ns) not in `seen` (added to it)
/// that the filter cannot rule out; the others count as skipped. Listed
/// without their bloom filters: a run holds only what it will read.
std::vector<storage::block_info> list_new(std::unordered_set<storage::block_key, block_key_hash>& seen,
                                          const query::block_filter& filter, store_source& source) {
  return source.list_blocks(filter.from_ns, filter.to_ns,
                            [&](const storage::block_key& key, const storage::block_summary& s) {
                              if (!seen.insert(key).second)
                                return false;
                              if (filter.may_match(s))
                                return true;
                              source.count_skipped();
                              return false;
                            });
}

/// Delivers a given list of blocks, decoded one at a time.
class block_list_source final : public query::event_source {
public:
  block_list_source(store_source& store, std::span<const storage::block_info> blocks, memo_run_report& report)
    : store_(store), blocks_(blocks), report_(report) {}
  void scan(const query::scan_request& request, const query::chunk_callback& chunk) override {
    for (const auto& b : blocks_) {
      auto go_on = store_.deliver_block(b, request, chunk);
      if (!go_on) {
        ++report_.blocks_vanished;
        continue;
      }
      if (!*go_on)
        return;
    }
  }

private:
  store_source& store_;
  std::span<const storage::block_info> blocks_;
  memo_run_report& report_;
};

/// Runs the plan over `blocks` into `total`: cached partials where the
/// content is unchanged, else decode (and memoize) each block.
void run_block_range(const std::shared_ptr<const query::query_plan>& plan, store_source& source,
                const query::query_options& opts, const query::block_filter& filter,
                std::span<const storage::block_info> blocks, query::memo_cache* cache,
                const std::string& fingerprint, query::partial_result& total,
                query::query_stats& stats, memo_run_report& report) {
  auto merge = [&](const query::partial_result& p) {
    auto t0 = std::chrono::steady_clock::now();
    total.merge(p);
    report.merge_ms +=
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    check_bounds(total, opts);
  };
  if (!cache) { // no memo: one executor pass over all the blocks
    block_list_source all{source, blocks, report};
    query::query_stats s;
    merge(query::execute_partial(plan, all, opts, &s));
    add_stats(stats, s);
    report.block_events += s.events_scanned;
    return;
  }
  for (const auto& block : blocks) {
    check_bounds(total, opts);
    std::string key = block_memo_key(fingerprint, block, filter, source);
    if (auto bytes = cache->get(key)) {
      ++report.memo_hits;
      merge(query::partial_result::deserialize(plan, *bytes));
      continue;
    }
    one_block_source one{source, block};
    query::query_stats s;
    auto fresh = query::execute_partial(plan, one, opts, &s);
    if (one.vanished) {
      ++report.blocks_vanished;
      continue;
    }
    ++report.memo_misses;
    add_stats(stats, s);
    report.block_events += s.events_scanned;
    cache->put(key, fresh.serialize());
    ++report.memo_stores;
    merge(fresh);
  }
}

/// A run's blocks are split over this many threads: the calling one and
/// the scan helper (actors/scan_helper.hpp). Cold scans are CPU-bound in
/// decoding; the node has few cores.
constexpr size_t scan_threads = 2;
/// Below this many blocks per thread a second share costs more than it
/// saves: handing it over and faulting in its fresh decode buffers cost
/// about as much CPU as a small query's whole scan (a 9-block time window).
constexpr size_t min_blocks_per_thread = 16;

void add_report(memo_run_report& into, const memo_run_report& r) {
  into.memo_hits += r.memo_hits;
  into.memo_misses += r.memo_misses;
  into.memo_stores += r.memo_stores;
  into.blocks_vanished += r.blocks_vanished;
  into.block_events += r.block_events;
  into.merge_ms += r.merge_ms;
}

/// run_block_range over `blocks`, split in contiguous shares run in
/// parallel (each with its own store_source fork), merged in block order.
void run_blocks(const std::shared_ptr<const query::query_plan>& plan, store_source& source,
                const query::query_options& opts, const query::block_filter& filter,
                const std::vector<storage::block_info>& blocks, query::memo_cache* cache,
                const std::string& fingerprint, query::partial_result& total,
                query::query_stats& stats, memo_run_report& report) {
  const size_t threads = std::min(scan_threads, blocks.size() / min_blocks_per_thread);
  if (threads < 2) {
    run_block_range(plan, source, opts, filter, blocks, cache, fingerprint, total, stats, report);
    return;
  }
  struct share {
    std::span<const storage::block_info> blocks;
    std::optional<store_source> source;
    std::optional<query::partial_result> total;
    query::query_stats stats;
    memo_run_report report;
    std::exception_ptr failure;
  };
  // Share 0 runs here into `total`; shares 1.. are offered to the helper.
  std::vector<share> shares(threads - 1);
  const size_t per = (blocks.size() + threads - 1) / threads;
  const std::span<const storage::block_info> all{blocks};
  const auto mine = all.first(per);
  for (size_t i = 0; i < shares.size(); ++i) {
    size_t b = std::min(blocks.size(), per * (i + 1)), e = std::min(blocks.size(), per * (i + 2));
    shares[i].blocks = all.subspan(b, e - b);
    shares[i].source.emplace(source.fork());
    shares[i].total.emplace(plan);
  }
  std::vector<std::shared_ptr<offered_share>> offered;
  offered.reserve(shares.size());
  for (auto& sh : shares) {
    // The work must not throw: a failure is kept for this thread to rethrow.
    offered.push_back(std::make_shared<offered_share>([&, &sh = sh] {
      try {
        run_block_range(plan, *sh.source, opts, filter, sh.blocks, cache, fingerprint, *sh.total, sh.stats,
                        sh.report);
      } catch (...) {
        sh.failure = std::current_exception();
      }
    }));
    offer_to_scan_helper(offered.back());
  }
  std::exception_ptr failure;
  try {
    run_block_range(plan, source, opts, filter, mine, cache, fingerprint, total, stats, report);
  } catch (...) {
    failure = std::current_exception();
  }
  // Shares the helper has not started (busy with another query's) run
  // here, unless this share failed and the run is lost anyway.
  for (auto& o : offered)
    if (!(failure ? o->withdraw() : o->try_run()))
      o->wait();
  for (auto& sh : shares)
    if (!failure && sh.failure)
      failure = sh.failure;
  if (failure)
    std::rethrow_exception(failure);
  for (auto& sh : shares) {
    source.add_counters(*sh.source);
    add_stats(stats, sh.stats);
    add_report(report, sh.report);
    auto t0 = std::chrono::steady_clock::now();
    total.merge(*sh.total);
    report.merge_ms +=
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    check_bounds(total, opts);
  }
}

/// Bound on buffer rescans while index passes keep adding blocks.
constexpr int max_buffer_scans = 8;

} // namespace

query::partial_result execute_memoized(const std::shared_ptr<const query::query_plan>& plan,
                                       store_source& source, const query::query_options& opts,
                                       query::memo_cache* cache, query::query_stats& stats,
                                       memo_run_report& report) {
  query::block_filter filter = query::plan_blocks(*plan, opts);
  query::partial_result blocks_total(plan);
  if (filter.is_empty()) {
    report.bypassed = true;
    return blocks_total;
  }
  if (!cache || cache->capacity() == 0 || plan->no_cache) {
    report.bypassed = true;
    cache = nullptr;
  }
  const std::string fingerprint = cache ? query::memo_fingerprint(*plan, filter) : std::string{};

  // 1. The blocks as listed now.
  report.blocks_start_ns = unix_ns_now();
  std::unordered_set<storage::block_key, block_key_hash> seen;
  auto candidates = list_new(seen, filter, source);
  run_blocks(plan, source, opts, filter, candidates, cache, fingerprint, blocks_total, stats,
             report);
  report.blocks_end_ns = unix_ns_now();

  // 2. The buffer, then a second listing. Blocks and buffer are read in
  // separate transactions, so an index pass may move events between them.
  // Every block created before a buffer scan shows up in the listing after
  // it: fold in blocks not seen yet and scan the buffer again, until a
  // listing brings nothing new. Then every folded block predates the last
  // buffer scan (no event counted twice) and every block predating it was
  // folded (no event missed).
  report.buffer_start_ns = report.blocks_end_ns;
  for (int scan = 1;; ++scan) {
    source.set_parts(store_source::parts::buffer);
    query::query_stats buffer_stats;
    auto buffered = query::execute_partial(plan, source, opts, &buffer_stats);
    source.set_parts(store_source::parts::all);
    auto fresh = list_new(seen, filter, source);
    if (fresh.empty() || scan == max_buffer_scans) {
      add_stats(stats, buffer_stats);
      report.buffer_events = buffer_stats.events_scanned;
      auto t0 = std::chrono::steady_clock::now();
      blocks_total.merge(buffered);
      report.merge_ms +=
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
      check_bounds(blocks_total, opts);
      break;
    }
    ++report.retries;
    run_blocks(plan, source, opts, filter, fresh, cache, fingerprint, blocks_total, stats, report);
  }
  report.buffer_end_ns = unix_ns_now();
  return blocks_total;
}

} // namespace cairn
