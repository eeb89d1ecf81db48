#include "query/lexer.hpp"

#include "query/value.hpp"

#include <charconv>
#include <cmath>

namespace cairn::query {

void throw_syntax(size_t position, std::string expected, std::string_view after) {
  parse_error e;
  e.position = position;
  e.expected = expected;
  e.message = "Syntax error at position " + std::to_string(position) + ": expected " + expected;
  if (!after.empty())
    e.message += " after `" + std::string(after) + "`";
  throw query_error(e);
}

namespace {

bool is_ident_start(unsigned char c) { return std::isalpha(c) || c == '_' || c >= 0x80; }
bool is_ident_char(unsigned char c) { return std::isalnum(c) || c == '_' || c >= 0x80; }

bool is_keyword_operand_context(std::string_view w) {
  static constexpr std::string_view kws[] = {"and", "or", "not", "like", "in", "where", "select",
                                             "having", "by", "then", "else", "if", "ci"};
  for (auto k : kws)
    if (w.size() == k.size()) {
      bool eq = true;
      for (size_t i = 0; i < w.size(); ++i)
        if (std::tolower(static_cast<unsigned char>(w[i])) != k[i])
          eq = false;
      if (eq && k != "ci")
        return true;
    }
  return false;
}

// Unit length at s[p..] if a duration unit starts there, else 0; sets scale.
size_t duration_unit(std::string_view s, size_t p, int64_t& scale) {
  auto rest = s.substr(p);
  auto at_boundary = [&](size_t n) { return p + n >= s.size() || !is_ident_char(s[p + n]) || std::isdigit((unsigned char)s[p + n]); };
  if (rest.starts_with("ms") && at_boundary(2)) return scale = 1000000, 2;
  if (rest.starts_with("us") && at_boundary(2)) return scale = 1000, 2;
  if (rest.starts_with("\xce\xbcs") && at_boundary(3)) return scale = 1000, 3;
  if (rest.starts_with("ns") && at_boundary(2)) return scale = 1, 2;
  if (rest.starts_with("d") && at_boundary(1)) return scale = 86400000000000LL, 1;
  if (rest.starts_with("h") && at_boundary(1)) return scale = 3600000000000LL, 1;
  if (rest.starts_with("m") && at_boundary(1)) return scale = 60000000000LL, 1;
  if (rest.starts_with("s") && at_boundary(1)) return scale = 1000000000LL, 1;
  return 0;
}

} // namespace

std::vector<token> tokenize(std::string_view s) {
  std::vector<token> out;
  size_t i = 0;
  auto operand_expected = [&]() {
    if (out.empty())
      return true;
    const token& t = out.back();
    if (t.kind == token_kind::punct)
      return t.text != ")" && t.text != "]" && t.text != "}";
    if (t.kind == token_kind::identifier)
      return is_keyword_operand_context(t.text);
    return false;
  };
  while (true) {
    while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i])))
      ++i;
    token t;
    t.begin = i;
    if (i >= s.size()) {
      t.kind = token_kind::end;
      t.end = i;
      out.push_back(std::move(t));
      return out;
    }
    unsigned char c = s[i];
    if (c == '\'') {
      ++i;
      for (;;) {
        if (i >= s.size())
          throw_syntax(i, "a closing `'` to end the string started at position " + std::to_string(t.begin));
        if (s[i] == '\'') {
          if (i + 1 < s.size() && s[i + 1] == '\'') {
            t.text.push_back('\'');
            i += 2;
            continue;
          }
          ++i;
          break;
        }
        t.text.push_back(s[i++]);
      }
      t.kind = token_kind::string;
    } else if (c == '"') {
      ++i;
      for (;;) {
        if (i >= s.size())
          throw_syntax(i, "a closing `\"` to end the text started at position " + std::to_string(t.begin));
        if (s[i] == '"') {
          if (i + 1 < s.size() && s[i + 1] == '"') {
            t.text.push_back('"');
            i += 2;
            continue;
          }
          ++i;
          break;
        }
        if (s[i] == '\\' && i + 1 < s.size() && (s[i + 1] == '"' || s[i + 1] == '\\')) {
          t.text.push_back(s[i + 1]);
          i += 2;
          continue;
        }
        t.text.push_back(s[i++]);
      }
      t.kind = token_kind::text;
    } else if (c == '@') {
      ++i;
      while (i < s.size() && is_ident_char(s[i]))
        ++i;
      if (i == t.begin + 1)
        throw_syntax(i, "a built-in property name after `@`");
      t.kind = token_kind::builtin;
      t.text = std::string(s.substr(t.begin + 1, i - t.begin - 1));
    } else if (std::isdigit(c) || (c == '.' && i + 1 < s.size() && std::isdigit((unsigned char)s[i + 1]) && operand_expected())) {
      if (c == '0' && i + 1 < s.size() && (s[i + 1] == 'x' || s[i + 1] == 'X')) {
        size_t b = i + 2;
        i = b;
        while (i < s.size() && std::isxdigit(static_cast<unsigned char>(s[i])))
          ++i;
        if (i == b)
          throw_syntax(i, "hexadecimal digits after `0x`");
        uint64_t v = 0;
        std::from_chars(s.data() + b, s.data() + i, v, 16);
        t.kind = token_kind::number;
        t.number = double(v);
        if (i < s.size() && is_ident_char(s[i]))
          throw_syntax(i, "an operator or the end of the number");
      } else {
        // A number, possibly the first part of a duration like 1h30m.
        int64_t total_ns = 0;
        bool is_duration = false;
        for (;;) {
          size_t b = i;
          while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i])))
            ++i;
          if (i < s.size() && s[i] == '.' && i + 1 < s.size() && std::isdigit((unsigned char)s[i + 1])) {
            ++i;
            while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i])))
              ++i;
          }
          if (i < s.size() && (s[i] == 'e' || s[i] == 'E') && !is_duration && i + 1 < s.size() &&
              (std::isdigit((unsigned char)s[i + 1]) || ((s[i + 1] == '-' || s[i + 1] == '+') && i + 2 < s.size() && std::isdigit((unsigned char)s[i + 2])))) {
            i += 2;
            while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i])))
              ++i;
          }
          double d = 0;
          std::from_chars(s.data() + b, s.data() + i, d);
          int64_t scale = 0;
          size_t ulen = i < s.size() ? duration_unit(s, i, scale) : 0;
          if (ulen == 0) {
            if (is_duration)
              throw_syntax(b, "a duration unit (d, h, m, s, ms, us, ns)");
            t.kind = token_kind::number;
            t.number = d;
            if (i < s.size() && is_ident_char(s[i]))
              throw_syntax(i, "a duration unit (d, h, m, s, ms, us, ns) or an operator");
            break;
          }
          is_duration = true;
          // Saturating: `99999999999d1d` must not overflow (user input).
          total_ns = saturating_add(total_ns, saturating_int64(std::round(d * double(scale))));
          i += ulen;
          if (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i])))
            continue;
          if (i < s.size() && is_ident_char(s[i]))
            throw_syntax(i, "a duration unit (d, h, m, s, ms, us, ns) or an operator");
          t.kind = token_kind::duration;
          t.ns = total_ns;
          break;
        }
      }
    } else if (is_ident_start(c)) {
      while (i < s.size() && is_ident_char(s[i]))
        ++i;
      t.kind = token_kind::identifier;
      t.text = std::string(s.substr(t.begin, i - t.begin));
    } else if (c == '/' && operand_expected()) {
      ++i;
      for (;;) {
        if (i >= s.size())
          throw_syntax(i, "a closing `/` to end the regular expression started at position " + std::to_string(t.begin));
        if (s[i] == '\\' && i + 1 < s.size()) {
          if (s[i + 1] != '/')
            t.text.push_back('\\');
          t.text.push_back(s[i + 1]);
          i += 2;
          continue;
        }
        if (s[i] == '/') {
          ++i;
          break;
        }
        t.text.push_back(s[i++]);
      }
      t.kind = token_kind::regex;
    } else {
      static constexpr std::string_view two[] = {"<>", "!=", "<=", ">="};
      t.kind = token_kind::punct;
      for (auto op : two)
        if (s.substr(i, 2) == op) {
          t.text = std::string(op);
          i += 2;
          break;
        }
      if (t.text.empty()) {
        static constexpr std::string_view one = "()[]{},.:*+-/%^=<>?|";
        if (one.find(static_cast<char>(c)) == std::string_view::npos)
          throw_syntax(i, "an expression, operator or keyword, not `" + std::string(1, char(c)) + "`");
        t.text = std::string(1, char(c));
        ++i;
      }
    }
    t.end = i;
    out.push_back(std::move(t));
  }
}

} // namespace cairn::query
