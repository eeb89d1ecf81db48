// Leader lease on SQLite: semantics table, manual mode, races.

#include <doctest/doctest.h>

#include "tests/storage/meta_checks.hpp"
#include "tests/storage/meta_fixture.hpp"
#include "tests/storage/meta_race.hpp"

using namespace cairn::meta;
using namespace cairn::meta::test;

namespace {

struct fixture {
  temp_dir dir;
  metastore m = open_ok(dir.sqlite_uri());
};

} // namespace

TEST_SUITE("storage.meta.lease") {

TEST_CASE_FIXTURE(fixture, "lease: free, held, expired, renewed, released") {
  check_lease_semantics(m);
}

TEST_CASE_FIXTURE(fixture, "manual leadership holds until demoted") {
  check_manual_mode(m);
}

TEST_CASE_FIXTURE(fixture, "two sessions see the same lease") {
  auto other = open_ok(dir.sqlite_uri());
  REQUIRE(ok(m.try_acquire_or_renew("l", "a", 100, 50)).has_value());
  CHECK_FALSE(ok(other.try_acquire_or_renew("l", "b", 120, 50)).has_value());
  auto b = ok(other.try_acquire_or_renew("l", "b", 151, 50));
  REQUIRE(b.has_value());
  CHECK(b->epoch == 2);
  CHECK(ok(m.current_lease("l"))->holder == "b");
}

TEST_CASE_FIXTURE(fixture, "two threads with their own sessions race 1000 rounds safely") {
  race_threads({dir.sqlite_uri(), 2, 1000});
}

TEST_CASE_FIXTURE(fixture, "two processes race 1000 rounds on one SQLite file safely") {
  race_processes({dir.sqlite_uri(), 2, 1000}, dir);
}

} // TEST_SUITE
