#pragma once

// libsodium helpers of the metastore: secret keys, secret boxes, API tokens.
//
// Caveats: every function calls sodium_init() on first use (it is
// idempotent and thread-safe) and reports its failure as crypto_failed.
// Encodings are text (base64 / hex / base62) so identical SQL stores them
// on SQLite and PostgreSQL without backend-specific blob handling.

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "storage/meta/errc.hpp"

namespace cairn::meta {

/// The 32-byte symmetric key that encrypts secrets (`storage.secretKey`).
struct secret_key {
  std::array<uint8_t, 32> bytes{};
};

/// A sealed secret: random nonce plus ciphertext, both base64 (original variant).
struct sealed_secret {
  std::string nonce_b64;
  std::string ciphertext_b64;
};

/// Makes sure libsodium is initialised.
expected<void> ensure_sodium();

/// Returns a fresh random secret key, base64-encoded (`cairn show-key --generate`).
expected<std::string> generate_secret_key();

/// Parses base64 (original variant, padded) of exactly 32 bytes.
expected<secret_key> parse_secret_key(std::string_view base64);

/// Formats a key as base64 (the inverse of parse_secret_key).
std::string format_secret_key(const secret_key& key);

/// Encrypts `plaintext` with crypto_secretbox_easy under a random nonce.
expected<sealed_secret> seal(std::string_view plaintext, const secret_key& key);

/// Decrypts and authenticates; decryption_failed on a wrong key or tampering.
expected<std::string> open_sealed(const sealed_secret& sealed, const secret_key& key);

/// Returns a new API token: 32 random bytes encoded in base62 (43 chars).
expected<std::string> generate_api_token();

/// BLAKE2b-256 (crypto_generichash) of a token, as 64 lowercase hex chars.
std::string hash_token(std::string_view token);

/// Compares two equal-length strings in constant time (sodium_memcmp).
bool constant_time_equal(std::string_view a, std::string_view b) noexcept;

/// Returns `n` random bytes as 2n lowercase hex characters (ids).
std::string random_hex(size_t n);

/// Encodes bytes as base64 (original variant, padded).
std::string to_base64(const uint8_t* data, size_t size);

/// Encodes bytes as lowercase hex.
std::string to_hex(const uint8_t* data, size_t size);

} // namespace cairn::meta
