#include "query/aggregates.hpp"

#include "query/value_codec.hpp"

#include <algorithm>
#include <cmath>
#include <unordered_set>
#include <vector>

namespace cairn::query {

namespace {

using namespace codec;

class count_state final : public agg_state {
public:
  explicit count_state(bool star) : star_(star) {}
  size_t update(const value& v, int64_t, uint64_t) override {
    n_ += star_ || !v.is_missing();
    return 0;
  }
  size_t merge(const agg_state& o) override {
    n_ += static_cast<const count_state&>(o).n_;
    return 0;
  }
  value result(arena&) const override { return value::of(double(n_)); }
  void serialize(std::string& out) const override { put_u64(out, n_); }
  bool deserialize(std::string_view& in) override { return get_u64(in, n_); }
  void add(uint64_t n) noexcept { n_ += n; }

private:
  bool star_;
  uint64_t n_ = 0;
};

// Values are keyed by their codec encoding: equal values encode equally.
class distinct_state final : public agg_state {
public:
  explicit distinct_state(bool count_only) : count_only_(count_only) {}
  size_t update(const value& v, int64_t, uint64_t) override {
    if (v.is_undefined())
      return 0;
    scratch_.clear();
    put_value(scratch_, v);
    if (set_.count(scratch_))
      return 0;
    set_.insert(scratch_);
    return scratch_.size() + 48;
  }
  size_t merge(const agg_state& o) override {
    size_t added = 0;
    for (auto& s : static_cast<const distinct_state&>(o).set_)
      if (set_.insert(s).second)
        added += s.size() + 48;
    return added;
  }
  value result(arena& a) const override {
    if (count_only_)
      return value::of(double(set_.size()));
    std::vector<std::string> sorted(set_.begin(), set_.end());
    std::sort(sorted.begin(), sorted.end());
    std::string out = "[";
    arena tmp;
    for (auto& s : sorted) {
      std::string_view in = s;
      value v;
      get_value(in, tmp, v);
      if (out.size() > 1)
        out.push_back(',');
      append_json(out, v);
    }
    out.push_back(']');
    return value::array_json(a.copy(out));
  }
  void serialize(std::string& out) const override {
    put_u64(out, set_.size());
    for (auto& s : set_)
      put_str(out, s);
  }
  bool deserialize(std::string_view& in) override {
    uint64_t n;
    if (!get_u64(in, n))
      return false;
    for (uint64_t i = 0; i < n; ++i) {
      std::string_view s;
      if (!get_str(in, s))
        return false;
      set_.emplace(s);
    }
    return true;
  }

private:
  bool count_only_;
  std::unordered_set<std::string> set_;
  std::string scratch_;
};

// sum and mean over numbers, or over durations (never mixed: the first kind
// seen wins and the other is skipped).
class sum_state final : public agg_state {
public:
  explicit sum_state(bool mean) : mean_(mean) {}
  size_t update(const value& v, int64_t, uint64_t) override {
    if (v.is_number() && kind_ != value_kind::duration) {
      kind_ = value_kind::number;
      sum_ += v.number;
      ++n_;
    } else if (v.kind == value_kind::duration && kind_ != value_kind::number) {
      kind_ = value_kind::duration;
      sum_ += double(v.ns);
      ++n_;
    }
    return 0;
  }
  size_t merge(const agg_state& other) override {
    auto& o = static_cast<const sum_state&>(other);
    if (o.n_ == 0)
      return 0;
    if (n_ != 0 && o.kind_ != kind_)
      return 0;
    kind_ = o.kind_;
    sum_ += o.sum_;
    n_ += o.n_;
    return 0;
  }
  value result(arena&) const override {
    if (n_ == 0)
      return value::null();
    double r = mean_ ? sum_ / double(n_) : sum_;
    return kind_ == value_kind::duration ? value::duration(int64_t(std::llround(r))) : value::of(r);
  }
  void serialize(std::string& out) const override {
    out.push_back(static_cast<char>(kind_));
    put_f64(out, sum_);
    put_u64(out, n_);
  }
  bool deserialize(std::string_view& in) override {
    if (in.empty())
      return false;
    kind_ = static_cast<value_kind>(in[0]);
    in.remove_prefix(1);
    return get_f64(in, sum_) && get_u64(in, n_);
  }

private:
  bool mean_;
  value_kind kind_ = value_kind::undefined;
  double sum_ = 0;
  uint64_t n_ = 0;
};

class minmax_state final : public agg_state {
public:
  explicit minmax_state(bool is_max) : max_(is_max) {}
  size_t update(const value& v, int64_t, uint64_t) override {
    if (!v.is_number() && v.kind != value_kind::duration && v.kind != value_kind::datetime)
      return 0;
    if (best_.is_undefined()) {
      best_ = v;
      return 0;
    }
    int c;
    if (values_compare(v, best_, false, c) && (max_ ? c > 0 : c < 0))
      best_ = v;
    return 0;
  }
  size_t merge(const agg_state& o) override { return update(static_cast<const minmax_state&>(o).best_, 0, 0); }
  value result(arena&) const override { return best_.is_undefined() ? value::null() : best_; }
  void serialize(std::string& out) const override { put_value(out, best_); }
  bool deserialize(std::string_view& in) override {
    arena none; // numeric kinds carry no text
    return get_value(in, none, best_);
  }

private:
  bool max_;
  value best_;
};

class percentile_state final : public agg_state {
public:
  explicit percentile_state(double p) : p_(p) {}
  size_t update(const value& v, int64_t, uint64_t) override {
    if (!v.is_number())
      return 0;
    values_.push_back(v.number);
    return sizeof(double);
  }
  size_t merge(const agg_state& o) override {
    auto& ov = static_cast<const percentile_state&>(o).values_;
    values_.insert(values_.end(), ov.begin(), ov.end());
    return ov.size() * sizeof(double);
  }
  value result(arena&) const override {
    if (values_.empty())
      return value::null();
    // Selected in place: the values' order means nothing (a copy of 2M
    // doubles cost more than the selection).
    auto& v = values_;
    // Nearest rank: the smallest value with at least p% of values <= it.
    size_t rank = size_t(std::ceil(p_ / 100.0 * double(v.size())));
    size_t idx = rank == 0 ? 0 : rank - 1;
    if (idx >= v.size())
      idx = v.size() - 1;
    std::nth_element(v.begin(), v.begin() + long(idx), v.end());
    return value::of(v[idx]);
  }
  void serialize(std::string& out) const override {
    put_u64(out, values_.size());
    for (double d : values_)
      put_f64(out, d);
  }
  bool deserialize(std::string_view& in) override {
    uint64_t n;
    if (!get_u64(in, n) || n > in.size() / 8)
      return false;
    values_.resize(n);
    for (auto& d : values_)
      get_f64(in, d);
    return true;
  }

  std::vector<double>* number_buffer() noexcept override { return &values_; }

private:
  double p_;
  mutable std::vector<double> values_; ///< unordered; result() reorders
};

class first_last_state final : public agg_state {
public:
  explicit first_last_state(bool last) : last_(last) {}
  size_t update(const value& v, int64_t ts, uint64_t id) override {
    if (v.is_undefined())
      return 0;
    bool better = !set_ || (last_ ? (ts > ts_ || (ts == ts_ && id > id_)) : (ts < ts_ || (ts == ts_ && id < id_)));
    if (!better)
      return 0;
    set_ = true;
    ts_ = ts;
    id_ = id;
    kind_ = v.kind;
    scalar_ = v;
    size_t before = text_.capacity();
    if (v.has_text())
      text_.assign(v.str());
    return text_.capacity() > before ? text_.capacity() - before : 0;
  }
  size_t merge(const agg_state& other) override {
    auto& o = static_cast<const first_last_state&>(other);
    if (!o.set_)
      return 0;
    return update(o.current(), o.ts_, o.id_);
  }
  value result(arena& a) const override { return set_ ? current().persist(a) : value::null(); }
  void serialize(std::string& out) const override {
    out.push_back(set_ ? 1 : 0);
    if (!set_)
      return;
    put_u64(out, uint64_t(ts_));
    put_u64(out, id_);
    put_value(out, current());
  }
  bool deserialize(std::string_view& in) override {
    if (in.empty())
      return false;
    bool set = in[0] != 0;
    in.remove_prefix(1);
    if (!set)
      return true;
    uint64_t ts, id;
    arena a;
    value v;
    if (!get_u64(in, ts) || !get_u64(in, id) || !get_value(in, a, v))
      return false;
    set_ = false;
    update(v, int64_t(ts), id);
    return true;
  }

private:
  value current() const {
    if (!scalar_.has_text())
      return scalar_;
    value v = scalar_;
    v.text = text_.data();
    v.len = uint32_t(text_.size());
    return v;
  }

  bool last_;
  bool set_ = false;
  int64_t ts_ = 0;
  uint64_t id_ = 0;
  value_kind kind_ = value_kind::undefined;
  value scalar_;
  std::string text_;
};

class any_all_state final : public agg_state {
public:
  explicit any_all_state(bool all) : all_(all), acc_(all) {}
  size_t update(const value& v, int64_t, uint64_t) override {
    if (v.is_undefined())
      return 0;
    if (all_)
      acc_ = acc_ && v.is_true();
    else
      acc_ = acc_ || v.is_true();
    return 0;
  }
  size_t merge(const agg_state& o) override {
    bool b = static_cast<const any_all_state&>(o).acc_;
    acc_ = all_ ? (acc_ && b) : (acc_ || b);
    return 0;
  }
  value result(arena&) const override { return value::of(acc_); }
  void serialize(std::string& out) const override { out.push_back(acc_ ? 1 : 0); }
  bool deserialize(std::string_view& in) override {
    if (in.empty())
      return false;
    acc_ = in[0] != 0;
    in.remove_prefix(1);
    return true;
  }

private:
  bool all_;
  bool acc_;
};

} // namespace

void add_star_count(agg_state& s, uint64_t n) noexcept { static_cast<count_state&>(s).add(n); }

std::unique_ptr<agg_state> make_agg_state(const agg_spec& s) {
  switch (s.kind) {
    case agg_kind::count_star: return std::make_unique<count_state>(true);
    case agg_kind::count: return std::make_unique<count_state>(false);
    case agg_kind::count_distinct: return std::make_unique<distinct_state>(true);
    case agg_kind::distinct: return std::make_unique<distinct_state>(false);
    case agg_kind::sum: return std::make_unique<sum_state>(false);
    case agg_kind::mean: return std::make_unique<sum_state>(true);
    case agg_kind::min: return std::make_unique<minmax_state>(false);
    case agg_kind::max: return std::make_unique<minmax_state>(true);
    case agg_kind::percentile: return std::make_unique<percentile_state>(s.param);
    case agg_kind::first: return std::make_unique<first_last_state>(false);
    case agg_kind::last: return std::make_unique<first_last_state>(true);
    case agg_kind::any: return std::make_unique<any_all_state>(false);
    case agg_kind::all: return std::make_unique<any_all_state>(true);
  }
  return nullptr;
}

bool aggregate_kind(std::string_view name, bool star, bool nested_distinct, agg_kind& out) noexcept {
  auto is = [&](std::string_view n) { return iequals_ascii(name, n); };
  if (is("count")) {
    out = star ? agg_kind::count_star : nested_distinct ? agg_kind::count_distinct : agg_kind::count;
    return true;
  }
  struct m { std::string_view n; agg_kind k; };
  static constexpr m table[] = {
    {"distinct", agg_kind::distinct}, {"sum", agg_kind::sum}, {"min", agg_kind::min},
    {"max", agg_kind::max}, {"mean", agg_kind::mean}, {"percentile", agg_kind::percentile},
    {"first", agg_kind::first}, {"last", agg_kind::last}, {"any", agg_kind::any}, {"all", agg_kind::all},
  };
  for (auto& e : table)
    if (is(e.n)) {
      out = e.k;
      return true;
    }
  return false;
}

} // namespace cairn::query
