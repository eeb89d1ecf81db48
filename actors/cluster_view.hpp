#pragma once
/// The node's role as seen by the HTTP threads: written only by the node
/// actor on each change, read by the follower proxy and /health without a
/// message round trip. A small mutex-guarded snapshot; readers copy it out.
#include <mutex>
#include <string>

namespace cairn {

class cluster_view {
public:
  struct snapshot {
    bool acting_leader = false;
    bool follower = false;      ///< a leader is known and it is not us
    std::string leader_id;
    std::string leader_api_uri; ///< where followers proxy API requests
    int64_t epoch = 0;
  };

  snapshot get() const {
    std::lock_guard guard{mutex_};
    return value_;
  }

  void set(snapshot s) {
    std::lock_guard guard{mutex_};
    value_ = std::move(s);
  }

private:
  mutable std::mutex mutex_;
  snapshot value_;
};

} // namespace cairn
