#pragma once
// Allocator settings for the long-running server.
//
// The server links jemalloc (CMake option CAIRN_JEMALLOC, on by default).
// Why: under sustained ingest and queries (bench/sustained) glibc malloc
// kept memory freed by one thread in pages still holding another's live
// chunks; with arena_max 4, a fixed mmap threshold and malloc_trim every 10 s
// the leader's anonymous RSS still rose ~1 MiB/min for 20 minutes while its
// live heap stayed flat. jemalloc's size-class slabs and time-based purging
// (a background thread hands pages freed for `dirty_decay_ms` back to the
// kernel) keep resident memory close to what is live.
//
// Without jemalloc (CAIRN_JEMALLOC=OFF, sanitizer builds) the glibc
// settings below apply instead, unless GLIBC_TUNABLES sets glibc.malloc.*.
// MALLOC_CONF in the environment overrides the jemalloc settings.
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

namespace cairn::cli {

/// glibc: arenas at most (default 8 per core); each keeps its own free
/// memory, and our threads mostly wait on I/O or actors.
inline constexpr int malloc_arena_max = 4;
/// glibc: allocations at least this large get their own mmap, returned on
/// free; the fixed value also turns off glibc's dynamic threshold.
inline constexpr int malloc_mmap_threshold = 256 * 1024;
/// glibc: how often free heap pages are handed back (malloc_trim).
inline constexpr std::chrono::seconds malloc_trim_interval{10};

/// Calls malloc_trim(0) every `interval` on a thread of its own until
/// destroyed. Each call walks every arena under its lock and madvise()s free
/// pages away: ~1 ms for a few hundred MB.
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

/// The allocator set-up of one process: call first thing in `cairn run`,
/// before any thread starts, and keep it alive until exit.
class malloc_setup {
public:
  malloc_setup();
  /// One line for the server log: which allocator and which settings.
  const std::string& description() const { return description_; }

private:
  std::string description_;
  std::optional<malloc_trimmer> trimmer_;
};

} // namespace cairn::cli
