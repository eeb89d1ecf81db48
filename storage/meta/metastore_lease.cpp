// Leader lease with epoch fencing (SPEC.md §2 "Leader election").
//
// The whole protocol is one upsert per call, so the database alone decides
// the winner: INSERT creates the row (epoch 1); ON CONFLICT ... WHERE only
// updates a row that has expired or that the caller already holds; the SET
// clause computes the new epoch from the OLD row in the same statement
// (SQLite and PostgreSQL both evaluate SET expressions against the old
// row), so no other session can interleave between check and increment.
// RETURNING yields a row exactly when the caller holds the lease afterwards.
// Parameter names are never repeated in one statement (soci binds them by
// position on PostgreSQL); the same variable is bound once per name.

#include "storage/meta/metastore.hpp"

#include "storage/meta/detail.hpp"

namespace cairn::meta {

namespace {

/// Marker stored in expires_at_ms by release/demote (any now_ms > 0 passes it).
constexpr long long released_expiry = 0;

// "Renewal" below means: the caller already holds a lease still valid at now
// (leader_lease.node_id = excluded.node_id AND leader_lease.expires_at_ms >= now).
// Everything else that passes the WHERE clause is a new acquisition.
constexpr const char* acquire_sql
  = "INSERT INTO leader_lease"
    " (name, node_id, epoch, expires_at_ms, acquired_at_ms, manual)"
    " VALUES (:name, :node, 1, :exp, :now, 0)"
    " ON CONFLICT (name) DO UPDATE SET"
    " epoch = CASE WHEN leader_lease.node_id = excluded.node_id"
    "   AND leader_lease.expires_at_ms >= :now_a"
    "   THEN leader_lease.epoch ELSE leader_lease.epoch + 1 END,"
    " acquired_at_ms = CASE WHEN leader_lease.node_id = excluded.node_id"
    "   AND leader_lease.expires_at_ms >= :now_b"
    "   THEN leader_lease.acquired_at_ms ELSE excluded.acquired_at_ms END,"
    // A manual lease renewed by its holder stays permanent.
    " expires_at_ms = CASE WHEN leader_lease.manual = 1"
    "   AND leader_lease.node_id = excluded.node_id"
    "   AND leader_lease.expires_at_ms >= :now_c"
    "   THEN leader_lease.expires_at_ms ELSE excluded.expires_at_ms END,"
    " manual = CASE WHEN leader_lease.node_id = excluded.node_id"
    "   AND leader_lease.expires_at_ms >= :now_d"
    "   THEN leader_lease.manual ELSE 0 END,"
    " node_id = excluded.node_id"
    " WHERE leader_lease.expires_at_ms < :now_e"
    "   OR leader_lease.node_id = excluded.node_id"
    " RETURNING node_id, epoch, expires_at_ms, acquired_at_ms, manual";

// Manual mode overrides any holder; the epoch stays only if the caller
// already held a valid lease, so the previous holder is fenced off.
constexpr const char* manual_sql
  = "INSERT INTO leader_lease"
    " (name, node_id, epoch, expires_at_ms, acquired_at_ms, manual)"
    " VALUES (:name, :node, 1, :exp, :now, 1)"
    " ON CONFLICT (name) DO UPDATE SET"
    " epoch = CASE WHEN leader_lease.node_id = excluded.node_id"
    "   AND leader_lease.expires_at_ms >= :now_a"
    "   THEN leader_lease.epoch ELSE leader_lease.epoch + 1 END,"
    " acquired_at_ms = CASE WHEN leader_lease.node_id = excluded.node_id"
    "   AND leader_lease.expires_at_ms >= :now_b"
    "   THEN leader_lease.acquired_at_ms ELSE excluded.acquired_at_ms END,"
    " expires_at_ms = excluded.expires_at_ms,"
    " manual = 1,"
    " node_id = excluded.node_id"
    " RETURNING node_id, epoch, expires_at_ms, acquired_at_ms, manual";

/// Target of a RETURNING/SELECT of the lease columns.
struct lease_row {
  std::string node;
  long long epoch = 0;
  long long expires = 0;
  long long acquired = 0;
  int manual = 0;

  lease to_lease() const {
    return lease{node, epoch, expires, acquired, manual != 0};
  }
};

} // namespace

expected<std::optional<lease>>
metastore::try_acquire_or_renew(std::string_view name, std::string_view node_id,
                                int64_t now_ms, int64_t lease_ms) {
  return detail::guarded("try_acquire_or_renew(" + std::string{name} + ")", [&] {
    std::string n{name};
    std::string node{node_id};
    long long now = now_ms;
    // Saturate so a huge lease_ms cannot wrap into the past.
    long long exp = now_ms > manual_lease_expiry - lease_ms - 1 ? manual_lease_expiry - 1
                                                                : now_ms + lease_ms;
    lease_row r;
    *sql_ << acquire_sql, soci::use(n, "name"), soci::use(node, "node"),
      soci::use(exp, "exp"), soci::use(now, "now"), soci::use(now, "now_a"),
      soci::use(now, "now_b"), soci::use(now, "now_c"), soci::use(now, "now_d"),
      soci::use(now, "now_e"), soci::into(r.node), soci::into(r.epoch),
      soci::into(r.expires), soci::into(r.acquired), soci::into(r.manual);
    std::optional<lease> result;
    if (sql_->got_data())
      result = r.to_lease();
    return result;
  });
}

expected<std::optional<lease>> metastore::current_lease(std::string_view name) {
  return detail::guarded("current_lease(" + std::string{name} + ")", [&] {
    std::string n{name};
    lease_row r;
    *sql_ << "SELECT node_id, epoch, expires_at_ms, acquired_at_ms, manual"
             " FROM leader_lease WHERE name = :name",
      soci::use(n), soci::into(r.node), soci::into(r.epoch), soci::into(r.expires),
      soci::into(r.acquired), soci::into(r.manual);
    std::optional<lease> result;
    if (sql_->got_data())
      result = r.to_lease();
    return result;
  });
}

expected<bool> metastore::release(std::string_view name, std::string_view node_id) {
  return detail::guarded("release(" + std::string{name} + ")", [&] {
    std::string n{name};
    std::string node{node_id};
    long long released = released_expiry;
    soci::statement st = (sql_->prepare << "UPDATE leader_lease"
                                           " SET expires_at_ms = :exp, manual = 0"
                                           " WHERE name = :name AND node_id = :node"
                                           " AND expires_at_ms <> :exp2",
                          soci::use(released, "exp"), soci::use(n, "name"),
                          soci::use(node, "node"), soci::use(released, "exp2"));
    st.execute(true);
    return st.get_affected_rows() == 1;
  });
}

expected<lease> metastore::set_manual_leader(std::string_view name,
                                             std::string_view node_id, int64_t now_ms) {
  return detail::guarded("set_manual_leader(" + std::string{name} + ")", [&] {
    std::string n{name};
    std::string node{node_id};
    long long now = now_ms;
    long long exp = manual_lease_expiry;
    lease_row r;
    *sql_ << manual_sql, soci::use(n, "name"), soci::use(node, "node"),
      soci::use(exp, "exp"), soci::use(now, "now"), soci::use(now, "now_a"),
      soci::use(now, "now_b"), soci::into(r.node), soci::into(r.epoch),
      soci::into(r.expires), soci::into(r.acquired), soci::into(r.manual);
    return r.to_lease();
  });
}

expected<bool> metastore::demote(std::string_view name) {
  return detail::guarded("demote(" + std::string{name} + ")", [&] {
    std::string n{name};
    long long released = released_expiry;
    soci::statement st = (sql_->prepare << "UPDATE leader_lease"
                                           " SET expires_at_ms = :exp, manual = 0"
                                           " WHERE name = :name AND expires_at_ms <> :exp2",
                          soci::use(released, "exp"), soci::use(n, "name"),
                          soci::use(released, "exp2"));
    st.execute(true);
    return st.get_affected_rows() == 1;
  });
}

} // namespace cairn::meta
