#include "tools/cli/malloc_tuning.hpp"

#include "actors/heap_usage.hpp"

#include <cstdlib>
#include <cstring>

#include <malloc.h>

// Read by jemalloc when it initialises (before main); ignored by glibc.
// Dirty pages go back to the kernel 5 s after their last use, by jemalloc's
// background thread rather than in the allocating threads; muzzy_decay_ms:0
// skips MADV_FREE, whose lazily reclaimed pages would still count as RSS.
extern "C" {
const char* malloc_conf = "background_thread:true,dirty_decay_ms:5000,muzzy_decay_ms:0";
}

namespace cairn::cli {

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

malloc_setup::malloc_setup() {
  if (jemalloc_active()) {
    description_ = std::string{"jemalloc, "} + malloc_conf;
    if (const char* env = std::getenv("MALLOC_CONF"))
      description_ += std::string{"; MALLOC_CONF="} + env + " (wins)";
    return;
  }
  if (const char* t = std::getenv("GLIBC_TUNABLES"); t && std::strstr(t, "glibc.malloc.")) {
    description_ = "glibc malloc as GLIBC_TUNABLES sets it";
    return;
  }
  mallopt(M_ARENA_MAX, malloc_arena_max);
  mallopt(M_MMAP_THRESHOLD, malloc_mmap_threshold);
  // Trim the top of a heap once this much is free there (setting it also
  // keeps glibc from raising it along with the mmap threshold).
  mallopt(M_TRIM_THRESHOLD, 2 * malloc_mmap_threshold);
  trimmer_.emplace();
  description_ = "glibc malloc, 4 arenas, 256 KiB mmap threshold, trimmed every 10 s";
}

} // namespace cairn::cli
