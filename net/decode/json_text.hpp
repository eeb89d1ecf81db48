#pragma once
#include "storage/json_escape.hpp"
/// Small appenders that write JSON text and encodings into caller-owned
/// buffers without temporary allocations (the decoders reuse the buffers).
#include <cstdint>
#include <string>
#include <string_view>

namespace cairn::decode {


/// Appends the bytes of `s` as lowercase hex digits.
void append_hex_lower(std::string& out, std::string_view bytes);

/// Appends `s` with ASCII letters lowered (hex ids arrive in either case).
void append_lower(std::string& out, std::string_view s);

/// Appends standard base64 (RFC 4648, padded) of `bytes`.
void append_base64(std::string& out, std::string_view bytes);

/// Appends a double so that it reads back as a float: the shortest
/// round-trip text, with ".0" added to integral values; NaN and infinities
/// (not JSON) become the strings "NaN", "Infinity", "-Infinity".
void append_json_double(std::string& out, double v);

/// Appends a signed integer in decimal.
void append_int(std::string& out, int64_t v);

/// Appends `ns` (Unix nanoseconds) as ISO-8601 UTC with 9 fraction digits,
/// e.g. 2024-01-02T03:04:05.123456789Z.
void append_iso8601(std::string& out, int64_t ns);

} // namespace cairn::decode
