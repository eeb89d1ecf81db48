#pragma once
/// Replication lag per follower, as the leader sees it (issue 5 item 1).
///
/// The committer records every batch it commits (log position range and
/// commit time) in a `commit_log` and every follower's acknowledged position
/// (its next id, from `ack` answers, applied or gap). From the two:
///   batches behind = leader's committed batches whose ids the follower has
///                    not acknowledged;
///   seconds behind = age of the oldest such batch (0 when caught up).
/// Seconds are computed when read, so a follower that stops answering
/// (SIGSTOP, partition) shows a growing lag without any new message.
///
/// `replication_lag::instance()` is the process-wide table the committer
/// writes and the HTTP threads (/api/cluster, /metrics) read; it is small
/// (one row per follower) and guarded by a mutex. Only the acting leader
/// has rows: the committer clears the table when it stops leading.
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace cairn {

/// The leader's recent commits, oldest first, for lag arithmetic.
/// Bounded: beyond `capacity` batches the oldest are dropped, so a follower
/// further behind than that reports `capacity` batches (a lower bound).
class commit_log {
public:
  explicit commit_log(size_t capacity = 200000) : capacity_(capacity) {}

  /// One committed batch: ids [first_id, end_id) at unix time `unix_ns`.
  void add(uint64_t first_id, uint64_t end_id, int64_t unix_ns);

  /// Batches with ids at or past `acked_next` and the commit time of the
  /// oldest of them (0 if none).
  struct behind {
    uint64_t batches = 0;
    int64_t oldest_unix_ns = 0;
  };
  behind behind_of(uint64_t acked_next) const;

  /// Drops batches every follower has (all ids < min_acked_next).
  void trim_below(uint64_t min_acked_next);

  size_t size() const noexcept { return entries_.size(); }

private:
  struct entry {
    uint64_t end_id;
    int64_t unix_ns;
  };
  size_t capacity_;
  std::deque<entry> entries_; ///< ascending end_id
};

/// One follower's lag as last computed by the leader.
struct follower_lag {
  std::string node_id;
  uint64_t acked_next = 0;     ///< one past the highest id it confirmed
  uint64_t batches = 0;        ///< committed batches it has not acknowledged
  int64_t oldest_unix_ns = 0;  ///< commit time of the oldest of them; 0: caught up

  /// Seconds behind at `now_unix_ns` (0 when caught up).
  double seconds(int64_t now_unix_ns) const {
    return oldest_unix_ns == 0 || now_unix_ns <= oldest_unix_ns
             ? 0.0
             : static_cast<double>(now_unix_ns - oldest_unix_ns) / 1e9;
  }
};

class replication_lag {
public:
  /// The process-wide table.
  static replication_lag& instance();

  /// Replaces the row of `lag.node_id`.
  void set(const follower_lag& lag);
  /// Forgets every row (this node stopped leading).
  void clear();
  /// Forgets one follower (removed from the cluster).
  void erase(const std::string& node_id);
  /// A copy of every row.
  std::vector<follower_lag> rows() const;
  /// The row of `node_id`, if the leader tracks it.
  bool find(const std::string& node_id, follower_lag& out) const;

  /// Display names for the `node` label (node id -> name), refreshed from
  /// the membership list by the consensus module.
  void set_names(std::map<std::string, std::string> names);

  /// Prometheus text: cairn_replication_lag_batches / _seconds gauges with a
  /// `node` label (the node's name, else its id).
  void render(std::string& out, int64_t now_unix_ns) const;

private:
  mutable std::mutex mutex_;
  std::map<std::string, follower_lag> rows_;
  std::map<std::string, std::string> names_;
};

} // namespace cairn
