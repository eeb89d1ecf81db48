#include "net/commit_deadline.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <memory>
#include <vector>

using namespace cairn;
using namespace std::chrono_literals;

namespace {

/// A waiter recording the statuses it was answered with (0 = success).
commit_waiter_ptr recording_waiter(std::shared_ptr<std::vector<int>> got) {
  return std::make_shared<commit_waiter>([got](const commit_result& r) { got->push_back(r.ok ? 0 : r.http_status); });
}

commit_result success() {
  commit_result r;
  r.ok = true;
  return r;
}

} // namespace

TEST_CASE("a request whose commit outlasts the timeout gets one 503, and the watch reports a stall until it settles") {
  auto watch = std::make_shared<net::commit_deadline_watch>(100ms);
  auto t0 = net::commit_deadline_watch::clock::now();
  auto got = std::make_shared<std::vector<int>>();
  auto stuck = recording_waiter(got);
  watch->watch(stuck, t0);

  CHECK(watch->sweep(t0 + 99ms) == 0);
  CHECK(got->empty());
  CHECK_FALSE(watch->stalled());

  CHECK(watch->sweep(t0 + 100ms) == 1);
  REQUIRE(got->size() == 1);
  CHECK(got->front() == 503);
  CHECK(watch->stalled());

  // Still stuck on the next sweep: nothing answered twice, still stalled.
  CHECK(watch->sweep(t0 + 500ms) == 0);
  CHECK(watch->stalled());

  // The commit finishes: the committer's answer is not delivered again, and
  // the stall clears on the next sweep.
  stuck->answer(success());
  CHECK(got->size() == 1);
  CHECK(stuck->settled());
  CHECK(watch->sweep(t0 + 600ms) == 0);
  CHECK_FALSE(watch->stalled());
}

TEST_CASE("requests answered in time are never expired, and a dropped waiter clears the stall") {
  auto watch = std::make_shared<net::commit_deadline_watch>(50ms);
  auto t0 = net::commit_deadline_watch::clock::now();
  auto got = std::make_shared<std::vector<int>>();
  auto fast = recording_waiter(got);
  auto slow = recording_waiter(got);
  watch->watch(fast, t0);
  watch->watch(slow, t0 + 10ms);
  fast->answer(success());
  REQUIRE(*got == std::vector<int>{0});

  // At t0+55ms only `slow` (deadline t0+60ms) is still waiting.
  CHECK(watch->sweep(t0 + 55ms) == 0);
  CHECK(watch->sweep(t0 + 60ms) == 1);
  CHECK(*got == std::vector<int>{0, 503});
  CHECK(watch->stalled());

  // The committer goes away without settling it (its destructor must not
  // answer again either).
  slow.reset();
  CHECK(got->size() == 2);
  CHECK(watch->sweep(t0 + 70ms) == 0);
  CHECK_FALSE(watch->stalled());
}

TEST_CASE("an answered-but-still-held waiter at its deadline is neither expired nor a stall") {
  auto watch = std::make_shared<net::commit_deadline_watch>(20ms);
  auto t0 = net::commit_deadline_watch::clock::now();
  auto got = std::make_shared<std::vector<int>>();
  auto held = recording_waiter(got); // e.g. kept by a quorum replication in flight
  watch->watch(held, t0);
  held->answer(success());
  CHECK(watch->sweep(t0 + 1s) == 0);
  CHECK(*got == std::vector<int>{0});
  CHECK_FALSE(watch->stalled());
}
