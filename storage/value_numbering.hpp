#pragma once
/// Numbers the distinct texts of one kind within a block (a repeating
/// field's values, one property name's strings) in order of first
/// appearance, for the block codec's "same as value n" references. Internal
/// to storage/.
///
/// Why the front: most lookups are for one of the few texts seen last (a
/// level, one of a handful of templates, a property's constant value), and
/// checking those is a length compare and a memcmp each, where the hash map
/// hashes the whole text (a stack trace is ~300 bytes) and then compares it
/// anyway. Exact either way: a text gets the same number from both paths.
///
/// Lifecycle: clear() per block; the texts are viewed, not copied, so they
/// must outlive the block's encoding. Not thread-safe.
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>
#include <unordered_map>
#include <utility>

namespace cairn::storage {

/// Distinct-text numbering with the `N` most recently numbered texts
/// checked first.
template <size_t N>
class value_numbering {
public:
  /// Forgets every text (keeps the map's buckets).
  void clear() {
    if (!index_.empty())
      index_.clear();
    recent_count_ = 0;
    next_victim_ = 0;
  }

  /// The number of `v`, and whether it is new (then it got the next number).
  std::pair<uint32_t, bool> number(std::string_view v) {
    for (size_t i = 0; i < recent_count_; ++i)
      if (recent_[i].first.size() == v.size() && std::memcmp(recent_[i].first.data(), v.data(), v.size()) == 0)
        return {recent_[i].second, false};
    auto [it, added] = index_.try_emplace(v, static_cast<uint32_t>(index_.size()));
    // Remembered in place of the oldest.
    if (recent_count_ < N) {
      recent_[recent_count_++] = {v, it->second};
    } else {
      recent_[next_victim_] = {v, it->second};
      next_victim_ = (next_victim_ + 1) % N;
    }
    return {it->second, added};
  }

private:
  std::unordered_map<std::string_view, uint32_t> index_;
  std::array<std::pair<std::string_view, uint32_t>, N> recent_{};
  size_t recent_count_ = 0;
  size_t next_victim_ = 0;
};

} // namespace cairn::storage
