#pragma once
// glibc malloc settings for the long-running server, and a thread that hands
// freed heap pages back to the kernel.
//
// Why: under sustained ingest and queries (bench/sustained) a node's
// anonymous RSS grew for the whole run, 18 -> 106-117 MiB over 10 minutes,
// while malloc_stats() showed 63.5 MB held by malloc and 9.3 MB in use: the
// rest was free memory retained by glibc, not live data. Three glibc
// behaviours retain it: up to 8 x cores arenas, one per contending thread
// (16 here, each keeping a few MB of free chunks); the dynamic mmap threshold,
// which after the first large free (zstd and LMDB buffers) serves every
// later large buffer from an arena instead of mmap; and trimming only at the
// top of each heap, so free pages below a live chunk are never returned.
//
// Caveat: GLIBC_TUNABLES with glibc.malloc.* set in the environment wins:
// configure_malloc() then leaves malloc as the user tuned it.
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

namespace cairn::cli {

/// Arenas at most (glibc's default is 8 per core); each keeps its own free
/// memory, and our threads mostly wait on I/O or actors.
inline constexpr int malloc_arena_max = 4;
/// Allocations at least this large get their own mmap, returned on free; the
/// fixed value also turns off glibc's dynamic threshold (up to 32 MiB).
inline constexpr int malloc_mmap_threshold = 256 * 1024;
/// How often free heap pages are handed back (malloc_trim).
inline constexpr std::chrono::seconds malloc_trim_interval{10};

/// Applies the settings above (call first thing in `cairn run`, before any
/// thread starts). Returns false if GLIBC_TUNABLES already tunes malloc and
/// nothing was changed.
bool configure_malloc();

/// Calls malloc_trim(0) every `interval` on a thread of its own until
/// destroyed. Each call walks every arena under its lock and madvise()s free
/// pages away: ~1 ms for a few hundred MB, so the interval costs nothing.
class malloc_trimmer {
public:
  explicit malloc_trimmer(std::chrono::milliseconds interval = malloc_trim_interval);
  ~malloc_trimmer();
  malloc_trimmer(const malloc_trimmer&) = delete;
  malloc_trimmer& operator=(const malloc_trimmer&) = delete;

private:
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stop_ = false;
  std::thread thread_;
};

} // namespace cairn::cli
