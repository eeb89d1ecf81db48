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

namespace cairn::decode {

/// Deepest nesting of arrays/objects accepted in a property value.
inline constexpr int max_json_depth = 128;

/// Appends `v` to `out` as compact JSON. Returns the simdjson error that made
/// the value invalid (DEPTH_ERROR beyond max_json_depth), or SUCCESS.
simdjson::error_code copy_json_value(simdjson::ondemand::value v, std::string& out,
                                     int depth = 0);

/// Human text for a simdjson error, for client error messages.
const char* json_error_text(simdjson::error_code e) noexcept;

/// "invalid JSON: <simdjson's description>".
std::string json_error(simdjson::error_code e);

/// Reads a field that must be a JSON string; the error names `name`
/// ("@m must be a string"). The view lives until the next document.
decode_status read_string_field(simdjson::ondemand::value v, const char* name,
                                std::string_view& out);

} // namespace cairn::decode
