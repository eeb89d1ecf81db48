#include "storage/json_escape.hpp"

#include <doctest/doctest.h>

#include <random>
#include <string>

namespace {

/// The escaping rules byte by byte, as the escaper's contract states them.
std::string reference_escape(std::string_view s) {
  static constexpr char hex[] = "0123456789abcdef";
  std::string out;
  for (char ch : s) {
    auto c = static_cast<unsigned char>(ch);
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      default:
        if (c < 0x20) {
          out += "\\u00";
          out.push_back(hex[c >> 4]);
          out.push_back(hex[c & 0xf]);
        } else {
          out.push_back(ch);
        }
    }
  }
  return out;
}

} // namespace

TEST_SUITE("storage.json_escape") {

TEST_CASE("json_escape_into escapes exactly quotes, backslashes and control bytes at every position") {
  std::mt19937_64 rng{42};
  const std::string specials = std::string{"\"\\\n\r\t\b\f\x01\x1f !#[]\x7f\x80\xff"} + '\0';
  for (size_t n = 0; n < 80; ++n)
    for (int round = 0; round < 30; ++round) {
      std::string s;
      for (size_t i = 0; i < n; ++i) {
        auto r = rng();
        s.push_back(r % 5 == 0 ? specials[(r >> 8) % specials.size()] : static_cast<char>('a' + (r >> 16) % 26));
      }
      std::string out = "prefix:";
      cairn::json_escape_into(out, s);
      CHECK(out == "prefix:" + reference_escape(s));
    }
  for (int c = 0; c < 256; ++c) { // each byte alone and amid clean runs
    std::string s = "abcdefghij" + std::string(1, static_cast<char>(c)) + "klmnopqrstu";
    std::string out;
    cairn::json_escape_into(out, s);
    CHECK(out == reference_escape(s));
  }
}

}
