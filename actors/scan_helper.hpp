#pragma once
/// A long-lived thread that lends a hand with query scans: a query splits
/// its blocks in two shares, offers the second here and runs the first
/// itself; whichever thread gets to the offered share first runs it.
///
/// Why not a std::thread per query: each new thread got a malloc arena slot,
/// a fresh thread cache and stack, and faulted its decode buffers in again;
/// under a query a second, that churn cost CPU and left the leader's
/// anonymous RSS creeping (bench/sustained/README.md). Why not the query
/// pool: a pool thread waiting for a share queued behind other queries could
/// wait for ever; here the offering thread never waits for a share nobody
/// has started.
///
/// Lifecycle: one per process, started on first use, joined at exit.
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>

namespace cairn {

/// One share of work, offered to the helper and run by at most one thread.
/// The work must not throw (keep a failure for the offering thread).
class offered_share {
public:
  explicit offered_share(std::function<void()> work) : work_(std::move(work)) {}

  /// Runs the work here unless another thread claimed it. Returns false if it
  /// was claimed elsewhere (then wait() for it).
  bool try_run();
  /// Claims the share without running it (its offering thread failed and
  /// needs no result). Returns false if another thread claimed it first.
  bool withdraw();
  /// Blocks until the thread that claimed the share has finished it.
  void wait();

private:
  std::function<void()> work_;
  std::mutex mutex_;
  std::condition_variable finished_cv_;
  bool claimed_ = false;
  bool finished_ = false;
};

/// Offers `share` to the helper thread. Before any state the work refers
/// to goes away the caller must claim it (try_run() or withdraw()) and, if
/// the helper claimed it first, wait() for it.
void offer_to_scan_helper(std::shared_ptr<offered_share> share);

} // namespace cairn
