// libFuzzer target: arbitrary text through the query parser and compiler,
// as /api/events?filter= and /api/data?q= receive it from any client.
// Contracts checked: the try_ parsers never throw and agree with the
// throwing ones; error positions lie inside the text; compiling throws
// nothing but query_error (anything else would escape the HTTP handlers).
#include "query/parser.hpp"
#include "query/query_plan.hpp"

#include <cstdlib>
#include <string_view>
#include <variant>

using namespace cairn::query;

namespace {

template <class Try, class Throwing>
void check_parser(std::string_view text, Try try_parse, Throwing parse) {
  auto r = try_parse(text);
  bool ok = r.index() == 0;
  if (!ok && std::get<1>(r).position > text.size())
    std::abort();
  bool threw = false;
  try {
    (void)parse(text);
  } catch (const query_error& e) {
    threw = true;
    if (e.error_kind() != query_error::kind::syntax)
      std::abort();
  }
  if (threw == ok)
    std::abort(); // the two entry points disagree
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text{reinterpret_cast<const char*>(data), size};
  check_parser(text, [](std::string_view t) { return try_parse_filter(t); },
               [](std::string_view t) { return parse_filter(t); });
  check_parser(text, [](std::string_view t) { return try_parse_select(t); },
               [](std::string_view t) { return parse_select(t); });
  constexpr int64_t now_ns = 1700000000000000000;
  try {
    (void)query_plan::compile(text, now_ns);
  } catch (const query_error&) {
  }
  try {
    (void)query_plan::compile_filter(text, now_ns);
  } catch (const query_error&) {
  }
  return 0;
}
