#pragma once
/// A query compiled for execution: a filter or a `select`.
///
/// Lifecycle: compile once per request (fixing Now()), then run on one or
/// more threads/nodes; the plan is immutable and shared via shared_ptr.
#include "query/aggregates.hpp"
#include "query/ast.hpp"
#include "query/column_plan.hpp"
#include "query/eval_context.hpp"
#include "query/expr.hpp"

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cairn::query {

/// Default and ceiling of `limit` (Seq's default row limit).
inline constexpr int64_t default_row_limit = 1024;

struct order_spec {
  int column = -1; ///< index into output columns (keys then values), -1 = time
  bool descending = false;
};

struct query_plan {
  std::string text;          ///< the query as given
  int64_t now_ns = 0;
  property_names props;      ///< user properties read by any expression
  ast_ptr where_ast;         ///< for the planner (may be null)
  expr_ptr where;            ///< may be null (matches everything)

  bool is_select = false;    ///< false: a plain filter (search)
  bool aggregate = false;    ///< grouped/aggregated select

  // Aggregate queries.
  std::vector<expr_ptr> keys;       ///< group key expressions (per event)
  std::vector<std::string> key_names;
  std::vector<bool> key_ci;
  std::optional<int64_t> bucket_ns; ///< group by time(d)
  std::vector<agg_spec> aggs;
  /// Set when the query can run over blocks as value codes (column_plan.hpp).
  std::optional<column_plan> by_columns;

  // Output columns: evaluated per group (aggregate) or per event (projection).
  std::vector<expr_ptr> columns;
  std::vector<std::string> column_names;
  expr_ptr having;
  std::vector<order_spec> order;
  int64_t limit = default_row_limit;
  bool no_cache = false;

  /// Compiles a filter expression or a `select` (detected by its first word).
  /// @throws query_error on syntax or semantic errors.
  static std::shared_ptr<const query_plan> compile(std::string_view text, int64_t now_ns);
  /// Compiles `text` as a filter only (an empty text matches everything).
  static std::shared_ptr<const query_plan> compile_filter(std::string_view text, int64_t now_ns);
};

} // namespace cairn::query
