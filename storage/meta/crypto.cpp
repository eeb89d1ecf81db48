#include "storage/meta/crypto.hpp"

#include <sodium.h>

#include <vector>

namespace cairn::meta {

namespace {

constexpr int b64_variant = sodium_base64_VARIANT_ORIGINAL;

/// Decodes base64 into bytes; false on malformed input.
bool from_base64(std::string_view text, std::vector<uint8_t>& out) {
  out.clear();
  if (text.empty()) // libsodium must not get a null buffer
    return true;
  out.resize(text.size()); // decoded size is always smaller
  size_t len = 0;
  if (sodium_base642bin(out.data(), out.size(), text.data(), text.size(),
                        " \r\n", &len, nullptr, b64_variant)
      != 0)
    return false;
  out.resize(len);
  return true;
}

} // namespace

expected<void> ensure_sodium() {
  // sodium_init returns 1 when already initialised, -1 on failure.
  if (sodium_init() < 0)
    return make_error(errc::crypto_failed, "sodium_init failed");
  return {};
}

std::string to_base64(const uint8_t* data, size_t size) {
  std::string out(sodium_base64_ENCODED_LEN(size, b64_variant), '\0');
  sodium_bin2base64(out.data(), out.size(), data, size, b64_variant);
  out.resize(out.size() - 1); // drop the terminating NUL
  return out;
}

std::string to_hex(const uint8_t* data, size_t size) {
  std::string out(size * 2 + 1, '\0');
  sodium_bin2hex(out.data(), out.size(), data, size);
  out.resize(size * 2);
  return out;
}

std::string random_hex(size_t n) {
  // randombytes_buf works without sodium_init on Linux (getrandom), but
  // initialising keeps the contract uniform.
  (void) ensure_sodium();
  std::vector<uint8_t> buf(n);
  randombytes_buf(buf.data(), buf.size());
  return to_hex(buf.data(), buf.size());
}

expected<std::string> generate_secret_key() {
  if (auto ok = ensure_sodium(); !ok)
    return unexpected{ok.error()};
  secret_key key;
  crypto_secretbox_keygen(key.bytes.data());
  auto text = format_secret_key(key);
  sodium_memzero(key.bytes.data(), key.bytes.size());
  return text;
}

expected<secret_key> parse_secret_key(std::string_view base64) {
  if (auto ok = ensure_sodium(); !ok)
    return unexpected{ok.error()};
  std::vector<uint8_t> raw;
  if (!from_base64(base64, raw) || raw.size() != crypto_secretbox_KEYBYTES)
    return make_error(errc::invalid_secret_key,
                      "expected base64 of " + std::to_string(crypto_secretbox_KEYBYTES)
                        + " bytes");
  secret_key key;
  std::copy(raw.begin(), raw.end(), key.bytes.begin());
  sodium_memzero(raw.data(), raw.size());
  return key;
}

std::string format_secret_key(const secret_key& key) {
  return to_base64(key.bytes.data(), key.bytes.size());
}

expected<sealed_secret> seal(std::string_view plaintext, const secret_key& key) {
  static_assert(sizeof(key.bytes) == crypto_secretbox_KEYBYTES);
  if (auto ok = ensure_sodium(); !ok)
    return unexpected{ok.error()};
  std::array<uint8_t, crypto_secretbox_NONCEBYTES> nonce;
  randombytes_buf(nonce.data(), nonce.size());
  std::vector<uint8_t> cipher(crypto_secretbox_MACBYTES + plaintext.size());
  crypto_secretbox_easy(cipher.data(),
                        reinterpret_cast<const uint8_t*>(plaintext.data()),
                        plaintext.size(), nonce.data(), key.bytes.data());
  return sealed_secret{to_base64(nonce.data(), nonce.size()),
                       to_base64(cipher.data(), cipher.size())};
}

expected<std::string> open_sealed(const sealed_secret& sealed, const secret_key& key) {
  if (auto ok = ensure_sodium(); !ok)
    return unexpected{ok.error()};
  std::vector<uint8_t> nonce;
  std::vector<uint8_t> cipher;
  if (!from_base64(sealed.nonce_b64, nonce) || nonce.size() != crypto_secretbox_NONCEBYTES
      || !from_base64(sealed.ciphertext_b64, cipher)
      || cipher.size() < crypto_secretbox_MACBYTES)
    return make_error(errc::decryption_failed, "stored secret is malformed");
  std::string plain(cipher.size() - crypto_secretbox_MACBYTES, '\0');
  if (crypto_secretbox_open_easy(reinterpret_cast<uint8_t*>(plain.data()), cipher.data(),
                                 cipher.size(), nonce.data(), key.bytes.data())
      != 0)
    return make_error(errc::decryption_failed, "wrong secret key or tampered secret");
  return plain;
}

expected<std::string> generate_api_token() {
  if (auto ok = ensure_sodium(); !ok)
    return unexpected{ok.error()};
  // Step 1: 256 random bits.
  std::array<uint8_t, 32> raw;
  randombytes_buf(raw.data(), raw.size());
  // Step 2: base62 by repeated division of the big-endian number by 62;
  // alphanumeric tokens survive URLs (?apiKey=) and shells unquoted.
  static constexpr char alphabet[]
    = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  constexpr size_t digits = 43; // ceil(256 / log2(62))
  std::string out(digits, '0');
  for (size_t i = 0; i < digits; ++i) {
    unsigned rem = 0;
    for (auto& byte : raw) {
      unsigned cur = (rem << 8) | byte;
      byte = static_cast<uint8_t>(cur / 62);
      rem = cur % 62;
    }
    out[digits - 1 - i] = alphabet[rem];
  }
  sodium_memzero(raw.data(), raw.size());
  return out;
}

std::string hash_token(std::string_view token) {
  std::array<uint8_t, crypto_generichash_BYTES> digest;
  crypto_generichash(digest.data(), digest.size(),
                     reinterpret_cast<const uint8_t*>(token.data()), token.size(), nullptr,
                     0);
  return to_hex(digest.data(), digest.size());
}

bool constant_time_equal(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size())
    return false;
  return sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

} // namespace cairn::meta
