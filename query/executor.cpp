#include "query/executor.hpp"

#include "query/column_scan.hpp"
#include "query/field_usage.hpp"
#include "query/parse_error.hpp"

#include <algorithm>
#include <chrono>
#include <optional>
#include <queue>

namespace cairn::query {

namespace {

void check_limits(const partial_result& p, const query_options& opts) {
  if (opts.cancel && opts.cancel->load(std::memory_order_relaxed))
    throw query_error(query_error::kind::cancelled, "the query was cancelled");
  if (p.memory_bytes() > opts.max_memory_bytes)
    throw query_error(query_error::kind::memory, "query exceeded query.maxMemoryBytes");
}

/// plan_projection(*plan), remembered per thread for the last plan: the
/// memoizing executor runs one plan block by block, and deriving the
/// projection re-parses the query text.
const storage::field_projection& cached_projection(const std::shared_ptr<const query_plan>& plan) {
  thread_local std::weak_ptr<const query_plan> last;
  thread_local storage::field_projection projection;
  if (last.lock() != plan) {
    projection = plan_projection(*plan);
    last = plan;
  }
  return projection;
}

int64_t bucket_origin(const block_filter& f) { return f.from_ns == INT64_MIN ? 0 : f.from_ns; }

} // namespace

block_filter plan_blocks(const query_plan& plan, const query_options& opts) {
  return plan_block_filter(plan.where_ast.get(), opts.from_ns, opts.to_ns, plan.now_ns);
}

partial_result execute_partial(const std::shared_ptr<const query_plan>& plan_ptr, event_source& source,
                               const query_options& opts, query_stats* stats) {
  const query_plan& plan = *plan_ptr;
  partial_result out(plan_ptr);
  block_filter filter = plan_blocks(plan, opts);
  if (filter.is_empty())
    return out;
  eval_context ctx(plan.props, plan.now_ns);
  const expr_node* where = plan.where.get();
  const size_t nk = plan.keys.size();
  const size_t na = plan.aggs.size();
  const bool grouped = plan.aggregate;
  const int64_t width = plan.bucket_ns.value_or(0);
  const int64_t origin = bucket_origin(filter);
  value keys[16];
  if (nk > 16)
    throw query_error(query_error::kind::semantic, "at most 16 group keys are supported");
  std::vector<value> cols(plan.columns.size());
  // count(*)-only aggregates skip argument evaluation entirely.
  std::vector<const expr_node*> args(na);
  for (size_t a = 0; a < na; ++a)
    args[a] = plan.aggs[a].arg.get();
  // count(*)-only aggregates: count per group in plain integers (no
  // virtual update per event) and flush into the states at the end.
  bool star_only = grouped && na > 0;
  for (size_t a = 0; a < na; ++a)
    star_only = star_only && plan.aggs[a].kind == agg_kind::count_star;
  std::vector<uint64_t> star_counts;
  query_stats local;
  query_stats& st = stats ? *stats : local;

  // Only the fields the plan evaluates need decoding.
  const storage::field_projection projection = cached_projection(plan_ptr);
  scan_request req;
  req.filter = &filter;
  req.from_ns = filter.from_ns;
  req.to_ns = filter.to_ns;
  req.projection = &projection;
  // Aggregates over whole values of one source per expression may take
  // blocks as value codes (query/column_scan.hpp).
  std::optional<column_scanner> by_columns;
  if (plan.by_columns) {
    by_columns.emplace(plan, out, star_counts, star_only, filter.from_ns, filter.to_ns, origin, width);
    req.columns = &by_columns->selection();
    req.column_chunk = [&](const storage::block_summary&, const storage::block_columns& block) {
      by_columns->add_block(block, st);
      check_limits(out, opts);
      return true;
    };
  }
  source.scan(req, [&](const storage::block_summary*, std::span<const storage::record_view> events) {
    ++st.chunks_scanned;
    const size_t n = events.size();
    for (size_t base = 0; base < n; base += batch_size) {
      size_t end = std::min(n, base + batch_size);
      for (size_t i = base; i < end; ++i) {
        const storage::record_view& rv = events[i];
        int64_t ts = rv.timestamp();
        if (ts < filter.from_ns || ts >= filter.to_ns)
          continue;
        ctx.begin_event(rv);
        ++st.events_scanned;
        if (where && !where->eval(ctx).is_true())
          continue;
        ++st.events_matched;
        if (!grouped) {
          for (size_t c = 0; c < cols.size(); ++c)
            cols[c] = plan.columns[c]->eval(ctx);
          out.add_row(ts, rv.id(), cols.data(), cols.size());
          continue;
        }
        for (size_t k = 0; k < nk; ++k)
          keys[k] = plan.keys[k]->eval(ctx);
        int64_t bucket = width ? time_bucket_of(ts, origin, width) : 0;
        size_t g = out.find_or_add_group(partial_result::hash_keys(keys, nk, plan.key_ci, bucket), keys, bucket);
        if (star_only) {
          if (g >= star_counts.size())
            star_counts.resize(g + 1, 0);
          ++star_counts[g];
          continue;
        }
        size_t added = 0;
        for (size_t a = 0; a < na; ++a)
          added += out.state(g, a).update(args[a] ? args[a]->eval(ctx) : value{}, ts, rv.id());
        if (added)
          out.add_memory(added);
      }
      check_limits(out, opts);
    }
    return true;
  });
  for (size_t g = 0; g < star_counts.size(); ++g)
    for (size_t a = 0; a < na; ++a)
      add_star_count(out.state(g, a), star_counts[g]);
  check_limits(out, opts);
  return out;
}

query_result run_query(std::string_view text, event_source& source, const query_options& opts, int64_t now_ns) {
  auto t0 = std::chrono::steady_clock::now();
  auto plan = query_plan::compile(text, now_ns);
  if (!plan->is_select)
    throw query_error(query_error::kind::semantic, "expected a `select` query");
  query_stats stats;
  partial_result p = execute_partial(plan, source, opts, &stats);
  block_filter f = plan_blocks(*plan, opts);
  query_result r = p.finish(f.from_ns, f.to_ns);
  stats.elapsed_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  r.stats = stats;
  return r;
}

std::vector<search_hit> search(const query_plan& plan, event_source& source, const query_options& opts,
                               const search_options& sopts, query_stats* stats) {
  std::vector<search_hit> heap; // min-heap on (timestamp, id): the oldest kept hit on top
  auto older = [](const search_hit& a, const search_hit& b) {
    return a.timestamp != b.timestamp ? a.timestamp > b.timestamp : a.id > b.id;
  };
  if (sopts.count == 0)
    return heap;
  block_filter filter = plan_blocks(plan, opts);
  if (filter.is_empty())
    return heap;
  eval_context ctx(plan.props, plan.now_ns);
  query_stats local;
  query_stats& st = stats ? *stats : local;
  scan_request req;
  req.filter = &filter;
  req.from_ns = filter.from_ns;
  req.to_ns = filter.to_ns;
  req.newest_first = true;
  const bool ordered = source.ordered_newest_first();
  size_t since_check = 0;
  source.scan(req, [&](const storage::block_summary* summary, std::span<const storage::record_view> events) {
    ++st.chunks_scanned;
    if (ordered && summary && heap.size() == sopts.count && summary->max_timestamp < heap.front().timestamp)
      return false;
    for (const storage::record_view& rv : events) {
      int64_t ts = rv.timestamp();
      if (ts < filter.from_ns || ts >= filter.to_ns)
        continue;
      uint64_t id = rv.id();
      if (sopts.before && (ts > sopts.before->first || (ts == sopts.before->first && id >= sopts.before->second)))
        continue;
      if (heap.size() == sopts.count) {
        const auto& top = heap.front();
        if (ts < top.timestamp || (ts == top.timestamp && id < top.id))
          continue;
      }
      ++st.events_scanned;
      ctx.begin_event(rv);
      if (plan.where && !plan.where->eval(ctx).is_true())
        continue;
      ++st.events_matched;
      heap.push_back(search_hit{ts, id, std::string(rv.bytes())});
      std::push_heap(heap.begin(), heap.end(), older);
      if (heap.size() > sopts.count) {
        std::pop_heap(heap.begin(), heap.end(), older);
        heap.pop_back();
      }
      if (++since_check == batch_size) {
        since_check = 0;
        if (opts.cancel && opts.cancel->load(std::memory_order_relaxed))
          throw query_error(query_error::kind::cancelled, "the query was cancelled");
      }
    }
    return !(opts.cancel && opts.cancel->load(std::memory_order_relaxed));
  });
  std::sort(heap.begin(), heap.end(), older);
  return heap;
}

filter_matcher::filter_matcher(std::shared_ptr<const query_plan> plan)
  : plan_(std::move(plan)), ctx_(plan_->props, plan_->now_ns) {}

bool filter_matcher::matches(const storage::record_view& rec) {
  if (!plan_->where)
    return true;
  ctx_.begin_event(rec);
  return plan_->where->eval(ctx_).is_true();
}

} // namespace cairn::query
