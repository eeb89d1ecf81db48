#include "net/decode/murmur3.hpp"

#include <cstring>

namespace cairn::decode {

namespace {
inline uint32_t rotl(uint32_t x, int r) noexcept { return (x << r) | (x >> (32 - r)); }
} // namespace

uint32_t murmur3_32(std::string_view data, uint32_t seed) noexcept {
  constexpr uint32_t c1 = 0xcc9e2d51, c2 = 0x1b873593;
  const size_t nblocks = data.size() / 4;
  uint32_t h = seed;
  for (size_t i = 0; i < nblocks; ++i) {
    uint32_t k;
    std::memcpy(&k, data.data() + i * 4, 4); // little-endian hosts only
    k *= c1;
    k = rotl(k, 15);
    k *= c2;
    h ^= k;
    h = rotl(h, 13);
    h = h * 5 + 0xe6546b64;
  }
  const auto* tail = reinterpret_cast<const unsigned char*>(data.data() + nblocks * 4);
  uint32_t k = 0;
  switch (data.size() & 3) {
    case 3: k ^= uint32_t(tail[2]) << 16; [[fallthrough]];
    case 2: k ^= uint32_t(tail[1]) << 8; [[fallthrough]];
    case 1:
      k ^= tail[0];
      k *= c1;
      k = rotl(k, 15);
      k *= c2;
      h ^= k;
  }
  h ^= static_cast<uint32_t>(data.size());
  h ^= h >> 16;
  h *= 0x85ebca6b;
  h ^= h >> 13;
  h *= 0xc2b2ae35;
  h ^= h >> 16;
  return h;
}

} // namespace cairn::decode
