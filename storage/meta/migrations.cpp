#include "storage/meta/migrations.hpp"

#include <soci/soci.h>

#include <chrono>
#include <set>
#include <string>

namespace cairn::meta {

namespace {

// Version 1: the initial schema. Times are Unix milliseconds (BIGINT),
// booleans INTEGER 0/1, JSON documents TEXT. Every column is NOT NULL with
// a default so rows copy between backends without NULL handling.
constexpr std::string_view v1_statements[] = {
  // The leader lease: one row per lease name; see lease.hpp for invariants.
  R"(CREATE TABLE leader_lease (
       name TEXT PRIMARY KEY,
       node_id TEXT NOT NULL,
       epoch BIGINT NOT NULL,
       expires_at_ms BIGINT NOT NULL,
       acquired_at_ms BIGINT NOT NULL,
       manual INTEGER NOT NULL DEFAULT 0))",
  // Cluster membership, refreshed by heartbeats.
  R"(CREATE TABLE nodes (
       id TEXT PRIMARY KEY,
       name TEXT NOT NULL DEFAULT '',
       cluster_uri TEXT NOT NULL DEFAULT '',
       internal_uri TEXT NOT NULL DEFAULT '',
       api_uri TEXT NOT NULL DEFAULT '',
       role TEXT NOT NULL DEFAULT '',
       epoch BIGINT NOT NULL DEFAULT 0,
       generation BIGINT NOT NULL DEFAULT 0,
       last_heartbeat_ms BIGINT NOT NULL DEFAULT 0,
       shard_id TEXT NOT NULL DEFAULT '',
       data_age_ms BIGINT NOT NULL DEFAULT 0,
       health TEXT NOT NULL DEFAULT ''))",
  // API keys: token_hash = hex BLAKE2b of the token; the token is not stored.
  R"(CREATE TABLE api_keys (
       id TEXT PRIMARY KEY,
       title TEXT NOT NULL DEFAULT '',
       token_prefix TEXT NOT NULL,
       token_hash TEXT NOT NULL UNIQUE,
       permissions TEXT NOT NULL DEFAULT '',
       applied_properties_json TEXT NOT NULL DEFAULT '{}',
       minimum_level TEXT NOT NULL DEFAULT '',
       created_ms BIGINT NOT NULL DEFAULT 0))",
  "CREATE INDEX api_keys_token_prefix ON api_keys (token_prefix)",
  // Plain settings (non-secret configuration shared by the cluster).
  R"(CREATE TABLE settings (
       key TEXT PRIMARY KEY,
       value TEXT NOT NULL DEFAULT ''))",
  // Secrets: crypto_secretbox under storage.secretKey, base64 nonce/ciphertext.
  R"(CREATE TABLE secrets (
       key TEXT PRIMARY KEY,
       nonce TEXT NOT NULL,
       ciphertext TEXT NOT NULL))",
  // Signals (Seq: Title, Description, Filters, Columns, IsProtected, ...).
  R"(CREATE TABLE signals (
       id TEXT PRIMARY KEY,
       title TEXT NOT NULL DEFAULT '',
       description TEXT NOT NULL DEFAULT '',
       filter TEXT NOT NULL DEFAULT '',
       filters_json TEXT NOT NULL DEFAULT '[]',
       columns_json TEXT NOT NULL DEFAULT '[]',
       is_protected INTEGER NOT NULL DEFAULT 0,
       is_index_suppressed INTEGER NOT NULL DEFAULT 0,
       owner_id TEXT NOT NULL DEFAULT '',
       created_ms BIGINT NOT NULL DEFAULT 0,
       updated_ms BIGINT NOT NULL DEFAULT 0))",
  // Retention: events older than retention_ms matching filter are removed
  // (empty filter = all events); data_source is Stream or Series.
  R"(CREATE TABLE retention_policies (
       id TEXT PRIMARY KEY,
       retention_ms BIGINT NOT NULL,
       filter TEXT NOT NULL DEFAULT '',
       signal_id TEXT NOT NULL DEFAULT '',
       data_source TEXT NOT NULL DEFAULT 'Stream',
       created_ms BIGINT NOT NULL DEFAULT 0))",
  // Which node stores which shard (a shard may have several replicas).
  R"(CREATE TABLE shard_placement (
       shard_id TEXT NOT NULL,
       node_id TEXT NOT NULL,
       PRIMARY KEY (shard_id, node_id)))",
  // Alerts: a query evaluated every interval_ms; fires notifications.
  R"(CREATE TABLE alerts (
       id TEXT PRIMARY KEY,
       title TEXT NOT NULL DEFAULT '',
       description TEXT NOT NULL DEFAULT '',
       query TEXT NOT NULL DEFAULT '',
       interval_ms BIGINT NOT NULL DEFAULT 60000,
       condition TEXT NOT NULL DEFAULT '',
       notification_json TEXT NOT NULL DEFAULT '{}',
       owner_id TEXT NOT NULL DEFAULT '',
       is_disabled INTEGER NOT NULL DEFAULT 0,
       last_fired_ms BIGINT NOT NULL DEFAULT 0,
       suppressed_until_ms BIGINT NOT NULL DEFAULT 0,
       created_ms BIGINT NOT NULL DEFAULT 0))",
};

// Version 2: alert scheduling (actors/alert_schedule.hpp). An alert checks
// windows [end - window_ms, end) whose ends are multiples of interval_ms;
// last_window_end_ms is the last window decided (fired or not) and
// pending_json the notification of that window while it is undelivered, so
// a new leader resumes after the last decided window and re-sends a pending
// notification instead of evaluating its window again.
constexpr std::string_view v2_statements[] = {
  "ALTER TABLE alerts ADD COLUMN window_ms BIGINT NOT NULL DEFAULT 60000",
  "ALTER TABLE alerts ADD COLUMN suppression_ms BIGINT NOT NULL DEFAULT 0",
  "ALTER TABLE alerts ADD COLUMN last_window_end_ms BIGINT NOT NULL DEFAULT 0",
  "ALTER TABLE alerts ADD COLUMN pending_json TEXT NOT NULL DEFAULT ''",
};

// Version 3: shard placement by holder shard id (actors/shards.hpp). Shards
// are numbers (0 .. cluster.shards - 1, ids go to shard (id >> 10) % count);
// a holder is a node's shard_id, so a replacement node started with a dead
// node's --shard-id takes its place. placed_ms = when the holder had a full
// copy. Replaces v1's shard_placement (shard and node ids as text, never
// used by a server, so there is nothing to carry over).
constexpr std::string_view v3_statements[] = {
  "DROP TABLE shard_placement",
  R"(CREATE TABLE shard_replicas (
       shard INTEGER NOT NULL,
       holder TEXT NOT NULL,
       placed_ms BIGINT NOT NULL DEFAULT 0,
       PRIMARY KEY (shard, holder)))",
};

constexpr migration migrations[] = {
  {1, "initial schema", v1_statements},
  {2, "alert windows", v2_statements},
  {3, "shard replicas by holder shard id", v3_statements},
};

constexpr std::string_view create_schema_migrations
  = R"(CREATE TABLE IF NOT EXISTS schema_migrations (
         version INTEGER PRIMARY KEY,
         name TEXT NOT NULL,
         applied_ms BIGINT NOT NULL))";

} // namespace

std::span<const migration> all_migrations() {
  return migrations;
}

expected<int> apply_migrations(soci::session& sql, bool is_postgresql) {
  int applied = 0;
  std::string step = "begin";
  try {
    // Step 1: serialise against other nodes running migrations.
    if (is_postgresql) {
      sql << "BEGIN";
      step = "advisory lock";
      long long key = migration_lock_key;
      sql << "SELECT pg_advisory_xact_lock(:k)", soci::use(key);
    } else {
      sql << "BEGIN IMMEDIATE";
    }
    // Step 2: the version table itself.
    step = "create schema_migrations";
    sql << create_schema_migrations;
    // Step 3: what is already there.
    std::set<int> done;
    {
      soci::rowset<int> rs = (sql.prepare << "SELECT version FROM schema_migrations");
      for (int v : rs)
        done.insert(v);
    }
    // Step 4: the missing scripts, in order.
    auto now_ms = static_cast<long long>(
      std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::system_clock::now().time_since_epoch())
        .count());
    for (const auto& m : migrations) {
      if (done.count(m.version) != 0)
        continue;
      step = "migration " + std::to_string(m.version) + " (" + std::string{m.name} + ")";
      for (auto stmt : m.statements)
        sql << stmt;
      int version = m.version;
      std::string name{m.name};
      sql << "INSERT INTO schema_migrations (version, name, applied_ms)"
             " VALUES (:v, :n, :t)",
        soci::use(version), soci::use(name), soci::use(now_ms);
      ++applied;
    }
    step = "commit";
    sql << "COMMIT";
  } catch (const std::exception& e) {
    try {
      sql << "ROLLBACK";
    } catch (const std::exception&) {
      // The connection may be gone; the server rolls back on disconnect.
    }
    return make_error(errc::migration_failed, step + ": " + e.what());
  }
  return applied;
}

} // namespace cairn::meta
