#pragma once
/// Block skipping: what a filter requires of every matching event, checked
/// against a block's summary (storage/block_summary.hpp) before the block
/// is read.
///
/// Derived from the where clause by a sound over-approximation: `and`
/// intersects requirements, `or` keeps only what both sides require, and
/// anything not understood (`not`, functions, `is null`) requires nothing.
/// Understood terms:
/// - `@Timestamp <op> constant` (DateTime('...'), Now() - 1h, ticks): time range;
/// - `@Level = 'x'`, `@Level in [...]`: level classes (storage/levels.hpp);
/// - any comparison/like/in on a property path or @Exception, `Has(x)`,
///   `x is not null`: the property name must be in the block's names bloom;
/// - `x = 'literal'` and `x like 'pattern'` on @Message, @MessageTemplate,
///   @Exception or a property: the literal's tokens that are bounded on both
///   sides (not touching a wildcard) must be in the tokens bloom. This
///   assumes the indexer tokenizes @Message as the query sees it (rendered).
#include "query/ast.hpp"
#include "storage/block_summary.hpp"

#include <climits>
#include <cstdint>
#include <string>
#include <vector>

namespace cairn::query {

struct block_filter {
  int64_t from_ns = INT64_MIN; ///< inclusive
  int64_t to_ns = INT64_MAX;   ///< exclusive
  uint32_t level_mask = ~0u;   ///< allowed level classes
  std::vector<std::string> names;  ///< required property names (for tests/explain)
  std::vector<std::string> tokens; ///< required tokens (lowercase)
  std::vector<uint64_t> name_hashes;
  std::vector<uint64_t> token_hashes;

  /// False if no event of the block can match.
  bool may_match(const storage::block_summary& s) const noexcept;
  /// True if the time range test alone passes (for buffered events).
  bool may_match_time(int64_t ts) const noexcept { return ts >= from_ns && ts < to_ns; }
  /// True if nothing at all can match (empty range or no level).
  bool is_empty() const noexcept { return from_ns >= to_ns || level_mask == 0; }
  /// One-line description ("time [a,b) levels 0x.. names[..] tokens[..]").
  std::string describe() const;
};

/// Builds the block filter for `where` (may be null) within the requested
/// range [from_ns, to_ns). `now_ns` fixes Now().
block_filter plan_block_filter(const ast_node* where, int64_t from_ns, int64_t to_ns, int64_t now_ns);

/// True if `n` compares @Timestamp with a constant date-time: then, as one
/// of the where clause's top-level conjuncts, the block filter's time range
/// decides it exactly and executors need not evaluate it per event.
bool is_time_bound(const ast_node& n, int64_t now_ns);

} // namespace cairn::query
