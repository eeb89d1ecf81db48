#pragma once
/// An exclusive advisory lock on `<storage>/cairn.lock` held for the life of
/// a `cairn run`, so a second process on the same storage root fails at once
/// instead of opening the LMDB environment and metastore a second time.
/// flock() locks die with the process, so a SIGKILLed node leaves no stale lock.
#include <string>

namespace cairn::cli {

class storage_lock {
public:
  /// Takes the lock; on failure returns an error message (and holds nothing).
  std::string acquire(const std::string& storage_root);
  ~storage_lock();

private:
  int fd_ = -1;
};

} // namespace cairn::cli
