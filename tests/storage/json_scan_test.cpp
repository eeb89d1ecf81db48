#include "storage/json_scan.hpp"

#include <doctest/doctest.h>

#include <string>

using namespace cairn::storage::blockfmt;

namespace {

/// The byte-at-a-time definition the vectorised scan must agree with.
size_t reference_string_extent(std::string_view s) {
  if (s.empty() || s[0] != '"')
    return 0;
  for (size_t i = 1; i < s.size();) {
    if (s[i] == '"')
      return i + 1;
    i += s[i] == '\\' ? 2 : 1;
  }
  return 0;
}

struct json_scan_fixture {};

} // namespace

TEST_SUITE("storage.json_scan") {

TEST_CASE_FIXTURE(json_scan_fixture, "string extents agree with a byte-at-a-time scan at every length and position") {
  // Quotes and escapes at every offset around the 8- and 16-byte steps, and
  // strings cut short (no closing quote, a trailing lone backslash).
  for (size_t len = 0; len < 70; ++len)
    for (size_t at = 0; at < len; ++at)
      for (const char* ins : {"\"", "\\\"", "\\\\", "\\", "\\n"}) {
        std::string body(len, 'a');
        body.replace(at, std::string(ins).size() < len - at ? std::string(ins).size() : len - at, ins);
        for (const std::string& s : {"\"" + body + "\"", "\"" + body, "\"" + body + "\",\"x\":1"}) {
          CAPTURE(s);
          CHECK(json_string_extent(s) == reference_string_extent(s));
        }
      }
  CHECK(json_string_extent("") == 0);
  CHECK(json_string_extent("x\"") == 0);
  CHECK(json_string_extent("\"\"") == 2);
}

TEST_CASE_FIXTURE(json_scan_fixture, "value extents end at the matching bracket or the next delimiter") {
  CHECK(json_value_extent(R"({"a":{"b":[1,"]}"]},"c":2},"d":3)") == 26);
  CHECK(json_value_extent(R"([{"x":"\"{"}],1)") == 13);
  CHECK(json_value_extent("-12.5e3,") == 7);
  CHECK(json_value_extent("true}") == 4);
  CHECK(json_value_extent("null") == 4);
  CHECK(json_value_extent(R"({"a":[1,2})") == 0); // unbalanced: no end in range
  CHECK(json_value_extent(R"({"a":"x)") == 0);    // string never closed
  CHECK(json_value_extent("") == 0);
}

} // TEST_SUITE
