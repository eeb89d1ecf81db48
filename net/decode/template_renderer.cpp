#include "net/decode/template_renderer.hpp"

#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>

namespace cairn::decode {

namespace {

// --- string values --------------------------------------------------------

unsigned hex_value(char c) noexcept {
  if (c >= '0' && c <= '9') return unsigned(c - '0');
  if (c >= 'a' && c <= 'f') return unsigned(c - 'a' + 10);
  if (c >= 'A' && c <= 'F') return unsigned(c - 'A' + 10);
  return 0;
}

void append_utf8(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out.push_back(char(cp));
  } else if (cp < 0x800) {
    out.push_back(char(0xc0 | cp >> 6));
    out.push_back(char(0x80 | (cp & 0x3f)));
  } else if (cp < 0x10000) {
    out.push_back(char(0xe0 | cp >> 12));
    out.push_back(char(0x80 | (cp >> 6 & 0x3f)));
    out.push_back(char(0x80 | (cp & 0x3f)));
  } else {
    out.push_back(char(0xf0 | cp >> 18));
    out.push_back(char(0x80 | (cp >> 12 & 0x3f)));
    out.push_back(char(0x80 | (cp >> 6 & 0x3f)));
    out.push_back(char(0x80 | (cp & 0x3f)));
  }
}

uint32_t read_u4(std::string_view s, size_t at) noexcept {
  if (at + 4 > s.size())
    return 0xfffd;
  return hex_value(s[at]) << 12 | hex_value(s[at + 1]) << 8 | hex_value(s[at + 2]) << 4 |
         hex_value(s[at + 3]);
}

// --- numeric formats ------------------------------------------------------

/// Inserts ',' every three digits of the integer part of `num` (plain
/// decimal text, optional leading '-').
void group_thousands(std::string& num) {
  size_t begin = num[0] == '-' ? 1 : 0;
  size_t end = num.find('.');
  if (end == std::string::npos)
    end = num.size();
  for (size_t i = end; i > begin + 3; i -= 3)
    num.insert(i - 3, 1, ',');
}

/// `v` with `precision` decimals, as printf("%.*f") writes it ("" if that
/// takes 512 bytes or more). std::to_chars gives the same exact digits
/// several times faster than snprintf's multi-precision path.
std::string fixed(double v, int precision) {
  char buf[512];
  auto res = std::to_chars(buf, buf + sizeof buf - 1, v, std::chars_format::fixed, precision);
  if (res.ec != std::errc{})
    return {};
  return std::string(buf, size_t(res.ptr - buf));
}

/// Applies a .NET-style numeric format; nullopt if the format is not one we
/// know or does not apply to this number.
std::optional<std::string> format_number(std::string_view num, std::string_view fmt) {
  if (fmt.empty() || num.empty())
    return std::nullopt;
  bool is_integer = num.find_first_of(".eE") == std::string_view::npos;
  double d = 0;
  if (std::from_chars(num.data(), num.data() + num.size(), d).ec != std::errc{})
    return std::nullopt;
  int64_t i = 0;
  if (is_integer && std::from_chars(num.data(), num.data() + num.size(), i).ec != std::errc{})
    is_integer = false; // beyond int64: treat as a double

  // Standard format: one letter plus an optional precision.
  char letter = fmt[0];
  std::string_view digits = fmt.substr(1);
  bool standard = digits.size() <= 2 &&
                  digits.find_first_not_of("0123456789") == std::string_view::npos;
  if (standard && std::string_view("FfNnDdXxPp").find(letter) != std::string_view::npos) {
    int precision = -1;
    if (!digits.empty())
      std::from_chars(digits.data(), digits.data() + digits.size(), precision);
    switch (letter) {
      case 'F': case 'f':
        return fixed(d, precision < 0 ? 2 : precision);
      case 'N': case 'n': {
        auto s = fixed(d, precision < 0 ? 2 : precision);
        if (!s.empty())
          group_thousands(s);
        return s;
      }
      case 'P': case 'p':
        return fixed(d * 100, precision < 0 ? 2 : precision) + " %";
      case 'D': case 'd': {
        if (!is_integer)
          return std::nullopt;
        uint64_t mag = i < 0 ? 0 - uint64_t(i) : uint64_t(i);
        auto s = std::to_string(mag);
        if (precision > 0 && s.size() < size_t(precision))
          s.insert(0, size_t(precision) - s.size(), '0');
        return i < 0 ? "-" + s : s;
      }
      case 'X': case 'x': {
        if (!is_integer || i < 0)
          return std::nullopt;
        char buf[24];
        std::snprintf(buf, sizeof buf, letter == 'X' ? "%llX" : "%llx", (unsigned long long)i);
        std::string s = buf;
        if (precision > 0 && s.size() < size_t(precision))
          s.insert(0, size_t(precision) - s.size(), '0');
        return s;
      }
    }
  }

  // Custom pattern of 0 # , . only.
  if (fmt.find_first_not_of("0#,.") != std::string_view::npos)
    return std::nullopt;
  size_t dot = fmt.find('.');
  std::string_view int_part = fmt.substr(0, dot);
  std::string_view frac_part = dot == std::string_view::npos ? std::string_view{} : fmt.substr(dot + 1);
  if (frac_part.find_first_of(".,") != std::string_view::npos)
    return std::nullopt;
  int min_int = 0;
  for (char c : int_part)
    min_int += c == '0';
  int min_frac = 0, max_frac = int(frac_part.size());
  for (size_t k = 0; k < frac_part.size() && frac_part[k] == '0'; ++k)
    ++min_frac;
  auto s = fixed(d, max_frac);
  if (s.empty())
    return std::nullopt;
  // Drop optional ('#') trailing fraction zeros.
  if (max_frac > 0) {
    size_t keep = s.size() - size_t(max_frac - min_frac);
    while (s.size() > keep && s.back() == '0')
      s.pop_back();
    if (s.back() == '.')
      s.pop_back();
  }
  // Pad the integer part to the pattern's mandatory digits.
  size_t begin = s[0] == '-' ? 1 : 0;
  size_t end = s.find('.');
  if (end == std::string::npos)
    end = s.size();
  if (end - begin < size_t(min_int))
    s.insert(begin, size_t(min_int) - (end - begin), '0');
  else if (min_int == 0 && end - begin == 1 && s[begin] == '0' && end < s.size())
    s.erase(begin, 1); // ".5" for pattern "#.0"
  if (int_part.find(',') != std::string_view::npos)
    group_thousands(s);
  return s;
}

// --- holes ----------------------------------------------------------------

bool is_name_char(char c) noexcept {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

/// Parses the text between the braces of a hole.
bool parse_hole(std::string_view body, template_hole& h) {
  size_t pos = 0;
  if (pos < body.size() && (body[pos] == '@' || body[pos] == '$'))
    ++pos;
  size_t name_begin = pos;
  while (pos < body.size() && is_name_char(body[pos]))
    ++pos;
  if (pos == name_begin)
    return false;
  h.name = body.substr(name_begin, pos - name_begin);
  if (pos < body.size() && body[pos] == ',') {
    ++pos;
    bool negative = pos < body.size() && body[pos] == '-';
    if (negative)
      ++pos;
    size_t digits_begin = pos;
    int width = 0;
    while (pos < body.size() && body[pos] >= '0' && body[pos] <= '9' && width < 10000)
      width = width * 10 + (body[pos++] - '0');
    if (pos == digits_begin)
      return false;
    h.alignment = negative ? -width : width;
  }
  if (pos < body.size() && body[pos] == ':') {
    h.format = body.substr(pos + 1);
    return true;
  }
  return pos == body.size();
}

/// Counts UTF-8 code points (alignment pads characters, not bytes).
size_t display_width(std::string_view s) noexcept {
  size_t n = 0;
  for (unsigned char c : s)
    n += (c & 0xc0) != 0x80;
  return n;
}

/// Index of the first '{' or '}' at or after `from`, or tmpl.size().
size_t next_brace(std::string_view tmpl, size_t from) noexcept {
  // Two memchr calls over the literal run, not std::string_view::find_first_of,
  // which calls memchr on the two-byte set once per byte of the template.
  const char* p = tmpl.data();
  size_t n = tmpl.size();
  const void* open = std::memchr(p + from, '{', n - from);
  size_t limit = open ? size_t(static_cast<const char*>(open) - p) : n;
  const void* close = std::memchr(p + from, '}', limit - from);
  return close ? size_t(static_cast<const char*>(close) - p) : limit;
}

/// Renders against a lookup from hole name to the property's JSON text.
template <class Lookup>
class lookup_renderer final : public template_visitor {
public:
  lookup_renderer(Lookup& lookup, std::string& out) : lookup_(lookup), out_(out) {}
  void text(std::string_view t) override { out_.append(t); }
  void hole(std::string_view raw, const template_hole& h) override {
    if (std::optional<std::string_view> value = lookup_(h.name))
      append_hole(*value, h, out_);
    else
      out_.append(raw);
  }

private:
  Lookup& lookup_;
  std::string& out_;
};

template <class Lookup>
void render(std::string_view tmpl, Lookup&& lookup, std::string& out) {
  lookup_renderer<std::remove_reference_t<Lookup>> r{lookup, out};
  walk_template(tmpl, r);
}

/// Finds the value of top-level key `name` in compact, valid JSON object text.
std::optional<std::string_view> find_top_level(std::string_view json, std::string_view name) {
  size_t i = 1;
  int depth = 0;
  bool expect_key = true;
  while (i < json.size()) {
    char c = json[i];
    if (c == '"') {
      size_t begin = i + 1, j = begin;
      while (j < json.size() && json[j] != '"')
        j += json[j] == '\\' ? 2 : 1;
      if (depth == 0 && expect_key) {
        bool match = json.substr(begin, j - begin) == name;
        i = j + 2; // past the closing quote and ':'
        expect_key = false;
        if (match) {
          // Scan the value to its end at depth 0.
          size_t vbegin = i, k = i;
          int d = 0;
          while (k < json.size()) {
            char v = json[k];
            if (v == '"') {
              ++k;
              while (k < json.size() && json[k] != '"')
                k += json[k] == '\\' ? 2 : 1;
              ++k;
              continue;
            }
            if (v == '{' || v == '[') ++d;
            else if (v == '}' || v == ']') {
              if (d == 0) break;
              --d;
            } else if (v == ',' && d == 0) break;
            ++k;
          }
          return json.substr(vbegin, k - vbegin);
        }
        continue;
      }
      i = j + 1;
      continue;
    }
    if (c == '{' || c == '[') ++depth;
    else if (c == '}' || c == ']') --depth;
    else if (c == ',' && depth == 0) expect_key = true;
    ++i;
  }
  return std::nullopt;
}

} // namespace

void append_unescaped_json_string(std::string_view json, std::string& out) {
  size_t i = 1, end = json.size() - 1;
  while (i < end) {
    size_t next = json.find('\\', i);
    if (next == std::string_view::npos || next >= end)
      next = end;
    out.append(json.substr(i, next - i));
    i = next;
    if (i >= end)
      break;
    char e = i + 1 < end ? json[i + 1] : '\\';
    i += 2;
    switch (e) {
      case 'n': out.push_back('\n'); break;
      case 'r': out.push_back('\r'); break;
      case 't': out.push_back('\t'); break;
      case 'b': out.push_back('\b'); break;
      case 'f': out.push_back('\f'); break;
      case 'u': {
        uint32_t cp = read_u4(json, i);
        i += 4;
        if (cp >= 0xd800 && cp < 0xdc00 && i + 6 <= end && json[i] == '\\' && json[i + 1] == 'u') {
          uint32_t lo = read_u4(json, i + 2);
          if (lo >= 0xdc00 && lo < 0xe000) {
            cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
            i += 6;
          }
        }
        append_utf8(out, cp);
        break;
      }
      default: out.push_back(e); // '"', '\\', '/'
    }
  }
}

void append_rendered_value(std::string_view json, std::string_view format, std::string& out) {
  if (json.empty())
    return;
  if (json.front() == '"') {
    append_unescaped_json_string(json, out);
    return;
  }
  if (!format.empty() && (json.front() == '-' || (json.front() >= '0' && json.front() <= '9'))) {
    if (auto formatted = format_number(json, format)) {
      out.append(*formatted);
      return;
    }
  }
  out.append(json);
}

void append_hole(std::string_view json, const template_hole& h, std::string& out) {
  size_t at = out.size();
  append_rendered_value(json, h.format, out);
  size_t width = size_t(h.alignment < 0 ? -h.alignment : h.alignment);
  if (width == 0)
    return;
  size_t shown = display_width(std::string_view(out).substr(at));
  if (shown < width) {
    if (h.alignment > 0)
      out.insert(at, width - shown, ' ');
    else
      out.append(width - shown, ' ');
  }
}

void walk_template(std::string_view tmpl, template_visitor& visitor) {
  size_t i = 0;
  while (i < tmpl.size()) {
    char c = tmpl[i];
    if (c == '}') {
      visitor.text(tmpl.substr(i, 1));
      i += (i + 1 < tmpl.size() && tmpl[i + 1] == '}') ? 2 : 1;
      continue;
    }
    if (c != '{') {
      size_t next = next_brace(tmpl, i);
      visitor.text(tmpl.substr(i, next - i));
      i = next;
      continue;
    }
    if (i + 1 < tmpl.size() && tmpl[i + 1] == '{') {
      visitor.text(tmpl.substr(i, 1));
      i += 2;
      continue;
    }
    size_t close = tmpl.find('}', i + 1);
    size_t open = tmpl.find('{', i + 1);
    if (close == std::string_view::npos || open < close) {
      // Unterminated hole: the '{' is plain text.
      visitor.text(tmpl.substr(i, 1));
      ++i;
      continue;
    }
    std::string_view raw = tmpl.substr(i, close + 1 - i);
    template_hole h;
    if (parse_hole(raw.substr(1, raw.size() - 2), h))
      visitor.hole(raw, h);
    else
      visitor.text(raw);
    i = close + 1;
  }
}

std::optional<std::string_view> find_property(std::span<const property_ref> props,
                                              std::string_view name) {
  for (const auto& p : props)
    if (p.name == name)
      return p.json;
  return std::nullopt;
}

void render_template(std::string_view tmpl, std::span<const property_ref> props,
                     std::string& out) {
  render(tmpl, [&](std::string_view name) { return find_property(props, name); }, out);
}

void render_template_json(std::string_view tmpl, std::string_view properties_json,
                          std::string& out) {
  render(
    tmpl,
    [&](std::string_view name) -> std::optional<std::string_view> {
      if (properties_json.size() < 2 || properties_json.front() != '{')
        return std::nullopt;
      return find_top_level(properties_json, name);
    },
    out);
}

} // namespace cairn::decode
