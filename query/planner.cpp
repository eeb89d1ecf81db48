#include "query/planner.hpp"

#include "query/expr.hpp"
#include "query/like.hpp"
#include "storage/bloom.hpp"
#include "storage/levels.hpp"

#include <algorithm>
#include <cstdio>

namespace cairn::query {

namespace {

struct requirement {
  int64_t from = INT64_MIN, to = INT64_MAX;
  uint32_t levels = ~0u;
  std::vector<std::string> names, tokens;
};

void add_unique(std::vector<std::string>& v, std::string s) {
  if (std::find(v.begin(), v.end(), s) == v.end())
    v.push_back(std::move(s));
}

std::vector<std::string> intersect(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  std::vector<std::string> r;
  for (auto& x : a)
    if (std::find(b.begin(), b.end(), x) != b.end())
      r.push_back(x);
  return r;
}

requirement both(requirement a, const requirement& b) {
  a.from = std::max(a.from, b.from);
  a.to = std::min(a.to, b.to);
  a.levels &= b.levels;
  for (auto& n : b.names)
    add_unique(a.names, n);
  for (auto& t : b.tokens)
    add_unique(a.tokens, t);
  return a;
}

requirement either(const requirement& a, const requirement& b) {
  requirement r;
  r.from = std::min(a.from, b.from);
  r.to = std::max(a.to, b.to);
  r.levels = a.levels | b.levels;
  r.names = intersect(a.names, b.names);
  r.tokens = intersect(a.tokens, b.tokens);
  return r;
}

// Tokens of `text` not touching an edge that borders a wildcard.
void bounded_tokens(std::string_view text, bool open_left, bool open_right, std::vector<std::string>& out) {
  size_t i = 0, n = text.size();
  while (i < n) {
    while (i < n && !storage::is_token_byte(static_cast<unsigned char>(text[i])))
      ++i;
    size_t b = i;
    while (i < n && storage::is_token_byte(static_cast<unsigned char>(text[i])))
      ++i;
    if (i == b)
      break;
    if ((b == 0 && open_left) || (i == n && open_right))
      continue;
    std::string t(text.substr(b, i - b));
    for (auto& c : t)
      if (c >= 'A' && c <= 'Z')
        c = char(c + 32);
    add_unique(out, t);
  }
}

// Dotted property path of a property reference (stops at computed steps),
// or "" if the node is not one. @Exception maps to its own name.
std::string property_path(const ast_node& n) {
  if (n.kind == ast_kind::property)
    return n.text;
  if (n.kind == ast_kind::builtin)
    return n.text == "Exception" ? "@Exception" : "";
  if (n.kind == ast_kind::member) {
    const ast_node& base = *n.kids[0];
    if (base.kind == ast_kind::builtin && base.text == "Properties")
      return n.text;
    std::string p = property_path(base);
    if (p.empty() || p == "@Exception")
      return "";
    // Only extend through plain member chains; a[0].b requires just "a".
    if (base.kind == ast_kind::property || base.kind == ast_kind::member)
      return p + "." + n.text;
    return p;
  }
  if (n.kind == ast_kind::index) {
    const ast_node& base = *n.kids[0];
    if (base.kind == ast_kind::builtin && base.text == "Properties" && n.kids[1]->kind == ast_kind::string_lit)
      return n.kids[1]->text;
    std::string p = property_path(base);
    return p == "@Exception" ? "" : p;
  }
  if (n.kind == ast_kind::wildcard) {
    std::string p = property_path(*n.kids[0]);
    return p == "@Exception" ? "" : p;
  }
  return "";
}

bool is_text_target(const ast_node& n) {
  if (n.kind == ast_kind::builtin)
    return n.text == "Message" || n.text == "MessageTemplate" || n.text == "Exception";
  // `[*]` over an empty array is true without any value present: no tokens.
  for (const ast_node* c = &n; c; c = c->kids.empty() ? nullptr : c->kids[0].get())
    if (c->kind == ast_kind::wildcard)
      return false;
  return !property_path(n).empty();
}

class deriver {
public:
  explicit deriver(int64_t now) : now_(now) {}

  requirement of(const ast_node& n) {
    requirement r;
    if (n.kind == ast_kind::binary && n.op == ast_op::and_)
      return both(of(*n.kids[0]), of(*n.kids[1]));
    if (n.kind == ast_kind::binary && n.op == ast_op::or_)
      return either(of(*n.kids[0]), of(*n.kids[1]));
    if (n.kind == ast_kind::call && iequals_ascii(n.text, "Has") && n.kids.size() == 1) {
      auto p = property_path(*n.kids[0]);
      if (!p.empty())
        r.names.push_back(p);
      return r;
    }
    if (n.kind == ast_kind::unary && n.op == ast_op::is_not_null) {
      auto p = property_path(*n.kids[0]);
      if (!p.empty())
        r.names.push_back(p);
      return r;
    }
    if (n.kind != ast_kind::binary)
      return r;
    switch (n.op) {
      case ast_op::eq: case ast_op::ne: case ast_op::lt: case ast_op::le: case ast_op::gt: case ast_op::ge:
      case ast_op::like: case ast_op::not_like: case ast_op::in: case ast_op::not_in: break;
      default: return r;
    }
    const ast_node* l = n.kids[0].get();
    const ast_node* rr = n.kids[1].get();
    // Both sides must be defined for a comparison to be true.
    for (const ast_node* side : {l, rr}) {
      auto p = property_path(*side);
      if (!p.empty())
        add_unique(r.names, p);
    }
    time_range(n, r);
    levels(n, r);
    tokens(n, r);
    return r;
  }

private:
  bool constant(const ast_node& n, value& out, std::string& storage) {
    try {
      property_names props;
      compile_scope scope;
      scope.props = &props;
      scope.now_ns = now_;
      auto e = compile_expr(n, scope);
      if (!e->is_constant())
        return false;
      eval_context ctx(props, now_);
      out = e->eval(ctx);
      if (out.has_text()) {
        storage.assign(out.str());
        out = value::string(storage);
      }
      return true;
    } catch (...) {
      return false;
    }
  }

  void time_range(const ast_node& n, requirement& r) {
    int64_t from = r.from, to = r.to;
    bool exact;
    if (time_bound(n, from, to, exact)) {
      r.from = from;
      r.to = to;
    }
  }

public:
  /// If `n` compares @Timestamp with a constant (=, <, <=, >, >=), narrows
  /// [from, to) to what it allows and says whether that is exactly what it
  /// tests (a date-time constant; ticks are rounded to whole ones).
  bool time_bound(const ast_node& n, int64_t& from, int64_t& to, bool& exact) {
    exact = false;
    if (n.kind != ast_kind::binary || n.kids.size() != 2)
      return false;
    const ast_node* l = n.kids[0].get();
    const ast_node* c = n.kids[1].get();
    ast_op op = n.op;
    auto is_ts = [](const ast_node* x) { return x->kind == ast_kind::builtin && x->text == "Timestamp"; };
    if (!is_ts(l) && is_ts(c)) {
      std::swap(l, c);
      switch (op) {
        case ast_op::lt: op = ast_op::gt; break;
        case ast_op::le: op = ast_op::ge; break;
        case ast_op::gt: op = ast_op::lt; break;
        case ast_op::ge: op = ast_op::le; break;
        default: break;
      }
    }
    if (!is_ts(l))
      return false;
    value v;
    std::string s;
    if (!constant(*c, v, s))
      return false;
    int64_t t;
    if (v.kind == value_kind::datetime)
      t = v.ns;
    else if (v.is_number())
      t = ticks_to_unix_ns(saturating_int64(v.number));
    else
      return false;
    switch (op) {
      case ast_op::eq: from = t; to = t + 1; break;
      case ast_op::gt: from = t + 1; break;
      case ast_op::ge: from = t; break;
      case ast_op::lt: to = t; break;
      case ast_op::le: to = t + 1; break;
      default: return false;
    }
    exact = v.kind == value_kind::datetime && t != INT64_MAX;
    return true;
  }

private:
  void levels(const ast_node& n, requirement& r) {
    const ast_node& l = *n.kids[0];
    const ast_node& c = *n.kids[1];
    if (l.kind != ast_kind::builtin || l.text != "Level")
      return;
    if (n.op == ast_op::eq && c.kind == ast_kind::string_lit) {
      r.levels = storage::level_bit(storage::classify_level(c.text));
    } else if (n.op == ast_op::in && c.kind == ast_kind::array_lit) {
      uint32_t m = 0;
      for (auto& k : c.kids) {
        if (k->kind != ast_kind::string_lit)
          return;
        m |= storage::level_bit(storage::classify_level(k->text));
      }
      r.levels = m;
    }
  }

  void tokens(const ast_node& n, requirement& r) {
    const ast_node& l = *n.kids[0];
    const ast_node& c = *n.kids[1];
    if (!is_text_target(l) || c.kind != ast_kind::string_lit)
      return;
    if (n.op == ast_op::eq) {
      bounded_tokens(c.text, false, false, r.tokens);
    } else if (n.op == ast_op::like) {
      like_pattern p(c.text, n.ci);
      for (auto& run : p.runs())
        bounded_tokens(run.text, run.wild_before, run.wild_after, r.tokens);
    }
  }

  int64_t now_;
};

} // namespace

bool is_time_bound(const ast_node& n, int64_t now_ns) {
  int64_t from = INT64_MIN, to = INT64_MAX;
  bool exact;
  return deriver(now_ns).time_bound(n, from, to, exact) && exact;
}

bool block_filter::may_match(const storage::block_summary& s) const noexcept {
  if (!s.overlaps(from_ns, to_ns))
    return false;
  if ((s.level_bits & level_mask) == 0)
    return false;
  for (uint64_t h : name_hashes)
    if (!s.names.may_contain_hash(h))
      return false;
  for (uint64_t h : token_hashes)
    if (!s.tokens.may_contain_hash(h))
      return false;
  return true;
}

std::string block_filter::describe() const {
  char buf[96];
  std::snprintf(buf, sizeof buf, "time [%lld, %lld) levels 0x%x", static_cast<long long>(from_ns),
                static_cast<long long>(to_ns), level_mask);
  std::string out = buf;
  out += " names[";
  for (size_t i = 0; i < names.size(); ++i)
    out += (i ? "," : "") + names[i];
  out += "] tokens[";
  for (size_t i = 0; i < tokens.size(); ++i)
    out += (i ? "," : "") + tokens[i];
  out += "]";
  return out;
}

block_filter plan_block_filter(const ast_node* where, int64_t from_ns, int64_t to_ns, int64_t now_ns) {
  block_filter f;
  f.from_ns = from_ns;
  f.to_ns = to_ns;
  if (!where)
    return f;
  ast_ptr expanded = where->clone();
  expand_free_text(expanded);
  requirement r = deriver(now_ns).of(*expanded);
  f.from_ns = std::max(f.from_ns, r.from);
  f.to_ns = std::min(f.to_ns, r.to);
  f.level_mask = r.levels;
  f.names = r.names;
  f.tokens = r.tokens;
  for (auto& n : f.names)
    f.name_hashes.push_back(storage::hash_bytes(n));
  for (auto& t : f.tokens)
    f.token_hashes.push_back(storage::hash_bytes(t));
  return f;
}

} // namespace cairn::query
