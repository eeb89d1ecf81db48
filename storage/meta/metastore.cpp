#include "storage/meta/metastore.hpp"

#include <soci/postgresql/soci-postgresql.h>
#include <soci/soci.h>
#include <soci/sqlite3/soci-sqlite3.h>
#include <spdlog/spdlog.h>

#include "storage/meta/detail.hpp"
#include "storage/meta/migrations.hpp"

namespace cairn::meta {

namespace {

constexpr std::string_view sqlite_scheme = "sqlite:";

bool starts_with(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

/// Builds the soci sqlite3 connect string for a file path.
expected<std::string> sqlite_connect_string(std::string_view path) {
  if (path.empty())
    return make_error(errc::invalid_uri, "sqlite: needs a file path");
  if (path.find('"') != std::string_view::npos)
    return make_error(errc::invalid_uri, "sqlite path must not contain '\"'");
  // soci strips the quotes, which lets paths contain spaces.
  return "db=\"" + std::string{path} + "\" timeout=5";
}

} // namespace

std::optional<backend> classify_uri(std::string_view uri) {
  if (starts_with(uri, sqlite_scheme))
    return backend::sqlite;
  if (starts_with(uri, "postgresql://") || starts_with(uri, "postgres://"))
    return backend::postgresql;
  // libpq keyword/value form: at least one of its usual keywords.
  for (auto kw : {"host=", "hostaddr=", "dbname=", "port=", "user=", "service="})
    if (uri.find(kw) != std::string_view::npos)
      return backend::postgresql;
  return std::nullopt;
}

std::string redact_uri(std::string_view uri) {
  std::string out{uri};
  // URI form: scheme://user:password@host/...
  if (auto scheme = out.find("://"); scheme != std::string::npos) {
    auto at = out.find('@', scheme + 3);
    auto colon = out.find(':', scheme + 3);
    if (at != std::string::npos && colon != std::string::npos && colon < at)
      out.replace(colon + 1, at - colon - 1, "***");
  }
  // Keyword form: password=value or password='quoted value'.
  for (auto pos = out.find("password="); pos != std::string::npos;
       pos = out.find("password=", pos + 1)) {
    auto begin = pos + 9;
    auto end = begin;
    if (end < out.size() && out[end] == '\'') {
      end = out.find('\'', end + 1);
      end = end == std::string::npos ? out.size() : end + 1;
    } else {
      end = out.find(' ', begin);
      if (end == std::string::npos)
        end = out.size();
    }
    out.replace(begin, end - begin, "***");
  }
  // Query-string form of URIs: ?password=... is covered above.
  return out;
}

expected<metastore> metastore::open(std::string_view uri) {
  // Step 1: pick the backend.
  auto kind = classify_uri(uri);
  if (!kind)
    return make_error(errc::invalid_uri,
                      "'" + redact_uri(uri)
                        + "' is neither sqlite:<path> nor a PostgreSQL connection string");
  if (auto ok = ensure_sodium(); !ok)
    return unexpected{ok.error()};
  auto display = redact_uri(uri);
  // Step 2: connect and set session options.
  auto sql = std::make_unique<soci::session>();
  try {
    if (*kind == backend::sqlite) {
      auto conn = sqlite_connect_string(uri.substr(sqlite_scheme.size()));
      if (!conn)
        return unexpected{conn.error()};
      sql->open(*soci::factory_sqlite3(), *conn);
      // WAL lets readers proceed during writes and several processes share
      // the file; NORMAL sync is durable across process crashes in WAL mode.
      std::string mode;
      *sql << "PRAGMA journal_mode=WAL", soci::into(mode);
      *sql << "PRAGMA synchronous=NORMAL";
      if (mode != "wal" && mode != "memory")
        spdlog::warn("meta: {} runs in journal mode '{}', not WAL", display, mode);
    } else {
      sql->open(*soci::factory_postgresql(), std::string{uri});
      // libpq prints NOTICEs (e.g. "relation already exists") to stderr.
      *sql << "SET client_min_messages = warning";
    }
  } catch (const std::exception& e) {
    return make_error(errc::connect_failed, display + ": " + e.what());
  }
  // Step 3: schema.
  auto applied = apply_migrations(*sql, *kind == backend::postgresql);
  if (!applied)
    return make_error(applied.error().code, display + ": " + applied.error().message);
  if (*applied > 0)
    spdlog::info("meta: applied {} schema migration(s) to {}", *applied, display);
  return metastore{std::move(sql), *kind, std::move(display)};
}

metastore::metastore(std::unique_ptr<soci::session> sql, meta::backend b,
                     std::string display)
  : sql_(std::move(sql)), backend_(b), display_uri_(std::move(display)) {
}

metastore::metastore(metastore&&) noexcept = default;

metastore& metastore::operator=(metastore&&) noexcept = default;

metastore::~metastore() = default;

expected<int> metastore::schema_version() {
  return detail::guarded("schema_version", [&] {
    int version = 0;
    soci::indicator ind = soci::i_ok;
    *sql_ << "SELECT MAX(version) FROM schema_migrations", soci::into(version, ind);
    return ind == soci::i_ok ? version : 0;
  });
}

expected<int> metastore::migrate() {
  return apply_migrations(*sql_, backend_ == backend::postgresql);
}

} // namespace cairn::meta
