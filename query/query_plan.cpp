#include "query/query_plan.hpp"

#include "query/functions.hpp"
#include "query/parse_error.hpp"
#include "query/parser.hpp"

namespace cairn::query {

namespace {

[[noreturn]] void semantic(size_t pos, std::string msg) {
  throw query_error(query_error::kind::semantic, std::move(msg), pos);
}

std::string_view span(std::string_view text, const ast_node& n) { return text.substr(n.begin, n.end - n.begin); }

// Compiles per-event expressions (where, group keys, aggregate arguments).
expr_ptr compile_event_expr(query_plan& p, const ast_node& n, const char* clause) {
  compile_scope s;
  s.props = &p.props;
  s.clause = clause;
  s.now_ns = p.now_ns;
  return compile_expr(n, s);
}

class select_compiler {
public:
  select_compiler(query_plan& p, std::string_view text) : p_(p), text_(text) {}

  void run(select_query& q) {
    if (q.where) {
      p_.where = compile_event_expr(p_, *q.where, "`where`");
      p_.where_ast = std::move(q.where);
    }
    p_.no_cache = q.no_cache;
    if (q.limit)
      p_.limit = *q.limit;
    p_.bucket_ns = q.time_bucket;
    p_.aggregate = !q.group_by.empty() || q.time_bucket || q.having || uses_aggregate(q);
    if (!p_.aggregate) {
      for (auto& c : q.columns) {
        p_.columns.push_back(compile_event_expr(p_, *c.expr, "a query without `group by`"));
        p_.column_names.push_back(c.alias.empty() ? c.source : c.alias);
      }
      order(q, false);
      return;
    }
    for (auto& k : q.group_by) {
      if (uses_aggregate_in(*k.expr))
        semantic(k.expr->begin, "aggregate functions cannot be used in `group by`");
      p_.keys.push_back(compile_event_expr(p_, *k.expr, "`group by`"));
      p_.key_names.push_back(k.alias.empty() ? k.source : k.alias);
      p_.key_ci.push_back(k.ci);
      key_sources_.push_back(k.source);
    }
    for (auto& c : q.columns) {
      p_.columns.push_back(compile_group_expr(*c.expr, "`select`", false));
      p_.column_names.push_back(c.alias.empty() ? c.source : c.alias);
      column_aliases_.push_back(c.alias);
    }
    if (q.having)
      p_.having = compile_group_expr(*q.having, "`having`", true);
    order(q, true);
    p_.by_columns = plan_columns(p_.where_ast.get(), q.group_by, p_.aggs, agg_args_, p_.props,
                                 [this](const ast_node& term) { return compile_event_expr(p_, term, "`where`"); },
                                 p_.now_ns);
  }

private:
  bool uses_aggregate_in(const ast_node& n) {
    if (n.kind == ast_kind::call && is_aggregate_name(n.text))
      return true;
    for (auto& k : n.kids)
      if (k && uses_aggregate_in(*k))
        return true;
    return false;
  }
  bool uses_aggregate(const select_query& q) {
    for (auto& c : q.columns)
      if (uses_aggregate_in(*c.expr))
        return true;
    return false;
  }

  expr_ptr compile_group_expr(const ast_node& n, const char* clause, bool allow_aliases) {
    compile_scope s;
    s.props = &p_.props;
    s.clause = clause;
    s.now_ns = p_.now_ns;
    s.on_expression = [this, allow_aliases](const ast_node& e) -> expr_ptr {
      auto src = span(text_, e);
      for (size_t i = 0; i < key_sources_.size(); ++i)
        if (key_sources_[i] == src || (e.kind == ast_kind::property && p_.key_names[i] == e.text))
          return make_key_ref(i);
      if (allow_aliases && e.kind == ast_kind::property)
        for (size_t i = 0; i < column_aliases_.size(); ++i)
          if (column_aliases_[i] == e.text)
            return make_column_ref(i);
      return nullptr;
    };
    s.on_event_access = [this, clause](const ast_node& e) {
      semantic(e.begin, "`" + std::string(span(text_, e)) + "` in " + clause +
                            " must be an aggregate (such as count() or max()) or a group key");
    };
    s.on_aggregate = [this](const ast_node& call) { return aggregate(call); };
    return compile_expr(n, s);
  }

  expr_ptr aggregate(const ast_node& call) {
    std::string source(span(text_, call));
    for (size_t i = 0; i < p_.aggs.size(); ++i)
      if (p_.aggs[i].source == source)
        return make_aggregate_ref(i);
    bool nested_distinct = !call.star && call.kids.size() == 1 && call.kids[0]->kind == ast_kind::call &&
                           iequals_ascii(call.kids[0]->text, "distinct");
    agg_spec spec;
    if (!aggregate_kind(call.text, call.star, nested_distinct, spec.kind))
      semantic(call.begin, "unknown aggregate `" + call.text + "`");
    if (call.star && spec.kind != agg_kind::count_star)
      semantic(call.begin, "`*` is only allowed in `count(*)`");
    size_t want = spec.kind == agg_kind::percentile ? 2 : spec.kind == agg_kind::count_star ? 0 : 1;
    if (call.kids.size() != want)
      semantic(call.begin, "the aggregate `" + call.text + "` takes " + std::to_string(want) + " argument" +
                               (want == 1 ? "" : "s") + ", not " + std::to_string(call.kids.size()));
    const ast_node* arg = want ? call.kids[0].get() : nullptr;
    if (nested_distinct) {
      if (arg->kids.size() != 1)
        semantic(arg->begin, "`distinct` takes 1 argument");
      arg = arg->kids[0].get();
    }
    if (arg) {
      if (uses_aggregate_in(*arg))
        semantic(arg->begin, "aggregate functions cannot be nested");
      spec.arg = compile_event_expr(p_, *arg, "an aggregate argument");
    }
    if (spec.kind == agg_kind::percentile) {
      const ast_node& pn = *call.kids[1];
      if (pn.kind != ast_kind::number_lit || pn.number < 0 || pn.number > 100)
        semantic(pn.begin, "the percentile must be a number from 0 to 100");
      spec.param = pn.number;
    }
    spec.source = source;
    p_.aggs.push_back(std::move(spec));
    agg_args_.push_back(arg);
    return make_aggregate_ref(p_.aggs.size() - 1);
  }

  void order(const select_query& q, bool grouped) {
    for (auto& o : q.order_by) {
      order_spec spec;
      spec.descending = o.descending;
      if (iequals_ascii(o.name, "time")) {
        if (!p_.bucket_ns)
          semantic(o.position, "`order by time` needs `group by time(...)`");
        spec.column = -1;
      } else {
        int found = -1;
        size_t nk = grouped ? p_.key_names.size() : 0;
        for (size_t i = 0; i < nk && found < 0; ++i)
          if (p_.key_names[i] == o.name)
            found = int(i);
        for (size_t i = 0; i < p_.column_names.size() && found < 0; ++i)
          if (p_.column_names[i] == o.name)
            found = int(nk + i);
        if (found < 0)
          semantic(o.position, "`order by " + o.name + "` must name a column alias, a group key or `time`");
        spec.column = found;
      }
      p_.order.push_back(spec);
    }
  }

  query_plan& p_;
  std::string_view text_;
  std::vector<std::string> key_sources_;
  std::vector<std::string> column_aliases_;
  std::vector<const ast_node*> agg_args_; ///< per aggregate: its argument in the query (null for count(*))
};

} // namespace

std::shared_ptr<const query_plan> query_plan::compile(std::string_view text, int64_t now_ns) {
  if (!is_select_query(text))
    return compile_filter(text, now_ns);
  auto p = std::make_shared<query_plan>();
  p->text = std::string(text);
  p->now_ns = now_ns;
  p->is_select = true;
  select_query q = parse_select(p->text);
  select_compiler(*p, p->text).run(q);
  return p;
}

std::shared_ptr<const query_plan> query_plan::compile_filter(std::string_view text, int64_t now_ns) {
  auto p = std::make_shared<query_plan>();
  p->text = std::string(text);
  p->now_ns = now_ns;
  bool blank = text.find_first_not_of(" \t\r\n") == std::string_view::npos;
  if (!blank) {
    p->where_ast = parse_filter(p->text);
    p->where = compile_event_expr(*p, *p->where_ast, "a filter");
  }
  return p;
}

} // namespace cairn::query
