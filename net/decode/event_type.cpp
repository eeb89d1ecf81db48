#include "net/decode/event_type.hpp"

#include "net/decode/json_copy.hpp"

namespace cairn::decode {

namespace od = simdjson::ondemand;

bool parse_hex_event_type(std::string_view s, uint32_t& out) noexcept {
  if (!s.empty() && s[0] == '$')
    s.remove_prefix(1);
  else if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
    s.remove_prefix(2);
  if (s.empty() || s.size() > 8)
    return false;
  uint32_t v = 0;
  for (char c : s) {
    unsigned d;
    if (c >= '0' && c <= '9') d = unsigned(c - '0');
    else if (c >= 'a' && c <= 'f') d = unsigned(c - 'a' + 10);
    else if (c >= 'A' && c <= 'F') d = unsigned(c - 'A' + 10);
    else return false;
    v = v << 4 | d;
  }
  out = v;
  return true;
}

decode_status read_event_type(od::value v, const char* field, uint32_t& out) {
  od::json_type type;
  if (auto e = v.type().get(type))
    return std::string("invalid JSON: ") + json_error_text(e);
  if (type == od::json_type::number) {
    uint64_t n;
    if (v.get_uint64().get(n) || n > UINT32_MAX)
      return std::string(field) + " must be a 32-bit unsigned number";
    out = static_cast<uint32_t>(n);
    return std::nullopt;
  }
  if (type == od::json_type::string) {
    std::string_view s;
    if (auto e = v.get_string().get(s))
      return std::string("invalid JSON: ") + json_error_text(e);
    if (!parse_hex_event_type(s, out))
      return std::string(field) + " must be a hex string of at most 8 digits";
    return std::nullopt;
  }
  return std::string(field) + " must be a number or a hex string";
}

} // namespace cairn::decode
