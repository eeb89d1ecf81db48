#pragma once
/// Whether a query can run over blocks decoded as value codes
/// (storage::block_columns) instead of record views.
///
/// It can when it aggregates (any aggregate but first/last, which need each
/// event's time and id) and its where clause, each of its (at most two)
/// group keys and each aggregate's argument read at most one "source" and
/// nothing else of the event: a field that blocks store whole
/// (storage::coded_fields_mask: level, template, exception, trace/span ids,
/// span kind, resource, scope) or one top-level property. Such an
/// expression has one result per distinct value of its source, so the
/// executor evaluates it once per value in a block (query/column_scan.hpp)
/// rather than once per event. group by time(d) is allowed: the buckets
/// come from the block's timestamps.
///
/// A where clause that reads more (free text, `@Message like ...`, terms
/// on two sources) still qualifies when its and/or terms each read one
/// source: @Message counts as one, read per event from the messages the
/// block rebuilds (storage::column_selection::messages).
#include "query/ast.hpp"
#include "query/eval_context.hpp"
#include "query/expr.hpp"

#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace cairn::query {

struct agg_spec;

struct column_plan {
  /// Sources: 0 .. field_count-1 are storage fields; field_count + i is
  /// properties[i]. -1: the expression reads no source.
  static constexpr int no_source = -1;
  /// The source of a term that reads @Message (evaluated per event).
  static constexpr int message_source = int(storage::field::message);
  uint32_t fields = 0;                  ///< storage field mask to decode as codes
  bool messages = false;                ///< some where term reads @Message
  std::vector<std::string> properties;  ///< top-level property names to decode
  std::vector<uint32_t> property_ids;   ///< per property: its id in the plan's property_names
  /// How the scanner applies the where clause: not at all (none, or only
  /// @Timestamp bounds, which the scan range decides exactly), as the plan's
  /// where on where_source, or as where_tree.
  enum class where_mode : uint8_t { none, one_source, tree } where = where_mode::none;
  int where_source = no_source;
  /// With where_mode::tree (the where clause split, or stripped of its
  /// time bounds):
  /// and/or nodes over terms, root last; a node's operands come before it.
  /// Terms on the message come after the other operand so it decides first.
  struct where_node {
    enum kind_t : uint8_t { term, and_, or_ } kind = term;
    int source = no_source; ///< term
    expr_ptr expr;          ///< term
    uint32_t lhs = 0, rhs = 0;
  };
  std::vector<where_node> where_tree;
  std::vector<int> key_sources; ///< per group key
  std::vector<int> arg_sources; ///< per aggregate (count(*): no_source)
  /// Per aggregate: its argument is just a property name, so its value is
  /// the property's value (numbers straight from the block as doubles).
  std::vector<bool> arg_is_property;
  /// Bit i: properties[i] is read only as such bare arguments
  /// (storage::column_selection::numeric_properties).
  uint64_t numeric_properties = 0;
};

/// Compiles one where term for the column plan (as the plan's where).
using compile_term_fn = std::function<expr_ptr(const ast_node&)>;

/// The column plan of an aggregate select, or nullopt if it does not
/// qualify. `agg_args` holds each aggregate's argument (null for count(*)),
/// in the order of `aggs`.
std::optional<column_plan> plan_columns(const ast_node* where, const std::vector<select_item>& group_by,
                                        const std::vector<agg_spec>& aggs,
                                        const std::vector<const ast_node*>& agg_args, const property_names& props,
                                        const compile_term_fn& compile_term, int64_t now_ns);

} // namespace cairn::query
