#pragma once

// Lease race harness: several participants, each with its OWN metastore
// session (thread or forked process), hammer one lease; afterwards the
// records prove mutual exclusion and fencing.
//
// Each participant loops `rounds` times: read the clock (CLOCK_MONOTONIC in
// microseconds, shared by all processes), call try_acquire_or_renew with a
// short lease, and record every win with the clock before and after the
// call. Every `release_every` wins it releases the lease (recording the
// clock BEFORE releasing: the holder stops acting as leader first) and
// sits out a few rounds so the others can take over.
//
// Verification (see verify_race):
//  - every epoch has exactly one holder;
//  - epochs won form a contiguous range 1..N (no acquisition unaccounted);
//  - each participant sees its epochs never decrease;
//  - validity intervals of consecutive epochs do not overlap: epoch e+1
//    starts (its first win returned) after epoch e ended (its last granted
//    expiry, or its release if earlier);
//  - the lease changed hands at least once and every participant won.

#include <doctest/doctest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <map>
#include <thread>
#include <vector>

#include "storage/meta/metastore.hpp"
#include "tests/storage/meta_fixture.hpp"

namespace cairn::meta::test {

/// One event seen by a participant.
struct race_record {
  int64_t kind;    ///< 0 = win, 1 = release
  int64_t epoch;   ///< epoch of the lease won/released
  int64_t before;  ///< clock before the call (the `now` passed for wins)
  int64_t after;   ///< clock after the call returned
  int64_t expires; ///< granted expiry (wins only)
};

/// Parameters of one race.
struct race_config {
  std::string uri;
  int participants = 2;
  int rounds = 2000;
  int64_t lease_us = 3000;
  int release_every = 15;
};

inline int64_t race_clock_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
           std::chrono::steady_clock::now().time_since_epoch())
           .count()
         + 1'000'000; // keep now > 0 even right after boot
}

/// Runs one participant; returns false (with a message on stderr) on a DB error.
inline bool race_participant(const race_config& cfg, int index,
                             std::vector<race_record>& out) {
  auto m = metastore::open(cfg.uri);
  if (!m) {
    std::fprintf(stderr, "participant %d: %s\n", index, m.error().message.c_str());
    return false;
  }
  const std::string me = "node-" + std::to_string(index);
  int wins_since_release = 0;
  int sit_out = 0;
  for (int round = 0; round < cfg.rounds; ++round) {
    if (sit_out > 0) {
      --sit_out;
      std::this_thread::sleep_for(std::chrono::microseconds(200));
      continue;
    }
    auto before = race_clock_us();
    auto r = m->try_acquire_or_renew("race", me, before, cfg.lease_us);
    auto after = race_clock_us();
    if (!r) {
      std::fprintf(stderr, "participant %d: %s\n", index, r.error().message.c_str());
      return false;
    }
    if (!r->has_value())
      continue;
    out.push_back({0, (*r)->epoch, before, after, (*r)->expires_at_ms});
    if (++wins_since_release >= cfg.release_every) {
      wins_since_release = 0;
      auto t = race_clock_us();
      auto released = m->release("race", me);
      if (!released) {
        std::fprintf(stderr, "participant %d: %s\n", index,
                     released.error().message.c_str());
        return false;
      }
      if (*released)
        out.push_back({1, (*r)->epoch, t, race_clock_us(), 0});
      sit_out = 3;
    }
  }
  return true;
}

/// Checks the invariants listed in the file comment.
inline void verify_race(const std::vector<std::vector<race_record>>& per_participant) {
  struct epoch_info {
    int holder = -1;
    int64_t start = 0; // first win's `after`
    int64_t end = 0;   // last granted expiry, capped by release
    bool released = false;
  };
  std::map<int64_t, epoch_info> epochs;
  size_t total_wins = 0;
  for (size_t p = 0; p < per_participant.size(); ++p) {
    int64_t last_epoch = 0;
    size_t wins = 0;
    for (const auto& r : per_participant[p]) {
      CHECK(r.epoch >= last_epoch);
      last_epoch = r.epoch;
      auto [it, fresh] = epochs.try_emplace(r.epoch);
      auto& e = it->second;
      if (fresh)
        e.holder = static_cast<int>(p);
      REQUIRE_MESSAGE(e.holder == static_cast<int>(p),
                      "epoch " << r.epoch << " held by " << e.holder << " and " << p);
      if (r.kind == 0) {
        ++wins;
        CHECK_FALSE(e.released); // no win after release within an epoch
        if (e.start == 0)
          e.start = r.after;
        e.end = std::max(e.end, r.expires);
      } else {
        e.released = true;
        e.end = std::min(e.end, r.before);
      }
    }
    CHECK_MESSAGE(wins > 0, "participant " << p << " never won");
    total_wins += wins;
  }
  REQUIRE_FALSE(epochs.empty());
  CHECK(epochs.begin()->first == 1);
  CHECK(epochs.rbegin()->first == static_cast<int64_t>(epochs.size()));
  int64_t overlaps = 0;
  int64_t handovers = 0;
  for (auto it = epochs.begin(); std::next(it) != epochs.end(); ++it) {
    auto next = std::next(it);
    if (next->second.start <= it->second.end)
      ++overlaps;
    if (next->second.holder != it->second.holder)
      ++handovers;
  }
  CHECK(overlaps == 0);
  CHECK(handovers > 0);
  MESSAGE("race: " << total_wins << " wins, " << epochs.size() << " epochs, " << handovers
                   << " handovers");
}

/// Race with one thread (and session) per participant.
inline void race_threads(const race_config& cfg) {
  std::vector<std::vector<race_record>> records(cfg.participants);
  std::vector<char> good(cfg.participants, 0);
  std::vector<std::thread> threads;
  for (int i = 0; i < cfg.participants; ++i)
    threads.emplace_back([&, i] { good[i] = race_participant(cfg, i, records[i]); });
  for (auto& t : threads)
    t.join();
  for (int i = 0; i < cfg.participants; ++i)
    REQUIRE_MESSAGE(good[i], "participant " << i << " hit a database error");
  verify_race(records);
}

/// Race with one forked process per participant; records travel via files.
inline void race_processes(const race_config& cfg, const temp_dir& dir) {
  std::vector<pid_t> pids;
  for (int i = 0; i < cfg.participants; ++i) {
    pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
      // Child: no doctest macros here, only the exit code reports.
      int code = 3;
      try {
        std::vector<race_record> out;
        code = race_participant(cfg, i, out) ? 0 : 2;
        auto path = dir.path / ("race-" + std::to_string(i) + ".bin");
        std::ofstream f(path, std::ios::binary);
        f.write(reinterpret_cast<const char*>(out.data()),
                static_cast<std::streamsize>(out.size() * sizeof(race_record)));
        if (!f)
          code = 4;
      } catch (...) {
        code = 5;
      }
      ::_exit(code);
    }
    pids.push_back(pid);
  }
  for (size_t i = 0; i < pids.size(); ++i) {
    int status = 0;
    REQUIRE(::waitpid(pids[i], &status, 0) == pids[i]);
    REQUIRE_MESSAGE((WIFEXITED(status) && WEXITSTATUS(status) == 0),
                    "participant " << i << " failed, status " << status);
  }
  std::vector<std::vector<race_record>> records(cfg.participants);
  for (int i = 0; i < cfg.participants; ++i) {
    std::ifstream f(dir.path / ("race-" + std::to_string(i) + ".bin"), std::ios::binary);
    race_record r;
    while (f.read(reinterpret_cast<char*>(&r), sizeof r))
      records[i].push_back(r);
  }
  verify_race(records);
}

} // namespace cairn::meta::test
