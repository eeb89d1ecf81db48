#include "storage/bloom.hpp"

#include <doctest/doctest.h>

#include <random>
#include <string>
#include <vector>

using namespace cairn::storage;

namespace {

/// Random texts over a byte mix that exercises the tokenizer and the
/// lowercasing edges: '@' and '[' (just outside A-Z), '`' and '{' (just
/// outside a-z), digits, UTF-8 lead/continuation bytes, separators.
struct text_fixture {
  std::mt19937_64 rng{20261123};
  std::string alphabet = std::string{"AZaz@[`{09/ .-_\"\\:"} + "\xc3\xa9\x80\xff\x7f\x01";

  std::string text(size_t n) {
    std::string s;
    for (size_t i = 0; i < n; ++i) {
      auto r = rng();
      s.push_back(r % 3 == 0 ? alphabet[(r >> 8) % alphabet.size()] : static_cast<char>((r >> 16) & 0xff));
    }
    return s;
  }
};

std::string lowercase(std::string s) {
  for (auto& c : s)
    if (c >= 'A' && c <= 'Z')
      c = static_cast<char>(c + 32);
  return s;
}

} // namespace

TEST_SUITE("storage.bloom") {

TEST_CASE_FIXTURE(text_fixture, "hash_lowercase equals hash_bytes of the lowercased bytes") {
  for (size_t n = 0; n < 70; ++n)
    for (int round = 0; round < 40; ++round) {
      auto s = text(n);
      CHECK(hash_lowercase(s) == hash_bytes(lowercase(s)));
    }
  // Every single byte value, alone and inside a word.
  for (int c = 0; c < 256; ++c) {
    std::string one(1, static_cast<char>(c));
    CHECK(hash_lowercase(one) == hash_bytes(lowercase(one)));
    std::string word = "abcDEFg" + one + "HIJklmNOPq";
    CHECK(hash_lowercase(word) == hash_bytes(lowercase(word)));
  }
}

TEST_CASE_FIXTURE(text_fixture, "for_each_token_hash yields the hashes of for_each_token's tokens") {
  std::string scratch;
  for (size_t n : {0, 1, 7, 8, 9, 31, 200, 4000}) {
    auto s = text(n);
    std::vector<uint64_t> want, got;
    for_each_token(s, scratch, [&](std::string_view t) { want.push_back(hash_bytes(t)); });
    for_each_token_hash(s, [&](uint64_t h) { got.push_back(h); });
    CHECK(got == want);
  }
  // Tokens ending at every distance from the end of the text: the hash reads
  // 8 bytes past a token's tail only when the text has them.
  for (size_t n = 0; n < 70; ++n)
    for (int round = 0; round < 20; ++round) {
      auto s = text(n);
      std::vector<uint64_t> want, got;
      for_each_token(s, scratch, [&](std::string_view t) { want.push_back(hash_bytes(t)); });
      for_each_token_hash(s, [&](uint64_t h) { got.push_back(h); });
      CHECK(got == want);
    }
  std::vector<uint64_t> got;
  for_each_token_hash("GET /api/Orders/42", [&](uint64_t h) { got.push_back(h); });
  CHECK(got == std::vector<uint64_t>{hash_bytes("get"), hash_bytes("api"), hash_bytes("orders"), hash_bytes("42")});
}

}
