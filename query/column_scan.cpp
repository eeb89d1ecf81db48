#include "query/column_scan.hpp"

namespace cairn::query {

namespace {

std::span<const uint32_t> codes_of(const storage::block_columns& b, int source) {
  if (source < int(storage::field_count))
    return b.codes(static_cast<storage::field>(source));
  return b.property_codes(size_t(source) - storage::field_count);
}

std::span<const std::string_view> values_of(const storage::block_columns& b, int source) {
  if (source < int(storage::field_count))
    return b.values(static_cast<storage::field>(source));
  return b.property_values(size_t(source) - storage::field_count);
}

} // namespace

column_scanner::column_scanner(const query_plan& plan, partial_result& out, std::vector<uint64_t>& star_counts,
                               bool star_only, int64_t from_ns, int64_t to_ns, int64_t origin, int64_t width)
  : plan_(plan), columns_(*plan.by_columns), out_(out), star_counts_(star_counts), star_only_(star_only),
    from_ns_(from_ns), to_ns_(to_ns), origin_(origin), width_(width), ctx_(plan.props, plan.now_ns) {
  selection_.fields = columns_.fields;
  selection_.properties = columns_.properties;
  selection_.timestamps = width != 0;
  selection_.numeric_properties = columns_.numeric_properties;
  selection_.messages = columns_.messages;
  term_truth_.resize(columns_.where_tree.size());
  term_codes_.resize(columns_.where_tree.size());
  arg_values_.resize(plan.aggs.size());
  arg_codes_.resize(plan.aggs.size());
  arg_numbers_.resize(plan.aggs.size());
}

void column_scanner::fill_buffers(size_t g) {
  const size_t na = plan_.aggs.size();
  if (group_buffers_.size() < (g + 1) * na) {
    group_buffers_.resize((g + 1) * na, nullptr);
    buffers_ready_.resize(g + 1, 0);
  }
  auto* bufs = &group_buffers_[g * na];
  for (size_t a = 0; a < na; ++a)
    if (!bufs[a] && arg_numbers_[a])
      bufs[a] = out_.state(g, a).number_buffer();
  buffers_ready_[g] = 1;
}

value column_scanner::eval_on(const expr_node& e, int source, std::string_view text) {
  probe_.assemble(0, 0, storage::no_start, 0, 0);
  if (source >= 0 && source < int(storage::field_count))
    probe_.set(static_cast<storage::field>(source), text);
  ctx_.begin_event(probe_);
  if (source >= int(storage::field_count))
    ctx_.set_property(columns_.property_ids[size_t(source) - storage::field_count], text);
  return e.eval(ctx_);
}

const uint32_t* column_scanner::eval_per_value(const storage::block_columns& block, const expr_node& e, int source,
                                               std::vector<value>& out) {
  out.clear();
  if (source == column_plan::no_source) {
    out.push_back(eval_on(e, source, {}).persist(block_text_));
    return nullptr;
  }
  for (auto text : values_of(block, source))
    out.push_back(eval_on(e, source, text).persist(block_text_));
  return codes_of(block, source).data();
}

const uint32_t* column_scanner::property_values(const storage::block_columns& block, const expr_node& e, int source,
                                                std::vector<value>& out) {
  const size_t p = size_t(source) - storage::field_count;
  const auto numbers = block.property_numbers(p);
  if (numbers.empty())
    return eval_per_value(block, e, source, out);
  // The numbers as the property's value directly; the rest as evaluated.
  const auto texts = block.property_values(p);
  out.clear();
  out.push_back(value{});
  for (size_t c = 1; c < texts.size(); ++c)
    out.push_back(numbers[c] == numbers[c] ? value::of(numbers[c]) : eval_on(e, source, texts[c]).persist(block_text_));
  return block.property_codes(p).data();
}

size_t column_scanner::group_of(uint32_t c0, uint32_t c1, int64_t bucket) {
  const size_t nk = plan_.keys.size();
  auto make = [&] {
    value keys[2];
    if (nk > 0)
      keys[0] = key_values_[0][c0];
    if (nk > 1)
      keys[1] = key_values_[1][c1];
    return out_.find_or_add_group(partial_result::hash_keys(keys, nk, plan_.key_ci, bucket), keys, bucket);
  };
  if (nk == 1 && !width_) {
    uint32_t& g = group_by_code_[c0];
    if (!g)
      g = static_cast<uint32_t>(make() + 1);
    return g - 1;
  }
  auto [it, added] = groups_.try_emplace({uint64_t(c0) | uint64_t(c1) << 32, bucket}, 0);
  if (added)
    it->second = static_cast<uint32_t>(make());
  return it->second;
}

bool column_scanner::passes(const storage::block_columns& block, uint32_t node, uint32_t i) {
  const auto& n = columns_.where_tree[node];
  switch (n.kind) {
    case column_plan::where_node::and_: return passes(block, n.lhs, i) && passes(block, n.rhs, i);
    case column_plan::where_node::or_: return passes(block, n.lhs, i) || passes(block, n.rhs, i);
    case column_plan::where_node::term: break;
  }
  if (n.source == column_plan::message_source)
    return eval_on(*n.expr, n.source, block.message(i)).is_true();
  return term_truth_[node][term_codes_[node] ? term_codes_[node][i] : 0];
}

void column_scanner::add_block(const storage::block_columns& block, query_stats& stats) {
  ++stats.chunks_scanned;
  const uint32_t n = block.size();
  const auto ts = block.timestamps();
  const bool check_time = !ts.empty();
  block_text_.reset();
  // The where clause, once per value of its source.
  const bool split_where = columns_.where == column_plan::where_mode::tree;
  const uint32_t* where_codes = nullptr;
  if (columns_.where == column_plan::where_mode::one_source) {
    where_codes = eval_per_value(block, *plan_.where, columns_.where_source, where_values_);
    if (!where_codes && !where_values_[0].is_true()) {
      for (uint32_t i = 0; i < n; ++i)
        stats.events_scanned += !check_time || (ts[i] >= from_ns_ && ts[i] < to_ns_);
      return;
    }
  }
  // Split where clauses: each term's truth once per value of its source.
  for (size_t t = 0; t < columns_.where_tree.size(); ++t) {
    const auto& term = columns_.where_tree[t];
    if (term.kind != column_plan::where_node::term || term.source == column_plan::message_source)
      continue;
    term_codes_[t] = eval_per_value(block, *term.expr, term.source, where_values_);
    term_truth_[t].resize(where_values_.size());
    for (size_t c = 0; c < where_values_.size(); ++c)
      term_truth_[t][c] = where_values_[c].is_true();
  }
  const auto root = static_cast<uint32_t>(columns_.where_tree.size() - 1);
  // The group keys and aggregate arguments, once per value of their source.
  const uint32_t* key_codes[2] = {nullptr, nullptr};
  for (size_t k = 0; k < plan_.keys.size(); ++k)
    key_codes[k] = eval_per_value(block, *plan_.keys[k], columns_.key_sources[k], key_values_[k]);
  const size_t na = plan_.aggs.size();
  if (!star_only_)
    for (size_t a = 0; a < na; ++a) {
      arg_values_[a].clear();
      arg_codes_[a] = nullptr;
      arg_numbers_[a] = nullptr;
      if (columns_.arg_is_property[a] && plan_.aggs[a].kind == agg_kind::percentile) {
        const size_t p = size_t(columns_.arg_sources[a]) - storage::field_count;
        if (const auto numbers = block.property_numbers(p); !numbers.empty()) {
          // Other values (rare: text, numbers too long for a double) are
          // evaluated per event.
          arg_numbers_[a] = numbers.data();
          arg_codes_[a] = block.property_codes(p).data();
          continue;
        }
      }
      if (columns_.arg_is_property[a])
        arg_codes_[a] = property_values(block, *plan_.aggs[a].arg, columns_.arg_sources[a], arg_values_[a]);
      else if (plan_.aggs[a].arg)
        arg_codes_[a] = eval_per_value(block, *plan_.aggs[a].arg, columns_.arg_sources[a], arg_values_[a]);
      else
        arg_values_[a].push_back(value{});
    }
  const bool by_code = plan_.keys.size() == 1 && !width_;
  group_by_code_.assign(plan_.keys.size() == 1 ? key_values_[0].size() : 0, 0);
  groups_.clear();
  // Buffers filled for other blocks may lack this one's number aggregates.
  bool numbers_to_buffers = false;
  for (size_t a = 0; a < na && !star_only_; ++a)
    numbers_to_buffers |= arg_numbers_[a] != nullptr;
  if (numbers_to_buffers && numbers_layout_ != arg_numbers_mask()) {
    numbers_layout_ = arg_numbers_mask();
    std::fill(buffers_ready_.begin(), buffers_ready_.end(), 0);
  }
  uint64_t scanned = 0, matched = 0, numbers_added = 0;
  size_t g = SIZE_MAX;
  std::vector<double>* const* buffers = nullptr;
  int64_t last_bucket = 0;
  uint32_t last_c0 = 0, last_c1 = 0;
  for (uint32_t i = 0; i < n; ++i) {
    if (check_time && (ts[i] < from_ns_ || ts[i] >= to_ns_))
      continue;
    ++scanned;
    if (where_codes && !where_values_[where_codes[i]].is_true())
      continue;
    if (split_where && !passes(block, root, i))
      continue;
    ++matched;
    const uint32_t c0 = key_codes[0] ? key_codes[0][i] : 0;
    const uint32_t c1 = key_codes[1] ? key_codes[1][i] : 0;
    const int64_t bucket = width_ ? time_bucket_of(ts[i], origin_, width_) : 0;
    // Neighbouring events mostly share their group (same minute, same level).
    if (g == SIZE_MAX || c0 != last_c0 || c1 != last_c1 || bucket != last_bucket) {
      g = by_code && group_by_code_[c0] ? group_by_code_[c0] - 1 : group_of(c0, c1, bucket);
      last_c0 = c0;
      last_c1 = c1;
      last_bucket = bucket;
      if (star_only_ && g >= star_counts_.size())
        star_counts_.resize(g + 1, 0);
      else if (!star_only_ && numbers_to_buffers) {
        if (g >= buffers_ready_.size() || !buffers_ready_[g])
          fill_buffers(g);
        buffers = &group_buffers_[g * na];
      }
    }
    if (star_only_) {
      ++star_counts_[g];
      continue;
    }
    size_t added = 0;
    const int64_t t = check_time ? ts[i] : 0;
    for (size_t a = 0; a < na; ++a) {
      const uint32_t c = arg_codes_[a] ? arg_codes_[a][i] : 0;
      if (const double* numbers = arg_numbers_[a]) {
        if (numbers[c] == numbers[c]) {
          buffers[a]->push_back(numbers[c]);
          ++numbers_added;
        } else if (c != 0) {
          const int p = columns_.arg_sources[a];
          added += out_.state(g, a).update(
            eval_on(*plan_.aggs[a].arg, p, block.property_values(size_t(p) - storage::field_count)[c]), t, 0);
        }
        continue;
      }
      added += out_.state(g, a).update(arg_values_[a][c], t, 0);
    }
    if (added)
      out_.add_memory(added);
  }
  if (numbers_added)
    out_.add_memory(numbers_added * sizeof(double));
  stats.events_scanned += scanned;
  stats.events_matched += matched;
}

} // namespace cairn::query
