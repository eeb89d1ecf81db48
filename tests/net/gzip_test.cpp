// Tests for gunzip: round trips, concatenated members, the size cap and
// corrupt input.
#include <doctest/doctest.h>

#include <string>

#include <zlib.h>

#include "net/decode/gzip.hpp"

using namespace cairn::decode;

namespace {

std::string gzip(const std::string& in, int window_bits = 15 + 16) {
  z_stream zs{};
  REQUIRE(deflateInit2(&zs, 6, Z_DEFLATED, window_bits, 8, Z_DEFAULT_STRATEGY) == Z_OK);
  std::string out(deflateBound(&zs, in.size()) + 32, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = static_cast<uInt>(in.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  REQUIRE(deflate(&zs, Z_FINISH) == Z_STREAM_END);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

std::string sample(size_t n) {
  std::string s;
  for (size_t i = 0; s.size() < n; ++i)
    s += "{\"@t\":\"2024-01-01T00:00:00Z\",\"n\":" + std::to_string(i) + "}\n";
  s.resize(n);
  return s;
}

} // namespace

TEST_SUITE("net.gzip") {

TEST_CASE("gzip and zlib bodies inflate to the original bytes") {
  for (size_t n : {size_t(1), size_t(100), size_t(5000), size_t(3'000'000)}) {
    auto plain = sample(n);
    std::string out;
    gunzip_error kind;
    CHECK_FALSE(gunzip(gzip(plain), out, 10 << 20, &kind));
    CHECK(kind == gunzip_error::none);
    CHECK(out == plain);
    CHECK_FALSE(gunzip(gzip(plain, 15), out, 10 << 20));
    CHECK(out == plain);
  }
}

TEST_CASE("concatenated gzip members are all inflated") {
  std::string out;
  CHECK_FALSE(gunzip(gzip("first\n") + gzip("second\n"), out, 1000));
  CHECK(out == "first\nsecond\n");
}

TEST_CASE("an empty body stays empty") {
  std::string out = "stale";
  CHECK_FALSE(gunzip("", out, 10));
  CHECK(out.empty());
}

TEST_CASE("output over the cap is a size error, exactly at the cap is fine") {
  auto plain = sample(100'000);
  auto packed = gzip(plain);
  std::string out;
  gunzip_error kind = gunzip_error::none;
  auto err = gunzip(packed, out, 99'999, &kind);
  REQUIRE(err);
  CHECK(*err == "body exceeds 99999 bytes");
  CHECK(kind == gunzip_error::too_large);
  CHECK_FALSE(gunzip(packed, out, 100'000, &kind));
  CHECK(out.size() == 100'000);
  // A zip bomb: 50 MB of zeros in ~50 KB.
  auto bomb = gzip(std::string(50'000'000, '\0'));
  CHECK(gunzip(bomb, out, 10 << 20, &kind));
  CHECK(kind == gunzip_error::too_large);
}

TEST_CASE("corrupt and truncated data are rejected as corrupt") {
  auto packed = gzip(sample(10'000));
  const std::string cases[] = {
    "plain text, not gzip",
    packed.substr(0, packed.size() / 2),
    packed.substr(0, 5),
    [&] { auto s = packed; s[s.size() / 2] ^= 0x55; s[s.size() / 2 + 1] ^= 0x55; return s; }(),
  };
  for (const auto& c : cases) {
    std::string out;
    gunzip_error kind = gunzip_error::none;
    auto err = gunzip(c, out, 10 << 20, &kind);
    REQUIRE(err);
    CHECK(err->rfind("invalid gzip body", 0) == 0);
    CHECK(kind == gunzip_error::corrupt);
  }
}

} // TEST_SUITE
