#include "net/decode/gzip.hpp"

#include <algorithm>

#include <zlib.h>

namespace cairn::decode {

namespace {

/// Owns a z_stream for the duration of one call.
struct inflater {
  z_stream zs{};
  bool ok = false;
  inflater() { ok = inflateInit2(&zs, 15 + 32) == Z_OK; } // 32: auto-detect gzip/zlib
  ~inflater() {
    if (ok)
      inflateEnd(&zs);
  }
};

decode_status fail(gunzip_error* kind, gunzip_error k, std::string text) {
  if (kind)
    *kind = k;
  return text;
}

} // namespace

decode_status gunzip(std::string_view in, std::string& out, size_t max_bytes,
                     gunzip_error* kind) {
  if (kind)
    *kind = gunzip_error::none;
  out.clear();
  if (in.empty())
    return std::nullopt; // an empty body stays empty (a level poll)
  inflater inf;
  if (!inf.ok)
    return fail(kind, gunzip_error::corrupt, "invalid gzip body: inflateInit failed");
  auto& zs = inf.zs;
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = static_cast<uInt>(in.size());
  // Grow the output geometrically, capped one byte past the limit so an
  // exact-limit body is accepted and a larger one detected.
  size_t cap = std::min(max_bytes + 1, std::max<size_t>(in.size() * 4, 4096));
  for (;;) {
    if (out.size() == cap) {
      if (cap > max_bytes)
        return fail(kind, gunzip_error::too_large,
                    "body exceeds " + std::to_string(max_bytes) + " bytes");
      cap = std::min(max_bytes + 1, cap * 2);
    }
    size_t used = out.size();
    out.resize(cap);
    zs.next_out = reinterpret_cast<Bytef*>(out.data() + used);
    zs.avail_out = static_cast<uInt>(cap - used);
    int rc = inflate(&zs, Z_NO_FLUSH);
    out.resize(cap - zs.avail_out);
    if (out.size() > max_bytes)
      return fail(kind, gunzip_error::too_large,
                  "body exceeds " + std::to_string(max_bytes) + " bytes");
    if (rc == Z_STREAM_END) {
      if (zs.avail_in == 0)
        break;
      // Another gzip member follows (e.g. `cat a.gz b.gz`).
      if (inflateReset(&zs) != Z_OK)
        return fail(kind, gunzip_error::corrupt, "invalid gzip body: reset failed");
      continue;
    }
    if (rc == Z_BUF_ERROR && zs.avail_out == 0)
      continue; // needs more room
    if (rc == Z_BUF_ERROR && zs.avail_in == 0)
      return fail(kind, gunzip_error::corrupt, "invalid gzip body: truncated");
    if (rc != Z_OK && rc != Z_BUF_ERROR)
      return fail(kind, gunzip_error::corrupt,
                  std::string("invalid gzip body: ") + (zs.msg ? zs.msg : "inflate failed"));
  }
  return std::nullopt;
}

} // namespace cairn::decode
