#include "actors/command_queue.hpp"

#include <spdlog/spdlog.h>

#include <cstdlib>

namespace cairn {

command_queue::command_queue(size_t capacity, std::chrono::milliseconds deadline, terminator t)
  : capacity_(capacity), deadline_(deadline), terminate_(t ? std::move(t) : terminate_process) {
}

void command_queue::terminate_process(const std::string& reason) {
  spdlog::critical("command queue monitor: terminating node: {}", reason);
  spdlog::shutdown(); // flushes the file sink before the hard exit
  std::_Exit(70);
}

bool command_queue::contradicts(node_command running, node_command next) noexcept {
  return (running == node_command::activate_leader && next == node_command::deactivate_leader) ||
         (running == node_command::deactivate_leader && next == node_command::activate_leader);
}

void command_queue::push(node_command c, steady_time now) {
  if (pending_.size() >= capacity_) {
    terminate_("command queue overflow: " + std::to_string(pending_.size()) +
               " commands pending (capacity " + std::to_string(capacity_) + ") while adding " +
               std::string{to_string(c)});
    return;
  }
  pending_.push_back({c, now});
}

std::optional<node_command> command_queue::start_next(steady_time now) {
  if (running_ || pending_.empty())
    return std::nullopt;
  running_ = pending_.front().command;
  running_since_ = now;
  pending_.pop_front();
  return running_;
}

void command_queue::complete(node_command c) {
  if (running_ == c)
    running_.reset();
}

void command_queue::check(steady_time now) {
  if (!running_)
    return;
  auto stuck_for = now - running_since_;
  for (const auto& e : pending_) {
    if (contradicts(*running_, e.command) && now - e.enqueued > deadline_) {
      terminate_("command " + std::string{to_string(e.command)} + " contradicts unfinished " +
                 std::string{to_string(*running_)} + " past the deadline of " +
                 std::to_string(deadline_.count()) + " ms");
      return;
    }
  }
  if (stuck_for > 2 * deadline_)
    terminate_("command " + std::string{to_string(*running_)} + " has not finished after " +
               std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(stuck_for)
                                .count()) +
               " ms");
}

} // namespace cairn
