#pragma once
/// ISO-8601 timestamp parsing for CLEF `@t`/`@st` and raw JSON `Timestamp`.
#include <cstdint>
#include <optional>
#include <string_view>

namespace cairn::decode {

/// Parses `YYYY-MM-DD[T| ]hh:mm[:ss[.fraction]][Z|±hh[:mm]]` into Unix
/// nanoseconds. Fractions beyond 9 digits are truncated; no offset = UTC.
/// Returns nullopt if the text is not such a timestamp or is outside the
/// int64 nanosecond range (years 1677..2262).
std::optional<int64_t> parse_iso8601(std::string_view text) noexcept;

} // namespace cairn::decode
