// metastore::copy_to between SQLite files.

#include <doctest/doctest.h>

#include "tests/storage/meta_checks.hpp"
#include "tests/storage/meta_fixture.hpp"

using namespace cairn::meta;
using namespace cairn::meta::test;

TEST_SUITE("storage.meta.copy") {

TEST_CASE("copy_to reproduces every table and replaces the target's rows") {
  temp_dir dir;
  auto source = open_ok(dir.sqlite_uri("source.db"));
  auto target = open_ok(dir.sqlite_uri("target.db"));
  check_copy(source, target);
}

TEST_CASE("copy_to of an empty store empties the target") {
  temp_dir dir;
  auto source = open_ok(dir.sqlite_uri("source.db"));
  auto target = open_ok(dir.sqlite_uri("target.db"));
  ok(target.set_setting("x", "y"));
  CHECK(ok(source.copy_to(target)) == 0);
  CHECK(ok(target.list_settings()).empty());
}

} // TEST_SUITE
