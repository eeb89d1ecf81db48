#include "query/builtins.hpp"
#include "query/expr.hpp"
#include "query/functions.hpp"
#include "query/json_text.hpp"
#include "query/like.hpp"
#include "query/parse_error.hpp"
#include "storage/levels.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <regex>

namespace cairn::query {

namespace {

[[noreturn]] void semantic(const ast_node& n, std::string msg) {
  throw query_error(query_error::kind::semantic, std::move(msg), n.begin);
}

// ---------------------------------------------------------------- leaves

class const_node final : public expr_node {
public:
  explicit const_node(value v) {
    if (v.has_text()) {
      storage_.assign(v.str());
      v = v.kind == value_kind::string  ? value::string(storage_)
          : v.kind == value_kind::array ? value::array_json(storage_)
                                        : value::object_json(storage_);
    }
    v_ = v;
  }
  value eval(eval_context&) const override { return v_; }
  bool is_constant() const override { return true; }
  const value& get() const { return v_; }

private:
  std::string storage_;
  value v_;
};

class builtin_node final : public expr_node {
public:
  explicit builtin_node(builtin b) : b_(b) {}
  value eval(eval_context& ctx) const override { return read_builtin(b_, ctx); }
  builtin which() const { return b_; }

private:
  builtin b_;
};

// Specialised for the hot built-ins so they avoid the switch.
class exception_node final : public expr_node {
public:
  value eval(eval_context& ctx) const override {
    auto s = ctx.record().get(storage::field::exception);
    return s.empty() ? value{} : value::string(s);
  }
};

class timestamp_node final : public expr_node {
public:
  value eval(eval_context& ctx) const override { return value::datetime(ctx.record().timestamp()); }
};

class ref_node final : public expr_node {
public:
  enum what_t { key, aggregate, bucket, column };
  ref_node(what_t w, size_t i) : w_(w), i_(i) {}
  value eval(eval_context& ctx) const override {
    switch (w_) {
      case key: return ctx.group_keys[i_];
      case aggregate: return ctx.aggregates[i_];
      case bucket: return value::datetime(ctx.bucket_ns);
      case column: return ctx.columns[i_];
    }
    return {};
  }

private:
  what_t w_;
  size_t i_;
};

class slot_node final : public expr_node {
public:
  explicit slot_node(uint32_t s) : s_(s) {}
  value eval(eval_context& ctx) const override { return ctx.slots[s_]; }

private:
  uint32_t s_;
};

// ---------------------------------------------------------------- paths

// One step of a path: a member name (with the dotted joins of the names that
// follow it, so `a.b` also finds a flat key "a.b") or a computed index.
struct path_step {
  std::vector<std::string> joins; ///< joins[k] = name_i + "." + ... + name_{i+k}
  std::vector<uint32_t> join_ids; ///< property cache ids (top-level steps only)
  expr_ptr index;                 ///< set for [expr] steps
};

class path_node final : public expr_node {
public:
  // base == null: the path starts at the event's properties (cached scan).
  path_node(expr_ptr base, std::vector<path_step> steps) : base_(std::move(base)), steps_(std::move(steps)) {}

  value eval(eval_context& ctx) const override {
    if (!base_)
      return from_properties(ctx);
    value v = base_->eval(ctx);
    return walk(ctx, v, 0);
  }

private:
  value from_properties(eval_context& ctx) const {
    const path_step& s = steps_[0];
    for (size_t k = 0; k < s.join_ids.size(); ++k) {
      std::string_view raw;
      if (!ctx.property_raw(s.join_ids[k], raw))
        continue;
      value v = json::to_value(raw, ctx.scratch());
      if (k + 1 == steps_.size())
        return v;
      value r = walk(ctx, v, k + 1);
      if (!r.is_undefined() || k + 1 == s.join_ids.size())
        return r;
    }
    return {};
  }

  value walk(eval_context& ctx, value v, size_t i) const {
    if (i == steps_.size() || v.is_undefined())
      return v;
    const path_step& s = steps_[i];
    if (s.index) {
      value idx = s.index->eval(ctx);
      std::string_view raw;
      if (v.kind == value_kind::array && idx.is_number()) {
        double d = idx.number;
        if (d < 0 || d != std::floor(d) || !json::element_at(v.str(), size_t(d), raw))
          return {};
      } else if (v.kind == value_kind::object && idx.is_string()) {
        if (!json::find_member(v.str(), idx.str(), raw))
          return {};
      } else {
        return {};
      }
      return walk(ctx, json::to_value(raw, ctx.scratch()), i + 1);
    }
    if (v.kind != value_kind::object)
      return {};
    for (size_t k = 0; k < s.joins.size(); ++k) {
      std::string_view raw;
      if (!json::find_member(v.str(), s.joins[k], raw))
        continue;
      value r = walk(ctx, json::to_value(raw, ctx.scratch()), i + k + 1);
      if (!r.is_undefined())
        return r;
    }
    return {};
  }

  expr_ptr base_;
  std::vector<path_step> steps_;
};

// ---------------------------------------------------------------- operators

class logical_node final : public expr_node {
public:
  logical_node(bool is_and, expr_ptr l, expr_ptr r) : and_(is_and), l_(std::move(l)), r_(std::move(r)) {}
  // Seq.Syntax compiles and/or intrinsically: each side counts only if it is
  // Boolean true, the result is always a Boolean, and evaluation short-circuits.
  value eval(eval_context& ctx) const override {
    bool l = l_->eval(ctx).is_true();
    if (and_ ? !l : l)
      return value::of(l);
    return value::of(r_->eval(ctx).is_true());
  }

private:
  bool and_;
  expr_ptr l_, r_;
};

class unary_node final : public expr_node {
public:
  unary_node(ast_op op, expr_ptr e) : op_(op), e_(std::move(e)) {}
  value eval(eval_context& ctx) const override {
    value v = e_->eval(ctx);
    switch (op_) {
      case ast_op::not_:
        if (v.is_undefined())
          return value::of(true); // Seq: `not undefined` is true
        if (!v.is_bool())
          return {};
        return value::of(!v.boolean);
      case ast_op::neg:
        if (v.is_number())
          return value::of(-v.number);
        if (v.kind == value_kind::duration)
          return value::duration(-v.ns);
        return {};
      case ast_op::is_null: return value::of(v.is_missing());
      case ast_op::is_not_null: return value::of(!v.is_missing());
      default: return {};
    }
  }

private:
  ast_op op_;
  expr_ptr e_;
};

value arithmetic(ast_op op, const value& a, const value& b, eval_context& ctx) {
  using k = value_kind;
  if (a.is_number() && b.is_number()) {
    double x = a.number, y = b.number, r;
    switch (op) {
      case ast_op::add: r = x + y; break;
      case ast_op::sub: r = x - y; break;
      case ast_op::mul: r = x * y; break;
      case ast_op::div:
        if (y == 0)
          return {};
        r = x / y;
        break;
      case ast_op::mod:
        if (y == 0)
          return {};
        r = std::fmod(x, y);
        break;
      case ast_op::pow: r = std::pow(x, y); break;
      default: return {};
    }
    if (!std::isfinite(r))
      return {};
    return value::of(r);
  }
  if (op == ast_op::add && a.is_string() && b.is_string()) {
    char* p = ctx.scratch().allocate(a.len + b.len);
    std::memcpy(p, a.text, a.len);
    std::memcpy(p + a.len, b.text, b.len);
    return value::string({p, size_t(a.len) + b.len});
  }
  if (a.kind == k::datetime && b.kind == k::duration) {
    if (op == ast_op::add) return value::datetime(saturating_add(a.ns, b.ns));
    if (op == ast_op::sub) return value::datetime(saturating_sub(a.ns, b.ns));
    return {};
  }
  if (a.kind == k::duration && b.kind == k::datetime && op == ast_op::add)
    return value::datetime(saturating_add(a.ns, b.ns));
  if (a.kind == k::datetime && b.kind == k::datetime && op == ast_op::sub)
    return value::duration(saturating_sub(a.ns, b.ns));
  // Seq treats timestamps and numbers of ticks interchangeably.
  if (a.kind == k::datetime && b.is_number() && (op == ast_op::add || op == ast_op::sub)) {
    int64_t d = saturating_int64(b.number * 100.0);
    return value::datetime(op == ast_op::add ? saturating_add(a.ns, d) : saturating_sub(a.ns, d));
  }
  if (a.kind == k::duration && b.kind == k::duration) {
    if (op == ast_op::add) return value::duration(saturating_add(a.ns, b.ns));
    if (op == ast_op::sub) return value::duration(saturating_sub(a.ns, b.ns));
    if (op == ast_op::div && b.ns != 0) return value::of(double(a.ns) / double(b.ns));
    return {};
  }
  if (a.kind == k::duration && b.is_number()) {
    if (op == ast_op::mul) return value::duration(saturating_int64(double(a.ns) * b.number));
    if (op == ast_op::div && b.number != 0) return value::duration(saturating_int64(double(a.ns) / b.number));
    return {};
  }
  if (a.is_number() && b.kind == k::duration && op == ast_op::mul)
    return value::duration(saturating_int64(a.number * double(b.ns)));
  return {};
}

class arith_node final : public expr_node {
public:
  arith_node(ast_op op, expr_ptr l, expr_ptr r) : op_(op), l_(std::move(l)), r_(std::move(r)) {}
  value eval(eval_context& ctx) const override {
    value a = l_->eval(ctx);
    if (a.is_undefined())
      return a;
    value b = r_->eval(ctx);
    if (b.is_undefined())
      return b;
    return arithmetic(op_, a, b, ctx);
  }

private:
  ast_op op_;
  expr_ptr l_, r_;
};

class compare_node final : public expr_node {
public:
  compare_node(ast_op op, bool ci, expr_ptr l, expr_ptr r) : op_(op), ci_(ci), l_(std::move(l)), r_(std::move(r)) {}
  value eval(eval_context& ctx) const override {
    value a = l_->eval(ctx);
    if (a.is_undefined())
      return a;
    value b = r_->eval(ctx);
    if (b.is_undefined())
      return b;
    switch (op_) {
      case ast_op::eq: return value::of(values_equal(a, b, ci_));
      case ast_op::ne: return value::of(!values_equal(a, b, ci_));
      default: break;
    }
    int c;
    if (!values_compare(a, b, ci_, c))
      return {};
    switch (op_) {
      case ast_op::lt: return value::of(c < 0);
      case ast_op::le: return value::of(c <= 0);
      case ast_op::gt: return value::of(c > 0);
      case ast_op::ge: return value::of(c >= 0);
      default: return {};
    }
  }

private:
  ast_op op_;
  bool ci_;
  expr_ptr l_, r_;
};

// `x = 'literal'`: the hot equality, no second virtual call.
class eq_const_node final : public expr_node {
public:
  eq_const_node(bool negate, bool ci, expr_ptr l, value c, std::string storage)
    : negate_(negate), ci_(ci), l_(std::move(l)), storage_(std::move(storage)), c_(c) {
    if (c_.has_text())
      c_ = c_.kind == value_kind::string ? value::string(storage_)
           : c_.kind == value_kind::array ? value::array_json(storage_) : value::object_json(storage_);
  }
  value eval(eval_context& ctx) const override {
    value a = l_->eval(ctx);
    if (a.is_undefined())
      return a;
    return value::of(values_equal(a, c_, ci_) != negate_);
  }

private:
  bool negate_, ci_;
  expr_ptr l_;
  std::string storage_;
  value c_;
};

class like_node final : public expr_node {
public:
  like_node(bool negate, expr_ptr l, like_pattern p) : negate_(negate), l_(std::move(l)), p_(std::move(p)) {}
  value eval(eval_context& ctx) const override {
    value a = l_->eval(ctx);
    if (!a.is_string())
      return {};
    return value::of(p_.matches(a.str()) != negate_);
  }

private:
  bool negate_;
  expr_ptr l_;
  like_pattern p_;
};

class dynamic_like_node final : public expr_node {
public:
  dynamic_like_node(bool negate, bool ci, expr_ptr l, expr_ptr r)
    : negate_(negate), ci_(ci), l_(std::move(l)), r_(std::move(r)) {}
  value eval(eval_context& ctx) const override {
    value a = l_->eval(ctx);
    value b = r_->eval(ctx);
    if (!a.is_string() || !b.is_string())
      return {};
    return value::of(like_pattern(b.str(), ci_).matches(a.str()) != negate_);
  }

private:
  bool negate_, ci_;
  expr_ptr l_, r_;
};

class regex_node final : public expr_node {
public:
  regex_node(bool negate, expr_ptr l, std::regex re) : negate_(negate), l_(std::move(l)), re_(std::move(re)) {}
  value eval(eval_context& ctx) const override {
    value a = l_->eval(ctx);
    if (!a.is_string())
      return {};
    auto s = a.str();
    return value::of(std::regex_search(s.data(), s.data() + s.size(), re_) != negate_);
  }

private:
  bool negate_;
  expr_ptr l_;
  std::regex re_;
};

class in_const_node final : public expr_node {
public:
  // `items` text is owned by `storage`.
  in_const_node(bool negate, bool ci, expr_ptr l, std::vector<std::string> storage, std::vector<value> items)
    : negate_(negate), ci_(ci), l_(std::move(l)), storage_(std::move(storage)), items_(std::move(items)) {}
  value eval(eval_context& ctx) const override {
    value a = l_->eval(ctx);
    if (a.is_undefined())
      return a;
    for (const auto& v : items_)
      if (values_equal(a, v, ci_))
        return value::of(!negate_);
    return value::of(negate_);
  }

private:
  bool negate_, ci_;
  expr_ptr l_;
  std::vector<std::string> storage_;
  std::vector<value> items_;
};

// `@Level in [...]` matches the usual aliases of each listed level alike
// (SPEC.md §3); unknown level names compare case-insensitively.
class level_in_node final : public expr_node {
public:
  level_in_node(bool negate, std::vector<std::string> names) : negate_(negate), names_(std::move(names)) {
    for (auto& n : names_) {
      auto c = storage::classify_level(n);
      if (c != storage::level_class::other)
        mask_ |= storage::level_bit(c);
    }
  }
  value eval(eval_context& ctx) const override {
    auto l = ctx.record().get(storage::field::level);
    auto c = storage::classify_level(l);
    bool hit = false;
    if (c != storage::level_class::other)
      hit = mask_ & storage::level_bit(c);
    else
      for (auto& n : names_)
        if (iequals_ascii(n, l))
          hit = true;
    return value::of(hit != negate_);
  }

private:
  bool negate_;
  std::vector<std::string> names_;
  uint32_t mask_ = 0;
};

class in_dynamic_node final : public expr_node {
public:
  in_dynamic_node(bool negate, bool ci, expr_ptr l, expr_ptr r)
    : negate_(negate), ci_(ci), l_(std::move(l)), r_(std::move(r)) {}
  value eval(eval_context& ctx) const override {
    value a = l_->eval(ctx);
    if (a.is_undefined())
      return a;
    value arr = r_->eval(ctx);
    if (arr.kind != value_kind::array)
      return {};
    bool hit = false;
    json::for_each_element(arr.str(), [&](std::string_view raw) {
      hit = values_equal(a, json::to_value(raw, ctx.scratch()), ci_);
      return !hit;
    });
    return value::of(hit != negate_);
  }

private:
  bool negate_, ci_;
  expr_ptr l_, r_;
};

class call_node final : public expr_node {
public:
  call_node(const function_info* f, std::vector<expr_ptr> args, std::vector<std::unique_ptr<std::regex>> res, bool ci)
    : f_(f), args_(std::move(args)), regex_storage_(std::move(res)), ci_(ci) {
    for (auto& r : regex_storage_)
      regexes_.push_back(r.get());
  }
  value eval(eval_context& ctx) const override {
    size_t n = args_.size();
    if (n <= 4) {
      value vals[4];
      return call(ctx, vals, n);
    }
    value vals[16];
    return call(ctx, vals, n);
  }

private:
  value call(eval_context& ctx, value* vals, size_t n) const {
    for (size_t i = 0; i < n; ++i) {
      vals[i] = args_[i] ? args_[i]->eval(ctx) : value::null();
      if (f_->propagate_undefined && vals[i].is_undefined() && !regexes_[i])
        return {};
    }
    return f_->fn(fn_call{vals, n, ci_, regexes_.data(), ctx});
  }

private:
  const function_info* f_;
  std::vector<expr_ptr> args_;
  std::vector<std::unique_ptr<std::regex>> regex_storage_;
  std::vector<const std::regex*> regexes_;
  bool ci_;
};

class conditional_node final : public expr_node {
public:
  conditional_node(expr_ptr c, expr_ptr a, expr_ptr b) : c_(std::move(c)), a_(std::move(a)), b_(std::move(b)) {}
  value eval(eval_context& ctx) const override {
    return c_->eval(ctx).is_true() ? a_->eval(ctx) : b_->eval(ctx);
  }

private:
  expr_ptr c_, a_, b_;
};

class collection_node final : public expr_node {
public:
  collection_node(std::vector<std::string> names, std::vector<expr_ptr> items)
    : names_(std::move(names)), items_(std::move(items)) {}
  value eval(eval_context& ctx) const override {
    bool object = !names_.empty() || object_empty_;
    std::string out(1, object ? '{' : '[');
    for (size_t i = 0; i < items_.size(); ++i) {
      if (i)
        out.push_back(',');
      if (object) {
        append_json_string(out, names_[i]);
        out.push_back(':');
      }
      value v = items_[i]->eval(ctx);
      append_json(out, v);
    }
    out.push_back(object ? '}' : ']');
    auto s = ctx.scratch().copy(out);
    return object ? value::object_json(s) : value::array_json(s);
  }
  bool object_empty_ = false;

private:
  std::vector<std::string> names_;
  std::vector<expr_ptr> items_;
};

class wildcard_node final : public expr_node {
public:
  wildcard_node(bool all, uint32_t slot, expr_ptr coll, expr_ptr body)
    : all_(all), slot_(slot), coll_(std::move(coll)), body_(std::move(body)) {}
  value eval(eval_context& ctx) const override {
    value c = coll_->eval(ctx);
    bool result = all_;
    auto visit = [&](std::string_view raw) {
      ctx.slots[slot_] = json::to_value(raw, ctx.scratch());
      bool t = body_ ? body_->eval(ctx).is_true() : ctx.slots[slot_].is_true();
      if (all_ && !t)
        result = false;
      if (!all_ && t)
        result = true;
      return all_ ? result : !result;
    };
    if (c.kind == value_kind::array)
      json::for_each_element(c.str(), visit);
    else if (c.kind == value_kind::object)
      json::for_each_member(c.str(), [&](std::string_view, std::string_view raw) { return visit(raw); });
    else
      return {};
    return value::of(result);
  }

private:
  bool all_;
  uint32_t slot_;
  expr_ptr coll_, body_;
};

// ---------------------------------------------------------------- compiler

bool is_comparison(ast_op op) {
  switch (op) {
    case ast_op::eq: case ast_op::ne: case ast_op::lt: case ast_op::le: case ast_op::gt:
    case ast_op::ge: case ast_op::like: case ast_op::not_like: case ast_op::in: case ast_op::not_in:
      return true;
    default: return false;
  }
}

bool is_boolean_node(const ast_node& n) {
  if (n.kind == ast_kind::binary)
    return is_comparison(n.op) || n.op == ast_op::and_ || n.op == ast_op::or_;
  if (n.kind == ast_kind::unary)
    return n.op == ast_op::not_ || n.op == ast_op::is_null || n.op == ast_op::is_not_null;
  if (n.kind == ast_kind::call) {
    auto f = find_function(n.text);
    return f && f->predicate;
  }
  return false;
}

// Finds the first wildcard below `n` that `n` scopes: descends through
// non-Boolean nodes only (inner predicates scope their own wildcards).
ast_ptr* find_scoped_wildcard(ast_node& n) {
  for (auto& k : n.kids) {
    if (!k)
      continue;
    if (is_boolean_node(*k))
      continue;
    if (auto* w = find_scoped_wildcard(*k))
      return w;
    if (k->kind == ast_kind::wildcard)
      return &k;
  }
  return nullptr;
}

class compiler {
public:
  explicit compiler(compile_scope& s) : s_(s) {}

  expr_ptr compile(const ast_node& n) {
    if (s_.on_expression)
      if (auto r = s_.on_expression(n))
        return r;
    if (is_boolean_node(n)) {
      // Scope wildcards to the nearest enclosing predicate.
      auto copy = n.clone();
      if (auto* w = find_scoped_wildcard(*copy)) {
        if (s_.next_slot >= eval_context::max_slots)
          semantic(n, "too many nested `[?]`/`[*]` wildcards");
        uint32_t slot = s_.next_slot++;
        ast_ptr wild = std::move(*w);
        auto slot_ast = std::make_unique<ast_node>();
        slot_ast->kind = ast_kind::slot;
        slot_ast->slot_id = slot;
        slot_ast->begin = wild->begin;
        slot_ast->end = wild->end;
        *w = std::move(slot_ast);
        auto coll = compile(*wild->kids[0]);
        auto body = compile(*copy);
        --s_.next_slot;
        return std::make_unique<wildcard_node>(wild->boolean, slot, std::move(coll), std::move(body));
      }
    }
    return compile_node(n);
  }

private:
  expr_ptr fold_now(expr_ptr e) {
    static const property_names none;
    eval_context ctx(none, s_.now_ns);
    value v = e->eval(ctx);
    return make_constant(v);
  }

  expr_ptr compile_node(const ast_node& n) {
    switch (n.kind) {
      case ast_kind::null_lit: return make_constant(value::null());
      case ast_kind::bool_lit: return make_constant(value::of(n.boolean));
      case ast_kind::number_lit: return make_constant(value::of(n.number));
      case ast_kind::string_lit: return make_constant(value::string(n.text));
      case ast_kind::duration_lit: return make_constant(value::duration(n.ns));
      case ast_kind::regex_lit:
        semantic(n, "a regular expression can only be used with `=`, `<>`, `like` or as a function argument");
      case ast_kind::free_text: {
        auto copy = n.clone();
        expand_free_text(copy);
        return compile(*copy);
      }
      case ast_kind::slot: return std::make_unique<slot_node>(n.slot_id);
      case ast_kind::array_lit:
      case ast_kind::object_lit: {
        std::vector<expr_ptr> items;
        for (auto& k : n.kids)
          items.push_back(compile(*k));
        auto node = std::make_unique<collection_node>(n.names, std::move(items));
        node->object_empty_ = n.kind == ast_kind::object_lit;
        // Constant collections become JSON text once, at compile time.
        if (constant_kids(n))
          return fold_now(std::move(node));
        return node;
      }
      case ast_kind::builtin: {
        if (s_.on_event_access)
          s_.on_event_access(n);
        auto b = find_builtin(n.text);
        if (!b)
          semantic(n, "the built-in property `@" + n.text + "` is not recognised");
        if (*b == builtin::exception)
          return std::make_unique<exception_node>();
        if (*b == builtin::timestamp)
          return std::make_unique<timestamp_node>();
        return std::make_unique<builtin_node>(*b);
      }
      case ast_kind::property:
      case ast_kind::member:
      case ast_kind::index: return compile_path(n);
      case ast_kind::wildcard: {
        // A wildcard outside any predicate: any/all elements are true.
        auto coll = compile(*n.kids[0]);
        if (s_.next_slot >= eval_context::max_slots)
          semantic(n, "too many nested `[?]`/`[*]` wildcards");
        return std::make_unique<wildcard_node>(n.boolean, s_.next_slot, std::move(coll), nullptr);
      }
      case ast_kind::call: return compile_call(n);
      case ast_kind::unary: {
        auto e = compile(*n.kids[0]);
        bool c = e->is_constant();
        expr_ptr r = std::make_unique<unary_node>(n.op, std::move(e));
        return c ? fold_now(std::move(r)) : std::move(r);
      }
      case ast_kind::conditional: {
        auto c = compile(*n.kids[0]);
        auto a = compile(*n.kids[1]);
        auto b = compile(*n.kids[2]);
        return std::make_unique<conditional_node>(std::move(c), std::move(a), std::move(b));
      }
      case ast_kind::binary: return compile_binary(n);
    }
    semantic(n, "unsupported expression");
  }

  bool constant_kids(const ast_node& n) {
    for (auto& k : n.kids) {
      switch (k->kind) {
        case ast_kind::null_lit: case ast_kind::bool_lit: case ast_kind::number_lit:
        case ast_kind::string_lit: case ast_kind::duration_lit: break;
        case ast_kind::array_lit: case ast_kind::object_lit:
          if (!constant_kids(*k))
            return false;
          break;
        case ast_kind::unary:
          if (k->op != ast_op::neg || !constant_kids(*k))
            return false;
          break;
        default: return false;
      }
    }
    return true;
  }

  expr_ptr compile_path(const ast_node& n) {
    // Flatten the chain of member/index steps down to its base.
    std::vector<const ast_node*> chain;
    const ast_node* cur = &n;
    while (cur->kind == ast_kind::member || cur->kind == ast_kind::index) {
      chain.push_back(cur);
      cur = cur->kids[0].get();
    }
    std::reverse(chain.begin(), chain.end());
    std::vector<path_step> steps;
    std::vector<bool> joinable; // `.name` steps join with following `.name` steps
    expr_ptr base;
    bool from_props = false;
    auto add_step = [&](std::string key, bool member) {
      path_step s;
      s.joins.push_back(std::move(key));
      steps.push_back(std::move(s));
      joinable.push_back(member);
    };
    if (cur->kind == ast_kind::property) {
      from_props = true;
      add_step(cur->text, true);
      if (s_.on_event_access)
        s_.on_event_access(*cur);
    } else if (cur->kind == ast_kind::builtin && cur->text == "Properties" && !chain.empty() &&
               (chain.front()->kind == ast_kind::member || chain.front()->kids[1]->kind == ast_kind::string_lit)) {
      // @Properties.X / @Properties['X'] is the same as X.
      if (s_.on_event_access)
        s_.on_event_access(*cur);
      const ast_node* first = chain.front();
      from_props = true;
      if (first->kind == ast_kind::member)
        add_step(first->text, true);
      else
        add_step(first->kids[1]->text, false);
      chain.erase(chain.begin());
    } else {
      base = compile(*cur);
    }
    for (auto* c : chain) {
      if (c->kind == ast_kind::member) {
        add_step(c->text, true);
      } else if (c->kids[1]->kind == ast_kind::string_lit) {
        add_step(c->kids[1]->text, false);
      } else {
        path_step s;
        s.index = compile(*c->kids[1]);
        steps.push_back(std::move(s));
        joinable.push_back(false);
      }
    }
    // Precompute dotted joins over runs of member names: step i tries
    // "a", "a.b", "a.b.c"... so flat OTLP keys like "http.method" resolve.
    for (size_t i = 0; i < steps.size(); ++i) {
      if (!joinable[i])
        continue;
      std::string acc = steps[i].joins[0];
      for (size_t j = i + 1; j < steps.size() && joinable[j]; ++j) {
        acc += "." + steps[j].joins[0];
        steps[i].joins.push_back(acc);
      }
    }
    if (from_props)
      for (auto& j : steps[0].joins)
        steps[0].join_ids.push_back(s_.props->intern(j));
    if (!from_props && steps.empty())
      return base;
    return std::make_unique<path_node>(std::move(base), std::move(steps));
  }

  expr_ptr compile_call(const ast_node& n) {
    if (is_aggregate_name(n.text)) {
      if (!s_.on_aggregate)
        semantic(n, "the aggregate function `" + n.text + "` cannot be used in " + std::string(s_.clause));
      return s_.on_aggregate(n);
    }
    if (n.star)
      semantic(n, "`*` is only allowed in `count(*)`");
    const function_info* f = find_function(n.text);
    if (!f)
      semantic(n, "the function name `" + n.text + "` was not recognised");
    if (n.kids.size() < f->min_args || n.kids.size() > f->max_args) {
      std::string want = f->min_args == f->max_args ? std::to_string(f->min_args)
                                                    : std::to_string(f->min_args) + " to " + std::to_string(f->max_args);
      semantic(n, "the function `" + std::string(f->name) + "` takes " + want + " argument" +
                      (f->max_args == 1 ? "" : "s") + ", not " + std::to_string(n.kids.size()));
    }
    std::vector<expr_ptr> args;
    std::vector<std::unique_ptr<std::regex>> res;
    bool all_const = true;
    for (size_t i = 0; i < n.kids.size(); ++i) {
      const ast_node& a = *n.kids[i];
      if (a.kind == ast_kind::regex_lit) {
        if (!(f->regex_args & (1u << i)))
          semantic(a, "the function `" + std::string(f->name) + "` does not accept a regular expression here");
        res.push_back(make_regex(a, n.ci));
        args.push_back(nullptr);
        continue;
      }
      res.push_back(nullptr);
      args.push_back(compile(a));
      all_const = all_const && args.back()->is_constant();
    }
    bool foldable = all_const; // includes Now(): the clock is fixed per query
    expr_ptr node = std::make_unique<call_node>(f, std::move(args), std::move(res), n.ci);
    return foldable ? fold_now(std::move(node)) : std::move(node);
  }

  std::unique_ptr<std::regex> make_regex(const ast_node& a, bool ci) {
    try {
      auto flags = std::regex::ECMAScript;
      if (ci || a.ci)
        flags |= std::regex::icase;
      return std::make_unique<std::regex>(a.text, flags);
    } catch (const std::regex_error& e) {
      semantic(a, "the regular expression /" + a.text + "/ is invalid: " + e.what());
    }
  }

  expr_ptr compile_binary(const ast_node& n) {
    const ast_node& ln = *n.kids[0];
    const ast_node& rn = *n.kids[1];
    switch (n.op) {
      case ast_op::and_:
      case ast_op::or_:
        return std::make_unique<logical_node>(n.op == ast_op::and_, compile(ln), compile(rn));
      case ast_op::add: case ast_op::sub: case ast_op::mul: case ast_op::div: case ast_op::mod: case ast_op::pow: {
        auto l = compile(ln);
        auto r = compile(rn);
        bool c = l->is_constant() && r->is_constant();
        expr_ptr e = std::make_unique<arith_node>(n.op, std::move(l), std::move(r));
        return c ? fold_now(std::move(e)) : std::move(e);
      }
      default: break;
    }
    bool negate = n.op == ast_op::ne || n.op == ast_op::not_like || n.op == ast_op::not_in;
    if (rn.kind == ast_kind::regex_lit) {
      if (n.op != ast_op::eq && n.op != ast_op::ne && n.op != ast_op::like && n.op != ast_op::not_like)
        semantic(rn, "a regular expression can only be compared with `=`, `<>` or `like`");
      return std::make_unique<regex_node>(negate, compile(ln), std::move(*make_regex(rn, n.ci)));
    }
    if (n.op == ast_op::like || n.op == ast_op::not_like) {
      auto l = compile(ln);
      auto r = compile(rn);
      if (r->is_constant()) {
        value p = static_cast<const const_node&>(*r).get();
        if (!p.is_string())
          return make_constant(value::undefined());
        return std::make_unique<like_node>(negate, std::move(l), like_pattern(p.str(), n.ci));
      }
      return std::make_unique<dynamic_like_node>(negate, n.ci, std::move(l), std::move(r));
    }
    if (n.op == ast_op::in || n.op == ast_op::not_in) {
      if (rn.kind == ast_kind::array_lit && constant_kids(rn)) {
        if (ln.kind == ast_kind::builtin && ln.text == "Level") {
          std::vector<std::string> names;
          bool strings = true;
          for (auto& k : rn.kids) {
            if (k->kind != ast_kind::string_lit)
              strings = false;
            names.push_back(k->text);
          }
          if (strings)
            return std::make_unique<level_in_node>(negate, std::move(names));
        }
        std::vector<std::string> storage;
        std::vector<value> items;
        std::vector<expr_ptr> consts;
        for (auto& k : rn.kids)
          consts.push_back(compile(*k));
        storage.reserve(consts.size());
        for (auto& c : consts) {
          value v = static_cast<const const_node&>(*c).get();
          storage.emplace_back(v.has_text() ? std::string(v.str()) : std::string());
        }
        for (size_t i = 0; i < consts.size(); ++i) {
          value v = static_cast<const const_node&>(*consts[i]).get();
          if (v.has_text()) {
            auto sv = std::string_view(storage[i]);
            v = v.kind == value_kind::string ? value::string(sv)
                : v.kind == value_kind::array ? value::array_json(sv) : value::object_json(sv);
          }
          items.push_back(v);
        }
        return std::make_unique<in_const_node>(negate, n.ci, compile(ln), std::move(storage), std::move(items));
      }
      return std::make_unique<in_dynamic_node>(negate, n.ci, compile(ln), compile(rn));
    }
    auto l = compile(ln);
    auto r = compile(rn);
    if (l->is_constant() && r->is_constant())
      return fold_now(std::make_unique<compare_node>(n.op, n.ci, std::move(l), std::move(r)));
    if ((n.op == ast_op::eq || n.op == ast_op::ne) && r->is_constant()) {
      value c = static_cast<const const_node&>(*r).get();
      if (!c.is_undefined())
        return std::make_unique<eq_const_node>(negate, n.ci, std::move(l), c,
                                               c.has_text() ? std::string(c.str()) : std::string());
    }
    return std::make_unique<compare_node>(n.op, n.ci, std::move(l), std::move(r));
  }

  compile_scope& s_;
};

} // namespace

expr_ptr make_constant(value v) { return std::make_unique<const_node>(v); }
expr_ptr make_key_ref(size_t i) { return std::make_unique<ref_node>(ref_node::key, i); }
expr_ptr make_aggregate_ref(size_t i) { return std::make_unique<ref_node>(ref_node::aggregate, i); }
expr_ptr make_column_ref(size_t i) { return std::make_unique<ref_node>(ref_node::column, i); }
expr_ptr make_bucket_ref() { return std::make_unique<ref_node>(ref_node::bucket, 0); }

void expand_free_text(ast_ptr& node) {
  if (!node)
    return;
  for (auto& k : node->kids)
    expand_free_text(k);
  if (node->kind != ast_kind::free_text)
    return;
  auto like_on = [&](const char* builtin_name) {
    auto b = std::make_unique<ast_node>();
    b->kind = ast_kind::builtin;
    b->text = builtin_name;
    b->begin = node->begin;
    b->end = node->end;
    auto pat = std::make_unique<ast_node>();
    pat->kind = ast_kind::string_lit;
    // Escape the user's wildcards so the text matches literally.
    std::string p = "%";
    for (char c : node->text) {
      if (c == '%' || c == '?')
        p.push_back(c);
      p.push_back(c);
    }
    p += "%";
    pat->text = p;
    pat->begin = node->begin;
    pat->end = node->end;
    auto cmp = std::make_unique<ast_node>();
    cmp->kind = ast_kind::binary;
    cmp->op = ast_op::like;
    cmp->ci = true;
    cmp->begin = node->begin;
    cmp->end = node->end;
    cmp->kids.push_back(std::move(b));
    cmp->kids.push_back(std::move(pat));
    return cmp;
  };
  auto either = std::make_unique<ast_node>();
  either->kind = ast_kind::binary;
  either->op = ast_op::or_;
  either->begin = node->begin;
  either->end = node->end;
  either->kids.push_back(like_on("Message"));
  either->kids.push_back(like_on("Exception"));
  node = std::move(either);
}

expr_ptr compile_expr(const ast_node& node, compile_scope& scope) {
  compiler c(scope);
  return c.compile(node);
}

} // namespace cairn::query
