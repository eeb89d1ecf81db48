// API keys and permission sets on SQLite.

#include "storage/meta/api_key.hpp"

#include <doctest/doctest.h>

#include "tests/storage/meta_checks.hpp"
#include "tests/storage/meta_fixture.hpp"

using namespace cairn::meta;
using namespace cairn::meta::test;

TEST_SUITE("storage.meta.api_keys") {

TEST_CASE("permission sets format and parse") {
  CHECK(to_string(permission_set{}) == "");
  CHECK(to_string({permission::setup, permission::ingest}) == "Ingest,Setup");
  CHECK(parse_permissions("ingest, READ,Write") 
        == permission_set{permission::ingest, permission::read, permission::write});
  CHECK(parse_permissions("") == permission_set{});
  CHECK_FALSE(parse_permissions("Ingest,Admin").has_value());
}

TEST_CASE("tokens are 43 base62 characters and differ every time") {
  std::set<std::string> seen;
  for (int i = 0; i < 100; ++i) {
    auto t = ok(generate_api_token());
    CHECK(t.size() == 43);
    seen.insert(t);
  }
  CHECK(seen.size() == 100);
  CHECK(hash_token("abc") != hash_token("abd"));
  CHECK(hash_token("abc") == hash_token("abc"));
}

TEST_CASE("api keys are created, authenticated, listed and removed; tokens not stored") {
  temp_dir dir;
  auto m = open_ok(dir.sqlite_uri());
  check_api_keys(m);
}

} // TEST_SUITE
