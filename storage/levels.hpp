#pragma once
/// Level classes: the usual aliases of one level (Datalust's table, case-
/// insensitive) folded into one class. Levels are stored verbatim; classes are
/// used for block skipping (a bitmap per block) and by `@Level in [...]`.
#include <cstdint>
#include <string_view>

namespace cairn::storage {

enum class level_class : uint8_t {
  trace, verbose, debug, information, warning, error, fatal, critical,
  notice, emergency, alert, panic, other,
};
inline constexpr int level_class_count = 13;

/// Maps a level as sent to its class; "" (absent) is Information.
level_class classify_level(std::string_view level) noexcept;

/// Canonical Seq name of a class ("Information", "Warning", ...).
std::string_view level_class_name(level_class c) noexcept;

/// Bit of a class in a block's level bitmap.
inline uint32_t level_bit(level_class c) noexcept { return 1u << static_cast<uint8_t>(c); }

} // namespace cairn::storage
