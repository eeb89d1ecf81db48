#pragma once
/// Copies an on-demand simdjson value into compact JSON text, validating it
/// on the way (on-demand parsing skips unread values without checking them,
/// and stored properties must always be valid JSON for the query engine).
///
/// Numbers keep their original text, so integers stay integers and floats
/// stay floats (1.0 is not rewritten to 1); strings are re-escaped minimally.
#include <string>

#include <simdjson.h>

#include "net/decode/decode_status.hpp"
#include "storage/json_escape.hpp"

namespace cairn::decode {

/// Deepest nesting of arrays/objects accepted in a property value.
inline constexpr int max_json_depth = 128;

/// Appends `v` to `out` as compact JSON. Returns the simdjson error that made
/// the value invalid (DEPTH_ERROR beyond max_json_depth), or SUCCESS.
simdjson::error_code copy_json_value(simdjson::ondemand::value v, std::string& out,
                                     int depth = 0);

/// An object member's name: its text, and whether that text is also its
/// JSON form (no escapes were needed), so it can be written back as it is.
struct json_key {
  std::string_view text;
  bool is_json = false;
};

/// Reads the name of `f` without unescaping it when it holds no escape.
/// The text lives until the next document. @pre f.value() is not yet read.
simdjson::error_code read_key(simdjson::ondemand::field& f, json_key& out);

/// Appends `key` as a JSON string literal.
inline void append_json_key(std::string& out, const json_key& key) {
  if (!key.is_json) {
    append_json_string(out, key.text);
    return;
  }
  out.push_back('"');
  out.append(key.text);
  out.push_back('"');
}

/// Human text for a simdjson error, for client error messages.
const char* json_error_text(simdjson::error_code e) noexcept;

/// "invalid JSON: <simdjson's description>".
std::string json_error(simdjson::error_code e);

/// Reads a field that must be a JSON string; the error names `name`
/// ("@m must be a string"). The view lives until the next document.
decode_status read_string_field(simdjson::ondemand::value v, const char* name,
                                std::string_view& out);

} // namespace cairn::decode
