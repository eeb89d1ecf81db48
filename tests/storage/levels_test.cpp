// Tests for level classification: aliases match in any ASCII case, and
// nothing else does.
#include "storage/levels.hpp"

#include <doctest/doctest.h>

#include <string>
#include <vector>

using namespace cairn::storage;

TEST_SUITE("storage.levels") {

TEST_CASE("level names match their aliases in any ASCII case and nothing else") {
  struct row { std::string text; level_class cls; };
  const std::vector<row> rows = {
    {"", level_class::information},         {"Information", level_class::information},
    {"INFO", level_class::information},     {"inF", level_class::information},
    {"Warning", level_class::warning},      {"wArN", level_class::warning},
    {"WRN", level_class::warning},          {"ERROR", level_class::error},
    {"Err", level_class::error},            {"Debug", level_class::debug},
    {"TRACE", level_class::trace},          {"VeRbOsE", level_class::verbose},
    {"FATAL", level_class::fatal},          {"Critical", level_class::critical},
    {"Emergency", level_class::emergency},  {"PANIC", level_class::panic},
    {"warnings", level_class::other},       {"warn ", level_class::other},
    {"\xc3\x89rror", level_class::other},   {"[rror", level_class::other},
    {"Ebug", level_class::other},           {"@", level_class::other},
  };
  for (const auto& r : rows) {
    CAPTURE(r.text);
    CHECK(classify_level(r.text) == r.cls);
  }
}

} // TEST_SUITE
