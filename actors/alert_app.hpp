#pragma once
/// An app: an executable the leader runs (`/bin/sh -c <command>`) and feeds
/// with alert notifications, one CLEF line per notification on its stdin;
/// every line it prints on stdout becomes an event (the owner ingests it).
///
/// Lifecycle: owned by the alert actor (one thread), started on first use
/// while the node leads, stopped (SIGTERM, then SIGKILL) on deactivation.
/// A crashed app is restarted with exponential backoff. stdin/stdout are
/// socket pairs so a write to a dead app fails with EPIPE instead of raising
/// SIGPIPE in the server.
#include <sys/types.h>

#include <chrono>
#include <string>
#include <vector>

namespace cairn {

class app_process {
public:
  explicit app_process(std::string command) : command_(std::move(command)) {}
  app_process(const app_process&) = delete;
  app_process& operator=(const app_process&) = delete;
  ~app_process() { stop(); }

  /// Starts the app unless it runs or its restart backoff has not passed;
  /// returns whether it runs afterwards. Reaps a crashed one first.
  bool ensure_running();

  /// Writes one line (a newline is appended); false if the app is gone.
  bool write_line(const std::string& line);

  /// The complete lines the app printed since the last call.
  std::vector<std::string> read_lines();

  /// Stops the app: SIGTERM, then SIGKILL after 1 s.
  void stop();

  const std::string& command() const { return command_; }

private:
  void reap(bool crashed);

  std::string command_;
  pid_t pid_ = -1;
  int stdin_fd_ = -1;
  int stdout_fd_ = -1;
  std::string partial_;
  unsigned crashes_ = 0;
  std::chrono::steady_clock::time_point restart_at_{};
};

} // namespace cairn
