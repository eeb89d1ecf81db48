#pragma once
/// The notifications active right now, as the leader's notifier last
/// decided them, for GET /api/cluster (the "Notifications" list of the
/// leader's entry). Process-wide like replication_lag::instance(): written
/// by the notifier actor, read by HTTP threads; a mutex guards a handful of
/// entries and readers copy out. Emptied when this node stops leading.
#include "actors/notification_checks.hpp"

#include <mutex>
#include <vector>

namespace cairn {

class notification_board {
public:
  /// The process-wide board.
  static notification_board& instance() {
    static notification_board board;
    return board;
  }

  /// Replaces the active set.
  void set(std::vector<notification> active) {
    std::lock_guard guard{mutex_};
    active_ = std::move(active);
  }

  /// A copy of the active set.
  std::vector<notification> active() const {
    std::lock_guard guard{mutex_};
    return active_;
  }

private:
  mutable std::mutex mutex_;
  std::vector<notification> active_;
};

} // namespace cairn
