#include "storage/levels.hpp"

#include <array>

namespace cairn::storage {

namespace {

struct alias {
  std::string_view name;
  level_class cls;
};

// Datalust's alias table (seq-compat.md §5), plus OTel severity text names.
constexpr std::array aliases{
  alias{"trace", level_class::trace}, alias{"t", level_class::trace},
  alias{"tr", level_class::trace}, alias{"trc", level_class::trace},
  alias{"trce", level_class::trace}, alias{"verbose", level_class::verbose},
  alias{"v", level_class::verbose}, alias{"ver", level_class::verbose},
  alias{"vrb", level_class::verbose}, alias{"verb", level_class::verbose},
  alias{"silly", level_class::verbose}, alias{"debug", level_class::debug},
  alias{"d", level_class::debug}, alias{"de", level_class::debug},
  alias{"dbg", level_class::debug}, alias{"deb", level_class::debug},
  alias{"dbug", level_class::debug}, alias{"debu", level_class::debug},
  alias{"information", level_class::information}, alias{"i", level_class::information},
  alias{"in", level_class::information}, alias{"inf", level_class::information},
  alias{"info", level_class::information}, alias{"warning", level_class::warning},
  alias{"w", level_class::warning}, alias{"wa", level_class::warning},
  alias{"war", level_class::warning}, alias{"wrn", level_class::warning},
  alias{"warn", level_class::warning}, alias{"error", level_class::error},
  alias{"e", level_class::error}, alias{"er", level_class::error},
  alias{"err", level_class::error}, alias{"erro", level_class::error},
  alias{"eror", level_class::error}, alias{"fatal", level_class::fatal},
  alias{"f", level_class::fatal}, alias{"fa", level_class::fatal},
  alias{"ftl", level_class::fatal}, alias{"fat", level_class::fatal},
  alias{"fatl", level_class::fatal}, alias{"critical", level_class::critical},
  alias{"c", level_class::critical}, alias{"cr", level_class::critical},
  alias{"crt", level_class::critical}, alias{"cri", level_class::critical},
  alias{"crit", level_class::critical}, alias{"notice", level_class::notice},
  alias{"emerg", level_class::emergency}, alias{"emergency", level_class::emergency},
  alias{"alert", level_class::alert}, alias{"panic", level_class::panic},
};

/// `a` equals the lowercase ASCII `b` ignoring ASCII case. Inline ASCII
/// folding, not std::tolower: a library call per byte of every event's level
/// showed in the indexer's profile, and the aliases are ASCII anyway.
bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size())
    return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char c = a[i];
    if (c >= 'A' && c <= 'Z')
      c = char(c - 'A' + 'a');
    if (c != b[i])
      return false;
  }
  return true;
}

} // namespace

level_class classify_level(std::string_view level) noexcept {
  if (level.empty())
    return level_class::information;
  for (const auto& a : aliases)
    if (iequals(level, a.name))
      return a.cls;
  return level_class::other;
}

std::string_view level_class_name(level_class c) noexcept {
  constexpr std::array<std::string_view, level_class_count> names{
    "Trace", "Verbose", "Debug", "Information", "Warning", "Error", "Fatal",
    "Critical", "Notice", "Emergency", "Alert", "Panic", "Other"};
  return names[static_cast<size_t>(c)];
}

} // namespace cairn::storage
