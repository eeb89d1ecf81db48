#pragma once
/// The 16-byte LMDB key of an event (and of a block: the key of its greatest
/// event). Keys sort by memcmp, which LMDB uses by default, in the order
/// (timestamp, id).
///
/// On disk (big-endian so memcmp order equals numeric order):
///
///   offset size field
///   0      8    timestamp with its sign bit flipped (uint64(ts) ^ 2^63), so
///               negative timestamps (before 1970) sort before positive ones
///   8      8    id
#include <compare>
#include <cstdint>
#include <string_view>

namespace cairn::storage {

/// Size of an encoded event_key.
inline constexpr size_t event_key_size = 16;

/// (timestamp, id): the order of events everywhere in the store.
struct event_key {
  int64_t timestamp = 0; ///< Unix ns
  uint64_t id = 0;

  auto operator<=>(const event_key&) const = default;

  /// Writes the 16-byte on-disk form to `out`.
  void encode(char* out) const noexcept {
    store_be(out, static_cast<uint64_t>(timestamp) ^ sign_bit);
    store_be(out + 8, id);
  }

  /// Reads the on-disk form. @pre `in` holds event_key_size bytes.
  static event_key decode(const char* in) noexcept {
    return event_key{static_cast<int64_t>(load_be(in) ^ sign_bit), load_be(in + 8)};
  }

  /// The smallest key with this timestamp (for "ts >= t" seeks).
  static event_key lowest_at(int64_t ts) noexcept { return event_key{ts, 0}; }

private:
  static constexpr uint64_t sign_bit = uint64_t{1} << 63;

  static void store_be(char* p, uint64_t v) noexcept {
    for (int i = 7; i >= 0; --i) {
      p[i] = static_cast<char>(v & 0xff);
      v >>= 8;
    }
  }
  static uint64_t load_be(const char* p) noexcept {
    uint64_t v = 0;
    for (int i = 0; i < 8; ++i)
      v = (v << 8) | static_cast<unsigned char>(p[i]);
    return v;
  }
};

/// A block is named by the key of the greatest event it holds; since every
/// event lives in exactly one place, block keys are unique.
using block_key = event_key;

} // namespace cairn::storage
