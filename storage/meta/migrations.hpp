#pragma once

// Versioned schema migrations of the metastore.
//
// Each migration is a numbered list of SQL statements written in the common
// subset of SQLite and PostgreSQL (TEXT, BIGINT, INTEGER, no blobs, no
// backend-specific defaults). `apply_migrations` runs, in ONE transaction:
//   1. PostgreSQL: pg_advisory_xact_lock(migration_lock_key), so nodes
//      opening the same database at once apply the scripts one at a time;
//      SQLite: BEGIN IMMEDIATE takes the write lock up front instead.
//   2. CREATE TABLE IF NOT EXISTS schema_migrations.
//   3. For every migration whose version is not recorded: its statements,
//      then INSERT INTO schema_migrations.
// Both backends have transactional DDL, so a failing script leaves the
// schema untouched. Never edit a released migration: append a new one.

#include <cstdint>
#include <span>
#include <string_view>

#include "storage/meta/errc.hpp"

namespace soci {
class session;
}

namespace cairn::meta {

/// One schema migration.
struct migration {
  /// Strictly increasing version recorded in schema_migrations.
  int version;
  /// Short description, stored alongside the version.
  std::string_view name;
  /// Statements executed in order (one statement per string).
  std::span<const std::string_view> statements;
};

/// Advisory-lock key used on PostgreSQL ("cairn" in ASCII).
inline constexpr int64_t migration_lock_key = 0x636169726e;

/// All migrations, ascending by version.
std::span<const migration> all_migrations();

/// Brings the schema up to date; returns how many migrations were applied.
expected<int> apply_migrations(soci::session& sql, bool is_postgresql);

} // namespace cairn::meta
