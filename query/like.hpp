#pragma once
/// Seq's `like` patterns: `%` matches zero or more characters and `?` zero
/// or one character (current Seq; 2021 Seq used `_`, which we treat as a
/// literal). Doubling a wildcard (`%%`, `??`) escapes it. `ci` folds ASCII.
#include <string>
#include <string_view>
#include <vector>

namespace cairn::query {

class like_pattern {
public:
  like_pattern(std::string_view pattern, bool ci);

  bool matches(std::string_view text) const noexcept;

  /// The literal runs between wildcards, with whether each run touches a
  /// wildcard on its left/right (the planner takes only tokens bounded
  /// inside a run, or touching the pattern's real ends).
  struct run {
    std::string text;
    bool wild_before;
    bool wild_after;
  };
  const std::vector<run>& runs() const noexcept { return runs_; }

private:
  enum class shape { exact, prefix, suffix, contains, general };
  struct part {
    enum kind_t { literal, any, optional } kind;
    std::string text;
  };

  bool match_from(size_t part, std::string_view text) const noexcept;
  bool literal_at(std::string_view text, std::string_view lit) const noexcept;

  std::vector<part> parts_;
  std::vector<run> runs_;
  shape shape_ = shape::general;
  std::string needle_;
  bool ci_;
};

} // namespace cairn::query
