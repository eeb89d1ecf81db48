#pragma once
/// Builds the compact JSON object of an event's properties into a reused
/// buffer and remembers where each top-level value sits, so the message
/// template can be rendered against them without re-parsing.
///
/// Lifecycle: clear(), then begin_value()/end_value() (or add()) per
/// property, then finish(); refs() stays valid until the next clear().
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <simdjson.h>

#include "net/decode/template_renderer.hpp"

namespace cairn::decode {

/// Reused per decoder: one per event in flight.
class property_writer {
public:
  /// Forgets all properties, keeping the buffers' capacity.
  void clear() {
    out_.clear();
    spans_.clear();
    refs_.clear();
  }

  /// Writes `"key":` and returns the buffer to append the JSON value to;
  /// call end_value() once the value is written.
  std::string& begin_value(std::string_view key);

  /// Records the value appended since begin_value().
  void end_value();

  /// Copies a simdjson value as the value of `key` (validating it).
  simdjson::error_code add(std::string_view key, simdjson::ondemand::value v);

  /// Adds an already-encoded JSON value.
  void add_raw(std::string_view key, std::string_view json);

  /// Closes the object and returns its text; "" when nothing was added
  /// (records store "" for "no properties").
  std::string_view finish();

  /// Top-level properties (name as written, JSON value text).
  /// @pre finish() was called.
  std::span<const property_ref> refs();

  bool empty() const noexcept { return spans_.empty(); }

private:
  struct span {
    uint32_t name_off, name_len, value_off, value_len;
  };
  std::string out_;
  std::vector<span> spans_;
  std::vector<property_ref> refs_;
  bool closed_ = false;
};

} // namespace cairn::decode
