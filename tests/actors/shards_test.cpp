// Shard layout, placement planning and query assignment (actors/shards.hpp).
#include "actors/shards.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <bit>
#include <map>
#include <set>
#include <string>
#include <vector>

using namespace cairn;

TEST_SUITE("actors.shards") {

TEST_CASE("runs of 1024 consecutive ids go round-robin to the shards") {
  CHECK(shard_of(0, 16) == 0);
  CHECK(shard_of(1023, 16) == 0);
  CHECK(shard_of(1024, 16) == 1);
  CHECK(shard_of(16 * 1024, 16) == 0);
  // Epoch-prefixed ids ((epoch << 40) | counter) spread alike.
  uint64_t base = uint64_t{3} << 40;
  CHECK(shard_of(base + 5 * 1024, 16) == 5);
  CHECK(all_shards(16) == 0xffff);
  CHECK(all_shards(64) == ~uint64_t{0});
  CHECK(mask_holds(0b100, 2 * 1024 + 7, 16));
  CHECK_FALSE(mask_holds(0b100, 3 * 1024, 16));
}

TEST_CASE("an empty placement gets every shard on `replication` nodes, evenly") {
  auto plan = plan_missing_copies(16, 3, {}, {"a", "b", "c", "d"});
  CHECK(plan.size() == 48);
  std::map<std::string, int> per_node;
  std::map<unsigned, std::set<std::string>> per_shard;
  for (const auto& p : plan) {
    ++per_node[p.holder];
    CHECK(per_shard[p.shard].insert(p.holder).second); // never twice on one node
  }
  for (const auto& [node, n] : per_node)
    CHECK(n == 12);
  CHECK(per_shard.size() == 16);
}

TEST_CASE("a shard that lost a holder gets one new copy on the least loaded live node") {
  std::map<unsigned, std::vector<std::string>> placement{
    {0, {"a", "b"}}, {1, {"a", "c", "d"}}, {2, {"b", "c", "d"}}};
  auto plan = plan_missing_copies(3, 3, placement, {"a", "b", "c", "d"});
  REQUIRE(plan.size() == 1);
  CHECK(plan[0].shard == 0);
  // c and d hold 2 shards each, a and b are excluded (hold it): c (smaller id).
  CHECK(plan[0].holder == "c");
}

TEST_CASE("with too few live nodes shards stay under-replicated instead of doubling up") {
  std::map<unsigned, std::vector<std::string>> placement{{0, {"a"}}};
  auto plan = plan_missing_copies(1, 3, placement, {"a", "b"});
  REQUIRE(plan.size() == 1);
  CHECK(plan[0].holder == "b");
}

TEST_CASE("query shards go to live holders evenly, each exactly once") {
  // 4 nodes, 12 shards, 3 copies each: shard s lacks node (s % 4).
  const std::vector<std::string> all{"a", "b", "c", "d"};
  std::vector<std::vector<std::string>> holders(12);
  for (unsigned s = 0; s < 12; ++s)
    for (unsigned n = 0; n < 4; ++n)
      if (n != s % 4)
        holders[s].push_back(all[n]);
  auto a = assign_query_shards(12, holders, "a");
  shard_mask seen = 0;
  for (const auto& [node, mask] : a) {
    CHECK((seen & mask) == 0); // each shard exactly once
    seen |= mask;
    CHECK(std::popcount(mask) == 3);
    for (unsigned s = 0; s < 12; ++s)
      if ((mask >> s) & 1) // only on a node that holds it
        CHECK(std::find(holders[s].begin(), holders[s].end(), node) != holders[s].end());
  }
  CHECK(seen == all_shards(12));
  CHECK(a.size() == 4);
}

TEST_CASE("a shard without a live holder goes to the leader") {
  std::vector<std::vector<std::string>> holders{{}, {"b"}};
  auto a = assign_query_shards(2, holders, "a");
  CHECK(a["a"] == 0b01);
  CHECK(a["b"] == 0b10);
}

TEST_CASE("a position mask adds shards from a log position on") {
  position_mask m{0b01};
  CHECK(m.at(5) == 0b01);
  m.change(100, 0b11);
  CHECK(m.at(99) == 0b01);
  CHECK(m.at(100) == 0b11);
  CHECK(m.current() == 0b11);
  m.change(0, 0b10); // a full reset replaces the history
  CHECK(m.at(5) == 0b10);
  CHECK(m.at(500) == 0b10);
  CHECK_FALSE(m.holds_all(2));
  m.change(0, 0b11);
  CHECK(m.holds_all(2));
  m.change(10, 0b01);
  CHECK_FALSE(m.holds_all(2)); // not at every position
}


TEST_CASE("a batch's shards are the shards of the 1024-id chunks it spans") {
  CHECK(shards_of_range(0, 1024, 12) == 0b1);
  CHECK(shards_of_range(1000, 1030, 12) == 0b11);       // crosses one chunk boundary
  CHECK(shards_of_range(11 * 1024, 13 * 1024, 12) == 0b100000000001); // wraps to shard 0
  CHECK(shards_of_range(5, 5, 12) == 0);                // empty
  CHECK(shards_of_range(0, 12 * 1024, 12) == all_shards(12));
}

/// Four nodes, three holders per shard: the leader "L" holds shards 0 and 1,
/// not 2; "a" 0 and 2; "b" 1 and 2; "c" 0, 1 and 2.
struct quorum_fixture {
  shard_quorum q{3, {{"L", "hl", 0b011}, {"a", "ha", 0b101}, {"b", "hb", 0b110},
                     {"c", "hc", 0b111}}};
};

TEST_CASE_FIXTURE(quorum_fixture, "quorum needs a majority of each touched shard's holders") {
  REQUIRE_FALSE(q.empty());
  // Shard 0 (L, a, c): the leader and one more holder suffice.
  CHECK(q.short_of(0b001, {"L"}) == 0b001);
  CHECK(q.short_of(0b001, {"L", "a"}) == 0);
  // A follower that does not hold shard 0 does not count for it.
  CHECK(q.short_of(0b001, {"L", "b"}) == 0b001);
  // Shard 2 (a, b, c): the leader does not hold it and never counts.
  CHECK(q.short_of(0b100, {"L", "a"}) == 0b100);
  CHECK(q.short_of(0b100, {"L", "a", "b"}) == 0);
  // A batch spanning shards 0 and 2 needs both majorities.
  CHECK(q.short_of(0b101, {"L", "a"}) == 0b100);
  CHECK(q.short_of(0b101, {"L", "a", "c"}) == 0);
}

TEST_CASE_FIXTURE(quorum_fixture, "with every node holding every shard one follower ack is a quorum") {
  shard_quorum three{2, {{"L", "hl", 0b11}, {"a", "ha", 0b11}, {"b", "hb", 0b11}}};
  CHECK(three.short_of(0b11, {"L"}) == 0b11);
  CHECK(three.short_of(0b11, {"L", "b"}) == 0);
  CHECK(three.holders_of(1) == std::vector<std::string>{"L", "a", "b"});
  CHECK(q.mask_of("b") == 0b110);
  CHECK(q.mask_of("zz") == 0);
}

TEST_CASE("a replacement carrying a dead node's shard id is that replica, counted once") {
  // "d" died; "r" was started with its shard id "hd". Holders of shard 0:
  // hl, hd, hc (three), so two of them are needed.
  shard_quorum q{1, {{"L", "hl", 1}, {"d", "hd", 1}, {"r", "hd", 1}, {"c", "hc", 1}}};
  CHECK(q.short_of(1, {"L", "r"}) == 0);
  CHECK(q.short_of(1, {"d", "r"}) == 1); // one holder, whichever node speaks for it
}

TEST_CASE("no placement means no per-shard quorum; a shard without holders is never acknowledged") {
  CHECK(shard_quorum{}.empty());
  CHECK(shard_quorum{4, {{"L", "hl", 0}}}.empty());
  shard_quorum q{2, {{"L", "hl", 0b01}, {"a", "ha", 0b01}}};
  CHECK(q.short_of(0b10, {"L", "a"}) == 0b10);
}

}
