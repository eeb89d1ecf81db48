#pragma once

// Backend-independent checks, run on SQLite by the meta_*_test.cpp files
// and on PostgreSQL by meta_postgresql_test.cpp.

#include <doctest/doctest.h>

#include <soci/soci.h>

#include <algorithm>
#include <set>
#include <string>

#include "storage/meta/crypto.hpp"
#include "storage/meta/metastore.hpp"
#include "storage/meta/migrations.hpp"
#include "storage/meta/tables.hpp"
#include "tests/storage/meta_fixture.hpp"

namespace cairn::meta::test {

/// Re-opening and re-migrating an up-to-date database changes nothing.
inline void check_migrations_idempotent(const std::string& uri) {
  auto latest = all_migrations().back().version;
  {
    auto m = open_ok(uri);
    CHECK(ok(m.schema_version()) == latest);
    ok(m.set_setting("probe", "kept"));
  }
  auto m = open_ok(uri);
  CHECK(ok(m.migrate()) == 0);
  CHECK(ok(m.migrate()) == 0);
  CHECK(ok(m.schema_version()) == latest);
  long long rows = 0;
  m.session() << "SELECT COUNT(*) FROM schema_migrations", soci::into(rows);
  CHECK(rows == static_cast<long long>(all_migrations().size()));
  CHECK(ok(m.get_setting("probe")) == std::optional<std::string>{"kept"});
}

/// The catalogue matches tables.hpp (so copy_to copies every column).
inline void check_schema_matches_table_list(metastore& m) {
  std::vector<std::string> expected_tables{"schema_migrations"};
  for (const auto& t : copied_tables()) {
    expected_tables.emplace_back(t.name);
    std::vector<std::string> cols;
    for (const auto& c : t.columns)
      cols.emplace_back(c.name);
    CHECK_MESSAGE(db_columns(m, std::string{t.name}) == cols, t.name);
  }
  std::sort(expected_tables.begin(), expected_tables.end());
  CHECK(db_tables(m) == expected_tables);
}

/// The lease semantics table of the brief, one row per case.
inline void check_lease_semantics(metastore& m) {
  const std::string name = "leader";
  // Free: nobody ever held it.
  CHECK_FALSE(ok(m.current_lease(name)).has_value());
  auto a1 = ok(m.try_acquire_or_renew(name, "a", 1000, 100));
  REQUIRE(a1.has_value());
  CHECK(a1->holder == "a");
  CHECK(a1->epoch == 1);
  CHECK(a1->expires_at_ms == 1100);
  CHECK(a1->acquired_at_ms == 1000);
  CHECK_FALSE(a1->manual);
  // Held by another node, unexpired (also exactly at expiry): refused.
  CHECK_FALSE(ok(m.try_acquire_or_renew(name, "b", 1050, 100)).has_value());
  CHECK_FALSE(ok(m.try_acquire_or_renew(name, "b", 1100, 100)).has_value());
  // Renew own: same epoch, later expiry, acquisition time kept.
  auto a2 = ok(m.try_acquire_or_renew(name, "a", 1090, 100));
  REQUIRE(a2.has_value());
  CHECK(a2->epoch == 1);
  CHECK(a2->expires_at_ms == 1190);
  CHECK(a2->acquired_at_ms == 1000);
  // Expired: another node takes it with the next epoch.
  auto b1 = ok(m.try_acquire_or_renew(name, "b", 1191, 100));
  REQUIRE(b1.has_value());
  CHECK(b1->holder == "b");
  CHECK(b1->epoch == 2);
  CHECK(b1->acquired_at_ms == 1191);
  // The old holder cannot renew any more.
  CHECK_FALSE(ok(m.try_acquire_or_renew(name, "a", 1200, 100)).has_value());
  // Own lease that expired: re-acquisition is new, so the epoch grows.
  auto b2 = ok(m.try_acquire_or_renew(name, "b", 1400, 100));
  REQUIRE(b2.has_value());
  CHECK(b2->epoch == 3);
  CHECK(b2->acquired_at_ms == 1400);
  // current_lease reflects the row.
  auto cur = ok(m.current_lease(name));
  REQUIRE(cur.has_value());
  CHECK(cur->holder == "b");
  CHECK(cur->epoch == 3);
  CHECK(cur->valid_at(1500));
  CHECK_FALSE(cur->valid_at(1501));
  // Release: only by the holder; keeps the epoch so the next one is higher.
  CHECK_FALSE(ok(m.release(name, "a")));
  CHECK(ok(m.release(name, "b")));
  CHECK_FALSE(ok(m.release(name, "b")));
  auto a3 = ok(m.try_acquire_or_renew(name, "a", 1410, 100));
  REQUIRE(a3.has_value());
  CHECK(a3->epoch == 4);
  // Leases are independent per name.
  auto other = ok(m.try_acquire_or_renew("other", "b", 1410, 100));
  REQUIRE(other.has_value());
  CHECK(other->epoch == 1);
}

/// Manual mode: permanent until demote; overrides and fences the old holder.
inline void check_manual_mode(metastore& m) {
  const std::string name = "manual";
  auto a = ok(m.try_acquire_or_renew(name, "a", 1000, 100));
  REQUIRE(a.has_value());
  // Force b while a still holds a valid lease: new epoch fences a.
  auto b = ok(m.set_manual_leader(name, "b", 1010));
  CHECK(b.holder == "b");
  CHECK(b.epoch == 2);
  CHECK(b.manual);
  CHECK(b.expires_at_ms == manual_lease_expiry);
  // Nobody else gets it, however late.
  CHECK_FALSE(ok(m.try_acquire_or_renew(name, "a", 1'000'000'000, 100)).has_value());
  // A renewal by the manual holder keeps it permanent and the epoch.
  auto b2 = ok(m.try_acquire_or_renew(name, "b", 2000, 100));
  REQUIRE(b2.has_value());
  CHECK(b2->manual);
  CHECK(b2->epoch == 2);
  CHECK(b2->expires_at_ms == manual_lease_expiry);
  // Setting manual again on the holder keeps the epoch.
  CHECK(ok(m.set_manual_leader(name, "b", 3000)).epoch == 2);
  // Demote ends it; then elections resume with a higher epoch.
  CHECK(ok(m.demote(name)));
  CHECK_FALSE(ok(m.demote(name)));
  auto cur = ok(m.current_lease(name));
  REQUIRE(cur.has_value());
  CHECK_FALSE(cur->manual);
  CHECK_FALSE(cur->valid_at(3001));
  auto a2 = ok(m.try_acquire_or_renew(name, "a", 3001, 100));
  REQUIRE(a2.has_value());
  CHECK(a2->epoch == 3);
  CHECK_FALSE(a2->manual);
  // Manual on a never-acquired name starts at epoch 1.
  CHECK(ok(m.set_manual_leader("fresh", "c", 10)).epoch == 1);
}

/// API keys: create, authenticate, list, remove; token never stored.
inline void check_api_keys(metastore& m) {
  CHECK(ok(m.api_key_count()) == 0);
  auto k1 = ok(m.create_api_key("ingest only", {permission::ingest},
                                R"({"App":"billing"})", "Warning"));
  auto k2 = ok(m.create_api_key("admin",
                                {permission::read, permission::write, permission::setup},
                                "", ""));
  CHECK(k1.token.size() == 43);
  CHECK(k1.token != k2.token);
  CHECK(k1.info.id != k2.info.id);
  CHECK(k1.info.token_prefix == k1.token.substr(0, token_prefix_length));
  CHECK(std::all_of(k1.token.begin(), k1.token.end(),
                    [](char c) { return std::isalnum(static_cast<unsigned char>(c)); }));
  CHECK(ok(m.api_key_count()) == 2);
  // Authenticate with the exact token only.
  auto found = ok(m.authenticate(k1.token));
  REQUIRE(found.has_value());
  CHECK(found->id == k1.info.id);
  CHECK(found->title == "ingest only");
  CHECK(found->permissions == permission_set{permission::ingest});
  CHECK(found->applied_properties_json == R"({"App":"billing"})");
  CHECK(found->minimum_level == "Warning");
  auto wrong = k1.token;
  wrong.back() = wrong.back() == 'a' ? 'b' : 'a';
  CHECK_FALSE(ok(m.authenticate(wrong)).has_value());
  CHECK_FALSE(ok(m.authenticate(k1.token.substr(0, 10))).has_value());
  CHECK_FALSE(ok(m.authenticate("")).has_value());
  // The token appears nowhere in the table, only its hash.
  {
    long long hits = 0;
    std::string like = "%" + k1.token + "%";
    m.session() << "SELECT COUNT(*) FROM api_keys WHERE id LIKE :t OR title LIKE :t2"
                   " OR token_prefix LIKE :t3 OR token_hash LIKE :t4"
                   " OR applied_properties_json LIKE :t5",
      soci::use(like, "t"), soci::use(like, "t2"), soci::use(like, "t3"),
      soci::use(like, "t4"), soci::use(like, "t5"), soci::into(hits);
    CHECK(hits == 0);
    std::string stored_hash;
    std::string id = k1.info.id;
    m.session() << "SELECT token_hash FROM api_keys WHERE id = :id", soci::use(id),
      soci::into(stored_hash);
    CHECK(stored_hash == hash_token(k1.token));
    CHECK(stored_hash.size() == 64);
  }
  // List, ordered by creation; no tokens in the info.
  auto keys = ok(m.list_api_keys());
  REQUIRE(keys.size() == 2);
  std::set<std::string> ids{keys[0].id, keys[1].id};
  CHECK(ids == std::set<std::string>{k1.info.id, k2.info.id});
  for (const auto& k : keys)
    if (k.id == k2.info.id)
      CHECK(to_string(k.permissions) == "Read,Write,Setup");
  // Remove.
  CHECK(ok(m.remove_api_key(k1.info.id)));
  CHECK_FALSE(ok(m.remove_api_key(k1.info.id)));
  CHECK_FALSE(ok(m.authenticate(k1.token)).has_value());
  CHECK(ok(m.authenticate(k2.token)).has_value());
  CHECK(ok(m.api_key_count()) == 1);
}

/// Secrets: roundtrip, wrong key fails, ciphertext only in the table.
inline void check_secrets(metastore& m) {
  auto key = ok(parse_secret_key(ok(generate_secret_key())));
  auto other = ok(parse_secret_key(ok(generate_secret_key())));
  const std::string conn = "host=db password=hunter2-secret";
  ok(m.set_secret("metastore.postgres.connectionString", conn, key));
  CHECK(ok(m.get_secret("metastore.postgres.connectionString", key))
        == std::optional<std::string>{conn});
  CHECK_FALSE(ok(m.get_secret("missing", key)).has_value());
  auto bad = m.get_secret("metastore.postgres.connectionString", other);
  REQUIRE_FALSE(bad.has_value());
  CHECK(bad.error().code == errc::decryption_failed);
  // Plaintext is not stored; overwriting uses a fresh nonce.
  std::string nonce1, cipher1, nonce2, cipher2;
  m.session() << "SELECT nonce, ciphertext FROM secrets", soci::into(nonce1),
    soci::into(cipher1);
  CHECK(cipher1.find("hunter2") == std::string::npos);
  ok(m.set_secret("metastore.postgres.connectionString", conn, key));
  m.session() << "SELECT nonce, ciphertext FROM secrets", soci::into(nonce2),
    soci::into(cipher2);
  CHECK(nonce1 != nonce2);
  CHECK(cipher1 != cipher2);
  // Empty plaintext and binary bytes survive.
  std::string binary{"\0\x01\xff text", 8};
  ok(m.set_secret("bin", binary, key));
  CHECK(ok(m.get_secret("bin", key)) == std::optional<std::string>{binary});
  ok(m.set_secret("empty", "", key));
  CHECK(ok(m.get_secret("empty", key)) == std::optional<std::string>{""});
  CHECK(ok(m.list_secret_keys())
        == std::vector<std::string>{"bin", "empty", "metastore.postgres.connectionString"});
  CHECK(ok(m.remove_secret("bin")));
  CHECK_FALSE(ok(m.remove_secret("bin")));
}

/// Fills every table of `m` with recognisable rows.
inline void fill_all_tables(metastore& m, const secret_key& key) {
  REQUIRE(ok(m.try_acquire_or_renew("leader", "n1", 1000, 10'000)).has_value());
  REQUIRE(ok(m.try_acquire_or_renew("leader", "n2", 20'000, 10'000)).has_value());
  for (int i = 0; i < 250; ++i) { // more than one progress batch
    node_info n;
    n.id = "n" + std::to_string(i);
    n.name = "node " + std::to_string(i);
    n.cluster_uri = "tcp://10.0.0." + std::to_string(i) + ":5344";
    n.role = i == 2 ? "leader" : "follower";
    n.epoch = 2;
    n.generation = i;
    n.last_heartbeat_ms = 1'700'000'000'000 + i;
    n.data_age_ms = i * 10;
    n.health = "ok";
    ok(m.upsert_node(n));
  }
  ok(m.create_api_key("k", {permission::ingest, permission::read}, "{}", "Error"));
  ok(m.set_setting("ingest.maxEventBytes", "262144"));
  ok(m.set_secret("tls.password", "s3cret", key));
  ok(m.place_replica(1, "n1", 1'700'000'000'000));
  ok(m.place_replica(1, "n2", 1'700'000'000'001));
  auto& sql = m.session();
  sql << "INSERT INTO signals (id, title, filter, is_protected, created_ms)"
         " VALUES ('signal-1', 'Errors', '@Level = ''Error''', 1, 5)";
  sql << "INSERT INTO retention_policies (id, retention_ms, filter)"
         " VALUES ('retention-1', 604800000, 'Environment = ''dev''')";
  sql << "INSERT INTO alerts (id, title, query, last_fired_ms, suppressed_until_ms)"
         " VALUES ('alert-1', 'Many errors', 'select count(*) from stream', 9000000000,"
         " 9000005000)";
}

/// Dumps every copied table as sorted text rows, for comparing two stores.
inline std::vector<std::string> dump(metastore& m) {
  std::vector<std::string> out;
  for (const auto& t : copied_tables()) {
    std::string cols;
    for (const auto& c : t.columns)
      cols += (cols.empty() ? "" : " || '|' || ") + std::string{"CAST("} + std::string{c.name}
              + " AS TEXT)";
    soci::rowset<std::string> rs
      = (m.session().prepare << "SELECT " << cols << " FROM " << t.name);
    for (const auto& r : rs)
      out.push_back(std::string{t.name} + ":" + r);
  }
  std::sort(out.begin(), out.end());
  return out;
}

/// copy_to reproduces every row and replaces what the target had.
inline void check_copy(metastore& source, metastore& target) {
  auto key = ok(parse_secret_key(ok(generate_secret_key())));
  fill_all_tables(source, key);
  ok(target.set_setting("stale", "gone after copy"));
  std::vector<std::string> tables_seen;
  uint64_t last_nodes_done = 0;
  uint64_t nodes_total = 0;
  auto copied = ok(source.copy_to(target, [&](std::string_view table, uint64_t done,
                                              uint64_t total) {
    if (tables_seen.empty() || tables_seen.back() != table)
      tables_seen.emplace_back(table);
    if (table == "nodes") {
      CHECK(done >= last_nodes_done);
      last_nodes_done = done;
      nodes_total = total;
    }
  }));
  auto src = dump(source);
  CHECK(copied == src.size());
  CHECK(dump(target) == src);
  CHECK(tables_seen.size() == copied_tables().size());
  CHECK(nodes_total == 250);
  CHECK(last_nodes_done == 250);
  CHECK_FALSE(ok(target.get_setting("stale")).has_value());
  // The copy is usable: secrets decrypt, keys authenticate, leases continue.
  CHECK(ok(target.get_secret("tls.password", key)) == std::optional<std::string>{"s3cret"});
  auto lease = ok(target.current_lease("leader"));
  REQUIRE(lease.has_value());
  CHECK(lease->epoch == 2);
  auto next = ok(target.try_acquire_or_renew("leader", "n3", 40'000, 10'000));
  REQUIRE(next.has_value());
  CHECK(next->epoch == 3);
}

} // namespace cairn::meta::test
