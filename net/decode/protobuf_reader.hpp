#pragma once
/// Minimal protobuf wire-format reader (https://protobuf.dev/programming-guides/encoding/):
/// tags, varints, fixed32/64 and length-delimited fields, read zero-copy
/// from a byte view. Used by the hand-written OTLP decoder so ingest needs
/// no generated code and no per-message allocation.
///
/// Caveats: groups (wire types 3/4, deprecated) are rejected; every read
/// checks bounds and returns false on truncated or malformed input.
#include <cstdint>
#include <cstring>
#include <string_view>

namespace cairn::decode {

/// Protobuf wire types.
enum class wire_type : uint8_t { varint = 0, i64 = 1, len = 2, sgroup = 3, egroup = 4, i32 = 5 };

/// Forward-only reader over one encoded message.
class protobuf_reader {
public:
  explicit protobuf_reader(std::string_view data) noexcept
    : p_(reinterpret_cast<const uint8_t*>(data.data())), end_(p_ + data.size()) {}

  bool at_end() const noexcept { return p_ == end_; }

  /// Reads a field tag. False on malformed tags (field 0, bad wire type).
  bool tag(uint32_t& field, wire_type& type) noexcept {
    uint64_t v;
    if (!varint(v) || v > UINT32_MAX)
      return false;
    field = static_cast<uint32_t>(v >> 3);
    auto t = static_cast<uint8_t>(v & 7);
    if (field == 0 || t > 5)
      return false;
    type = static_cast<wire_type>(t);
    return true;
  }

  bool varint(uint64_t& v) noexcept {
    v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (p_ == end_)
        return false;
      uint8_t b = *p_++;
      v |= uint64_t(b & 0x7f) << shift;
      if (!(b & 0x80))
        return true;
    }
    return false; // more than 10 bytes
  }

  bool fixed64(uint64_t& v) noexcept {
    if (end_ - p_ < 8)
      return false;
    std::memcpy(&v, p_, 8); // little-endian hosts only
    p_ += 8;
    return true;
  }

  bool fixed32(uint32_t& v) noexcept {
    if (end_ - p_ < 4)
      return false;
    std::memcpy(&v, p_, 4);
    p_ += 4;
    return true;
  }

  bool bytes(std::string_view& v) noexcept {
    uint64_t n;
    if (!varint(n) || n > uint64_t(end_ - p_))
      return false;
    v = std::string_view(reinterpret_cast<const char*>(p_), static_cast<size_t>(n));
    p_ += n;
    return true;
  }

  /// Skips a field's value of the given wire type.
  bool skip(wire_type type) noexcept {
    uint64_t u64;
    uint32_t u32;
    std::string_view s;
    switch (type) {
      case wire_type::varint: return varint(u64);
      case wire_type::i64: return fixed64(u64);
      case wire_type::len: return bytes(s);
      case wire_type::i32: return fixed32(u32);
      default: return false;
    }
  }

private:
  const uint8_t* p_;
  const uint8_t* end_;
};

} // namespace cairn::decode
