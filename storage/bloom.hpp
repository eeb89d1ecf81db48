#pragma once
/// Bloom filter and tokenizer shared by the indexer (which fills filters per
/// block) and the query planner (which asks them to skip blocks).
///
/// Tokens: maximal runs of ASCII letters, digits and bytes >= 0x80 (UTF-8),
/// ASCII-lowercased. "GET /api/Orders/42" yields get, api, orders, 42.
/// A filter says "maybe" or "definitely not"; it never gives false negatives.
#include <cstdint>
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
      f(hash_lowercase(std::string_view{p + b, i - b}));
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
