#pragma once
/// Remembers the last few distinct texts of one kind (templates, resources,
/// scopes, exceptions) the summary builder already folded into the current
/// block. These repeat event after event, and folding a text again adds
/// nothing (the name/token sets keep each hash once), so a repeat is
/// skipped: one length compare and a memcmp instead of a tokenize + hash
/// pass or a JSON parse. Exact (whole-text compare), so it never drops a
/// token. Not thread-safe; clear() per block.
#include <array>
#include <cstddef>
#include <string>
#include <string_view>

namespace cairn::storage {

/// A ring of up to `N` remembered texts.
template <size_t N = 8>
class recent_texts {
public:
  /// True if `t` was remembered already; otherwise remembers it (evicting
  /// the oldest) and returns false.
  bool seen(std::string_view t) {
    for (size_t i = 0; i < used_; ++i)
      if (texts_[i].size() == t.size() && std::string_view{texts_[i]} == t)
        return true;
    texts_[next_].assign(t);
    next_ = (next_ + 1) % N;
    if (used_ < N)
      ++used_;
    return false;
  }

  /// Forgets every text (keeps the memory).
  void clear() noexcept {
    used_ = 0;
    next_ = 0;
  }

private:
  std::array<std::string, N> texts_;
  size_t used_ = 0;
  size_t next_ = 0;
};

} // namespace cairn::storage
