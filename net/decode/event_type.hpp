#pragma once
/// Reading an explicit event type (CLEF `@i`, raw JSON `EventType`): a
/// number, or a hex string with an optional `$` or `0x` prefix.
#include <cstdint>

#include <simdjson.h>

#include "net/decode/decode_status.hpp"

namespace cairn::decode {

/// Reads `v` as a 32-bit event type; the error text names `field`.
decode_status read_event_type(simdjson::ondemand::value v, const char* field, uint32_t& out);

/// Parses hex text ("$0a1b2c3d", "0x1F", "ff"), at most 8 digits.
bool parse_hex_event_type(std::string_view s, uint32_t& out) noexcept;

} // namespace cairn::decode
