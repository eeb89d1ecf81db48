#pragma once

// API keys as stored in the `api_keys` table.
//
// The token is shown once at creation and never stored: the table keeps its
// first characters (`token_prefix`, for display and lookup) and a BLAKE2b
// hash (crypto_generichash, 32 bytes, hex). A plain fast hash is enough
// because tokens carry 256 random bits: there is nothing to brute-force, so
// a slow password hash (argon2) would only cost CPU on every request.

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

namespace cairn::meta {

/// One permission an API key can carry.
enum class permission : uint8_t {
  ingest = 1,
  read = 2,
  write = 4,
  setup = 8,
};

/// A set of permissions, stored as a comma-separated list of names.
class permission_set {
public:
  constexpr permission_set() = default;

  constexpr permission_set(std::initializer_list<permission> ps) {
    for (auto p : ps)
      bits_ |= static_cast<uint8_t>(p);
  }

  /// True if `p` is in the set.
  constexpr bool contains(permission p) const noexcept {
    return (bits_ & static_cast<uint8_t>(p)) != 0;
  }

  /// Adds `p` to the set.
  constexpr void add(permission p) noexcept {
    bits_ |= static_cast<uint8_t>(p);
  }

  /// The raw bit mask.
  constexpr uint8_t bits() const noexcept {
    return bits_;
  }

  friend constexpr bool operator==(permission_set, permission_set) = default;

private:
  uint8_t bits_ = 0;
};

/// Formats a set as "Ingest,Read,Write,Setup" (names in Seq's spelling).
std::string to_string(permission_set ps);

/// Parses the comma-separated form (case-insensitive); nullopt on an unknown name.
std::optional<permission_set> parse_permissions(std::string_view text);

/// Everything stored about an API key except its secret token.
struct api_key_info {
  /// Stable identifier, "apikey-" plus 16 hex characters.
  std::string id;
  std::string title;
  /// The first token_prefix_length characters of the token.
  std::string token_prefix;
  permission_set permissions;
  /// JSON object of properties added to every event ingested with the key.
  std::string applied_properties_json = "{}";
  /// Events below this level are dropped at ingestion; empty = no minimum.
  std::string minimum_level;
  int64_t created_ms = 0;
};

/// Result of creating a key: the stored info plus the token, shown once.
struct created_api_key {
  api_key_info info;
  std::string token;
};

/// Number of token characters kept in clear as `token_prefix`.
inline constexpr size_t token_prefix_length = 4;

} // namespace cairn::meta
