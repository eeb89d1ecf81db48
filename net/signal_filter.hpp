#pragma once
/// The `signal=` parameter of GET /api/events and /api/data, Seq style:
/// `signal-1,signal-2` means both signals (and), `signal-1~signal-2` either
/// (or); `,` binds looser than `~`. Each signal stands for its stored filter.
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace cairn::net {

/// A signal's filter by id; nullopt if there is no such signal.
using signal_lookup = std::function<std::optional<std::string>(std::string_view id)>;

/// The filter expression `expr` stands for ("" = every event).
/// @throws std::invalid_argument naming an unknown signal or an empty term.
std::string signal_expression_filter(std::string_view expr, const signal_lookup& lookup);

/// `a and b` over filters where "" means "every event".
std::string and_filters(const std::string& a, const std::string& b);

/// Adds `filter` to a `select`'s where clause (creating one after `from
/// stream` if it has none), found with the tokenizer so strings and
/// comments cannot confuse it. @throws query_error if `sql` does not lex.
std::string add_filter_to_sql(std::string_view sql, const std::string& filter);

/// Resolves `expr` against the metastore at `uri` (blocking; run it on the
/// query pool). @throws std::invalid_argument as above, std::runtime_error
/// if the metastore cannot be read.
std::string resolve_signal_filter(const std::string& uri, std::string_view expr);

} // namespace cairn::net
