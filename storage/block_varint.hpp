#pragma once
/// LEB128 varints, zigzag and a bounds-checked column reader: the primitives
/// of the block column image (block_codec.hpp). Internal to storage/.
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace cairn::storage::blockfmt {

/// Appends `v` as an LEB128 varint.
inline void put_varint(std::string& out, uint64_t v) {
  char buf[10];
  size_t n = 0;
  do {
    uint8_t b = v & 0x7f;
    v >>= 7;
    buf[n++] = static_cast<char>(v ? (b | 0x80) : b);
  } while (v);
  out.append(buf, n);
}

/// Bytes put_varint would write for `v`.
inline size_t varint_size(uint64_t v) noexcept {
  size_t n = 1;
  while (v >= 0x80) {
    v >>= 7;
    ++n;
  }
  return n;
}

/// Writes `v` as a varint at `p`, returns the end. @pre 10 bytes of room.
inline char* write_varint(char* p, uint64_t v) noexcept {
  do {
    uint8_t b = v & 0x7f;
    v >>= 7;
    *p++ = static_cast<char>(v ? (b | 0x80) : b);
  } while (v);
  return p;
}

inline uint64_t zigzag(int64_t v) noexcept {
  return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63);
}

inline int64_t unzigzag(uint64_t v) noexcept {
  return static_cast<int64_t>(v >> 1) ^ -static_cast<int64_t>(v & 1);
}

/// Appends the bytes of a trivially copyable value (little-endian host).
template <class T>
void put_fixed(std::string& out, T v) {
  out.append(reinterpret_cast<const char*>(&v), sizeof(T));
}

/// Appends varint(length) + bytes.
inline void put_string(std::string& out, std::string_view s) {
  put_varint(out, s.size());
  out.append(s);
}

/// A bounds-checked reader over one column: every read fails (false) rather
/// than run past the end, so corrupt blocks are reported, never overread.
struct column_reader {
  const char* p = nullptr;
  const char* end = nullptr;

  column_reader() = default;
  column_reader(const char* b, const char* e) noexcept : p(b), end(e) {}
  explicit column_reader(std::string_view s) noexcept : p(s.data()), end(s.data() + s.size()) {}

  bool at_end() const noexcept { return p == end; }

  bool varint(uint64_t& v) noexcept {
    // Fast path: one-byte values dominate (lengths, small deltas, indexes).
    if (p != end && !(static_cast<uint8_t>(*p) & 0x80)) {
      v = static_cast<uint8_t>(*p++);
      return true;
    }
    v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (p == end)
        return false;
      auto b = static_cast<uint8_t>(*p++);
      v |= uint64_t(b & 0x7f) << shift;
      if (!(b & 0x80))
        return true;
    }
    return false;
  }

  template <class T>
  bool fixed(T& v) noexcept {
    if (size_t(end - p) < sizeof(T))
      return false;
    std::memcpy(&v, p, sizeof(T));
    p += sizeof(T);
    return true;
  }

  bool bytes(size_t n, const char*& out) noexcept {
    if (size_t(end - p) < n)
      return false;
    out = p;
    p += n;
    return true;
  }

  /// Reads varint(length) + bytes.
  bool string(std::string_view& out) noexcept {
    uint64_t n;
    const char* s;
    if (!varint(n) || !bytes(n, s))
      return false;
    out = std::string_view{s, static_cast<size_t>(n)};
    return true;
  }
};

} // namespace cairn::storage::blockfmt
