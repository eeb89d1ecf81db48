#pragma once
/// Whether a query can run over blocks decoded as value codes
/// (storage::block_columns) instead of record views.
///
/// It can when it only counts (every aggregate is count(*)) and its where
/// clause and each of its (at most two) group keys read at most one field
/// that blocks store whole (storage::coded_fields_mask: level, template,
/// exception, trace/span ids, span kind, resource, scope) and nothing else
/// of the event. Such an expression has one result per distinct value of
/// its field, so the executor evaluates it once per value in a block
/// (query/column_scan.hpp) rather than once per event. group by time(d)
/// is allowed: the buckets come from the block's timestamps.
#include "query/ast.hpp"

#include <optional>
#include <vector>

namespace cairn::query {

struct agg_spec;

struct column_plan {
  uint32_t fields = 0;         ///< storage field mask to decode as codes
  int where_field = -1;        ///< the field the where clause reads; -1: none
  std::vector<int> key_fields; ///< per group key: the field it reads; -1: none
};

/// The column plan of an aggregate select, or nullopt if it does not qualify.
std::optional<column_plan> plan_columns(const ast_node* where, const std::vector<select_item>& group_by,
                                        const std::vector<agg_spec>& aggs);

} // namespace cairn::query
