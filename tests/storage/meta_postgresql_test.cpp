// metastore on PostgreSQL: the same checks as on SQLite plus concurrent
// migrations and the two-process lease race. Needs CAIRN_TEST_PG (see
// meta_fixture.hpp); run by tests/integration/metastore_postgresql.sh with
// the doctest filter -ts=storage.meta.postgresql.

#include <doctest/doctest.h>

#include <thread>

#include "tests/storage/meta_checks.hpp"
#include "tests/storage/meta_fixture.hpp"
#include "tests/storage/meta_race.hpp"

using namespace cairn::meta;
using namespace cairn::meta::test;

TEST_SUITE("storage.meta.postgresql") {

TEST_CASE("postgresql: open applies the schema and reopening is idempotent") {
  auto uri = pg_uri();
  if (!uri)
    return;
  auto m = fresh(*uri);
  CHECK(m.backend() == backend::postgresql);
  check_schema_matches_table_list(m);
  check_migrations_idempotent(*uri);
}

TEST_CASE("postgresql: nodes opening an empty database at once migrate once") {
  auto uri = pg_uri();
  if (!uri)
    return;
  drop_all_tables(*uri);
  constexpr int openers = 6;
  std::vector<std::string> errors(openers);
  std::vector<std::thread> threads;
  for (int i = 0; i < openers; ++i)
    threads.emplace_back([&, i] {
      auto m = metastore::open(*uri);
      if (!m)
        errors[i] = m.error().message;
    });
  for (auto& t : threads)
    t.join();
  for (const auto& e : errors)
    CHECK_MESSAGE(e.empty(), e);
  auto m = open_ok(*uri);
  long long rows = 0;
  m.session() << "SELECT COUNT(*) FROM schema_migrations", soci::into(rows);
  CHECK(rows == static_cast<long long>(all_migrations().size()));
}

TEST_CASE("postgresql: lease semantics and manual mode") {
  auto uri = pg_uri();
  if (!uri)
    return;
  auto m = fresh(*uri);
  check_lease_semantics(m);
  check_manual_mode(m);
}

TEST_CASE("postgresql: api keys and secrets") {
  auto uri = pg_uri();
  if (!uri)
    return;
  auto m = fresh(*uri);
  check_api_keys(m);
  check_secrets(m);
}

TEST_CASE("postgresql: copy from SQLite and back") {
  auto uri = pg_uri();
  if (!uri)
    return;
  temp_dir dir;
  auto pg = fresh(*uri);
  auto source = open_ok(dir.sqlite_uri("source.db"));
  check_copy(source, pg);
  auto back = open_ok(dir.sqlite_uri("back.db"));
  // check_copy took the lease on pg after copying, so compare with pg.
  CHECK(ok(pg.copy_to(back)) == dump(pg).size());
  CHECK(dump(back) == dump(pg));
}

TEST_CASE("postgresql: two processes race 2000 rounds and never both hold the lease") {
  auto uri = pg_uri();
  if (!uri)
    return;
  drop_all_tables(*uri);
  { auto m = open_ok(*uri); } // migrate before forking; no session crosses fork()
  temp_dir dir;
  race_processes({*uri, 2, 2000}, dir);
}

TEST_CASE("postgresql: four threads with their own sessions race 500 rounds") {
  auto uri = pg_uri();
  if (!uri)
    return;
  fresh(*uri);
  race_threads({*uri, 4, 500});
}

} // TEST_SUITE
