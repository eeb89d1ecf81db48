#pragma once
/// Seq's aggregate functions as mergeable states.
///
/// Every state can absorb values (update), absorb another state of the same
/// aggregate (merge: partials from other blocks or nodes), serialize itself,
/// and produce the final value. Semantics:
/// - count(*) counts events; count(x) counts events where x is not null or
///   undefined; count(distinct(x)) counts distinct defined values.
/// - distinct(x): the array of distinct defined values.
/// - sum/mean/min/max consider numbers (and durations; min/max also
///   timestamps); other values are skipped; no values gives null.
/// - percentile(x, p): exact (all values kept, bounded by the query memory
///   limit), nearest-rank on the sorted values.
/// - first(x)/last(x): x of the earliest/latest event (by timestamp, then id).
/// - any(x): some value is true; all(x): every defined value is true.
#include "query/arena.hpp"
#include "query/expr.hpp"
#include "query/value.hpp"

#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace cairn::query {

enum class agg_kind : uint8_t {
  count_star, count, count_distinct, distinct, sum, min, max, mean, percentile, first, last, any, all,
};

/// One aggregate call in a query, with its compiled argument.
struct agg_spec {
  agg_kind kind;
  expr_ptr arg;       ///< null for count(*)
  double param = 0;   ///< percentile rank (0..100)
  std::string source; ///< call text, to share identical calls
};

class agg_state {
public:
  virtual ~agg_state() = default;
  /// Absorbs one event's value; returns bytes of memory added.
  virtual size_t update(const value& v, int64_t ts, uint64_t id) = 0;
  /// Absorbs a state of the same aggregate; returns bytes added.
  virtual size_t merge(const agg_state& other) = 0;
  /// The final value; text goes into `a`.
  virtual value result(arena& a) const = 0;
  virtual void serialize(std::string& out) const = 0;
  virtual bool deserialize(std::string_view& in) = 0;
  /// Where a percentile keeps its numbers, so the columnar path can append
  /// a block's numbers without a call per value: appending x is
  /// update(value::of(x)) (the caller then reports 8 bytes per number with
  /// partial_result::add_memory). Null for the other aggregates.
  virtual std::vector<double>* number_buffer() noexcept { return nullptr; }
};

/// Adds `n` events to a count(*) state in one step (the executor counts
/// count(*)-only groups in plain integers and flushes them here).
/// @pre `s` was made for an agg_kind::count_star spec.
void add_star_count(agg_state& s, uint64_t n) noexcept;

/// A fresh (empty) state for `spec`.
std::unique_ptr<agg_state> make_agg_state(const agg_spec& spec);

/// Maps an aggregate call name (any case) plus its argument shape to a kind;
/// `nested_distinct` is set for count(distinct(x)).
bool aggregate_kind(std::string_view name, bool star, bool nested_distinct, agg_kind& out) noexcept;

} // namespace cairn::query
