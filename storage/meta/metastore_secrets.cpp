// Encrypted secrets (connection strings, TLS passwords): crypto_secretbox
// under storage.secretKey with a fresh random nonce per write.

#include "storage/meta/metastore.hpp"

#include "storage/meta/detail.hpp"

namespace cairn::meta {

expected<void> metastore::set_secret(std::string_view key, std::string_view plaintext,
                                     const secret_key& secret) {
  auto sealed = seal(plaintext, secret);
  if (!sealed)
    return unexpected{sealed.error()};
  return detail::guarded("set_secret(" + std::string{key} + ")", [&] {
    std::string k{key};
    *sql_ << "INSERT INTO secrets (key, nonce, ciphertext) VALUES (:k, :n, :c)"
             " ON CONFLICT (key) DO UPDATE SET nonce = excluded.nonce,"
             " ciphertext = excluded.ciphertext",
      soci::use(k), soci::use(sealed->nonce_b64), soci::use(sealed->ciphertext_b64);
  });
}

expected<std::optional<std::string>> metastore::get_secret(std::string_view key,
                                                           const secret_key& secret) {
  auto row = detail::guarded("get_secret(" + std::string{key} + ")", [&] {
    std::string k{key};
    sealed_secret sealed;
    *sql_ << "SELECT nonce, ciphertext FROM secrets WHERE key = :k", soci::use(k),
      soci::into(sealed.nonce_b64), soci::into(sealed.ciphertext_b64);
    std::optional<sealed_secret> result;
    if (sql_->got_data())
      result = std::move(sealed);
    return result;
  });
  if (!row)
    return unexpected{row.error()};
  if (!*row)
    return std::optional<std::string>{};
  auto plain = open_sealed(**row, secret);
  if (!plain)
    return make_error(plain.error().code,
                      "secret '" + std::string{key} + "': " + plain.error().message);
  return std::optional<std::string>{std::move(*plain)};
}

expected<bool> metastore::remove_secret(std::string_view key) {
  return detail::guarded("remove_secret(" + std::string{key} + ")", [&] {
    std::string k{key};
    soci::statement st = (sql_->prepare << "DELETE FROM secrets WHERE key = :k", soci::use(k));
    st.execute(true);
    return st.get_affected_rows() == 1;
  });
}

expected<std::vector<std::string>> metastore::list_secret_keys() {
  return detail::guarded("list_secret_keys", [&] {
    std::vector<std::string> keys;
    soci::rowset<std::string> rs = (sql_->prepare << "SELECT key FROM secrets ORDER BY key");
    for (auto& k : rs)
      keys.push_back(k);
    return keys;
  });
}

} // namespace cairn::meta
