#include "query/json_text.hpp"

#include <charconv>
#include <cstring>
#include <cstdlib>

namespace cairn::query::json {

size_t skip_string(std::string_view t, size_t p) noexcept {
  // memchr (vectorised) to the next quote; it closes the string unless an
  // odd number of backslashes precedes it.
  const char* base = t.data();
  size_t from = p + 1; // past the opening quote
  while (from < t.size()) {
    auto* q = static_cast<const char*>(std::memchr(base + from, '"', t.size() - from));
    if (!q)
      return std::string_view::npos;
    size_t at = size_t(q - base);
    size_t slashes = 0;
    while (at - slashes > p + 1 && base[at - slashes - 1] == '\\')
      ++slashes;
    if (slashes % 2 == 0)
      return at + 1;
    from = at + 1;
  }
  return std::string_view::npos;
}

size_t skip_value(std::string_view t, size_t p) noexcept {
  p = skip_ws(t, p);
  if (p >= t.size())
    return std::string_view::npos;
  char c = t[p];
  if (c == '"')
    return skip_string(t, p);
  if (c == '{' || c == '[') {
    int depth = 0;
    while (p < t.size()) {
      char d = t[p];
      if (d == '"') {
        p = skip_string(t, p);
        if (p == std::string_view::npos)
          return p;
        continue;
      }
      if (d == '{' || d == '[')
        ++depth;
      else if (d == '}' || d == ']') {
        if (--depth == 0)
          return p + 1;
      }
      ++p;
    }
    return std::string_view::npos;
  }
  // scalar: number, true, false, null
  size_t b = p;
  while (p < t.size() && t[p] != ',' && t[p] != '}' && t[p] != ']' && t[p] != ' ' && t[p] != '\n' &&
         t[p] != '\r' && t[p] != '\t')
    ++p;
  return p > b ? p : std::string_view::npos;
}

bool key_equals(std::string_view raw, std::string_view key) noexcept {
  // Escapes only lengthen a key, so a shorter raw key never matches, and
  // one without a backslash matches only byte for byte.
  if (raw.size() == key.size())
    return std::memcmp(raw.data(), key.data(), key.size()) == 0 &&
           std::memchr(raw.data(), '\\', raw.size()) == nullptr;
  if (raw.size() < key.size() || std::memchr(raw.data(), '\\', raw.size()) == nullptr)
    return false;
  arena a;
  return unescape(raw, a) == key;
}

bool find_member(std::string_view obj, std::string_view key, std::string_view& out) noexcept {
  bool found = false;
  for_each_member(obj, [&](std::string_view k, std::string_view v) {
    if (key_equals(k, key)) {
      out = v;
      found = true;
      return false;
    }
    return true;
  });
  return found;
}

bool element_at(std::string_view arr, size_t index, std::string_view& out) noexcept {
  size_t i = 0;
  bool found = false;
  for_each_element(arr, [&](std::string_view v) {
    if (i++ == index) {
      out = v;
      found = true;
      return false;
    }
    return true;
  });
  return found;
}

namespace {

void append_utf8(char*& o, uint32_t cp) {
  if (cp < 0x80) {
    *o++ = char(cp);
  } else if (cp < 0x800) {
    *o++ = char(0xC0 | (cp >> 6));
    *o++ = char(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    *o++ = char(0xE0 | (cp >> 12));
    *o++ = char(0x80 | ((cp >> 6) & 0x3F));
    *o++ = char(0x80 | (cp & 0x3F));
  } else {
    *o++ = char(0xF0 | (cp >> 18));
    *o++ = char(0x80 | ((cp >> 12) & 0x3F));
    *o++ = char(0x80 | ((cp >> 6) & 0x3F));
    *o++ = char(0x80 | (cp & 0x3F));
  }
}

uint32_t hex4(std::string_view s, size_t p) {
  uint32_t v = 0;
  for (size_t i = 0; i < 4 && p + i < s.size(); ++i) {
    char c = s[p + i];
    v <<= 4;
    if (c >= '0' && c <= '9')
      v |= uint32_t(c - '0');
    else if (c >= 'a' && c <= 'f')
      v |= uint32_t(c - 'a' + 10);
    else if (c >= 'A' && c <= 'F')
      v |= uint32_t(c - 'A' + 10);
  }
  return v;
}

} // namespace

std::string_view unescape(std::string_view body, arena& a) {
  // Unescaped text is never longer than the escaped form.
  char* out = a.allocate(body.size() + 4);
  char* o = out;
  for (size_t i = 0; i < body.size(); ++i) {
    char c = body[i];
    if (c != '\\' || i + 1 >= body.size()) {
      *o++ = c;
      continue;
    }
    char e = body[++i];
    switch (e) {
      case 'n': *o++ = '\n'; break;
      case 't': *o++ = '\t'; break;
      case 'r': *o++ = '\r'; break;
      case 'b': *o++ = '\b'; break;
      case 'f': *o++ = '\f'; break;
      case 'u': {
        uint32_t cp = hex4(body, i + 1);
        i += 4;
        if (cp >= 0xD800 && cp < 0xDC00 && i + 6 < body.size() + 0 && body[i + 1] == '\\' &&
            body[i + 2] == 'u') {
          uint32_t lo = hex4(body, i + 3);
          if (lo >= 0xDC00 && lo < 0xE000) {
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            i += 6;
          }
        }
        append_utf8(o, cp);
        break;
      }
      default: *o++ = e; break;
    }
  }
  return {out, size_t(o - out)};
}

value to_value(std::string_view raw, arena& a) noexcept {
  if (raw.empty())
    return value::undefined();
  switch (raw[0]) {
    case '"': {
      auto body = raw.substr(1, raw.size() >= 2 ? raw.size() - 2 : 0);
      if (body.find('\\') == std::string_view::npos)
        return value::string(body);
      return value::string(unescape(body, a));
    }
    case '{': return value::object_json(raw);
    case '[': return value::array_json(raw);
    case 't': return value::of(true);
    case 'f': return value::of(false);
    case 'n': return value::null();
    default: {
      double d = 0;
      auto r = std::from_chars(raw.data(), raw.data() + raw.size(), d);
      if (r.ec != std::errc{})
        return value::undefined();
      return value::of(d);
    }
  }
}

} // namespace cairn::query::json
