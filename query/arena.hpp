#pragma once
/// A bump allocator for strings made while evaluating or aggregating.
///
/// Values (query/value.hpp) never own their text; whoever produces a new
/// string (a function result, an unescaped JSON string, a group key copied
/// out of a chunk) writes it into an arena whose lifetime covers the use.
/// Addresses are stable until reset(); moving an arena keeps them valid.
#include <cstddef>
#include <cstring>
#include <memory>
#include <string_view>
#include <vector>

namespace cairn::query {

class arena {
public:
  arena() = default;
  arena(arena&&) noexcept = default;
  arena& operator=(arena&&) noexcept = default;

  /// Returns `n` writable bytes, valid until reset() or destruction.
  char* allocate(size_t n) {
    if (n > left_)
      grow(n);
    char* p = cur_;
    cur_ += n;
    left_ -= n;
    used_ += n;
    return p;
  }

  /// Copies `s` into the arena.
  std::string_view copy(std::string_view s) {
    if (s.empty())
      return {};
    char* p = allocate(s.size());
    std::memcpy(p, s.data(), s.size());
    return {p, s.size()};
  }

  /// Forgets every allocation but keeps the first block for reuse.
  void reset() noexcept {
    if (blocks_.size() > 1)
      blocks_.resize(1);
    if (!blocks_.empty()) {
      cur_ = blocks_[0].data.get();
      left_ = blocks_[0].size;
    }
    used_ = 0;
  }

  /// Bytes handed out since the last reset (for the memory bound).
  size_t used() const noexcept { return used_; }

private:
  struct block {
    std::unique_ptr<char[]> data;
    size_t size;
  };

  void grow(size_t n) {
    size_t size = n > block_size ? n : block_size;
    blocks_.push_back(block{std::unique_ptr<char[]>(new char[size]), size});
    cur_ = blocks_.back().data.get();
    left_ = size;
  }

  static constexpr size_t block_size = 64 * 1024;
  std::vector<block> blocks_;
  char* cur_ = nullptr;
  size_t left_ = 0;
  size_t used_ = 0;
};

} // namespace cairn::query
