#include "actors/alert_app.hpp"

#include "actors/alert_schedule.hpp"

#include <spdlog/spdlog.h>

#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <thread>

namespace cairn {

bool app_process::ensure_running() {
  if (pid_ > 0) {
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == 0)
      return true;
    spdlog::warn("apps: '{}' exited (status {}); restarting with backoff", command_, status);
    pid_ = -1;
    reap(true);
  }
  auto now = std::chrono::steady_clock::now();
  if (now < restart_at_)
    return false;
  int in[2], out[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, in) != 0)
    return false;
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, out) != 0) {
    close(in[0]);
    close(in[1]);
    return false;
  }
  pid_t pid = fork();
  if (pid == 0) {
    // Child: stdin/stdout are our ends of the socket pairs; stderr is shared.
    dup2(in[1], STDIN_FILENO);
    dup2(out[1], STDOUT_FILENO);
    signal(SIGPIPE, SIG_DFL);
    execl("/bin/sh", "sh", "-c", command_.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  close(in[1]);
  close(out[1]);
  if (pid < 0) {
    close(in[0]);
    close(out[0]);
    return false;
  }
  pid_ = pid;
  stdin_fd_ = in[0];
  stdout_fd_ = out[0];
  fcntl(stdout_fd_, F_SETFL, fcntl(stdout_fd_, F_GETFL) | O_NONBLOCK);
  spdlog::info("apps: started '{}' (pid {})", command_, pid_);
  return true;
}

bool app_process::write_line(const std::string& line) {
  if (!ensure_running())
    return false;
  std::string data = line + "\n";
  size_t done = 0;
  while (done < data.size()) {
    auto n = send(stdin_fd_, data.data() + done, data.size() - done, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return false;
    done += static_cast<size_t>(n);
  }
  return true;
}

std::vector<std::string> app_process::read_lines() {
  std::vector<std::string> lines;
  if (stdout_fd_ < 0)
    return lines;
  char buf[4096];
  for (;;) {
    auto n = read(stdout_fd_, buf, sizeof buf);
    if (n <= 0)
      break;
    partial_.append(buf, static_cast<size_t>(n));
  }
  size_t start = 0;
  for (auto nl = partial_.find('\n'); nl != std::string::npos; nl = partial_.find('\n', start)) {
    if (nl > start)
      lines.push_back(partial_.substr(start, nl - start));
    start = nl + 1;
  }
  partial_.erase(0, start);
  return lines;
}

void app_process::reap(bool crashed) {
  if (stdin_fd_ >= 0)
    close(stdin_fd_);
  if (stdout_fd_ >= 0)
    close(stdout_fd_);
  stdin_fd_ = stdout_fd_ = -1;
  partial_.clear();
  if (crashed) {
    ++crashes_;
    restart_at_ = std::chrono::steady_clock::now() +
                  std::chrono::milliseconds(retry_delay_ms(crashes_, 500, 60000));
  }
}

void app_process::stop() {
  if (pid_ > 0) {
    kill(pid_, SIGTERM);
    int status = 0;
    for (int i = 0; i < 20 && waitpid(pid_, &status, WNOHANG) == 0; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    if (waitpid(pid_, &status, WNOHANG) == 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, &status, 0);
    }
    pid_ = -1;
  }
  reap(false);
}

} // namespace cairn
