#pragma once
/// JSON string escaping, shared by every room that writes JSON text (stored
/// properties, HTTP responses, spans, config files): one implementation, so
/// every writer escapes exactly alike.
#include <string>
#include <string_view>

namespace cairn {

/// Appends `s` escaped for the inside of a JSON string literal (no quotes).
void json_escape_into(std::string& out, std::string_view s);

/// Appends `s` as a quoted JSON string literal.
inline void append_json_string(std::string& out, std::string_view s) {
  out.push_back('"');
  json_escape_into(out, s);
  out.push_back('"');
}

} // namespace cairn
