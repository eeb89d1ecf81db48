#include "storage/json_scan.hpp"

#include <cstdint>

#include "storage/json_string_scan.hpp"

namespace cairn::storage::blockfmt {

namespace {

unsigned hex_value(char c) noexcept {
  if (c >= '0' && c <= '9') return unsigned(c - '0');
  if (c >= 'a' && c <= 'f') return unsigned(c - 'a' + 10);
  if (c >= 'A' && c <= 'F') return unsigned(c - 'A' + 10);
  return 0;
}

bool read_u4(std::string_view s, size_t at, uint32_t& cp) noexcept {
  if (at + 4 > s.size())
    return false;
  cp = hex_value(s[at]) << 12 | hex_value(s[at + 1]) << 8 | hex_value(s[at + 2]) << 4 | hex_value(s[at + 3]);
  return true;
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

/// What json_value_extent looks for, per byte: one table lookup instead of
/// a chain of compares (it runs over every value of every event at index time).
enum scan_class : uint8_t { plain, quote, open, close, delimiter };
constexpr auto byte_class = [] {
  struct table {
    scan_class v[256] = {};
  } t;
  t.v[uint8_t('"')] = quote;
  t.v[uint8_t('{')] = t.v[uint8_t('[')] = open;
  t.v[uint8_t('}')] = t.v[uint8_t(']')] = close;
  t.v[uint8_t(',')] = t.v[uint8_t(':')] = delimiter;
  return t;
}();

} // namespace

size_t json_string_extent(std::string_view s) noexcept {
  if (s.empty() || s[0] != '"')
    return 0;
  const char* p = s.data();
  size_t i = 1, n = s.size();
  for (;;) {
    // Jump to the next quote or backslash: the indexer scans every string of
    // every event's properties, and most are long runs of neither.
    i = next_quote_or_backslash(p, i, n);
    if (i >= n)
      return 0;
    if (p[i] == '"')
      return i + 1;
    i += 2; // a backslash escapes the next byte
  }
}

size_t json_value_extent(std::string_view s) noexcept {
  if (s.empty())
    return 0;
  char c = s[0];
  if (c == '"')
    return json_string_extent(s);
  if (c == '{' || c == '[') {
    // Bracket depth only: the text was validated when it was decoded; here
    // we only need its end, and must stay in bounds if it is corrupt.
    int depth = 0;
    size_t i = 0;
    while (i < s.size()) {
      switch (byte_class.v[static_cast<unsigned char>(s[i])]) {
        case quote: {
          size_t n = json_string_extent(s.substr(i));
          if (n == 0)
            return 0;
          i += n;
          continue;
        }
        case open: ++depth; break;
        case close:
          if (--depth == 0)
            return i + 1;
          break;
        default: break;
      }
      ++i;
    }
    return 0;
  }
  // Number or literal: up to the next delimiter.
  size_t i = 0;
  while (i < s.size() && byte_class.v[static_cast<unsigned char>(s[i])] == plain)
    ++i;
  return i;
}

std::optional<std::string_view> find_member(std::string_view obj, std::string_view name) noexcept {
  std::optional<std::string_view> found;
  for_each_member(obj, [&](std::string_view key, std::string_view value) {
    if (key != name)
      return true;
    found = value;
    return false;
  });
  return found;
}

bool append_plain_rendering(std::string_view value, std::string& out) {
  if (value.empty() || value.front() != '"') {
    out.append(value);
    return true;
  }
  if (value.size() < 2 || value.back() != '"')
    return false;
  return append_unescaped(value.substr(1, value.size() - 2), out);
}

bool append_unescaped(std::string_view value, std::string& out) {
  size_t i = 0, end = value.size();
  while (i < end) {
    size_t next = value.find('\\', i);
    if (next == std::string_view::npos || next >= end)
      next = end;
    out.append(value.substr(i, next - i));
    i = next;
    if (i >= end)
      break;
    if (i + 1 >= end)
      return false;
    char e = value[i + 1];
    i += 2;
    switch (e) {
      case 'n': out.push_back('\n'); break;
      case 'r': out.push_back('\r'); break;
      case 't': out.push_back('\t'); break;
      case 'b': out.push_back('\b'); break;
      case 'f': out.push_back('\f'); break;
      case '"': case '\\': case '/': out.push_back(e); break;
      case 'u': {
        uint32_t cp;
        if (!read_u4(value, i, cp) || i + 4 > end)
          return false;
        i += 4;
        if (cp >= 0xd800 && cp < 0xdc00 && i + 6 <= end && value[i] == '\\' && value[i + 1] == 'u') {
          uint32_t lo;
          if (read_u4(value, i + 2, lo) && lo >= 0xdc00 && lo < 0xe000) {
            cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
            i += 6;
          }
        }
        append_utf8(out, cp);
        break;
      }
      default: return false;
    }
  }
  return true;
}

} // namespace cairn::storage::blockfmt
