#pragma once
/// A set of 64-bit hashes that keeps each distinct value once, in insertion
/// order. The summary builder feeds it every token and name hash of a block
/// (mostly repeats: the same words recur event after event), so dedupe at
/// insertion costs one probe per hash where sort+unique of all of them cost
/// O(n log n) and most of a block's summary time.
#include <cstdint>
#include <algorithm>
#include <vector>

namespace cairn::storage {

/// Open addressing with linear probing; the table doubles at half load.
/// Not thread-safe; clear() keeps the memory for the next block.
class unique_hashes {
public:
  /// Forgets every value (keeps the capacity).
  void clear() noexcept {
    if (!values_.empty())
      std::fill(slots_.begin(), slots_.end(), 0);
    values_.clear();
    has_zero_ = false;
  }

  /// Adds `h` unless it is already present.
  void insert(uint64_t h) {
    if (h == 0) { // 0 marks an empty slot: remember it aside
      if (!has_zero_) {
        has_zero_ = true;
        values_.push_back(0);
      }
      return;
    }
    if ((values_.size() + 1) * 2 > slots_.size())
      grow();
    size_t mask = slots_.size() - 1;
    for (size_t i = static_cast<size_t>(h) & mask;; i = (i + 1) & mask) {
      if (slots_[i] == h)
        return;
      if (slots_[i] == 0) {
        slots_[i] = h;
        values_.push_back(h);
        return;
      }
    }
  }

  /// The distinct values, in the order first inserted.
  const std::vector<uint64_t>& values() const noexcept { return values_; }

private:
  void grow() {
    slots_.assign(slots_.empty() ? 1024 : slots_.size() * 2, 0);
    size_t mask = slots_.size() - 1;
    for (auto v : values_) {
      if (v == 0)
        continue;
      size_t i = static_cast<size_t>(v) & mask;
      while (slots_[i] != 0)
        i = (i + 1) & mask;
      slots_[i] = v;
    }
  }

  std::vector<uint64_t> slots_;
  std::vector<uint64_t> values_;
  bool has_zero_ = false;
};

} // namespace cairn::storage
