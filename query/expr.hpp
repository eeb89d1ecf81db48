#pragma once
/// Compiled expressions: a tree of nodes evaluated once per event.
///
/// The compiler (query/compiler.cpp) resolves everything it can ahead of
/// time so the per-event work is small: built-in properties become direct
/// header/field reads, user properties become slots in the context's
/// one-pass property scan, constant sub-expressions are folded, `like`
/// patterns and regexes are compiled once, `in [...]` lists are pre-built,
/// and `[?]`/`[*]` wildcards are rewritten into loops over the collection.
/// Nodes are immutable after compilation and may be shared by threads, each
/// with its own eval_context.
#include "query/ast.hpp"
#include "query/eval_context.hpp"
#include "query/value.hpp"

#include <functional>
#include <memory>
#include <string>

namespace cairn::query {

class expr_node {
public:
  virtual ~expr_node() = default;
  /// Evaluates for the context's current event.
  virtual value eval(eval_context& ctx) const = 0;
  /// True for literals (after folding).
  virtual bool is_constant() const { return false; }
};

using expr_ptr = std::unique_ptr<expr_node>;

/// What the compiler needs from its caller.
struct compile_scope {
  /// Receives the names of user properties the expression reads.
  property_names* props = nullptr;
  /// Called for aggregate calls (count, sum...); when empty, aggregates are
  /// an error ("not allowed in `where`").
  std::function<expr_ptr(const ast_node&)> on_aggregate;
  /// Called first for every sub-expression; a non-null result replaces it
  /// (the SQL compiler maps group-key expressions to key references).
  std::function<expr_ptr(const ast_node&)> on_expression;
  /// Called for bare property references; may throw (SQL: "must be grouped").
  std::function<void(const ast_node&)> on_event_access;
  /// Clause name for messages ("where", "select", ...).
  const char* clause = "filter";
  /// Fixed clock for Now().
  int64_t now_ns = 0;
  /// Next free wildcard slot (internal).
  uint32_t next_slot = 0;
};

/// Compiles an expression. @throws query_error (semantic) for unknown
/// functions/built-ins, wrong argument counts, misplaced aggregates.
expr_ptr compile_expr(const ast_node& node, compile_scope& scope);

/// A node returning a fixed value (whose text the node owns).
expr_ptr make_constant(value v);

/// A node reading ctx.group_keys[i] / ctx.aggregates[i] / ctx.bucket_ns.
expr_ptr make_key_ref(size_t i);
expr_ptr make_aggregate_ref(size_t i);
expr_ptr make_bucket_ref();
expr_ptr make_column_ref(size_t i);

/// Rewrites `"text"` free-text terms into Seq's definition
/// (`@Message like '%text%' ci or @Exception like '%text%' ci`); the planner
/// and the compiler both work on the expanded form.
void expand_free_text(ast_ptr& node);

} // namespace cairn::query
