#include "tools/cli/storage_lock.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <string>

namespace cairn::cli {

std::string storage_lock::acquire(const std::string& storage_root) {
  auto path = (std::filesystem::path{storage_root} / "cairn.lock").string();
  fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd_ < 0)
    return "cannot open " + path + ": " + std::strerror(errno);
  if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
    char pid[32] = {0};
    auto n = ::pread(fd_, pid, sizeof pid - 1, 0);
    std::string holder = n > 0 ? std::string{pid, static_cast<size_t>(n)} : "unknown";
    while (!holder.empty() && (holder.back() == '\n' || holder.back() == ' '))
      holder.pop_back();
    ::close(fd_);
    fd_ = -1;
    return "storage root " + storage_root + " is already in use by another cairn process (pid " +
           holder + "); stop it first or pass a different --storage";
  }
  auto text = std::to_string(::getpid()) + "\n";
  if (::ftruncate(fd_, 0) != 0 || ::pwrite(fd_, text.data(), text.size(), 0) < 0)
    return "cannot write " + path + ": " + std::strerror(errno);
  return {};
}

storage_lock::~storage_lock() {
  if (fd_ >= 0)
    ::close(fd_); // releases the flock
}

} // namespace cairn::cli
