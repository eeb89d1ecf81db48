#include "storage/bloom.hpp"

#include <bit>
#include <cstring>

namespace cairn::storage {

uint64_t hash_bytes(std::string_view bytes) noexcept {
  uint64_t h = 0x9e3779b97f4a7c15ULL ^ bytes.size();
  const char* p = bytes.data();
  size_t n = bytes.size();
  while (n >= 8) {
    uint64_t w;
    std::memcpy(&w, p, 8);
    h = detail::hash_mix(h ^ w) * 0x100000001b3ULL;
    p += 8;
    n -= 8;
  }
  uint64_t tail = 0;
  std::memcpy(&tail, p, n);
  return detail::hash_mix(h ^ tail ^ (uint64_t(n) << 56));
}

uint64_t hash_lowercase(std::string_view bytes) noexcept {
  // hash_bytes, step for step, on lowercased words.
  return detail::hash_lowercase_in(bytes.data(), bytes.size(), bytes.size());
}

bloom_filter::bloom_filter(size_t expected_items) {
  size_t bits = std::bit_ceil(std::max<size_t>(64, expected_items * 10));
  words_.assign(bits / 64, 0);
}

void bloom_filter::add_hash(uint64_t h) noexcept {
  if (words_.empty())
    return;
  uint64_t mask = words_.size() * 64 - 1;
  uint64_t h2 = (h >> 32) | (h << 32) | 1;
  for (int i = 0; i < probes; ++i) {
    uint64_t bit = (h + i * h2) & mask;
    words_[bit >> 6] |= 1ULL << (bit & 63);
  }
}

bool bloom_filter::may_contain_hash(uint64_t h) const noexcept {
  if (words_.empty())
    return true;
  uint64_t mask = words_.size() * 64 - 1;
  uint64_t h2 = (h >> 32) | (h << 32) | 1;
  for (int i = 0; i < probes; ++i) {
    uint64_t bit = (h + i * h2) & mask;
    if (!(words_[bit >> 6] & (1ULL << (bit & 63))))
      return false;
  }
  return true;
}

void bloom_filter::serialize(std::string& out) const {
  uint32_t n = static_cast<uint32_t>(words_.size());
  out.append(reinterpret_cast<const char*>(&n), 4);
  out.append(reinterpret_cast<const char*>(words_.data()), words_.size() * 8);
}

bool bloom_filter::deserialize(std::string_view& in) {
  uint32_t n;
  if (in.size() < 4)
    return false;
  std::memcpy(&n, in.data(), 4);
  if ((n & (n - 1)) != 0 || in.size() - 4 < size_t(n) * 8)
    return false;
  words_.resize(n);
  std::memcpy(words_.data(), in.data() + 4, size_t(n) * 8);
  in.remove_prefix(4 + size_t(n) * 8);
  return true;
}

} // namespace cairn::storage
