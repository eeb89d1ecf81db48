#include "storage/unique_hashes.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <random>
#include <set>

using cairn::storage::unique_hashes;

TEST_CASE("unique_hashes keeps each value once, in first-insertion order, across growth") {
  unique_hashes set;
  std::mt19937_64 rng{42};
  std::vector<uint64_t> expected;
  std::set<uint64_t> seen;
  // Many repeats, colliding low bits (multiples of 4096) and the 0 sentinel.
  for (int i = 0; i < 20000; ++i) {
    uint64_t v = (i % 3 == 0) ? uint64_t(rng() % 500) * 4096 : rng() % 3000;
    set.insert(v);
    if (seen.insert(v).second)
      expected.push_back(v);
  }
  CHECK(set.values() == expected);
  CHECK(std::count(set.values().begin(), set.values().end(), uint64_t{0}) == 1);

  set.clear();
  CHECK(set.values().empty());
  set.insert(7);
  set.insert(0);
  set.insert(7);
  set.insert(0);
  CHECK(set.values() == std::vector<uint64_t>{7, 0});
}
