#pragma once
/// Finding the end of a JSON string body fast: the one loop shared by the
/// decoders (which copy clean strings as they are instead of unescaping and
/// re-escaping them) and the block codec's scanner (storage/json_scan.cpp).
///
/// Caveat: inline on purpose; both callers run it on every string of every
/// event, and a call per string measurably cost the index stage.
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace cairn {

/// Index of the first '"' or '\\' in p[from, n), or n: 16 bytes at a time
/// with SSE2 (every x86-64 has it), 8 at a time (SWAR) elsewhere.
/// Reads only p[from, n).
inline size_t next_quote_or_backslash(const char* p, size_t from, size_t n) noexcept {
  size_t i = from;
#if defined(__SSE2__)
  const __m128i quote = _mm_set1_epi8('"');
  const __m128i backslash = _mm_set1_epi8('\\');
  for (; i + 16 <= n; i += 16) {
    __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i));
    unsigned mask = unsigned(_mm_movemask_epi8(_mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, backslash))));
    if (mask)
      return i + size_t(std::countr_zero(mask));
  }
#else
  constexpr uint64_t ones = 0x0101010101010101ULL;
  constexpr uint64_t highs = 0x8080808080808080ULL;
  for (; i + 8 <= n; i += 8) {
    uint64_t w;
    std::memcpy(&w, p + i, 8);
    uint64_t q = w ^ ('"' * ones), b = w ^ ('\\' * ones);
    // A zero byte in q or b marks a match (exact: no false positives below the first match).
    uint64_t hit = ((q - ones) & ~q & highs) | ((b - ones) & ~b & highs);
    if (hit)
      return i + size_t(std::countr_zero(hit) / 8);
  }
#endif
  for (; i < n; ++i)
    if (p[i] == '"' || p[i] == '\\')
      return i;
  return n;
}

/// As next_quote_or_backslash(), but reads whole 16-byte blocks, up to 15
/// bytes past n: short strings and names (most of them) take one block
/// instead of a byte loop. Returns n if the first match is at n or later.
/// @pre p[from, n + 15) is readable; text inside a simdjson document always
/// is (SIMDJSON_PADDING readable bytes follow every document).
inline size_t next_quote_or_backslash_padded(const char* p, size_t from, size_t n) noexcept {
#if defined(__SSE2__)
  const __m128i quote = _mm_set1_epi8('"');
  const __m128i backslash = _mm_set1_epi8('\\');
  for (size_t i = from; i < n; i += 16) {
    __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i));
    unsigned mask = unsigned(_mm_movemask_epi8(_mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, backslash))));
    if (mask) {
      size_t at = i + size_t(std::countr_zero(mask));
      return at < n ? at : n;
    }
  }
  return n;
#else
  return next_quote_or_backslash(p, from, n);
#endif
}

} // namespace cairn
