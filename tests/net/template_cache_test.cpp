// Tests for the decoders' template cache: a cached split renders exactly as
// the one-shot renderer, and hashes as murmur3 of the text.
#include <doctest/doctest.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "net/decode/murmur3.hpp"
#include "net/decode/template_cache.hpp"
#include "net/decode/template_renderer.hpp"

using namespace cairn::decode;

namespace {

struct cache_fixture {
  template_cache cache;

  /// Renders through the cache, looking properties up in a fixed list.
  std::string render(std::string_view tmpl, const std::vector<property_ref>& props) {
    const parsed_template& t = cache.find(tmpl);
    CHECK(t.text() == tmpl);
    CHECK(t.event_type() == murmur3_32(tmpl));
    std::string out;
    t.render([&](std::string_view name) { return find_property(props, name); }, out);
    return out;
  }
};

} // namespace

TEST_SUITE("net.template_cache") {

TEST_CASE_FIXTURE(cache_fixture, "cached templates render as the one-shot renderer does") {
  const std::vector<property_ref> props = {
    {"Name", "\"World\""}, {"N", "42"}, {"F", "2.25"}, {"Big", "1234567.891"}, {"P", "0.5"},
    {"S", "\"long\""}, {"Obj", R"({"a":[1,{"b":null}]})"}, {"Esc", R"("a\"b\u00e9")"}, {"0", "\"zero\""}};
  const std::vector<std::string> templates = {
    "Hello {Name}", "", "plain text", "{Name}", "{{Name}} }} {{", "}{", "{", "}", "{Missing} stays",
    "{Obj} {@Obj} {$Obj}", "{N:000}|{N:D5}|{N:X}|{N:x4}|{F:F1}|{F:0.000}|{Big:N0}|{Big:#,##0.##}|{P:P0}",
    "[{N,5}] [{N,-5}] [{S,3}] [{Name,-8:F2}]", "{Esc}", "{0} and {1}", "bad {hole name} { {N",
    "a{N}b{N}c", "{N}{N}", "x {{ {N} }} y {S} {", "{N,}", "{N:}", "{:F2}", "{@} {$N}"};
  // Twice: the second pass renders from the cache.
  for (int pass = 0; pass < 2; ++pass)
    for (const auto& tmpl : templates) {
      CAPTURE(tmpl);
      std::string expected;
      render_template(tmpl, props, expected);
      CHECK(render(tmpl, props) == expected);
    }
}

TEST_CASE_FIXTURE(cache_fixture, "more templates than slots, and overlong ones, still render right") {
  const std::vector<property_ref> props = {{"A", "1"}, {"B", "\"b\""}};
  std::vector<std::string> templates;
  for (int i = 0; i < 1000; ++i)
    templates.push_back("t" + std::to_string(i) + " {A} " + std::string(size_t(i % 7), 'x') + "{B}");
  templates.push_back(std::string(template_cache::max_cached_bytes, 'y') + "{A}");
  templates.push_back(std::string(template_cache::max_cached_bytes + 1, 'z') + "{A}");
  for (int pass = 0; pass < 3; ++pass)
    for (size_t i = 0; i < templates.size(); i += size_t(1 + pass)) {
      CAPTURE(templates[i].substr(0, 20));
      std::string expected;
      render_template(templates[i], props, expected);
      CHECK(render(templates[i], props) == expected);
    }
}

} // TEST_SUITE
