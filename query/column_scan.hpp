#pragma once
/// The executor's columnar path: aggregates a block's events from their
/// value codes (storage::block_columns) for plans with a column_plan
/// (query/column_plan.hpp). The where clause, each group key and each
/// aggregate argument read at most one source (a field or a property), so
/// each is evaluated once per distinct value of its source in the block;
/// per event only codes are looked up. No record or view is built: for a
/// level count this is a byte per event.
///
/// One scanner per execute_partial call (not thread-safe).
#include "query/arena.hpp"
#include "query/eval_context.hpp"
#include "query/partial_result.hpp"
#include "query/query_plan.hpp"
#include "query/query_result.hpp"
#include "storage/block_codec.hpp"

#include <cstdint>
#include <span>
#include <unordered_map>
#include <vector>

namespace cairn::query {

/// Start of the `width`-long bucket holding `ts`, buckets aligned on `origin`.
inline int64_t time_bucket_of(int64_t ts, int64_t origin, int64_t width) noexcept {
  int64_t d = ts - origin;
  int64_t q = d / width;
  if (d % width < 0)
    --q;
  return origin + q * width;
}

class column_scanner {
public:
  /// count(*)-only plans count into `star_counts[group of out]`, the
  /// others update the groups' states. Time buckets of `width` ns (0: none)
  /// are aligned on `origin`.
  column_scanner(const query_plan& plan, partial_result& out, std::vector<uint64_t>& star_counts, bool star_only,
                 int64_t from_ns, int64_t to_ns, int64_t origin, int64_t width);

  /// What blocks must be decoded into (without timestamps unless buckets
  /// need them; sources add them for blocks that straddle the range).
  const storage::column_selection& selection() const noexcept { return selection_; }

  /// Aggregates the block's events in [from_ns, to_ns) that pass the where
  /// clause. Without timestamps (block.timestamps() empty) every event must
  /// lie in the range and width must be 0.
  void add_block(const storage::block_columns& block, query_stats& stats);

private:
  value eval_on(const expr_node& e, int source, std::string_view text);
  /// Evaluates `e` for every value of `source` in the block into `out`
  /// (one value if the source is none), kept until the next block.
  const uint32_t* eval_per_value(const storage::block_columns& block, const expr_node& e, int source,
                                 std::vector<value>& out);
  /// As eval_per_value for an argument that is just property `source`,
  /// taking its numbers as decoded.
  const uint32_t* property_values(const storage::block_columns& block, const expr_node& e, int source,
                                  std::vector<value>& out);
  size_t group_of(uint32_t c0, uint32_t c1, int64_t bucket);
  /// Sets group g's number buffers, one per aggregate (null where it has none).
  void fill_buffers(size_t g);
  /// Bit a: aggregate a's numbers go to buffers in this block.
  uint64_t arg_numbers_mask() const noexcept {
    uint64_t m = 0;
    for (size_t a = 0; a < arg_numbers_.size() && a < 64; ++a)
      m |= uint64_t(arg_numbers_[a] != nullptr) << a;
    return m;
  }
  /// Whether event i passes where_tree node `node` (the terms' truth per
  /// value is prepared by add_block; message terms are evaluated here).
  bool passes(const storage::block_columns& block, uint32_t node, uint32_t i);

  const query_plan& plan_;
  const column_plan& columns_;
  partial_result& out_;
  std::vector<uint64_t>& star_counts_;
  bool star_only_;
  int64_t from_ns_, to_ns_, origin_, width_;
  storage::column_selection selection_;
  eval_context ctx_;
  storage::record_view probe_; ///< an event holding just the field being evaluated
  arena block_text_;           ///< this block's key and argument values
  std::vector<value> where_values_;
  std::vector<std::vector<uint8_t>> term_truth_; ///< per where_tree node: is_true per code of its source
  std::vector<const uint32_t*> term_codes_;      ///< per where_tree node: its source's codes (null: one value)
  std::vector<value> key_values_[2];     ///< per key, per code of its source
  std::vector<std::vector<value>> arg_values_; ///< per aggregate, per code of its source
  std::vector<const uint32_t*> arg_codes_;
  /// Per aggregate: a percentile of a numeric property whose numbers this
  /// block holds as doubles; such numbers go straight to the group's
  /// number_buffer (no value built, no call per event).
  std::vector<const double*> arg_numbers_;
  /// Per group, per aggregate: its number_buffer (null: none or not yet).
  std::vector<std::vector<double>*> group_buffers_;
  std::vector<uint8_t> buffers_ready_; ///< per group: group_buffers_ set for numbers_layout_
  uint64_t numbers_layout_ = 0;        ///< arg_numbers_mask() the buffers were set for
  std::vector<uint32_t> group_by_code_;  ///< one key, no buckets: group + 1 per code (0 = not yet)
  struct combo_hash {
    size_t operator()(const std::pair<uint64_t, int64_t>& c) const noexcept {
      return size_t((c.first * 0x9E3779B97F4A7C15ull) ^ uint64_t(c.second) * 0xC2B2AE3D27D4EB4Full);
    }
  };
  std::unordered_map<std::pair<uint64_t, int64_t>, uint32_t, combo_hash> groups_; ///< (codes, bucket) → group
};

} // namespace cairn::query
