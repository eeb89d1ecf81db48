#include "actors/query_memo.hpp"

#include "query/parse_error.hpp"

#include <chrono>
#include <cstring>

namespace cairn {

namespace {

int64_t unix_ns_now() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
           std::chrono::system_clock::now().time_since_epoch())
    .count();
}

/// Delivers one already-decoded block to the executor.
class one_chunk_source final : public query::event_source {
public:
  one_chunk_source(const storage::block_summary& summary, const storage::record_batch& batch)
    : summary_(summary), batch_(batch) {}
  void scan(const query::scan_request&, const query::chunk_callback& chunk) override {
    chunk(&summary_, batch_);
  }

private:
  const storage::block_summary& summary_;
  const storage::record_batch& batch_;
};

void append_u64(std::string& out, uint64_t v) {
  char b[8];
  std::memcpy(b, &v, 8);
  out.append(b, 8);
}

/// The memo key of `block` for a run with `fingerprint` and effective range.
std::string block_memo_key(const std::string& fingerprint, const storage::block_info& block,
                           const query::block_filter& filter) {
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

query::partial_result execute_memoized(const std::shared_ptr<const query::query_plan>& plan,
                                       store_source& source, const query::query_options& opts,
                                       query::memo_cache* cache, query::query_stats& stats,
                                       memo_run_report& report) {
  query::block_filter filter = query::plan_blocks(*plan, opts);
  // 1. Without a cache, one plain scan is cheapest (no per-block partials).
  if (!cache || cache->capacity() == 0 || plan->no_cache || filter.is_empty()) {
    report.bypassed = true;
    report.blocks_start_ns = unix_ns_now();
    source.set_parts(store_source::parts::all);
    auto out = query::execute_partial(plan, source, opts, &stats);
    report.blocks_end_ns = report.buffer_start_ns = report.buffer_end_ns = unix_ns_now();
    report.block_events = stats.events_scanned;
    return out;
  }

  const std::string fingerprint = query::memo_fingerprint(*plan, filter);
  query::partial_result total(plan);
  double merge_ms = 0;
  auto merge = [&](const query::partial_result& p) {
    auto t0 = std::chrono::steady_clock::now();
    total.merge(p);
    merge_ms += std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    check_bounds(total, opts);
  };

  // 2. Blocks: cached partials where the content is unchanged, else decode.
  report.blocks_start_ns = unix_ns_now();
  query::scan_request req;
  req.filter = &filter;
  req.from_ns = filter.from_ns;
  req.to_ns = filter.to_ns;
  for (const auto& block : source.list_candidates(req)) {
    check_bounds(total, opts);
    std::string key = block_memo_key(fingerprint, block, filter);
    if (auto bytes = cache->get(key)) {
      auto t0 = std::chrono::steady_clock::now();
      auto cached = query::partial_result::deserialize(plan, *bytes);
      merge_ms += std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
      ++report.memo_hits;
      merge(cached);
      continue;
    }
    auto batch = source.read_block(block);
    if (!batch) {
      ++report.blocks_vanished;
      continue;
    }
    ++report.memo_misses;
    one_chunk_source one{block.summary, *batch};
    query::query_stats block_stats;
    auto fresh = query::execute_partial(plan, one, opts, &block_stats);
    add_stats(stats, block_stats);
    report.block_events += block_stats.events_scanned;
    cache->put(key, fresh.serialize());
    ++report.memo_stores;
    merge(fresh);
  }
  report.blocks_end_ns = unix_ns_now();

  // 3. The buffer changes with every write: always fresh, never cached.
  report.buffer_start_ns = report.blocks_end_ns;
  source.set_parts(store_source::parts::buffer);
  query::query_stats buffer_stats;
  auto buffered = query::execute_partial(plan, source, opts, &buffer_stats);
  source.set_parts(store_source::parts::all);
  add_stats(stats, buffer_stats);
  report.buffer_events = buffer_stats.events_scanned;
  merge(buffered);
  report.buffer_end_ns = unix_ns_now();
  report.merge_ms = merge_ms;
  return total;
}

} // namespace cairn
