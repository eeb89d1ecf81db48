#pragma once
/// Bounds how long an ingest request waits for its commit
/// (`ingest.commitTimeoutMs`). The committer answers a request once its
/// group is durable; when the storage stalls (a hung fsync: a frozen or
/// failing disk, a lost network filesystem) the committer's thread sits in
/// the kernel and nothing else would answer, so clients hung until their own
/// timeouts. This watch answers each request still waiting after the
/// timeout with 503 + Retry-After. The batch may yet be stored when the
/// storage comes back, so a client's retry can duplicate events but never
/// lose one: a 201 still means durable.
///
/// While a commit it timed out has not reached the committer's answer, the
/// storage counts as stalled: new requests get their 503 at once instead of
/// piling up in the committer's mailbox behind the stuck commit.
///
/// Thread-safe: I/O threads add waiters; a timer on the I/O context sweeps.
#include "actors/commit_waiter.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <atomic>
#include <chrono>
#include <deque>
#include <memory>
#include <mutex>
#include <utility>
#include <vector>

namespace cairn::net {

class commit_deadline_watch : public std::enable_shared_from_this<commit_deadline_watch> {
public:
  using clock = std::chrono::steady_clock;

  explicit commit_deadline_watch(std::chrono::milliseconds timeout) : timeout_(timeout) {}

  /// Starts the deadline of a request just handed to the committer.
  void watch(const commit_waiter_ptr& waiter, clock::time_point now = clock::now());

  /// Answers (503) every request waiting past its deadline and refreshes
  /// stalled(). Returns how many it answered.
  size_t sweep(clock::time_point now = clock::now());

  /// True while a commit this watch timed out is still unfinished.
  bool stalled() const noexcept { return stalled_.load(std::memory_order_relaxed); }

  /// Sweeps every `period` on `ioc` until the context stops.
  void start(boost::asio::io_context& ioc, std::chrono::milliseconds period);

private:
  void arm();

  std::chrono::milliseconds timeout_;
  std::unique_ptr<boost::asio::steady_timer> timer_;
  std::chrono::milliseconds period_{};
  std::mutex mutex_;
  /// Requests in the order handed over: their deadlines only grow.
  std::deque<std::pair<clock::time_point, std::weak_ptr<commit_waiter>>> waiting_;
  /// Answered here, not yet settled by the committer.
  std::vector<std::weak_ptr<commit_waiter>> timed_out_;
  std::atomic<bool> stalled_{false};
};

} // namespace cairn::net
