#pragma once
/// Copies an on-demand simdjson value into compact JSON text, validating it
/// on the way (on-demand parsing skips unread values without checking them,
/// and stored properties must always be valid JSON for the query engine).
///
/// Numbers keep their original text, so integers stay integers and floats
/// stay floats (1.0 is not rewritten to 1); strings are re-escaped minimally.
#include <string>

#include <simdjson.h>

namespace cairn::decode {

/// Appends `v` to `out` as compact JSON. Returns the simdjson error that made
/// the value invalid, or SUCCESS.
simdjson::error_code copy_json_value(simdjson::ondemand::value v, std::string& out);

/// Human text for a simdjson error, for client error messages.
const char* json_error_text(simdjson::error_code e) noexcept;

} // namespace cairn::decode
