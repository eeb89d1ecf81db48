#pragma once
/// The web UI's static files, embedded into the binary at build time by
/// ui/embed.cmake (ui/CMakeLists.txt) from everything under ui/src/.
/// The table is constant data: safe to read from any thread.
#include <span>
#include <string_view>

namespace cairn::ui {

/// One embedded file.
struct asset {
  std::string_view path;         ///< "/index.html", relative to ui/src with a leading '/'
  std::string_view content_type; ///< from the file extension
  std::string_view data;         ///< the file's bytes
  std::string_view etag;         ///< quoted strong ETag (SHA-1 prefix of the content)
};

/// Every embedded file, sorted by path.
std::span<const asset> assets() noexcept;

} // namespace cairn::ui
