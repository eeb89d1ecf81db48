#pragma once
/// Recursive-descent parser for Seq's filter expressions and SQL queries.
///
/// Precedence, lowest first (seq-compat.md §5): `or` < `and` < comparisons
/// (`= <> < <= > >= like in`, `not like`, `not in`, optional `ci`) < `+ -`
/// < `* / %` < `^` (right-associative) < prefix `-`/`not` and postfix
/// `is [not] null`. As in Seq, `not` binds tighter than `=`: write
/// `not (A = B)`. Keywords are case-insensitive.
#include "query/ast.hpp"
#include "query/parse_error.hpp"

#include <string_view>
#include <variant>

namespace cairn::query {

/// Parses a filter expression (what `/api/events?filter=` takes).
/// @throws query_error with kind syntax.
ast_ptr parse_filter(std::string_view text);

/// Parses `select ...`. @throws query_error with kind syntax.
select_query parse_select(std::string_view text);

/// True if the text is a SQL query (starts with `select`), not a filter.
bool is_select_query(std::string_view text) noexcept;

/// Parses without throwing: the tree or the syntax error.
std::variant<ast_ptr, parse_error> try_parse_filter(std::string_view text);
std::variant<select_query, parse_error> try_parse_select(std::string_view text);

} // namespace cairn::query
