#include "query/field_usage.hpp"

#include "query/builtins.hpp"
#include "query/parser.hpp"

namespace cairn::query {

namespace {

using storage::field;
using storage::field_bit;

struct usage {
  uint32_t fields = 0;
  bool all_properties = false; ///< the whole object is read, not just named members

  void add_builtin(builtin b) {
    switch (b) {
      case builtin::timestamp:
      case builtin::start:
      case builtin::elapsed:
      case builtin::event_type:
      case builtin::id:
      case builtin::arrived: return; // the fixed header
      case builtin::level: fields |= field_bit(field::level); return;
      case builtin::message:
        // Rendered from the template and the properties its holes name
        // (the block decoder adds those names per block).
        fields |= field_bit(field::message) | field_bit(field::message_template) | field_bit(field::properties);
        return;
      case builtin::message_template: fields |= field_bit(field::message_template); return;
      case builtin::exception: fields |= field_bit(field::exception); return;
      case builtin::trace_id: fields |= field_bit(field::trace_id); return;
      case builtin::span_id: fields |= field_bit(field::span_id); return;
      case builtin::parent_id: fields |= field_bit(field::parent_id); return;
      case builtin::span_kind: fields |= field_bit(field::span_kind); return;
      case builtin::properties:
        fields |= field_bit(field::properties);
        all_properties = true;
        return;
      case builtin::resource: fields |= field_bit(field::resource); return;
      case builtin::scope: fields |= field_bit(field::scope); return;
      case builtin::data:
        add_builtin(builtin::level);
        add_builtin(builtin::message);
        add_builtin(builtin::properties); // @Data holds the whole object
        return;
    }
    widen();
  }

  void widen() {
    fields = storage::all_fields_mask;
    all_properties = true;
  }

  void walk(const ast_node* n) {
    if (!n)
      return;
    switch (n->kind) {
      case ast_kind::property: fields |= field_bit(field::properties); break;
      case ast_kind::builtin:
        if (auto b = find_builtin(n->text))
          add_builtin(*b);
        else
          widen();
        break;
      case ast_kind::free_text:
        add_builtin(builtin::message);
        add_builtin(builtin::exception);
        break;
      default: break;
    }
    for (const auto& k : n->kids)
      walk(k.get());
  }

  void walk(const std::vector<select_item>& items) {
    for (const auto& i : items)
      walk(i.expr.get());
  }
};

} // namespace

storage::field_projection plan_projection(const query_plan& plan) {
  usage u;
  if (plan.is_select) {
    auto parsed = try_parse_select(plan.text);
    if (auto* q = std::get_if<select_query>(&parsed)) {
      u.walk(q->columns);
      u.walk(q->where.get());
      u.walk(q->group_by);
      u.walk(q->having.get());
    } else {
      u.widen();
    }
  } else if (plan.where_ast) {
    u.walk(plan.where_ast.get());
  }
  storage::field_projection out;
  out.fields = u.fields;
  if ((u.fields & field_bit(field::properties)) && !u.all_properties)
    out.property_names = &plan.props.names;
  return out;
}

} // namespace cairn::query
