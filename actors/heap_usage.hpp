#pragma once
// What the process's allocator holds, read from whichever allocator serves
// malloc: jemalloc when the server binary links it (CAIRN_JEMALLOC), glibc's
// otherwise. Anonymous RSS that grows while `in_use` stays flat is memory
// the allocator keeps, not a leak; /metrics exports both.
#include <cstdint>

namespace cairn {

struct heap_usage {
  const char* allocator = "unknown"; ///< "jemalloc", "glibc" or "unknown" (sanitizers)
  uint64_t in_use = 0;               ///< bytes handed out to live allocations
  uint64_t held_free = 0;            ///< bytes the allocator keeps but nothing uses
};

/// jemalloc is in the process (linked or preloaded).
bool jemalloc_active();

/// Current figures; cheap enough for every /metrics scrape.
heap_usage read_heap_usage();

} // namespace cairn
