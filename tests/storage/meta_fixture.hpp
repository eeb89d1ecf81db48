#pragma once

// Shared fixture of the metastore tests: temporary SQLite files and the
// optional PostgreSQL server given by CAIRN_TEST_PG.
//
// PostgreSQL tests skip (with a message) when CAIRN_TEST_PG is unset, but
// FAIL when CAIRN_TEST_PG_REQUIRED=1 is set too, so the integration script
// cannot pass by skipping.

#include <doctest/doctest.h>

#include <soci/soci.h>

#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string>
#include <unistd.h>

#include "storage/meta/metastore.hpp"
#include "storage/meta/tables.hpp"

namespace cairn::meta::test {

/// A fresh directory removed with everything in it at scope exit.
struct temp_dir {
  std::filesystem::path path;

  temp_dir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "cairn-meta-XXXXXX").string();
    REQUIRE(::mkdtemp(tmpl.data()) != nullptr);
    path = tmpl;
  }

  ~temp_dir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }

  /// `sqlite:` URI of a database file inside the directory.
  std::string sqlite_uri(const std::string& file = "meta.db") const {
    return "sqlite:" + (path / file).string();
  }
};

/// Opens `uri` or fails the test with the error.
inline metastore open_ok(const std::string& uri) {
  auto m = metastore::open(uri);
  REQUIRE_MESSAGE(m.has_value(), (m ? std::string{} : m.error().message));
  return std::move(*m);
}

/// Unwraps an expected or fails the test with its error.
template <class T>
T ok(expected<T> r) {
  REQUIRE_MESSAGE(r.has_value(), (r ? std::string{} : r.error().message));
  if constexpr (!std::is_void_v<T>)
    return std::move(*r);
}

/// The PostgreSQL connection string, or nullopt (test skipped or failed).
inline std::optional<std::string> pg_uri() {
  if (const char* uri = std::getenv("CAIRN_TEST_PG"); uri != nullptr && *uri != '\0')
    return std::string{uri};
  const char* required = std::getenv("CAIRN_TEST_PG_REQUIRED");
  if (required != nullptr && std::string_view{required} == "1")
    FAIL("CAIRN_TEST_PG_REQUIRED=1 but CAIRN_TEST_PG is not set");
  MESSAGE("skipped: CAIRN_TEST_PG is not set");
  return std::nullopt;
}

/// Drops every metastore table so the next open starts from an empty schema.
inline void drop_all_tables(const std::string& uri) {
  auto m = open_ok(uri);
  auto& sql = m.session();
  for (const auto& t : copied_tables())
    sql << "DROP TABLE IF EXISTS " << t.name;
  sql << "DROP TABLE IF EXISTS schema_migrations";
}

/// A freshly migrated, empty metastore at `uri`.
inline metastore fresh(const std::string& uri) {
  drop_all_tables(uri);
  return open_ok(uri);
}

/// Column names of `table` in declaration order, read from the catalogue.
inline std::vector<std::string> db_columns(metastore& m, const std::string& table) {
  std::vector<std::string> cols;
  auto& sql = m.session();
  if (m.backend() == backend::sqlite) {
    soci::rowset<soci::row> rs = (sql.prepare << "PRAGMA table_info(" << table << ")");
    for (const auto& row : rs)
      cols.push_back(row.get<std::string>(1));
  } else {
    soci::rowset<std::string> rs
      = (sql.prepare << "SELECT CAST(column_name AS TEXT) FROM information_schema.columns"
                        " WHERE table_schema = current_schema() AND table_name = '"
                     << table << "' ORDER BY ordinal_position");
    for (const auto& c : rs)
      cols.push_back(c);
  }
  return cols;
}

/// Names of all tables in the database, sorted.
inline std::vector<std::string> db_tables(metastore& m) {
  std::vector<std::string> names;
  auto& sql = m.session();
  std::string q = m.backend() == backend::sqlite
                    ? "SELECT name FROM sqlite_master WHERE type = 'table'"
                      " AND name NOT LIKE 'sqlite_%' ORDER BY name"
                    : "SELECT CAST(table_name AS TEXT) FROM information_schema.tables"
                      " WHERE table_schema = current_schema() ORDER BY table_name";
  soci::rowset<std::string> rs = (sql.prepare << q);
  for (const auto& n : rs)
    names.push_back(n);
  return names;
}

} // namespace cairn::meta::test
