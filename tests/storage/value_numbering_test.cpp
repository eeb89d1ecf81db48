// Tests for value_numbering: the recent front and the map number alike.
#include "storage/value_numbering.hpp"

#include <doctest/doctest.h>

#include <random>
#include <string>
#include <unordered_map>
#include <vector>

using namespace cairn::storage;

namespace {

struct numbering_fixture {
  std::vector<std::string> texts;

  /// Feeds `sequence` (indexes into texts) to a numbering and to a plain
  /// map; both must give every text the same number and "new" flag.
  template <size_t N>
  void check_against_map(value_numbering<N>& numbering, const std::vector<size_t>& sequence) {
    std::unordered_map<std::string, uint32_t> reference;
    for (size_t i : sequence) {
      auto [number, added] = numbering.number(texts[i]);
      auto [it, ref_added] = reference.try_emplace(texts[i], uint32_t(reference.size()));
      CAPTURE(i);
      CHECK(number == it->second);
      CHECK(added == ref_added);
    }
  }
};

} // namespace

TEST_SUITE("storage.value_numbering") {

TEST_CASE_FIXTURE(numbering_fixture, "numbers match a map's over repeats, runs and more texts than the front") {
  for (int i = 0; i < 200; ++i)
    texts.push_back(i % 3 ? "text " + std::to_string(i) : std::string(size_t(i), 'x')); // equal lengths too
  texts.push_back("");
  std::mt19937_64 rng{5};
  std::vector<size_t> sequence;
  for (int i = 0; i < 20000; ++i) {
    // Mostly a few hot texts, sometimes any of them, sometimes a run.
    size_t pick = rng() % 4 ? rng() % 6 : rng() % texts.size();
    for (uint64_t run = rng() % 8 == 0 ? rng() % 5 : 1; run > 0; --run)
      sequence.push_back(pick);
  }
  value_numbering<8> eight;
  check_against_map(eight, sequence);
  value_numbering<2> two;
  check_against_map(two, sequence);
  // clear() starts the numbering over.
  eight.clear();
  check_against_map(eight, sequence);
}

} // TEST_SUITE
