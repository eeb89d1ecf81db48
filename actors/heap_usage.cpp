#include "actors/heap_usage.hpp"

#include <cstddef>

#include <malloc.h>

// jemalloc's control interface, weak so that binaries without jemalloc
// (tests, sanitizer builds) link and see a null pointer.
extern "C" int mallctl(const char* name, void* oldp, size_t* oldlenp, void* newp, size_t newlen)
  __attribute__((weak));

namespace cairn {

namespace {

uint64_t jemalloc_stat(const char* name) {
  size_t value = 0, len = sizeof value;
  return mallctl(name, &value, &len, nullptr, 0) == 0 ? value : 0;
}

} // namespace

bool jemalloc_active() {
  return mallctl != nullptr;
}

heap_usage read_heap_usage() {
  heap_usage u;
  if (jemalloc_active()) {
    // jemalloc caches its statistics; writing to "epoch" refreshes them.
    uint64_t epoch = 1;
    size_t len = sizeof epoch;
    mallctl("epoch", &epoch, &len, &epoch, len);
    u.allocator = "jemalloc";
    u.in_use = jemalloc_stat("stats.allocated");
    // Resident covers live data, dirty pages not yet purged and metadata.
    const uint64_t resident = jemalloc_stat("stats.resident");
    u.held_free = resident > u.in_use ? resident - u.in_use : 0;
    return u;
  }
#if defined(__GLIBC__)
  auto m = mallinfo2();
  // Zero under sanitizers, which replace malloc without glibc's counters.
  if (m.uordblks + m.hblkhd + m.fordblks > 0) {
    u.allocator = "glibc";
    u.in_use = m.uordblks + m.hblkhd;
    u.held_free = m.fordblks;
  }
#endif
  return u;
}

} // namespace cairn
