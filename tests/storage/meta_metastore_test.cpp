// metastore on SQLite: opening, URIs, migrations, settings, nodes.

#include "storage/meta/metastore.hpp"

#include <doctest/doctest.h>

#include <thread>

#include "tests/storage/meta_checks.hpp"
#include "tests/storage/meta_fixture.hpp"

using namespace cairn::meta;
using namespace cairn::meta::test;

namespace {

struct fixture {
  temp_dir dir;
  metastore m = open_ok(dir.sqlite_uri());
};

} // namespace

TEST_SUITE("storage.meta.metastore") {

TEST_CASE("connection strings are classified by backend") {
  CHECK(classify_uri("sqlite:/tmp/x.db") == backend::sqlite);
  CHECK(classify_uri("postgresql://u:p@localhost/db") == backend::postgresql);
  CHECK(classify_uri("postgres://localhost/db") == backend::postgresql);
  CHECK(classify_uri("host=127.0.0.1 port=5432 dbname=meta") == backend::postgresql);
  CHECK_FALSE(classify_uri("mysql://x").has_value());
  CHECK_FALSE(classify_uri("").has_value());
}

TEST_CASE("passwords are redacted from displayed connection strings") {
  CHECK(redact_uri("postgresql://cairn:hunter2@db:5432/meta")
        == "postgresql://cairn:***@db:5432/meta");
  CHECK(redact_uri("host=db password=hunter2 dbname=meta")
        == "host=db password=*** dbname=meta");
  CHECK(redact_uri("host=db password='a b c'") == "host=db password=***");
  CHECK(redact_uri("sqlite:/data/meta.db") == "sqlite:/data/meta.db");
}

TEST_CASE("opening a bad connection string fails with context") {
  auto bad = metastore::open("nonsense");
  REQUIRE_FALSE(bad.has_value());
  CHECK(bad.error().code == errc::invalid_uri);
  auto missing_dir = metastore::open("sqlite:/nonexistent-dir-cairn/x/meta.db");
  REQUIRE_FALSE(missing_dir.has_value());
  CHECK(missing_dir.error().code == errc::connect_failed);
  CHECK(missing_dir.error().message.find("/nonexistent-dir-cairn/x/meta.db")
        != std::string::npos);
  auto refused = metastore::open("host=127.0.0.1 port=1 dbname=x user=x password=pw"
                                 " connect_timeout=2");
  REQUIRE_FALSE(refused.has_value());
  CHECK(refused.error().code == errc::connect_failed);
  CHECK(refused.error().message.find("password=***") != std::string::npos);
  CHECK(refused.error().message.find("password=pw") == std::string::npos);
}

TEST_CASE_FIXTURE(fixture, "a new SQLite metastore uses WAL and the latest schema") {
  CHECK(m.backend() == backend::sqlite);
  std::string mode;
  m.session() << "PRAGMA journal_mode", soci::into(mode);
  CHECK(mode == "wal");
  CHECK(ok(m.schema_version()) == all_migrations().back().version);
}

TEST_CASE("migrations are idempotent across reopen and migrate") {
  temp_dir dir;
  check_migrations_idempotent(dir.sqlite_uri());
}

TEST_CASE("paths with spaces work") {
  temp_dir dir;
  auto m = open_ok(dir.sqlite_uri("with space.db"));
  ok(m.set_setting("a", "b"));
  CHECK(std::filesystem::exists(dir.path / "with space.db"));
}

TEST_CASE("concurrent opens of a new SQLite file all migrate safely") {
  temp_dir dir;
  std::vector<std::thread> threads;
  std::vector<std::string> errors(4);
  for (int i = 0; i < 4; ++i)
    threads.emplace_back([&, i] {
      auto m = metastore::open(dir.sqlite_uri());
      if (!m)
        errors[i] = m.error().message;
    });
  for (auto& t : threads)
    t.join();
  for (const auto& e : errors)
    CHECK_MESSAGE(e.empty(), e);
  auto m = open_ok(dir.sqlite_uri());
  long long rows = 0;
  m.session() << "SELECT COUNT(*) FROM schema_migrations", soci::into(rows);
  CHECK(rows == static_cast<long long>(all_migrations().size()));
}

TEST_CASE_FIXTURE(fixture, "the schema matches the copied table list") {
  check_schema_matches_table_list(m);
}

TEST_CASE_FIXTURE(fixture, "settings can be set, replaced, listed and removed") {
  CHECK_FALSE(ok(m.get_setting("k")).has_value());
  ok(m.set_setting("k", "1"));
  ok(m.set_setting("k", "2"));
  ok(m.set_setting("a", ""));
  CHECK(ok(m.get_setting("k")) == std::optional<std::string>{"2"});
  auto all = ok(m.list_settings());
  REQUIRE(all.size() == 2);
  CHECK(all[0] == std::pair<std::string, std::string>{"a", ""});
  CHECK(ok(m.remove_setting("k")));
  CHECK_FALSE(ok(m.remove_setting("k")));
}

TEST_CASE_FIXTURE(fixture, "nodes are upserted, heartbeat and are listed") {
  node_info n;
  n.id = "node-b";
  n.name = "b";
  n.cluster_uri = "tcp://b:5344";
  n.role = "starting";
  n.shard_id = "s1";
  ok(m.upsert_node(n));
  n.id = "node-a";
  n.name = "a";
  ok(m.upsert_node(n));
  n.name = "a2"; // upsert replaces
  ok(m.upsert_node(n));
  CHECK(ok(m.heartbeat("node-a", 1'700'000'000'123, 7, "leader", 4)));
  CHECK_FALSE(ok(m.heartbeat("unknown", 1, 1, "follower", 1)));
  auto nodes = ok(m.list_nodes());
  REQUIRE(nodes.size() == 2);
  CHECK(nodes[0].id == "node-a");
  CHECK(nodes[0].name == "a2");
  CHECK(nodes[0].last_heartbeat_ms == 1'700'000'000'123);
  CHECK(nodes[0].generation == 7);
  CHECK(nodes[0].role == "leader");
  CHECK(nodes[0].epoch == 4);
  CHECK(nodes[0].shard_id == "s1");
  CHECK(nodes[1].role == "starting");
  CHECK_FALSE(m.upsert_node(node_info{}).has_value());
  ok(m.place_replica(1, "s1", 10));
  ok(m.place_replica(1, "s1", 20)); // idempotent: the first placement time stays
  ok(m.place_replica(1, "s2", 30));
  ok(m.place_replica(0, "s2", 40));
  auto placed = ok(m.list_replicas());
  REQUIRE(placed.size() == 3);
  CHECK(placed[0].shard == 0);
  CHECK(placed[1].holder == "s1");
  CHECK(placed[1].placed_ms == 10);
  // Removing a node leaves its placement (a replacement may carry its shard
  // id); remove_holder drops it.
  CHECK(ok(m.remove_node("node-a")));
  CHECK(ok(m.list_replicas()).size() == 3);
  CHECK(ok(m.remove_holder("s2")) == 2);
  CHECK(ok(m.list_replicas()).size() == 1);
  CHECK(ok(m.list_nodes()).size() == 1);
}

TEST_CASE_FIXTURE(fixture, "statement errors are reported, not thrown") {
  auto before = ok(m.api_key_count());
  m.session() << "DROP TABLE api_keys";
  auto r = m.api_key_count();
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().code == errc::query_failed);
  CHECK(r.error().message.find("api_key_count") != std::string::npos);
  CHECK(before == 0);
}

} // TEST_SUITE
