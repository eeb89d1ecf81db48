#include "actors/scan_helper.hpp"

#include <doctest/doctest.h>

#include <atomic>
#include <memory>
#include <thread>
#include <vector>

using namespace cairn;

TEST_CASE("every offered share runs exactly once, on the helper or on its offering thread") {
  constexpr int shares = 500;
  std::vector<std::atomic<int>> runs(shares);
  std::atomic<int> on_caller{0};
  const auto caller = std::this_thread::get_id();
  std::vector<std::shared_ptr<offered_share>> offered;
  for (int i = 0; i < shares; ++i) {
    offered.push_back(std::make_shared<offered_share>([&, i] {
      runs[i]++;
      if (std::this_thread::get_id() == caller)
        on_caller++;
    }));
    offer_to_scan_helper(offered.back());
  }
  for (auto& o : offered)
    if (!o->try_run())
      o->wait();
  // All finished by now: each counter is final.
  for (int i = 0; i < shares; ++i)
    CHECK(runs[i].load() == 1);
  MESSAGE(on_caller.load() << " of " << shares << " shares ran on the offering thread");
}

TEST_CASE("a withdrawn share never runs; one the helper claimed first is finished before wait returns") {
  for (int round = 0; round < 200; ++round) {
    std::atomic<bool> ran{false};
    auto share = std::make_shared<offered_share>([&] {
      std::this_thread::yield();
      ran = true;
    });
    offer_to_scan_helper(share);
    if (share->withdraw()) {
      share->wait(); // returns at once for a withdrawn share
      // The helper may still pop it later: it must find it claimed.
      CHECK_FALSE(ran.load());
    } else {
      share->wait();
      CHECK(ran.load());
    }
  }
  // Shares withdrawn above are still queued or being dropped by the helper;
  // one more that the helper must run proves it got past them without
  // running any.
  std::atomic<bool> last{false};
  auto probe = std::make_shared<offered_share>([&] { last = true; });
  offer_to_scan_helper(probe);
  probe->wait();
  CHECK(last.load());
}
