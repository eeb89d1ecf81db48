#pragma once

// The metastore: the relational database that holds cluster metadata
// (SPEC.md §2): leader lease, nodes, API keys, settings, secrets, signals,
// retention policies, shard placement, alerts.
//
// Lifecycle: `metastore::open(uri)` connects and applies schema migrations;
// the object owns one soci::session until destroyed. Backends:
// - `sqlite:<path>`: SQLite file (single node default), opened with a 5 s
//   busy timeout and WAL journal so several sessions/processes can share it.
// - `postgresql://...`, `postgres://...` or libpq keyword form
//   (`host=... dbname=...`): PostgreSQL, shared by all nodes of a cluster.
//
// Threading: a metastore instance is NOT thread-safe. Each instance belongs
// to exactly one actor (or thread); open one instance per owner. Different
// instances may be used concurrently, also against the same database: all
// cross-instance guarantees (lease exclusivity, migrations) come from the
// database, not from this process.
//
// Errors: every operation returns meta::expected and never throws; soci
// exceptions are translated into errc::query_failed with the operation name.

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "storage/meta/api_key.hpp"
#include "storage/meta/crypto.hpp"
#include "storage/meta/errc.hpp"
#include "storage/meta/lease.hpp"
#include "storage/meta/node_info.hpp"
#include "storage/meta/shard_replica.hpp"
#include "storage/meta/alert.hpp"
#include "storage/meta/signal.hpp"

namespace soci {
class session;
}

namespace cairn::meta {

/// The database engine behind a metastore.
enum class backend : uint8_t { sqlite, postgresql };

/// Progress of `metastore::copy_to`: table name, rows copied so far in that
/// table, and the table's total row count.
using copy_progress = std::function<void(std::string_view table, uint64_t done,
                                         uint64_t total)>;

/// Cluster metadata store over SQLite or PostgreSQL (see file comment).
class metastore {
public:
  /// Connects to `uri`, applies pending migrations and returns the store.
  static expected<metastore> open(std::string_view uri);

  metastore(metastore&&) noexcept;
  metastore& operator=(metastore&&) noexcept;
  ~metastore();

  /// The engine in use.
  meta::backend backend() const noexcept {
    return backend_;
  }

  /// The connection string with any password replaced by "***" (for logs).
  const std::string& display_uri() const noexcept {
    return display_uri_;
  }

  /// The highest schema version recorded in schema_migrations.
  expected<int> schema_version();

  /// Applies pending migrations again (open already did); returns how many ran.
  expected<int> migrate();

  // -- leader lease (metastore_lease.cpp) ------------------------------------

  /// Takes the lease if it is free or expired at `now_ms`, or renews it if
  /// `node_id` already holds it; returns the new state if `node_id` holds
  /// the lease afterwards and nullopt if another node holds it.
  /// A new acquisition increments the epoch in the same statement; a renewal
  /// keeps it. Renewing a manual lease keeps it manual and permanent.
  /// @pre lease_ms > 0
  expected<std::optional<lease>> try_acquire_or_renew(std::string_view name,
                                                      std::string_view node_id,
                                                      int64_t now_ms, int64_t lease_ms);

  /// Reads the lease row; nullopt if it was never acquired.
  expected<std::optional<lease>> current_lease(std::string_view name);

  /// Expires the lease now if `node_id` holds it (graceful stop); returns
  /// whether it did. The epoch is kept so the next holder gets a higher one.
  expected<bool> release(std::string_view name, std::string_view node_id);

  /// Makes `node_id` the permanent holder (manual mode, `cairn node lead`),
  /// overriding any current holder; increments the epoch unless `node_id`
  /// already held a valid lease.
  expected<lease> set_manual_leader(std::string_view name, std::string_view node_id,
                                    int64_t now_ms);

  /// Ends the lease whoever holds it (`cairn node demote`, fail-over);
  /// returns whether a holder was removed.
  expected<bool> demote(std::string_view name);

  // -- API keys (metastore_api_keys.cpp) -------------------------------------

  /// Creates a key and returns it with its token; the token is not stored
  /// and cannot be recovered later.
  expected<created_api_key> create_api_key(std::string_view title,
                                           permission_set permissions,
                                           std::string_view applied_properties_json,
                                           std::string_view minimum_level);

  /// Finds the key whose token is `token`; nullopt if none.
  expected<std::optional<api_key_info>> authenticate(std::string_view token);

  /// All keys ordered by creation time (no tokens).
  expected<std::vector<api_key_info>> list_api_keys();

  /// Deletes a key; returns whether it existed.
  expected<bool> remove_api_key(std::string_view id);

  /// Number of stored keys.
  expected<uint64_t> api_key_count();

  // -- secrets (metastore_secrets.cpp) ---------------------------------------

  /// Stores `plaintext` under `key`, encrypted with `secret` (random nonce).
  expected<void> set_secret(std::string_view key, std::string_view plaintext,
                            const secret_key& secret);

  /// Decrypts the secret stored under `key`; nullopt if absent,
  /// errc::decryption_failed if `secret` is not the key it was stored with.
  expected<std::optional<std::string>> get_secret(std::string_view key,
                                                  const secret_key& secret);

  /// Deletes a secret; returns whether it existed.
  expected<bool> remove_secret(std::string_view key);

  /// Names of all stored secrets.
  expected<std::vector<std::string>> list_secret_keys();

  // -- settings (metastore_settings.cpp) -------------------------------------

  /// Inserts or replaces a setting.
  expected<void> set_setting(std::string_view key, std::string_view value);

  /// Reads a setting; nullopt if absent.
  expected<std::optional<std::string>> get_setting(std::string_view key);

  /// All settings ordered by key.
  expected<std::vector<std::pair<std::string, std::string>>> list_settings();

  /// Deletes a setting; returns whether it existed.
  expected<bool> remove_setting(std::string_view key);

  // -- nodes and shard placement (metastore_nodes.cpp) -----------------------

  /// Inserts a node or replaces every field of an existing one.
  expected<void> upsert_node(const node_info& node);

  /// Records a heartbeat; returns false if the node is not registered.
  expected<bool> heartbeat(std::string_view node_id, int64_t now_ms, int64_t generation,
                           std::string_view role, int64_t epoch);

  /// All nodes ordered by id.
  expected<std::vector<node_info>> list_nodes();

  /// Deletes a node's membership row; returns whether it existed. Its
  /// placement rows stay (they name its shard id, which a replacement node
  /// may carry): remove them with remove_holder.
  expected<bool> remove_node(std::string_view node_id);

  /// Records that `holder` (a node's shard id) has a full copy of `shard`
  /// (idempotent; keeps the first placed_ms).
  expected<void> place_replica(int shard, std::string_view holder, int64_t placed_ms);

  /// Removes every placement row of `holder`; returns how many there were.
  expected<size_t> remove_holder(std::string_view holder);

  /// All placement rows ordered by shard then holder.
  expected<std::vector<shard_replica>> list_replicas();

  // -- copying (metastore_copy.cpp) ------------------------------------------

  /// Replaces the contents of every table of `target` (except
  /// schema_migrations) with this store's rows, in one target transaction;
  /// `progress` is called after each batch of rows. Used by
  /// `cairn metastore to-postgresql`. @pre &target != this
  expected<uint64_t> copy_to(metastore& target, const copy_progress& progress = {});

  // -- signals and retention policies (metastore_signals.cpp) ---------------
  // CRUD for the admin API (/api/signals, /api/retentionpolicies). Filters
  // are stored as given: callers validate them with the query parser first.

  /// Stores a new signal; assigns its id and timestamps and returns it.
  expected<signal_info> create_signal(const signal_info& s);

  /// All signals ordered by title, then id.
  expected<std::vector<signal_info>> list_signals();

  /// Replaces title, description, filters and columns of `s.id`; returns
  /// whether it existed.
  expected<bool> update_signal(const signal_info& s);

  /// Deletes a signal; returns whether it existed.
  expected<bool> remove_signal(std::string_view id);

  /// Stores a new policy; assigns its id and creation time and returns it.
  /// @pre p.retention_ms > 0
  expected<retention_policy_info> create_retention_policy(const retention_policy_info& p);

  /// All policies ordered by creation time, then id.
  expected<std::vector<retention_policy_info>> list_retention_policies();

  /// Deletes a policy; returns whether it existed.
  expected<bool> remove_retention_policy(std::string_view id);

  // -- alerts (metastore_alerts.cpp) -----------------------------------------
  // Definitions for /api/alerts plus the scheduling state the leader's alert
  // actor advances (see alert.hpp for the invariants).

  /// Stores a new alert; assigns its id and creation time and returns it.
  /// @pre a.interval_ms > 0 && a.window_ms > 0
  expected<alert_info> create_alert(const alert_info& a);

  /// All alerts ordered by creation time, then id.
  expected<std::vector<alert_info>> list_alerts();

  /// Replaces the definition of alert `a.id` (title, description, query,
  /// window, interval, suppression, notification, disabled) and keeps its
  /// schedule state; returns whether it existed.
  /// @pre a.interval_ms > 0 && a.window_ms > 0
  expected<bool> update_alert(const alert_info& a);

  /// Deletes an alert; returns whether it existed.
  expected<bool> remove_alert(std::string_view id);

  /// Decides window `window_end_ms` of alert `id` if its last decided window
  /// is still `expected_last_end_ms` (compare-and-set); records the firing
  /// state and the undelivered notification `pending_json` ("" = did not
  /// fire) in the same statement. Returns whether this caller decided it.
  expected<bool> decide_alert_window(std::string_view id, int64_t expected_last_end_ms,
                                     int64_t window_end_ms, int64_t last_fired_ms,
                                     int64_t suppressed_until_ms, const std::string& pending_json);

  /// Marks the notification of window `window_end_ms` delivered (clears
  /// pending_json if it still belongs to that window).
  expected<void> clear_alert_pending(std::string_view id, int64_t window_end_ms);

  // ---------------------------------------------------------------------------

  /// The underlying session, for tests and tools that need raw SQL.
  soci::session& session() noexcept {
    return *sql_;
  }

private:
  metastore(std::unique_ptr<soci::session> sql, meta::backend b, std::string display);

  std::unique_ptr<soci::session> sql_;
  meta::backend backend_;
  std::string display_uri_;
};

/// Classifies a connection string; nullopt if it names no supported backend.
std::optional<backend> classify_uri(std::string_view uri);

/// Returns `uri` with any password replaced by "***".
std::string redact_uri(std::string_view uri);

} // namespace cairn::meta
