#include "net/decode/decode_status.hpp"

#include <simdjson.h>

namespace cairn::decode {

void ensure_padding(std::string& body) {
  if (body.capacity() < body.size() + simdjson::SIMDJSON_PADDING)
    body.reserve(body.size() + simdjson::SIMDJSON_PADDING);
}

std::string event_too_large_text() {
  return "event exceeds " + std::to_string(storage::max_record_bytes) + " bytes";
}

} // namespace cairn::decode
