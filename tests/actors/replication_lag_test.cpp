// The leader's lag arithmetic: batches and seconds a follower is behind.
#include "actors/replication_lag.hpp"

#include <doctest/doctest.h>

using namespace cairn;

namespace {

struct lag_fixture {
  commit_log log;

  /// Three batches: ids 1..10 at t=100, 11..15 at t=200, 16..30 at t=300 (ns).
  lag_fixture() {
    log.add(1, 11, 100);
    log.add(11, 16, 200);
    log.add(16, 31, 300);
  }
};

} // namespace

TEST_SUITE("actors.replication_lag") {

TEST_CASE_FIXTURE(lag_fixture, "a follower that acknowledged everything is not behind") {
  auto b = log.behind_of(31);
  CHECK(b.batches == 0);
  CHECK(b.oldest_unix_ns == 0);
  CHECK(follower_lag{"b", 31, b.batches, b.oldest_unix_ns}.seconds(10'000'000'000) == 0.0);
}

TEST_CASE_FIXTURE(lag_fixture, "a follower inside a batch counts that batch and its age") {
  auto b = log.behind_of(12); // holds 1..11: the second batch is partly missing
  CHECK(b.batches == 2);
  CHECK(b.oldest_unix_ns == 200);
  auto none = log.behind_of(1);
  CHECK(none.batches == 3);
  CHECK(none.oldest_unix_ns == 100);
}

TEST_CASE_FIXTURE(lag_fixture, "seconds behind grow with the reader's clock") {
  follower_lag lag{"b", 11, 2, 1'000'000'000};
  CHECK(lag.seconds(3'500'000'000) == doctest::Approx(2.5));
  CHECK(lag.seconds(500'000'000) == 0.0); // clock before the commit: never negative
}

TEST_CASE_FIXTURE(lag_fixture, "trimming drops only batches every follower holds") {
  log.trim_below(16);
  CHECK(log.size() == 1);
  CHECK(log.behind_of(16).batches == 1);
  CHECK(log.behind_of(16).oldest_unix_ns == 300);
}

TEST_CASE("the commit log keeps at most its capacity, newest last") {
  commit_log small{2};
  small.add(1, 2, 10);
  small.add(2, 3, 20);
  small.add(3, 4, 30);
  CHECK(small.size() == 2);
  CHECK(small.behind_of(0).batches == 2);
  CHECK(small.behind_of(0).oldest_unix_ns == 20);
}

TEST_CASE("the metrics text labels each follower by name") {
  auto& table = replication_lag::instance();
  table.clear();
  table.set_names({{"id-b", "b"}});
  table.set(follower_lag{"id-b", 5, 3, 1'000'000'000});
  table.set(follower_lag{"id-c", 9, 0, 0});
  std::string out;
  table.render(out, 4'000'000'000);
  CHECK(out.find("cairn_replication_lag_batches{node=\"b\"} 3\n") != std::string::npos);
  CHECK(out.find("cairn_replication_lag_seconds{node=\"b\"} 3.000\n") != std::string::npos);
  // No name known: the id stands in.
  CHECK(out.find("cairn_replication_lag_batches{node=\"id-c\"} 0\n") != std::string::npos);
  CHECK(out.find("cairn_replication_lag_seconds{node=\"id-c\"} 0.000\n") != std::string::npos);
  table.clear();
}

}
