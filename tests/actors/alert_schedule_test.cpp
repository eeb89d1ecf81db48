#include "actors/alert_schedule.hpp"

#include <doctest/doctest.h>

using namespace cairn;

namespace {

/// An alert checked every 10 s over 30 s, created at t = 12 s.
struct fixture {
  int64_t interval = 10000;
  int64_t created = 12000;
  int64_t settle = 500;
};

} // namespace

TEST_SUITE("actors.alert_schedule") {

TEST_CASE_FIXTURE(fixture, "a new alert starts with the first aligned window after its creation") {
  CHECK(next_window_end(0, created, interval) == 20000);
  CHECK(next_window_end(0, 20000, interval) == 30000); // an end equal to creation is not after it
  CHECK(next_window_end(0, -5, interval) == 0);
}

TEST_CASE_FIXTURE(fixture, "no window is due before its end plus the settle time") {
  CHECK(due_windows(0, created, interval, 20499, settle, 10).empty());
  CHECK(due_windows(0, created, interval, 20500, settle, 10) == std::vector<int64_t>{20000});
}

TEST_CASE_FIXTURE(fixture, "a successor resumes right after the last decided window with no gap") {
  // The old leader decided 20 s and 30 s, then died; the new one runs at 71 s.
  auto due = due_windows(30000, created, interval, 71000, settle, 10);
  CHECK(due == std::vector<int64_t>{40000, 50000, 60000, 70000});
  // Windows already decided are never due again.
  CHECK(due_windows(70000, created, interval, 71000, settle, 10).empty());
}

TEST_CASE_FIXTURE(fixture, "catching up is bounded per round and continues in order") {
  auto first = due_windows(0, created, interval, 1000000, settle, 3);
  CHECK(first == std::vector<int64_t>{20000, 30000, 40000});
  auto next = due_windows(first.back(), created, interval, 1000000, settle, 2);
  CHECK(next == std::vector<int64_t>{50000, 60000});
}

TEST_CASE("a met condition fires and suppresses the following windows") {
  auto a = decide_window(true, 20000, 0, 0, 25000);
  CHECK(a.fire);
  CHECK(a.last_fired_ms == 20000);
  CHECK(a.suppressed_until_ms == 45000);
  auto b = decide_window(true, 30000, a.last_fired_ms, a.suppressed_until_ms, 25000);
  CHECK_FALSE(b.fire);
  CHECK(b.last_fired_ms == 20000);
  CHECK(b.suppressed_until_ms == 45000);
  CHECK(decide_window(true, 50000, 20000, 45000, 25000).fire);
}

TEST_CASE("an unmet condition never fires and keeps the state") {
  auto o = decide_window(false, 20000, 10000, 15000, 0);
  CHECK_FALSE(o.fire);
  CHECK(o.last_fired_ms == 10000);
  CHECK(o.suppressed_until_ms == 15000);
  CHECK(decide_window(true, 20000, 10000, 10000, 0).fire); // no suppression: every window
}

TEST_CASE("delivery retries back off exponentially up to a cap") {
  CHECK(retry_delay_ms(1, 200, 30000) == 200);
  CHECK(retry_delay_ms(2, 200, 30000) == 400);
  CHECK(retry_delay_ms(4, 200, 30000) == 1600);
  CHECK(retry_delay_ms(40, 200, 30000) == 30000);
}

} // TEST_SUITE
