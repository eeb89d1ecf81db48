#include "storage/json_escape.hpp"

#include <cstdint>
#include <cstring>

namespace cairn {

namespace {

/// True if any of the eight bytes is < 0x20, '"' or '\\' (SWAR: a byte's
/// high bit marks it; bytes >= 0x80 never match).
bool needs_escape8(uint64_t w) noexcept {
  constexpr uint64_t ones = 0x0101010101010101ULL;
  constexpr uint64_t high = 0x80 * ones;
  auto has_zero = [](uint64_t v) { return (v - ones) & ~v & high; };
  uint64_t below_space = (w - 0x20 * ones) & ~w & high;
  return (below_space | has_zero(w ^ ('"' * ones)) | has_zero(w ^ ('\\' * ones))) != 0;
}

} // namespace

void json_escape_into(std::string& out, std::string_view s) {
  static constexpr char hex[] = "0123456789abcdef";
  size_t run = 0; // start of the pending run of bytes needing no escape
  for (size_t i = 0; i < s.size(); ++i) {
    // Most text needs no escape: skip eight clean bytes at a time.
    while (i + 8 <= s.size()) {
      uint64_t w;
      std::memcpy(&w, s.data() + i, 8);
      if (needs_escape8(w))
        break;
      i += 8;
    }
    if (i >= s.size())
      break;
    auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c != '"' && c != '\\')
      continue;
    out.append(s.data() + run, i - run);
    run = i + 1;
    out.push_back('\\');
    switch (c) {
      case '"': out.push_back('"'); break;
      case '\\': out.push_back('\\'); break;
      case '\n': out.push_back('n'); break;
      case '\r': out.push_back('r'); break;
      case '\t': out.push_back('t'); break;
      case '\b': out.push_back('b'); break;
      case '\f': out.push_back('f'); break;
      default:
        out.append("u00", 3);
        out.push_back(hex[c >> 4]);
        out.push_back(hex[c & 0xf]);
    }
  }
  out.append(s.data() + run, s.size() - run);
}

} // namespace cairn
