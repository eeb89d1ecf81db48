#include "net/commit_deadline.hpp"

#include "actors/metrics.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <string>

namespace cairn::net {

void commit_deadline_watch::watch(const commit_waiter_ptr& waiter, clock::time_point now) {
  std::lock_guard guard{mutex_};
  waiting_.emplace_back(now + timeout_, waiter);
}

size_t commit_deadline_watch::sweep(clock::time_point now) {
  std::vector<commit_waiter_ptr> due;
  bool stalled;
  {
    std::lock_guard guard{mutex_};
    // Answered requests leave from the front as it reaches them: the queue
    // holds about one sweep period of traffic.
    while (!waiting_.empty()) {
      auto& [deadline, weak] = waiting_.front();
      auto waiter = weak.lock();
      if (waiter && !waiter->answered()) {
        if (deadline > now)
          break;
        due.push_back(std::move(waiter));
      }
      waiting_.pop_front();
    }
    std::erase_if(timed_out_, [](const std::weak_ptr<commit_waiter>& weak) {
      auto waiter = weak.lock();
      return !waiter || waiter->settled();
    });
    // Answered outside the lock (the callbacks post to sessions' strands).
    for (auto& waiter : due)
      timed_out_.push_back(waiter);
    stalled = !timed_out_.empty();
  }
  commit_result r;
  r.http_status = 503;
  r.error = "the commit of this batch did not finish within ingest.commitTimeoutMs (" +
            std::to_string(timeout_.count()) +
            " ms): the storage is stalled; the batch may still be stored when it recovers";
  size_t answered = 0;
  for (auto& waiter : due)
    answered += waiter->expire(r);
  if (answered) {
    metrics::instance().ingest_commit_timeouts += answered;
    spdlog::warn("ingest: {} request(s) answered 503 after waiting {} ms for their commit (storage stalled?)",
                 answered, timeout_.count());
  }
  metrics::instance().ingest_stalled = stalled ? 1 : 0;
  if (stalled != stalled_.exchange(stalled)) {
    if (stalled)
      spdlog::error("ingest: commits stalled for over {} ms; new ingest requests get 503 until they finish",
                    timeout_.count());
    else
      spdlog::info("ingest: the stalled commits finished; ingest accepted again");
  }
  return answered;
}

void commit_deadline_watch::start(boost::asio::io_context& ioc, std::chrono::milliseconds period) {
  timer_ = std::make_unique<boost::asio::steady_timer>(ioc);
  period_ = period;
  arm();
}

void commit_deadline_watch::arm() {
  timer_->expires_after(period_);
  timer_->async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
    if (ec)
      return;
    self->sweep();
    self->arm();
  });
}

} // namespace cairn::net
