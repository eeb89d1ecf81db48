#pragma once
/// The bounded command queue between the node state machine and the
/// dispatcher, with the checks its monitor applies (SPEC.md §2): the node is
/// hard-terminated (exit code 70) when the queue overfills, or when a command
/// that contradicts an unfinished one (deactivate before activation completed)
/// has waited past the deadline. A stuck role change is worse than a restart:
/// a half-activated leader could otherwise act without a valid lease.
#include "actors/node_fsm.hpp"

#include <chrono>
#include <deque>
#include <functional>
#include <optional>
#include <string>

namespace cairn {

using steady_time = std::chrono::steady_clock::time_point;

class command_queue {
public:
  /// Called with the reason when the node must die; the default logs and
  /// calls std::_Exit(70).
  using terminator = std::function<void(const std::string& reason)>;

  command_queue(size_t capacity, std::chrono::milliseconds deadline, terminator t = {});

  /// Appends a command; terminates on overflow.
  void push(node_command c, steady_time now);

  /// Next command to run, if none is running; marks it as running.
  std::optional<node_command> start_next(steady_time now);

  /// The running command finished.
  void complete(node_command c);

  /// Periodic check by the monitor (every clock tick).
  void check(steady_time now);

  size_t size() const noexcept { return pending_.size(); }
  std::optional<node_command> running() const noexcept { return running_; }

  /// The default terminator: logs through spdlog and exits with code 70.
  static void terminate_process(const std::string& reason);

private:
  struct entry {
    node_command command;
    steady_time enqueued;
  };

  static bool contradicts(node_command running, node_command next) noexcept;

  size_t capacity_;
  std::chrono::milliseconds deadline_;
  terminator terminate_;
  std::deque<entry> pending_;
  std::optional<node_command> running_;
  steady_time running_since_{};
};

} // namespace cairn
