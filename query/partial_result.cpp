#include "query/partial_result.hpp"

#include "query/parse_error.hpp"
#include "query/value_codec.hpp"

#include <algorithm>
#include <numeric>

namespace cairn::query {

namespace {

bool key_equal(const value& a, const value& b, bool ci) noexcept {
  if (a.is_undefined() || b.is_undefined())
    return a.kind == b.kind;
  return a.kind == b.kind && values_equal(a, b, ci);
}

// Total order for sorting rows: comparable values by value, otherwise by kind.
int order_values(const value& a, const value& b) noexcept {
  int c;
  if (values_compare(a, b, false, c))
    return c;
  if (a.kind != b.kind)
    return a.kind < b.kind ? -1 : 1;
  if (a.kind == value_kind::boolean)
    return int(a.boolean) - int(b.boolean);
  if (a.has_text()) {
    int r = a.str().compare(b.str());
    return r < 0 ? -1 : r > 0 ? 1 : 0;
  }
  return 0;
}

[[noreturn]] void malformed() {
  throw query_error(query_error::kind::semantic, "malformed partial query result");
}

} // namespace

partial_result::partial_result(std::shared_ptr<const query_plan> plan) : plan_(std::move(plan)) {}

uint64_t partial_result::hash_keys(const value* keys, size_t n, const std::vector<bool>& ci, int64_t bucket) noexcept {
  uint64_t h = 0x243f6a8885a308d3ULL ^ uint64_t(bucket) * 0x9e3779b97f4a7c15ULL;
  for (size_t i = 0; i < n; ++i)
    h = (h ^ hash_value(keys[i], ci[i])) * 0x100000001b3ULL + (h >> 29);
  return h;
}

bool partial_result::keys_equal(size_t g, const value* keys, int64_t bucket) const noexcept {
  if (groups_[g].bucket != bucket)
    return false;
  size_t nk = plan_->keys.size();
  const value* mine = keys_.data() + g * nk;
  for (size_t i = 0; i < nk; ++i)
    if (!key_equal(mine[i], keys[i], plan_->key_ci[i]))
      return false;
  return true;
}

void partial_result::grow() {
  size_t cap = slots_.empty() ? 64 : slots_.size() * 2;
  slots_.assign(cap, 0);
  for (size_t g = 0; g < groups_.size(); ++g) {
    size_t i = groups_[g].hash & (cap - 1);
    while (slots_[i])
      i = (i + 1) & (cap - 1);
    slots_[i] = uint32_t(g + 1);
  }
}

size_t partial_result::find_or_add_group(uint64_t hash, const value* keys, int64_t bucket) {
  if (last_group_ != SIZE_MAX && groups_[last_group_].hash == hash && keys_equal(last_group_, keys, bucket))
    return last_group_;
  if ((groups_.size() + 1) * 2 > slots_.size())
    grow();
  size_t mask = slots_.size() - 1;
  size_t i = hash & mask;
  while (uint32_t s = slots_[i]) {
    size_t g = s - 1;
    if (groups_[g].hash == hash && keys_equal(g, keys, bucket))
      return last_group_ = g;
    i = (i + 1) & mask;
  }
  size_t g = groups_.size();
  group ng{hash, bucket, {}};
  ng.states.reserve(plan_->aggs.size());
  for (auto& a : plan_->aggs)
    ng.states.push_back(make_agg_state(a));
  groups_.push_back(std::move(ng));
  for (size_t k = 0; k < plan_->keys.size(); ++k)
    keys_.push_back(keys[k].persist(*arena_));
  slots_[i] = uint32_t(g + 1);
  state_bytes_ += 96 + 48 * plan_->aggs.size();
  return last_group_ = g;
}

void partial_result::add_row(int64_t ts, uint64_t id, const value* cols, size_t n) {
  row r{ts, id, {}};
  r.cols.reserve(n);
  for (size_t i = 0; i < n; ++i)
    r.cols.push_back(cols[i].persist(*arena_));
  rows_.push_back(std::move(r));
  state_bytes_ += 32 + n * sizeof(value);
  if (rows_.size() >= size_t(std::max<int64_t>(plan_->limit, 1)) * 2)
    trim_rows();
}

void partial_result::trim_rows() {
  size_t limit = size_t(std::max<int64_t>(plan_->limit, 0));
  if (rows_.size() <= limit)
    return;
  std::nth_element(rows_.begin(), rows_.begin() + long(limit), rows_.end(), [](const row& a, const row& b) {
    return a.ts != b.ts ? a.ts > b.ts : a.id > b.id;
  });
  rows_.resize(limit);
}

void partial_result::merge(const partial_result& o) {
  size_t nk = plan_->keys.size();
  for (size_t g = 0; g < o.groups_.size(); ++g) {
    const group& og = o.groups_[g];
    size_t mine = find_or_add_group(og.hash, o.keys_.data() + g * nk, og.bucket);
    for (size_t a = 0; a < og.states.size(); ++a)
      state_bytes_ += groups_[mine].states[a]->merge(*og.states[a]);
  }
  for (auto& r : o.rows_)
    add_row(r.ts, r.id, r.cols.data(), r.cols.size());
}

size_t partial_result::memory_bytes() const noexcept {
  return arena_->used() + state_bytes_ + slots_.size() * 4 + keys_.size() * sizeof(value);
}

std::string partial_result::serialize() const {
  using namespace codec;
  std::string out;
  put_u64(out, groups_.size());
  size_t nk = plan_->keys.size();
  for (size_t g = 0; g < groups_.size(); ++g) {
    put_u64(out, uint64_t(groups_[g].bucket));
    for (size_t k = 0; k < nk; ++k)
      put_value(out, keys_[g * nk + k]);
    for (auto& s : groups_[g].states)
      s->serialize(out);
  }
  put_u64(out, rows_.size());
  for (auto& r : rows_) {
    put_u64(out, uint64_t(r.ts));
    put_u64(out, r.id);
    put_u64(out, r.cols.size());
    for (auto& v : r.cols)
      put_value(out, v);
  }
  return out;
}

partial_result partial_result::deserialize(std::shared_ptr<const query_plan> plan, std::string_view in) {
  using namespace codec;
  partial_result p(std::move(plan));
  const query_plan& pl = *p.plan_;
  uint64_t ng;
  if (!get_u64(in, ng))
    malformed();
  std::vector<value> keys(pl.keys.size());
  arena tmp;
  for (uint64_t g = 0; g < ng; ++g) {
    uint64_t bucket;
    if (!get_u64(in, bucket))
      malformed();
    for (auto& k : keys)
      if (!get_value(in, tmp, k))
        malformed();
    size_t gi = p.find_or_add_group(hash_keys(keys.data(), keys.size(), pl.key_ci, int64_t(bucket)), keys.data(),
                                    int64_t(bucket));
    for (auto& s : p.groups_[gi].states)
      if (!s->deserialize(in))
        malformed();
  }
  uint64_t nr;
  if (!get_u64(in, nr))
    malformed();
  for (uint64_t i = 0; i < nr; ++i) {
    uint64_t ts, id, n;
    if (!get_u64(in, ts) || !get_u64(in, id) || !get_u64(in, n) || n > in.size())
      malformed();
    std::vector<value> cols(n);
    for (auto& c : cols)
      if (!get_value(in, tmp, c))
        malformed();
    p.add_row(int64_t(ts), id, cols.data(), cols.size());
  }
  if (!in.empty())
    malformed();
  return p;
}

query_result partial_result::finish(int64_t range_from_ns, int64_t range_to_ns) const {
  const query_plan& pl = *plan_;
  query_result r;
  r.range_from_ns = range_from_ns;
  r.range_to_ns = range_to_ns;
  arena& out = *r.storage;
  size_t limit = size_t(std::max<int64_t>(pl.limit, 0));

  if (!pl.aggregate) {
    r.columns = pl.column_names;
    std::vector<const row*> sorted;
    for (auto& rw : rows_)
      sorted.push_back(&rw);
    std::sort(sorted.begin(), sorted.end(), [&](const row* a, const row* b) {
      for (auto& o : pl.order) {
        int c = order_values(a->cols[size_t(o.column)], b->cols[size_t(o.column)]);
        if (c)
          return o.descending ? c > 0 : c < 0;
      }
      return a->ts != b->ts ? a->ts > b->ts : a->id > b->id; // newest first
    });
    for (auto* rw : sorted) {
      if (r.rows.size() >= limit)
        break;
      std::vector<value> vals;
      for (auto& v : rw->cols)
        vals.push_back(v.persist(out));
      r.rows.push_back(std::move(vals));
    }
    return r;
  }

  size_t nk = pl.keys.size();
  r.columns = pl.key_names;
  r.columns.insert(r.columns.end(), pl.column_names.begin(), pl.column_names.end());
  r.key_count = nk;
  r.time_grouped = pl.bucket_ns.has_value();
  r.interval_ns = pl.bucket_ns.value_or(0);

  // An ungrouped aggregate has exactly one row, even over no events.
  std::vector<std::unique_ptr<agg_state>> empty_states;
  struct pending {
    int64_t bucket;
    std::vector<value> cells;
  };
  std::vector<pending> out_rows;
  eval_context ctx(pl.props, pl.now_ns);
  std::vector<value> aggs(pl.aggs.size());
  std::vector<value> cols(pl.columns.size());
  auto emit = [&](const value* keys, int64_t bucket, const std::vector<std::unique_ptr<agg_state>>& states) {
    for (size_t a = 0; a < states.size(); ++a)
      aggs[a] = states[a]->result(out);
    ctx.group_keys = keys;
    ctx.aggregates = aggs.data();
    ctx.bucket_ns = bucket;
    ctx.columns = cols.data();
    for (size_t c = 0; c < pl.columns.size(); ++c)
      cols[c] = pl.columns[c]->eval(ctx).persist(out);
    if (pl.having && !pl.having->eval(ctx).is_true())
      return;
    pending p{bucket, {}};
    for (size_t k = 0; k < nk; ++k)
      p.cells.push_back(keys[k].is_undefined() ? value::null() : keys[k].persist(out));
    p.cells.insert(p.cells.end(), cols.begin(), cols.end());
    out_rows.push_back(std::move(p));
  };
  if (groups_.empty() && nk == 0 && !r.time_grouped) {
    for (auto& a : pl.aggs)
      empty_states.push_back(make_agg_state(a));
    emit(nullptr, 0, empty_states);
  }
  for (size_t g = 0; g < groups_.size(); ++g)
    emit(keys_.data() + g * nk, groups_[g].bucket, groups_[g].states);

  std::stable_sort(out_rows.begin(), out_rows.end(), [&](const pending& a, const pending& b) {
    for (auto& o : pl.order) {
      int c = o.column < 0 ? (a.bucket < b.bucket ? -1 : a.bucket > b.bucket)
                           : order_values(a.cells[size_t(o.column)], b.cells[size_t(o.column)]);
      if (c)
        return o.descending ? c > 0 : c < 0;
    }
    if (a.bucket != b.bucket)
      return a.bucket < b.bucket;
    for (size_t k = 0; k < nk; ++k)
      if (int c = order_values(a.cells[k], b.cells[k]))
        return c < 0;
    return false;
  });
  for (auto& p : out_rows) {
    if (r.rows.size() >= limit)
      break;
    if (r.time_grouped)
      r.row_times.push_back(p.bucket);
    r.rows.push_back(std::move(p.cells));
  }
  return r;
}

} // namespace cairn::query
