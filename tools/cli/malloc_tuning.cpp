#include "tools/cli/malloc_tuning.hpp"

#include <cstdlib>
#include <cstring>

#include <malloc.h>

namespace cairn::cli {

bool configure_malloc() {
  if (const char* t = std::getenv("GLIBC_TUNABLES"); t && std::strstr(t, "glibc.malloc."))
    return false;
  mallopt(M_ARENA_MAX, malloc_arena_max);
  mallopt(M_MMAP_THRESHOLD, malloc_mmap_threshold);
  // Trim the top of a heap once this much is free there (setting it also
  // keeps glibc from raising it along with the mmap threshold).
  mallopt(M_TRIM_THRESHOLD, 2 * malloc_mmap_threshold);
  return true;
}

malloc_trimmer::malloc_trimmer(std::chrono::milliseconds interval)
  : thread_([this, interval] {
      std::unique_lock lock{mutex_};
      while (!wake_.wait_for(lock, interval, [this] { return stop_; })) {
        lock.unlock();
        malloc_trim(0);
        lock.lock();
      }
    }) {}

malloc_trimmer::~malloc_trimmer() {
  {
    std::lock_guard lock{mutex_};
    stop_ = true;
  }
  wake_.notify_one();
  thread_.join();
}

} // namespace cairn::cli
