#pragma once
/// Bloom filter and tokenizer shared by the indexer (which fills filters per
/// block) and the query planner (which asks them to skip blocks).
///
/// Tokens: maximal runs of ASCII letters, digits and bytes >= 0x80 (UTF-8),
/// ASCII-lowercased. "GET /api/Orders/42" yields get, api, orders, 42.
/// A filter says "maybe" or "definitely not"; it never gives false negatives.
#include <bit>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

namespace cairn::storage {

/// 64-bit hash of bytes (stable on disk: never change it without a format bump).
uint64_t hash_bytes(std::string_view bytes) noexcept;

/// hash_bytes of `bytes` with ASCII A-Z lowercased, computed without making
/// the lowercased copy (eight bytes at a time): what the indexer hashes for
/// every token, so it must equal hash_bytes(lowercase(bytes)) exactly.
uint64_t hash_lowercase(std::string_view bytes) noexcept;

namespace detail {
/// 1 for ASCII letters, digits and every byte >= 0x80.
inline constexpr auto token_byte_table = [] {
  struct table {
    bool v[256] = {};
  } t;
  for (int c = 0; c < 256; ++c)
    t.v[c] = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c >= 0x80;
  return t;
}();
} // namespace detail

inline bool is_token_byte(unsigned char c) noexcept {
  return detail::token_byte_table.v[c];
}

/// Calls f(std::string_view token) for each lowercased token of `text`.
/// `scratch` is reused to avoid allocating per token.
template <class F>
void for_each_token(std::string_view text, std::string& scratch, F&& f) {
  size_t i = 0, n = text.size();
  while (i < n) {
    while (i < n && !is_token_byte(static_cast<unsigned char>(text[i])))
      ++i;
    size_t b = i;
    while (i < n && is_token_byte(static_cast<unsigned char>(text[i])))
      ++i;
    if (i > b) {
      scratch.assign(text.data() + b, i - b);
      for (auto& c : scratch)
        if (c >= 'A' && c <= 'Z')
          c = static_cast<char>(c + 32);
      f(std::string_view{scratch});
    }
  }
}

namespace detail {
inline uint64_t hash_mix(uint64_t x) noexcept {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdULL;
  x ^= x >> 33;
  x *= 0xc4ceb9fe1a85ec53ULL;
  x ^= x >> 33;
  return x;
}

/// ASCII-lowercases eight bytes at once (SWAR): a byte gets 0x20 added iff
/// it is 'A'..'Z'; bytes >= 0x80 are left alone. No carry crosses a byte:
/// the low seven bits plus 0x3f (or 0x25) stay below 0x100.
inline uint64_t lower8(uint64_t w) noexcept {
  constexpr uint64_t ones = 0x0101010101010101ULL;
  uint64_t low7 = w & (0x7f * ones);
  uint64_t ge_a = low7 + (0x80 - 'A') * ones;     // bit 7 set iff low7 >= 'A'
  uint64_t gt_z = low7 + (0x80 - 'Z' - 1) * ones; // bit 7 set iff low7 > 'Z'
  uint64_t upper = ge_a & ~gt_z & ~w & (0x80 * ones);
  return w | (upper >> 2);
}

/// hash_lowercase of the `n` bytes at p, where `readable` >= n bytes may be
/// read from p: the tail (n % 8 bytes) is then one 8-byte load and a mask
/// instead of a variable-length copy. Inline: the tokenizer calls it for
/// every token of every message, and most tokens are a few bytes long.
inline uint64_t hash_lowercase_in(const char* p, size_t n, size_t readable) noexcept {
  uint64_t h = 0x9e3779b97f4a7c15ULL ^ n;
  size_t m = n;
  while (m >= 8) {
    uint64_t w;
    std::memcpy(&w, p, 8);
    h = hash_mix(h ^ lower8(w)) * 0x100000001b3ULL;
    p += 8;
    m -= 8;
    readable -= 8;
  }
  uint64_t tail = 0;
  if constexpr (std::endian::native == std::endian::little) {
    // The masked-off bytes are the ones a copy of m bytes would leave zero.
    if (m != 0 && readable >= 8) {
      std::memcpy(&tail, p, 8);
      tail &= ~uint64_t{0} >> (64 - 8 * m);
    } else {
      std::memcpy(&tail, p, m);
    }
  } else {
    std::memcpy(&tail, p, m);
  }
  return hash_mix(h ^ lower8(tail) ^ (uint64_t(m) << 56));
}
} // namespace detail

/// Calls f(uint64_t) with hash_lowercase of each token of `text`: the same
/// values as hash_bytes of for_each_token's tokens, with no copy per token.
template <class F>
void for_each_token_hash(std::string_view text, F&& f) {
  const char* p = text.data();
  size_t i = 0, n = text.size();
  while (i < n) {
    while (i < n && !is_token_byte(static_cast<unsigned char>(p[i])))
      ++i;
    size_t b = i;
    while (i < n && is_token_byte(static_cast<unsigned char>(p[i])))
      ++i;
    if (i > b)
      f(detail::hash_lowercase_in(p + b, i - b, n - b));
  }
}

/// A blocked-free classic Bloom filter: m bits (power of two), k probes by
/// double hashing of hash_bytes().
class bloom_filter {
public:
  bloom_filter() = default;

  /// Sizes the filter for `expected_items` at about 10 bits per item.
  explicit bloom_filter(size_t expected_items);

  void add(std::string_view item) noexcept { add_hash(hash_bytes(item)); }
  void add_hash(uint64_t h) noexcept;

  /// False means the item was definitely never added. An empty (default)
  /// filter answers true: it knows nothing.
  bool may_contain(std::string_view item) const noexcept {
    return may_contain_hash(hash_bytes(item));
  }
  bool may_contain_hash(uint64_t h) const noexcept;

  /// On-disk form: u32 word count, then the 64-bit words (little-endian).
  void serialize(std::string& out) const;
  /// Reads the on-disk form; advances `in`. Returns false if malformed.
  bool deserialize(std::string_view& in);

  size_t byte_size() const noexcept { return words_.size() * 8; }

private:
  static constexpr int probes = 5;
  std::vector<uint64_t> words_;
};

} // namespace cairn::storage
