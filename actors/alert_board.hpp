#pragma once
/// What the leader's alert actor knows beyond the metastore, for
/// /api/alerts and the UI: the last delivery error of each alert and the
/// most recent notifications sent. Written only by the alert actor, read by
/// HTTP threads (followers proxy /api/alerts to the leader, so the leader's
/// board is the one shown). In memory: a new leader starts with an empty
/// board. A small mutex-guarded structure; readers copy out.
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace cairn {

class alert_board {
public:
  /// A failed delivery attempt of an alert's pending notification.
  struct delivery_error {
    std::string error;
    int64_t at_ms = 0;
    unsigned attempts = 0;
  };

  /// One notification handed to its outputs (or given up).
  struct sent {
    std::string alert_id;
    std::string title;
    int64_t window_end_ms = 0;
    int64_t at_ms = 0;
    std::string outputs; ///< e.g. "webhook,email"
    std::string error;   ///< empty: delivered; else why it was given up
  };

  /// How many notifications recent() keeps.
  static constexpr size_t capacity = 100;

  void set_error(const std::string& alert_id, delivery_error e) {
    std::lock_guard guard{mutex_};
    errors_[alert_id] = std::move(e);
  }

  void clear_error(const std::string& alert_id) {
    std::lock_guard guard{mutex_};
    errors_.erase(alert_id);
  }

  std::optional<delivery_error> error_of(const std::string& alert_id) const {
    std::lock_guard guard{mutex_};
    auto it = errors_.find(alert_id);
    if (it == errors_.end())
      return std::nullopt;
    return it->second;
  }

  void add_sent(sent s) {
    std::lock_guard guard{mutex_};
    sent_.push_front(std::move(s));
    if (sent_.size() > capacity)
      sent_.pop_back();
  }

  /// Newest first.
  std::vector<sent> recent() const {
    std::lock_guard guard{mutex_};
    return {sent_.begin(), sent_.end()};
  }

private:
  mutable std::mutex mutex_;
  std::map<std::string, delivery_error> errors_;
  std::deque<sent> sent_;
};

} // namespace cairn
