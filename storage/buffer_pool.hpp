#pragma once
/// A few large byte buffers recycled between the ingest threads, which fill
/// a batch's record bytes, and the committer, which frees them after the
/// commit.
///
/// Why: a 1000-event batch is ~370 KB of records. An allocator that returns
/// freed memory to the kernel promptly (tools/cli/malloc_tuning.hpp, for
/// RSS) makes each fresh batch buffer fault its pages in again, page by page:
/// ~90 faults per request with glibc's mmap threshold at 256 KiB. Handing the
/// buffer back keeps its pages mapped.
///
/// Bounded: at most max_buffers buffers of at most max_capacity bytes each
/// are kept (a few MB); larger or surplus ones are simply freed.
/// Thread-safe (one mutex; one take and one give per request).
#include <cstddef>
#include <mutex>
#include <string>
#include <vector>

namespace cairn::storage {

class buffer_pool {
public:
  static constexpr size_t max_buffers = 4;
  static constexpr size_t max_capacity = size_t{2} << 20;

  /// The pool the ingest routes and the committer share.
  static buffer_pool& ingest() {
    static buffer_pool pool;
    return pool;
  }

  /// An empty string: a returned buffer (its capacity kept) if there is one.
  std::string take() {
    std::lock_guard lock{mutex_};
    if (free_.empty())
      return {};
    std::string s = std::move(free_.back());
    free_.pop_back();
    return s;
  }

  /// Keeps `s`'s memory for a later take(), unless the pool is full or `s`
  /// is too large (or too small to be worth it); then `s` is freed.
  void give(std::string&& s) {
    if (s.capacity() > max_capacity || s.capacity() < min_capacity)
      return;
    s.clear();
    std::lock_guard lock{mutex_};
    if (free_.size() < max_buffers)
      free_.push_back(std::move(s));
  }

private:
  /// Below the mmap threshold malloc reuses memory anyway.
  static constexpr size_t min_capacity = 64 * 1024;
  std::mutex mutex_;
  std::vector<std::string> free_;
};

} // namespace cairn::storage
