#pragma once
/// Seq's scalar functions (seq-compat.md §5), looked up case-insensitively.
///
/// Text positions (Substring, IndexOf, Length) count Unicode code points of
/// the UTF-8 text; Seq counts UTF-16 units, which agrees outside the astral
/// planes. Case-insensitive (`ci`) matching folds ASCII letters only.
#include "query/eval_context.hpp"
#include "query/value.hpp"

#include <regex>
#include <string_view>

namespace cairn::query {

/// Arguments of one call, already evaluated.
struct fn_call {
  const value* args;
  size_t argc;
  bool ci;                          ///< the call had a `ci` modifier
  const std::regex* const* regexes; ///< per argument: the /regex/ literal or null
  eval_context& ctx;
};

using scalar_fn = value (*)(const fn_call&);

struct function_info {
  std::string_view name; ///< canonical spelling
  uint8_t min_args;
  uint8_t max_args;
  /// When true, any undefined argument makes the result undefined without
  /// calling the function (Seq's default); false for Has, Coalesce, TypeOf...
  bool propagate_undefined;
  /// Bit i set: argument i may be a /regex/ literal.
  uint32_t regex_args;
  /// Yields a Boolean (used to scope `[?]`/`[*]` wildcards).
  bool predicate;
  scalar_fn fn;
};

/// The function named `name` (any case), or null.
const function_info* find_function(std::string_view name) noexcept;

/// True if `name` (any case) is an aggregate (count, sum, ...).
bool is_aggregate_name(std::string_view name) noexcept;

/// Number of code points in UTF-8 text.
size_t utf8_length(std::string_view s) noexcept;

/// Byte offset of code point `cp` in `s` (s.size() if past the end).
size_t utf8_offset(std::string_view s, size_t cp) noexcept;

} // namespace cairn::query
