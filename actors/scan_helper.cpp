#include "actors/scan_helper.hpp"

#include <deque>
#include <thread>

namespace cairn {

bool offered_share::try_run() {
  {
    std::lock_guard lock{mutex_};
    if (claimed_)
      return false;
    claimed_ = true;
  }
  work_();
  work_ = nullptr; // release what the work captured on the thread that ran it
  {
    std::lock_guard lock{mutex_};
    finished_ = true;
  }
  finished_cv_.notify_all();
  return true;
}

bool offered_share::withdraw() {
  std::lock_guard lock{mutex_};
  if (claimed_)
    return false;
  claimed_ = finished_ = true;
  return true;
}

void offered_share::wait() {
  std::unique_lock lock{mutex_};
  finished_cv_.wait(lock, [this] { return finished_; });
}

namespace {

class scan_helper {
public:
  scan_helper() : thread_([this] { loop(); }) {}

  ~scan_helper() {
    {
      std::lock_guard lock{mutex_};
      stop_ = true;
    }
    wake_.notify_one();
    thread_.join();
  }

  void offer(std::shared_ptr<offered_share> share) {
    {
      std::lock_guard lock{mutex_};
      offered_.push_back(std::move(share));
    }
    wake_.notify_one();
  }

private:
  void loop() {
    std::unique_lock lock{mutex_};
    for (;;) {
      wake_.wait(lock, [this] { return stop_ || !offered_.empty(); });
      if (offered_.empty())
        return; // stopping, nothing left
      auto share = std::move(offered_.front());
      offered_.pop_front();
      lock.unlock();
      // Shares their offering thread already ran are simply dropped.
      share->try_run();
      share.reset();
      lock.lock();
    }
  }

  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::shared_ptr<offered_share>> offered_;
  bool stop_ = false;
  std::thread thread_; ///< last: starts once the members above exist
};

} // namespace

void offer_to_scan_helper(std::shared_ptr<offered_share> share) {
  static scan_helper helper;
  helper.offer(std::move(share));
}

} // namespace cairn
