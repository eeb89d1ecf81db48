// Secret keys and encrypted secrets on SQLite.

#include "storage/meta/crypto.hpp"

#include <doctest/doctest.h>

#include "tests/storage/meta_checks.hpp"
#include "tests/storage/meta_fixture.hpp"

using namespace cairn::meta;
using namespace cairn::meta::test;

TEST_SUITE("storage.meta.secrets") {

TEST_CASE("secret keys are base64 of 32 random bytes") {
  auto text = ok(generate_secret_key());
  CHECK(text.size() == 44);
  auto key = ok(parse_secret_key(text));
  CHECK(format_secret_key(key) == text);
  CHECK(ok(generate_secret_key()) != text);
}

TEST_CASE("malformed secret keys are rejected") {
  for (auto bad : {"", "not base64!", "AAAA", /* 33 bytes: */
                   "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}) {
    auto r = parse_secret_key(bad);
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().code == errc::invalid_secret_key);
  }
}

TEST_CASE("sealed values open with the same key only") {
  auto key = ok(parse_secret_key(ok(generate_secret_key())));
  auto other = ok(parse_secret_key(ok(generate_secret_key())));
  auto sealed = ok(seal("value", key));
  CHECK(ok(open_sealed(sealed, key)) == "value");
  CHECK(open_sealed(sealed, other).error().code == errc::decryption_failed);
  auto tampered = sealed;
  tampered.ciphertext_b64[2] = tampered.ciphertext_b64[2] == 'A' ? 'B' : 'A';
  CHECK_FALSE(open_sealed(tampered, key).has_value());
  CHECK_FALSE(open_sealed({"%%", sealed.ciphertext_b64}, key).has_value());
}

TEST_CASE("secrets roundtrip through the metastore and fail with a wrong key") {
  temp_dir dir;
  auto m = open_ok(dir.sqlite_uri());
  check_secrets(m);
}

} // TEST_SUITE
