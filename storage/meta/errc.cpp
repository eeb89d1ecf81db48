#include "storage/meta/errc.hpp"

namespace cairn::meta {

std::string_view to_string(errc code) noexcept {
  switch (code) {
    case errc::invalid_uri:
      return "invalid metastore connection string";
    case errc::connect_failed:
      return "cannot connect to the metastore";
    case errc::migration_failed:
      return "metastore schema migration failed";
    case errc::query_failed:
      return "metastore statement failed";
    case errc::not_found:
      return "not found in the metastore";
    case errc::invalid_argument:
      return "invalid argument";
    case errc::invalid_secret_key:
      return "secret key must be base64 of 32 bytes";
    case errc::decryption_failed:
      return "secret cannot be decrypted with this key";
    case errc::crypto_failed:
      return "libsodium initialisation failed";
  }
  return "unknown metastore error";
}

} // namespace cairn::meta
