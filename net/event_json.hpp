#pragma once
/// Seq's JSON shape of an event (seq-compat.md §4), written from a stored
/// record: Id, Timestamp, Level, MessageTemplateTokens, RenderedMessage,
/// Exception, Properties [{Name, Value}], trace fields, Resource, Scope,
/// EventType, Links.
#include "storage/event_record.hpp"

#include <optional>
#include <string>

namespace cairn::net {

/// Appends the event's JSON object to `out`.
void write_event_json(std::string& out, const storage::record_view& event);

/// "event-" + 16 lowercase hex digits.
std::string format_event_id(uint64_t id);

/// Parses "event-<hex>" or a decimal id; nullopt if neither.
std::optional<uint64_t> parse_event_id(std::string_view text);

/// ISO-8601 UTC with 7 fractional digits, as Seq writes timestamps.
void write_iso8601(std::string& out, int64_t unix_ns);

/// .NET TimeSpan text "hh:mm:ss.fffffff" (days prefixed when needed).
void write_timespan(std::string& out, int64_t ns);

} // namespace cairn::net
