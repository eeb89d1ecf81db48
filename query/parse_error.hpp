#pragma once
/// Errors a query can fail with before or while running.
#include <cstddef>
#include <stdexcept>
#include <string>

namespace cairn::query {

/// A syntax error: where (0-based character offset into the query text) and
/// what the parser expected there. `message` is the complete user-facing
/// sentence, e.g. "Syntax error at position 17: expected an expression after `and`".
struct parse_error {
  size_t position = 0;
  std::string expected;
  std::string message;
};

/// Thrown by the query API when a query cannot run at all: a syntax error
/// (then `syntax` is set), a semantic error (unknown function, bad
/// aggregate use), the memory bound, or cancellation. The HTTP layer maps
/// it to 400 with `what()` as the Error text.
class query_error : public std::runtime_error {
public:
  enum class kind { syntax, semantic, memory, cancelled };

  query_error(kind k, std::string message, size_t position = npos)
    : std::runtime_error(std::move(message)), kind_(k), position_(position) {}
  explicit query_error(const parse_error& e)
    : std::runtime_error(e.message), kind_(kind::syntax), position_(e.position), syntax_(e) {}

  static constexpr size_t npos = static_cast<size_t>(-1);

  kind error_kind() const noexcept { return kind_; }
  /// Character offset of the problem, or npos.
  size_t position() const noexcept { return position_; }
  /// The parse error when error_kind() == syntax.
  const parse_error& syntax() const noexcept { return syntax_; }

private:
  kind kind_;
  size_t position_;
  parse_error syntax_;
};

} // namespace cairn::query
