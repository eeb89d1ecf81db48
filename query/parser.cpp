#include "query/parser.hpp"

#include "query/lexer.hpp"

#include <cctype>
#include <cmath>

namespace cairn::query {

const char* op_text(ast_op op) noexcept {
  switch (op) {
    case ast_op::or_: return "or";
    case ast_op::and_: return "and";
    case ast_op::eq: return "=";
    case ast_op::ne: return "<>";
    case ast_op::lt: return "<";
    case ast_op::le: return "<=";
    case ast_op::gt: return ">";
    case ast_op::ge: return ">=";
    case ast_op::like: return "like";
    case ast_op::not_like: return "not like";
    case ast_op::in: return "in";
    case ast_op::not_in: return "not in";
    case ast_op::add: return "+";
    case ast_op::sub: return "-";
    case ast_op::mul: return "*";
    case ast_op::div: return "/";
    case ast_op::mod: return "%";
    case ast_op::pow: return "^";
    case ast_op::neg: return "-";
    case ast_op::not_: return "not";
    case ast_op::is_null: return "is null";
    case ast_op::is_not_null: return "is not null";
    case ast_op::none: return "";
  }
  return "";
}

std::unique_ptr<ast_node> ast_node::clone() const {
  auto n = std::make_unique<ast_node>();
  n->kind = kind;
  n->op = op;
  n->boolean = boolean;
  n->ci = ci;
  n->star = star;
  n->number = number;
  n->ns = ns;
  n->slot_id = slot_id;
  n->text = text;
  n->names = names;
  n->begin = begin;
  n->end = end;
  for (auto& k : kids)
    n->kids.push_back(k->clone());
  return n;
}

namespace {

bool ieq(std::string_view a, std::string_view b) {
  if (a.size() != b.size())
    return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i])))
      return false;
  return true;
}

bool is_reserved(std::string_view w) {
  static constexpr std::string_view words[] = {"and", "or", "not", "like", "in", "is", "null", "true",
                                               "false", "ci", "if", "then", "else"};
  for (auto k : words)
    if (ieq(w, k))
      return true;
  return false;
}

class parser {
public:
  explicit parser(std::string_view text) : src_(text), toks_(tokenize(text)) {}

  /// Deepest expression nesting accepted (far beyond any real query).
  static constexpr int max_nesting = 200;

  ast_ptr filter() {
    if (at_end())
      throw_syntax(0, "an expression");
    auto e = expression();
    if (!at_end())
      fail_here("an operator, `and`, `or`, or the end of the filter");
    return e;
  }

  select_query select() {
    select_query q;
    expect_keyword("select", "`select`");
    do {
      select_item it;
      size_t b = cur().begin;
      if (is_punct("*"))
        fail_here("a column expression (`select *` is not supported)");
      it.expr = expression();
      it.source = std::string(src_.substr(b, prev().end - b));
      if (accept_keyword("as"))
        it.alias = identifier("a column alias");
      q.columns.push_back(std::move(it));
    } while (accept_punct(","));
    if (accept_keyword("from")) {
      if (!is_keyword("stream")) {
        if (cur().kind == token_kind::identifier && ieq(cur().text, "series"))
          fail_here("`stream` (querying `series` is not supported)");
        fail_here("`stream`");
      }
      advance();
    }
    if (accept_keyword("where"))
      q.where = expression_after("where");
    if (accept_keyword("group")) {
      expect_keyword("by", "`by`");
      do {
        if (is_keyword("time") && peek(1).kind == token_kind::punct && peek(1).text == "(") {
          size_t pos = cur().begin;
          advance();
          advance();
          if (cur().kind != token_kind::duration)
            fail_here("a duration such as `1m` in `time()`");
          if (q.time_bucket)
            throw_syntax(pos, "at most one `time()` grouping");
          if (cur().ns <= 0)
            fail_here("a positive duration in `time()`");
          q.time_bucket = cur().ns;
          advance();
          expect_punct(")");
          continue;
        }
        select_item it;
        size_t b = cur().begin;
        it.expr = expression_after(q.group_by.empty() ? "by" : ",");
        it.source = std::string(src_.substr(b, prev().end - b));
        if (accept_keyword("ci"))
          it.ci = true;
        if (accept_keyword("as"))
          it.alias = identifier("a group alias");
        q.group_by.push_back(std::move(it));
      } while (accept_punct(","));
    }
    if (accept_keyword("having"))
      q.having = expression_after("having");
    if (accept_keyword("order")) {
      expect_keyword("by", "`by`");
      do {
        order_item o;
        o.position = cur().begin;
        if (cur().kind == token_kind::identifier && !is_reserved(cur().text)) {
          o.name = cur().text;
          advance();
        } else {
          fail_here("a column alias or `time` to order by");
        }
        if (accept_keyword("desc"))
          o.descending = true;
        else
          accept_keyword("asc");
        q.order_by.push_back(o);
      } while (accept_punct(","));
    }
    if (accept_keyword("limit")) {
      // Checked before converting: a double beyond int64's range (`limit 1e71`) is UB to cast.
      const double n = cur().number;
      if (cur().kind != token_kind::number || !(n >= 0) || n > 9007199254740992.0 || n != std::floor(n))
        fail_here("a non-negative whole number after `limit`");
      q.limit = int64_t(cur().number);
      advance();
    }
    if (accept_keyword("for")) {
      do {
        if (cur().kind != token_kind::identifier)
          fail_here("a query option such as `no_cache`");
        if (ieq(cur().text, "no_cache") || ieq(cur().text, "refresh"))
          q.no_cache = true;
        else if (!ieq(cur().text, "background"))
          fail_here("a query option (`no_cache`, `refresh` or `background`)");
        advance();
      } while (accept_punct(","));
    }
    if (!at_end())
      fail_here("`where`, `group by`, `having`, `order by`, `limit`, `for` or the end of the query");
    return q;
  }

private:
  // ---- token helpers
  const token& cur() const { return toks_[i_]; }
  const token& peek(size_t n) const { return toks_[std::min(i_ + n, toks_.size() - 1)]; }
  const token& prev() const { return toks_[i_ ? i_ - 1 : 0]; }
  bool at_end() const { return cur().kind == token_kind::end; }
  void advance() {
    if (!at_end())
      ++i_;
  }
  bool is_keyword(std::string_view k) const { return cur().kind == token_kind::identifier && ieq(cur().text, k); }
  bool accept_keyword(std::string_view k) {
    if (!is_keyword(k))
      return false;
    advance();
    return true;
  }
  void expect_keyword(std::string_view k, const char* what) {
    if (!accept_keyword(k))
      fail_here(what);
  }
  bool is_punct(std::string_view p) const { return cur().kind == token_kind::punct && cur().text == p; }
  bool accept_punct(std::string_view p) {
    if (!is_punct(p))
      return false;
    advance();
    return true;
  }
  void expect_punct(std::string_view p) {
    if (!accept_punct(p))
      fail_here("`" + std::string(p) + "`");
  }
  std::string identifier(const char* what) {
    static constexpr std::string_view clause_words[] = {"from", "where", "group", "having", "order", "limit", "for"};
    bool clause_word = false;
    for (auto w : clause_words)
      clause_word = clause_word || (cur().kind == token_kind::identifier && ieq(cur().text, w));
    if (cur().kind != token_kind::identifier || is_reserved(cur().text) || clause_word)
      fail_here(what);
    std::string s = cur().text;
    advance();
    return s;
  }
  std::string_view prev_text() const {
    if (i_ == 0)
      return {};
    return src_.substr(prev().begin, prev().end - prev().begin);
  }
  [[noreturn]] void fail_here(std::string expected) {
    if (i_ > 0)
      throw_syntax(cur().begin, std::move(expected), prev_text());
    throw_syntax(cur().begin, std::move(expected));
  }

  ast_ptr make(ast_kind k, size_t begin) {
    auto n = std::make_unique<ast_node>();
    n->kind = k;
    n->begin = begin;
    n->end = prev().end;
    return n;
  }
  ast_ptr binary(ast_op op, ast_ptr l, ast_ptr r) {
    auto n = std::make_unique<ast_node>();
    n->kind = ast_kind::binary;
    n->op = op;
    n->begin = l->begin;
    n->end = r->end;
    n->kids.push_back(std::move(l));
    n->kids.push_back(std::move(r));
    return n;
  }

  ast_ptr expression_after(std::string_view what) {
    if (at_end())
      fail_here("an expression");
    (void)what;
    return expression();
  }

  // ---- grammar
  ast_ptr expression() { return disjunction(); }

  ast_ptr disjunction() {
    auto l = conjunction();
    while (accept_keyword("or"))
      l = binary(ast_op::or_, std::move(l), conjunction());
    return l;
  }

  ast_ptr conjunction() {
    auto l = comparison();
    while (accept_keyword("and"))
      l = binary(ast_op::and_, std::move(l), comparison());
    return l;
  }

  ast_ptr comparison() {
    auto l = additive();
    ast_op op = ast_op::none;
    if (cur().kind == token_kind::punct) {
      const auto& t = cur().text;
      if (t == "=") op = ast_op::eq;
      else if (t == "<>" || t == "!=") op = ast_op::ne;
      else if (t == "<") op = ast_op::lt;
      else if (t == "<=") op = ast_op::le;
      else if (t == ">") op = ast_op::gt;
      else if (t == ">=") op = ast_op::ge;
      if (op != ast_op::none)
        advance();
    } else if (is_keyword("like")) {
      op = ast_op::like;
      advance();
    } else if (is_keyword("in")) {
      op = ast_op::in;
      advance();
    } else if (is_keyword("not") && peek(1).kind == token_kind::identifier &&
               (ieq(peek(1).text, "like") || ieq(peek(1).text, "in"))) {
      advance();
      op = is_keyword("like") ? ast_op::not_like : ast_op::not_in;
      advance();
    }
    if (op == ast_op::none)
      return l;
    if ((op == ast_op::in || op == ast_op::not_in) && is_punct("("))
      fail_here("an array such as `['a', 'b']` (Seq's `in` takes an array, not parentheses)");
    auto r = additive();
    auto n = binary(op, std::move(l), std::move(r));
    if (accept_keyword("ci")) {
      n->ci = true;
      n->end = prev().end;
    }
    return n;
  }

  ast_ptr additive() {
    auto l = multiplicative();
    for (;;) {
      if (accept_punct("+"))
        l = binary(ast_op::add, std::move(l), multiplicative());
      else if (accept_punct("-"))
        l = binary(ast_op::sub, std::move(l), multiplicative());
      else
        return l;
    }
  }

  ast_ptr multiplicative() {
    auto l = power();
    for (;;) {
      if (accept_punct("*"))
        l = binary(ast_op::mul, std::move(l), power());
      else if (accept_punct("/"))
        l = binary(ast_op::div, std::move(l), power());
      else if (accept_punct("%"))
        l = binary(ast_op::mod, std::move(l), power());
      else
        return l;
    }
  }

  ast_ptr power() {
    auto l = unary();
    if (accept_punct("^"))
      return binary(ast_op::pow, std::move(l), power());
    return l;
  }

  ast_ptr unary() {
    size_t b = cur().begin;
    // Every nesting path (parentheses, calls, indexers, literals, `not`, `-`,
    // `^`) passes here: bound the recursion so a hostile query cannot
    // overflow the stack of the thread parsing it.
    if (depth_ >= max_nesting)
      throw_syntax(b, "at most " + std::to_string(max_nesting) + " nested expressions");
    struct depth_guard {
      int& d;
      explicit depth_guard(int& d) : d(++d) {}
      ~depth_guard() { --d; }
    } guard{depth_};
    ast_op op = ast_op::none;
    if (is_punct("-"))
      op = ast_op::neg;
    else if (is_keyword("not"))
      op = ast_op::not_;
    if (op != ast_op::none) {
      advance();
      auto operand = unary();
      // Fold negative literals so `-1` is a plain number.
      if (op == ast_op::neg && operand->kind == ast_kind::number_lit) {
        operand->number = -operand->number;
        operand->begin = b;
        return operand;
      }
      if (op == ast_op::neg && operand->kind == ast_kind::duration_lit) {
        operand->ns = -operand->ns;
        operand->begin = b;
        return operand;
      }
      auto n = make(ast_kind::unary, b);
      n->op = op;
      n->kids.push_back(std::move(operand));
      return n;
    }
    return postfix();
  }

  ast_ptr postfix() {
    size_t b = cur().begin;
    auto e = primary();
    for (;;) {
      if (is_punct(".")) {
        advance();
        if (cur().kind != token_kind::identifier)
          fail_here("a property name");
        auto n = make(ast_kind::member, b);
        n->text = cur().text;
        advance();
        n->end = prev().end;
        n->kids.push_back(std::move(e));
        e = std::move(n);
      } else if (is_punct("[")) {
        advance();
        if ((is_punct("?") || is_punct("*")) && peek(1).kind == token_kind::punct && peek(1).text == "]") {
          bool all = is_punct("*");
          advance();
          advance();
          auto n = make(ast_kind::wildcard, b);
          n->boolean = all;
          n->kids.push_back(std::move(e));
          e = std::move(n);
          continue;
        }
        if (is_punct("]"))
          fail_here("an index, a quoted key, `?` or `*`");
        auto idx = expression();
        expect_punct("]");
        auto n = make(ast_kind::index, b);
        n->kids.push_back(std::move(e));
        n->kids.push_back(std::move(idx));
        e = std::move(n);
      } else if (is_keyword("is")) {
        advance();
        bool negated = accept_keyword("not");
        if (!accept_keyword("null"))
          fail_here(negated ? "`null`" : "`null` or `not null`");
        auto n = make(ast_kind::unary, b);
        n->op = negated ? ast_op::is_not_null : ast_op::is_null;
        n->kids.push_back(std::move(e));
        e = std::move(n);
      } else {
        return e;
      }
    }
  }

  ast_ptr primary() {
    const token& t = cur();
    size_t b = t.begin;
    switch (t.kind) {
      case token_kind::end:
        fail_here("an expression");
      case token_kind::number: {
        advance();
        auto n = make(ast_kind::number_lit, b);
        n->number = t.number;
        return n;
      }
      case token_kind::duration: {
        advance();
        auto n = make(ast_kind::duration_lit, b);
        n->ns = t.ns;
        return n;
      }
      case token_kind::string: {
        advance();
        auto n = make(ast_kind::string_lit, b);
        n->text = t.text;
        return n;
      }
      case token_kind::text: {
        advance();
        auto n = make(ast_kind::free_text, b);
        n->text = t.text;
        return n;
      }
      case token_kind::regex: {
        advance();
        auto n = make(ast_kind::regex_lit, b);
        n->text = t.text;
        return n;
      }
      case token_kind::builtin: {
        advance();
        auto n = make(ast_kind::builtin, b);
        n->text = t.text;
        return n;
      }
      case token_kind::punct: {
        if (t.text == "(") {
          advance();
          if (is_punct(")"))
            fail_here("an expression");
          auto e = expression();
          expect_punct(")");
          e->begin = b;
          e->end = prev().end;
          return e;
        }
        if (t.text == "[")
          return array_literal();
        if (t.text == "{")
          return object_literal();
        if (t.text == "$" || t.text == "|")
          fail_here("an expression (variables and lambdas are not supported)");
        fail_here("an expression");
      }
      case token_kind::identifier: {
        if (ieq(t.text, "true") || ieq(t.text, "false")) {
          advance();
          auto n = make(ast_kind::bool_lit, b);
          n->boolean = ieq(t.text, "true");
          return n;
        }
        if (ieq(t.text, "null")) {
          advance();
          return make(ast_kind::null_lit, b);
        }
        if (ieq(t.text, "if"))
          return conditional();
        if (is_reserved(t.text))
          fail_here("an expression");
        if (peek(1).kind == token_kind::punct && peek(1).text == "(")
          return call();
        advance();
        auto n = make(ast_kind::property, b);
        n->text = t.text;
        return n;
      }
    }
    fail_here("an expression");
  }

  ast_ptr conditional() {
    size_t b = cur().begin;
    advance();
    auto n = std::make_unique<ast_node>();
    n->kind = ast_kind::conditional;
    n->begin = b;
    n->kids.push_back(expression_after("if"));
    expect_keyword("then", "`then`");
    n->kids.push_back(expression_after("then"));
    expect_keyword("else", "`else`");
    n->kids.push_back(expression_after("else"));
    n->end = prev().end;
    return n;
  }

  ast_ptr call() {
    size_t b = cur().begin;
    auto n = std::make_unique<ast_node>();
    n->kind = ast_kind::call;
    n->text = cur().text;
    n->begin = b;
    advance();
    expect_punct("(");
    if (is_punct("*") && peek(1).kind == token_kind::punct && peek(1).text == ")") {
      n->star = true;
      advance();
    } else if (!is_punct(")")) {
      do {
        if (at_end())
          fail_here("an argument or `)`");
        n->kids.push_back(expression());
      } while (accept_punct(","));
    }
    if (!accept_punct(")"))
      fail_here("`,` or `)` in the call to `" + n->text + "`");
    if (accept_keyword("ci"))
      n->ci = true;
    n->end = prev().end;
    return n;
  }

  ast_ptr array_literal() {
    size_t b = cur().begin;
    advance();
    auto n = std::make_unique<ast_node>();
    n->kind = ast_kind::array_lit;
    n->begin = b;
    if (!is_punct("]")) {
      do {
        if (at_end())
          fail_here("an array element or `]`");
        n->kids.push_back(expression());
      } while (accept_punct(","));
    }
    if (!accept_punct("]"))
      fail_here("`,` or `]` to end the array");
    n->end = prev().end;
    return n;
  }

  ast_ptr object_literal() {
    size_t b = cur().begin;
    advance();
    auto n = std::make_unique<ast_node>();
    n->kind = ast_kind::object_lit;
    n->begin = b;
    if (!is_punct("}")) {
      do {
        if (cur().kind == token_kind::identifier || cur().kind == token_kind::string) {
          n->names.push_back(cur().text);
          advance();
        } else {
          fail_here("a member name");
        }
        expect_punct(":");
        n->kids.push_back(expression());
      } while (accept_punct(","));
    }
    if (!accept_punct("}"))
      fail_here("`,` or `}` to end the object");
    n->end = prev().end;
    return n;
  }

  std::string_view src_;
  std::vector<token> toks_;
  size_t i_ = 0;
  int depth_ = 0; ///< current unary() recursion depth
};

} // namespace

bool is_select_query(std::string_view text) noexcept {
  size_t i = 0;
  while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i])))
    ++i;
  if (text.size() - i < 6 || !ieq(text.substr(i, 6), "select"))
    return false;
  return text.size() - i == 6 || !std::isalnum(static_cast<unsigned char>(text[i + 6]));
}

ast_ptr parse_filter(std::string_view text) { return parser(text).filter(); }

select_query parse_select(std::string_view text) { return parser(text).select(); }

std::variant<ast_ptr, parse_error> try_parse_filter(std::string_view text) {
  try {
    return parse_filter(text);
  } catch (const query_error& e) {
    return e.syntax();
  }
}

std::variant<select_query, parse_error> try_parse_select(std::string_view text) {
  try {
    return parse_select(text);
  } catch (const query_error& e) {
    return e.syntax();
  }
}

} // namespace cairn::query
