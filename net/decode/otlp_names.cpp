#include "net/decode/otlp_names.hpp"

namespace cairn::decode {

std::string_view severity_level_name(uint64_t n) noexcept {
  if (n == 0 || n > 24)
    return {};
  static constexpr std::string_view names[] = {"Trace", "Debug", "Information",
                                               "Warning", "Error", "Fatal"};
  return names[(n - 1) / 4];
}

std::string_view span_kind_name(uint64_t kind) noexcept {
  static constexpr std::string_view names[] = {"",       "Internal", "Server",
                                               "Client", "Producer", "Consumer"};
  return kind < 6 ? names[kind] : std::string_view{};
}

uint64_t severity_number_from_name(std::string_view name) noexcept {
  constexpr std::string_view prefix = "SEVERITY_NUMBER_";
  if (name.substr(0, prefix.size()) != prefix)
    return 0;
  name.remove_prefix(prefix.size());
  uint64_t step = 0;
  if (!name.empty() && name.back() >= '2' && name.back() <= '4') {
    step = uint64_t(name.back() - '1');
    name.remove_suffix(1);
  }
  static constexpr std::string_view bases[] = {"TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL"};
  for (uint64_t i = 0; i < 6; ++i)
    if (name == bases[i])
      return i * 4 + 1 + step;
  return 0;
}

uint64_t span_kind_from_name(std::string_view name) noexcept {
  static constexpr std::string_view names[] = {"SPAN_KIND_UNSPECIFIED", "SPAN_KIND_INTERNAL",
                                               "SPAN_KIND_SERVER",      "SPAN_KIND_CLIENT",
                                               "SPAN_KIND_PRODUCER",    "SPAN_KIND_CONSUMER"};
  for (uint64_t i = 0; i < 6; ++i)
    if (name == names[i])
      return i;
  return 0;
}

uint64_t status_code_from_name(std::string_view name) noexcept {
  if (name == "STATUS_CODE_OK")
    return 1;
  if (name == "STATUS_CODE_ERROR")
    return status_code_error;
  return 0;
}

} // namespace cairn::decode
