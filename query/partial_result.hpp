#pragma once
/// Partial results of one query over part of the data (some blocks, one
/// node). Partials of the same plan merge associatively, serialize to bytes
/// for the wire and for per-block memoization, and finish into a
/// query_result on the coordinating node.
#include "query/aggregates.hpp"
#include "query/arena.hpp"
#include "query/query_plan.hpp"
#include "query/query_result.hpp"

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace cairn::query {

class partial_result {
public:
  explicit partial_result(std::shared_ptr<const query_plan> plan);
  partial_result(partial_result&&) noexcept = default;
  partial_result& operator=(partial_result&&) noexcept = default;

  const std::shared_ptr<const query_plan>& plan() const noexcept { return plan_; }

  /// Absorbs `other` (a partial of the same plan).
  void merge(const partial_result& other);

  /// Bytes form; deserialize with the same plan (same query text).
  std::string serialize() const;
  /// @throws query_error (semantic) if the bytes are malformed.
  static partial_result deserialize(std::shared_ptr<const query_plan> plan, std::string_view bytes);

  /// Approximate memory held (checked against query.maxMemoryBytes).
  size_t memory_bytes() const noexcept;

  /// Builds the final rows: aggregates, having, order by, limit.
  query_result finish(int64_t range_from_ns, int64_t range_to_ns) const;

  // ---- used by the executor

  /// Group lookup; copies the keys into this partial when the group is new.
  size_t find_or_add_group(uint64_t hash, const value* keys, int64_t bucket);
  /// Aggregate state `a` of group `g`.
  agg_state& state(size_t g, size_t a) noexcept { return *groups_[g].states[a]; }
  /// Adds to the memory estimate (bytes reported by states).
  void add_memory(size_t bytes) noexcept { state_bytes_ += bytes; }
  /// Adds a projected row (non-aggregate select), keeping the newest `limit`.
  void add_row(int64_t ts, uint64_t id, const value* cols, size_t n);
  size_t group_count() const noexcept { return groups_.size(); }

  /// Hash of a group key tuple, consistent with key equality.
  static uint64_t hash_keys(const value* keys, size_t n, const std::vector<bool>& ci, int64_t bucket) noexcept;

private:
  struct group {
    uint64_t hash;
    int64_t bucket;
    std::vector<std::unique_ptr<agg_state>> states;
  };
  struct row {
    int64_t ts;
    uint64_t id;
    std::vector<value> cols;
  };

  bool keys_equal(size_t g, const value* keys, int64_t bucket) const noexcept;
  void grow();
  void trim_rows();

  std::shared_ptr<const query_plan> plan_;
  std::unique_ptr<arena> arena_ = std::make_unique<arena>();
  std::vector<group> groups_;
  std::vector<value> keys_; ///< key_count values per group
  std::vector<uint32_t> slots_; ///< open addressing: group index + 1, 0 = empty
  /// The group found last: consecutive events often share it (same time
  /// bucket, same key run), which skips the probe.
  size_t last_group_ = SIZE_MAX;
  size_t state_bytes_ = 0;
  std::vector<row> rows_;
};

} // namespace cairn::query
