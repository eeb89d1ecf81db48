#pragma once
/// Builds the compact JSON object of an event's properties into a reused
/// buffer and remembers where each top-level value sits, so the message
/// template can be rendered against them without re-parsing.
///
/// Lifecycle: clear(), then begin_value()/end_value() (or add()) per
/// property, then finish(); find() works until the next clear().
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <simdjson.h>

#include "net/decode/json_copy.hpp"

namespace cairn::decode {

/// Reused per decoder: one per event in flight.
class property_writer {
public:
  /// Forgets all properties, keeping the buffers' capacity.
  void clear() {
    out_.clear();
    spans_.clear();
  }

  /// Writes `"key":` and returns the buffer to append the JSON value to;
  /// call end_value() once the value is written.
  std::string& begin_value(std::string_view key);

  /// As begin_value(), for a name read by read_key() (written as it is when
  /// it needs no escaping).
  std::string& begin_value(const json_key& key);

  /// Records the value appended since begin_value().
  void end_value();

  /// Copies a simdjson value as the value of `key` (validating it).
  simdjson::error_code add(std::string_view key, simdjson::ondemand::value v);

  /// As add(), for a name read by read_key().
  simdjson::error_code add(const json_key& key, simdjson::ondemand::value v);

  /// Adds an already-encoded JSON value.
  void add_raw(std::string_view key, std::string_view json);

  /// Closes the object and returns its text; "" when nothing was added
  /// (records store "" for "no properties").
  std::string_view finish();

  /// The JSON value text of the first property whose name, as written, is
  /// `name`; nullopt if none. For rendering templates (hole names need no
  /// escaping, so the written name is the name).
  std::optional<std::string_view> find(std::string_view name) const noexcept {
    std::string_view text = out_;
    for (const auto& s : spans_)
      if (text.substr(s.name_off, s.name_len) == name)
        return text.substr(s.value_off, s.value_len);
    return std::nullopt;
  }

  bool empty() const noexcept { return spans_.empty(); }

private:
  /// Opens the member: writes its separator and sets up its span.
  void open_member();

  /// Records the name written since open_member() and writes the ':'.
  void close_name();

  struct span {
    uint32_t name_off, name_len, value_off, value_len;
  };
  std::string out_;
  std::vector<span> spans_;
  bool closed_ = false;
};

} // namespace cairn::decode
