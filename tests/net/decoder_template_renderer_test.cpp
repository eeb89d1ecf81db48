// Tests for the message template renderer (shared with query/UI).
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "net/decode/template_renderer.hpp"

using namespace cairn::decode;

TEST_SUITE("net.template_renderer") {

TEST_CASE("templates render against compact JSON properties") {
  struct row { const char* tmpl; const char* props; const char* expected; };
  const std::vector<row> rows = {
    {"Hello {Name}", R"({"Name":"World"})", "Hello World"},
    {"{A}{B}", R"({"A":1,"B":2.5})", "12.5"},
    {"{{Name}} }} {{", R"({"Name":"x"})", "{Name} } {"},
    {"{Missing} stays", R"({"Name":"x"})", "{Missing} stays"},
    {"{Obj} {@Obj} {$Obj}", R"({"Obj":{"a":[1,{"b":null}]}})",
     R"({"a":[1,{"b":null}]} {"a":[1,{"b":null}]} {"a":[1,{"b":null}]})"},
    {"{N:000}|{N:D5}|{N:X}|{N:x4}|{F:F1}|{F:0.000}|{Big:N0}|{Big:#,##0.##}|{P:P0}", R"({"N":42,"F":2.25,"Big":1234567.891,"P":0.5})",
     "042|00042|2A|002a|2.2|2.250|1,234,568|1,234,567.89|50 %"},
    {"{S:F2} {B:000}", R"({"S":"text","B":true})", "text true"},
    {"[{N,5}] [{N,-5}] [{S,3}]", R"({"N":12,"S":"long"})", "[   12] [12   ] [long]"},
    {"{Esc}", R"({"Esc":"a\"b\\c\u00e9\ud83d\ude00"})", "a\"b\\c\xc3\xa9\xf0\x9f\x98\x80"},
    {"{0} and {1}", R"({"0":"zero","1":"one"})", "zero and one"},
    {"bad {hole name} {", R"({"hole":1})", "bad {hole name} {"},
    {"nested {\"x\":{\"y\":1}} {x}", R"({"x":{"y":"}"},"z":2})", "nested {\"x\":{\"y\":1}} {\"y\":\"}\"}"},
    {"{z}", R"({"x":{"z":1},"y":[{"z":2}],"z":3})", "3"},
    {"no props {A}", "", "no props {A}"},
  };
  for (const auto& r : rows) {
    CAPTURE(r.tmpl);
    std::string out;
    render_template_json(r.tmpl, r.props, out);
    CHECK(out == r.expected);
  }
}

TEST_CASE("the span overload finds properties by name") {
  std::vector<property_ref> props = {{"User", "\"ann\""}, {"Count", "3"}};
  std::string out = "prefix:";
  render_template("{User} x{Count}", props, out);
  CHECK(out == "prefix:ann x3");
}

} // TEST_SUITE
