#pragma once
/// Tokenizer for Seq's query language. Produces the whole token list up
/// front; `/` starts a regex only where an operand is expected (after an
/// operator, `(`, `,`, `[`, a keyword, or at the start), as in JavaScript.
#include "query/parse_error.hpp"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace cairn::query {

enum class token_kind : uint8_t {
  end,
  identifier, ///< names and keywords (keywords are matched case-insensitively)
  builtin,    ///< @Name (text without @)
  string,     ///< 'single quoted' (text unescaped)
  text,       ///< "double quoted" free text
  number,
  duration,   ///< ns in `ns`
  regex,      ///< /pattern/ (text = pattern)
  punct,      ///< text holds the operator: ( ) [ ] { } , . : * + - / % ^ = <> != < <= > >= ? |
};

struct token {
  token_kind kind = token_kind::end;
  std::string text;
  double number = 0;
  int64_t ns = 0;
  size_t begin = 0, end = 0;
};

/// Splits `input` into tokens; the last token has kind end.
/// @throws query_error (syntax) on an unterminated string/regex or bad number.
std::vector<token> tokenize(std::string_view input);

/// Makes the standard syntax-error sentence and throws it.
[[noreturn]] void throw_syntax(size_t position, std::string expected, std::string_view after = {});

} // namespace cairn::query
