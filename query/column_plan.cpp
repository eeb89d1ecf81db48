#include "query/column_plan.hpp"

#include "query/aggregates.hpp"
#include "query/builtins.hpp"
#include "query/planner.hpp"
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

class source_finder {
public:
  explicit source_finder(column_plan& plan) : plan_(plan) {}

  /// The one source `n` reads (no_source if none), or nullopt if it reads
  /// two or something else of the event. @Message is a source only where
  /// `messages` allows (where terms: it is read per event, not per value).
  std::optional<int> source_of(const ast_node* n, bool messages = false) {
    int source = column_plan::no_source;
    messages_ = messages;
    if (!walk(n, source))
      return std::nullopt;
    return source;
  }

private:
  bool walk(const ast_node* n, int& source) {
    if (!n)
      return true;
    int found = column_plan::no_source;
    switch (n->kind) {
      case ast_kind::free_text:
      case ast_kind::wildcard:
      case ast_kind::slot: return false;
      case ast_kind::member:
        // `a.b` on a property also reads the flat key "a.b" (the compiler
        // joins member runs for OTLP-style names): two properties.
        if (starts_at_property(n))
          return false;
        break;
      case ast_kind::property: found = property_source(n->text); break;
      case ast_kind::builtin: {
        auto b = find_builtin(n->text);
        found = !b ? -1 : messages_ && *b == builtin::message ? column_plan::message_source : coded_field_of(*b);
        if (found < 0)
          return false;
        break;
      }
      default: break;
    }
    if (found != column_plan::no_source) {
      if (source != column_plan::no_source && source != found)
        return false;
      source = found;
    }
    for (const auto& k : n->kids)
      if (!walk(k.get(), source))
        return false;
    return true;
  }

  static bool starts_at_property(const ast_node* n) {
    while ((n->kind == ast_kind::member || n->kind == ast_kind::index) && !n->kids.empty())
      n = n->kids[0].get();
    return n->kind == ast_kind::property;
  }

  int property_source(const std::string& name) {
    for (size_t i = 0; i < plan_.properties.size(); ++i)
      if (plan_.properties[i] == name)
        return int(storage::field_count + i);
    plan_.properties.push_back(name);
    return int(storage::field_count + plan_.properties.size() - 1);
  }

  column_plan& plan_;
  bool messages_ = false;
};

/// Splits `n` at and/or into terms of one source each, appending its nodes
/// to the tree; returns the index of its root, or nullopt if a term reads
/// more than one source.
std::optional<uint32_t> split_where(const ast_node& n, source_finder& finder, column_plan& p,
                                    const compile_term_fn& compile_term) {
  using node = column_plan::where_node;
  if (n.kind == ast_kind::binary && (n.op == ast_op::and_ || n.op == ast_op::or_) && n.kids.size() == 2) {
    auto lhs = split_where(*n.kids[0], finder, p, compile_term);
    auto rhs = lhs ? split_where(*n.kids[1], finder, p, compile_term) : std::nullopt;
    if (!rhs)
      return std::nullopt;
    // Both sides are plain Booleans (query/compiler.cpp's logical_node), so
    // the cheap side may go first: per-event message terms last.
    auto reads_message = [&](uint32_t i) {
      const auto& t = p.where_tree[i];
      return t.kind != node::term || t.source == column_plan::message_source;
    };
    if (reads_message(*lhs) && !reads_message(*rhs))
      std::swap(lhs, rhs);
    node op;
    op.kind = n.op == ast_op::and_ ? node::and_ : node::or_;
    op.lhs = *lhs;
    op.rhs = *rhs;
    p.where_tree.push_back(std::move(op));
    return static_cast<uint32_t>(p.where_tree.size() - 1);
  }
  auto source = finder.source_of(&n, true);
  if (!source)
    return std::nullopt;
  node term;
  term.source = *source;
  term.expr = compile_term(n);
  p.messages = p.messages || *source == column_plan::message_source;
  p.where_tree.push_back(std::move(term));
  return static_cast<uint32_t>(p.where_tree.size() - 1);
}

/// `n` without its top-level conjuncts that only bound @Timestamp by a
/// constant (null if nothing else is left); `dropped` says if any went.
ast_ptr without_time_bounds(const ast_node& n, int64_t now_ns, bool& dropped) {
  if (is_time_bound(n, now_ns)) {
    dropped = true;
    return nullptr;
  }
  if (n.kind == ast_kind::binary && n.op == ast_op::and_ && n.kids.size() == 2) {
    auto l = without_time_bounds(*n.kids[0], now_ns, dropped);
    auto r = without_time_bounds(*n.kids[1], now_ns, dropped);
    if (!l || !r)
      return l ? std::move(l) : std::move(r);
    auto both = std::make_unique<ast_node>();
    both->kind = ast_kind::binary;
    both->op = ast_op::and_;
    both->begin = n.begin;
    both->end = n.end;
    both->kids.push_back(std::move(l));
    both->kids.push_back(std::move(r));
    return both;
  }
  return n.clone();
}

} // namespace

std::optional<column_plan> plan_columns(const ast_node* where, const std::vector<select_item>& group_by,
                                        const std::vector<agg_spec>& aggs,
                                        const std::vector<const ast_node*>& agg_args, const property_names& props,
                                        const compile_term_fn& compile_term, int64_t now_ns) {
  if (aggs.empty() || group_by.size() > 2 || agg_args.size() != aggs.size())
    return std::nullopt;
  column_plan p;
  source_finder finder{p};
  // The scan range holds the where clause's time bounds (planner.hpp).
  bool dropped = false;
  ast_ptr rest = where ? without_time_bounds(*where, now_ns, dropped) : nullptr;
  if (!rest) {
    p.where = column_plan::where_mode::none;
  } else if (auto source = finder.source_of(rest.get()); source && !dropped) {
    p.where = column_plan::where_mode::one_source;
    p.where_source = *source;
  } else {
    // Free text is `@Message like ... ci or @Exception like ... ci`.
    expand_free_text(rest);
    if (!split_where(*rest, finder, p, compile_term))
      return std::nullopt;
    p.where = column_plan::where_mode::tree;
  }
  for (const auto& k : group_by) {
    auto s = finder.source_of(k.expr.get());
    if (!s)
      return std::nullopt;
    p.key_sources.push_back(*s);
  }
  for (size_t a = 0; a < aggs.size(); ++a) {
    if (aggs[a].kind == agg_kind::first || aggs[a].kind == agg_kind::last)
      return std::nullopt;
    auto s = finder.source_of(agg_args[a]);
    if (!s)
      return std::nullopt;
    p.arg_sources.push_back(*s);
    p.arg_is_property.push_back(agg_args[a] && agg_args[a]->kind == ast_kind::property);
  }
  // Properties read only as bare aggregate arguments may skip number text.
  for (size_t i = 0; i < p.properties.size() && i < 64; ++i) {
    const int source = int(storage::field_count + i);
    bool bare_only = p.where_source != source;
    for (const auto& t : p.where_tree)
      bare_only = bare_only && t.source != source;
    for (int k : p.key_sources)
      bare_only = bare_only && k != source;
    for (size_t a = 0; a < aggs.size(); ++a)
      bare_only = bare_only && (p.arg_sources[a] != source || p.arg_is_property[a]);
    if (bare_only)
      p.numeric_properties |= uint64_t(1) << i;
  }
  auto add = [&](int s) {
    if (s >= 0 && s < int(storage::field_count))
      p.fields |= 1u << s;
  };
  add(p.where_source);
  for (const auto& t : p.where_tree)
    if (t.kind == column_plan::where_node::term && t.source != column_plan::message_source)
      add(t.source);
  for (int s : p.key_sources)
    add(s);
  for (int s : p.arg_sources)
    add(s);
  if (p.fields & ~storage::coded_fields_mask)
    return std::nullopt;
  // The compiler interned every property the expressions read.
  for (const auto& name : p.properties) {
    bool found = false;
    for (uint32_t i = 0; i < props.names.size() && !found; ++i)
      if (props.names[i] == name) {
        p.property_ids.push_back(i);
        found = true;
      }
    if (!found)
      return std::nullopt;
  }
  return p;
}

} // namespace cairn::query
