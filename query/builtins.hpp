#pragma once
/// Seq's built-in properties (`@Timestamp`, `@Level`...) read from the
/// binary event record (storage/event_record.hpp).
///
/// Representation choices (the HTTP layer formats them for output):
/// - @Timestamp, @Start: datetime (Unix ns inside; ticks/ISO at the edge).
/// - @Elapsed: duration = timestamp - start, only for spans.
/// - @Level: as sent, "Information" when absent.
/// - @EventType: a number (so `@EventType = 0xA1B2C3D4` works as in Seq);
///   the event JSON shows it as "$A1B2C3D4".
/// - @Id: the string "event-<16 hex digits of the id>".
/// - @Message: the rendered message; when only a template was sent, the
///   template rendered with the event's properties.
/// - Empty optional fields (@Exception, @TraceId, ...) are undefined.
#include "query/eval_context.hpp"

#include <optional>
#include <string_view>

namespace cairn::query {

enum class builtin : uint8_t {
  timestamp, start, elapsed, level, message, message_template, exception, event_type, id,
  trace_id, span_id, parent_id, span_kind, properties, resource, scope, arrived, data,
};

/// Looks up `@name` (case-sensitive, as in Seq; without the @).
std::optional<builtin> find_builtin(std::string_view name) noexcept;

/// Reads a built-in from the context's current event.
value read_builtin(builtin b, eval_context& ctx);

/// Formats the Seq event id string for a record id ("event-" + 16 hex).
std::string format_event_id(uint64_t id);

/// Renders a message template with the properties object (holes `{Name}`,
/// `{@Name}`, `{$Name}`, `{Name:format}`; `{{`/`}}` escape braces).
std::string render_template(std::string_view tmpl, std::string_view properties_json);

} // namespace cairn::query
