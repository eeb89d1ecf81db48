#include "query/column_plan.hpp"

#include "query/aggregates.hpp"
#include "query/builtins.hpp"
#include "storage/block_codec.hpp"

namespace cairn::query {

namespace {

/// The coded field a built-in reads, or -1 if it reads anything else.
int coded_field_of(builtin b) {
  using storage::field;
  switch (b) {
    case builtin::level: return int(field::level);
    case builtin::message_template: return int(field::message_template);
    case builtin::exception: return int(field::exception);
    case builtin::trace_id: return int(field::trace_id);
    case builtin::span_id: return int(field::span_id);
    case builtin::parent_id: return int(field::parent_id);
    case builtin::span_kind: return int(field::span_kind);
    case builtin::resource: return int(field::resource);
    case builtin::scope: return int(field::scope);
    default: return -1;
  }
}

/// True if `n` reads at most one coded field (stored in `field`, -1 while
/// none was seen) and nothing else of the event.
bool reads_one_field(const ast_node* n, int& field) {
  if (!n)
    return true;
  switch (n->kind) {
    case ast_kind::property:
    case ast_kind::free_text:
    case ast_kind::wildcard:
    case ast_kind::slot: return false;
    case ast_kind::builtin: {
      auto b = find_builtin(n->text);
      int f = b ? coded_field_of(*b) : -1;
      if (f < 0 || (field >= 0 && field != f))
        return false;
      field = f;
      break;
    }
    default: break;
  }
  for (const auto& k : n->kids)
    if (!reads_one_field(k.get(), field))
      return false;
  return true;
}

} // namespace

std::optional<column_plan> plan_columns(const ast_node* where, const std::vector<select_item>& group_by,
                                        const std::vector<agg_spec>& aggs) {
  if (aggs.empty() || group_by.size() > 2)
    return std::nullopt;
  for (const auto& a : aggs)
    if (a.kind != agg_kind::count_star)
      return std::nullopt;
  column_plan p;
  if (!reads_one_field(where, p.where_field))
    return std::nullopt;
  for (const auto& k : group_by) {
    int f = -1;
    if (!reads_one_field(k.expr.get(), f))
      return std::nullopt;
    p.key_fields.push_back(f);
  }
  auto add = [&](int f) {
    if (f >= 0)
      p.fields |= 1u << f;
  };
  add(p.where_field);
  for (int f : p.key_fields)
    add(f);
  if (p.fields & ~storage::coded_fields_mask)
    return std::nullopt;
  return p;
}

} // namespace cairn::query
