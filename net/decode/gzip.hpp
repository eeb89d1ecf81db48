#pragma once
/// gzip request bodies (`Content-Encoding: gzip`), inflated with zlib under a
/// size cap so a small compressed body cannot expand without bound.
#include <cstddef>
#include <string>
#include <string_view>

#include "net/decode/decode_status.hpp"

namespace cairn::decode {

/// Why gunzip failed; lets the HTTP layer answer 413 rather than 400.
enum class gunzip_error {
  none,
  too_large, ///< output would exceed max_bytes (HTTP 413)
  corrupt,   ///< not gzip/zlib data, or truncated (HTTP 400)
};

/// Inflates gzip (or zlib) data `in` into `out` (replacing its contents).
/// Concatenated gzip members are inflated one after another.
/// Errors: "body exceeds N bytes" or "invalid gzip body: ...". `kind`, when
/// given, says which.
decode_status gunzip(std::string_view in, std::string& out, size_t max_bytes,
                     gunzip_error* kind = nullptr);

} // namespace cairn::decode
