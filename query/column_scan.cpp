#include "query/column_scan.hpp"

namespace cairn::query {

column_scanner::column_scanner(const query_plan& plan, partial_result& out, std::vector<uint64_t>& star_counts,
                               int64_t from_ns, int64_t to_ns, int64_t origin, int64_t width)
  : plan_(plan), columns_(*plan.by_columns), out_(out), star_counts_(star_counts), from_ns_(from_ns), to_ns_(to_ns),
    origin_(origin), width_(width), ctx_(plan.props, plan.now_ns) {}

value column_scanner::eval_on(const expr_node& e, int field, std::string_view text) {
  probe_.assemble(0, 0, storage::no_start, 0, 0);
  if (field >= 0)
    probe_.set(static_cast<storage::field>(field), text);
  ctx_.begin_event(probe_);
  return e.eval(ctx_);
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

void column_scanner::add_block(const storage::block_columns& block, query_stats& stats) {
  ++stats.chunks_scanned;
  const uint32_t n = block.size();
  const auto ts = block.timestamps();
  const bool check_time = !ts.empty();
  // The where clause, once per value of its field.
  const uint32_t* where_codes = nullptr;
  if (plan_.where) {
    const int f = columns_.where_field;
    if (f < 0) {
      if (!eval_on(*plan_.where, -1, {}).is_true()) {
        for (uint32_t i = 0; i < n; ++i)
          stats.events_scanned += !check_time || (ts[i] >= from_ns_ && ts[i] < to_ns_);
        return;
      }
    } else {
      const auto values = block.values(static_cast<storage::field>(f));
      passes_.resize(values.size());
      for (size_t j = 0; j < values.size(); ++j)
        passes_[j] = eval_on(*plan_.where, f, values[j]).is_true();
      where_codes = block.codes(static_cast<storage::field>(f)).data();
    }
  }
  // The group keys, once per value of their field; kept for this block.
  key_text_.reset();
  const uint32_t* key_codes[2] = {nullptr, nullptr};
  for (size_t k = 0; k < plan_.keys.size(); ++k) {
    const int f = columns_.key_fields[k];
    auto& kv = key_values_[k];
    kv.clear();
    if (f < 0) {
      kv.push_back(eval_on(*plan_.keys[k], -1, {}).persist(key_text_));
      continue;
    }
    for (auto text : block.values(static_cast<storage::field>(f)))
      kv.push_back(eval_on(*plan_.keys[k], f, text).persist(key_text_));
    key_codes[k] = block.codes(static_cast<storage::field>(f)).data();
  }
  group_by_code_.assign(plan_.keys.size() == 1 ? key_values_[0].size() : 0, 0);
  groups_.clear();
  uint64_t scanned = 0, matched = 0;
  size_t last_g = SIZE_MAX;
  int64_t last_bucket = 0;
  uint32_t last_c0 = 0, last_c1 = 0;
  for (uint32_t i = 0; i < n; ++i) {
    if (check_time && (ts[i] < from_ns_ || ts[i] >= to_ns_))
      continue;
    ++scanned;
    if (where_codes && !passes_[where_codes[i]])
      continue;
    ++matched;
    const uint32_t c0 = key_codes[0] ? key_codes[0][i] : 0;
    const uint32_t c1 = key_codes[1] ? key_codes[1][i] : 0;
    const int64_t bucket = width_ ? time_bucket_of(ts[i], origin_, width_) : 0;
    // Neighbouring events mostly share their group (same minute, same level).
    if (last_g == SIZE_MAX || c0 != last_c0 || c1 != last_c1 || bucket != last_bucket) {
      last_g = group_of(c0, c1, bucket);
      last_c0 = c0;
      last_c1 = c1;
      last_bucket = bucket;
      if (last_g >= star_counts_.size())
        star_counts_.resize(last_g + 1, 0);
    }
    ++star_counts_[last_g];
  }
  stats.events_scanned += scanned;
  stats.events_matched += matched;
}

} // namespace cairn::query
