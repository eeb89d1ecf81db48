#pragma once
/// Zero-copy navigation of JSON text stored in event records.
///
/// Why not simdjson here: record fields are not followed by SIMDJSON_PADDING
/// bytes, so every properties object would have to be copied into a padded
/// buffer first; a skip-scan that looks at only the few keys a query names is
/// cheaper than that copy. Input is trusted (the decoders wrote it through a
/// JSON serializer); malformed text yields "not found", never a crash.
#include "query/arena.hpp"
#include "query/value.hpp"

#include <string_view>

namespace cairn::query::json {

/// Index just past the JSON value starting at `pos` (whitespace skipped),
/// or npos when malformed.
size_t skip_value(std::string_view text, size_t pos) noexcept;

/// Calls f(raw_key, raw_value) for each member of an object; raw_key is the
/// key text without quotes and still escaped. Stops early when f returns false.
template <class F>
bool for_each_member(std::string_view obj, F&& f);

/// Calls f(raw_value) for each element of an array; stops when f returns false.
template <class F>
bool for_each_element(std::string_view arr, F&& f);

/// Raw text of member `key` of an object (key compared after unescaping).
bool find_member(std::string_view obj, std::string_view key, std::string_view& raw) noexcept;

/// Raw text of element `index` of an array.
bool element_at(std::string_view arr, size_t index, std::string_view& raw) noexcept;

/// Converts the raw text of one JSON value to a value; strings with escapes
/// are unescaped into `a`, others point into `raw`.
value to_value(std::string_view raw, arena& a) noexcept;

/// True if the raw key text equals `key` once unescaped.
bool key_equals(std::string_view raw_key, std::string_view key) noexcept;

/// Unescapes the body of a JSON string (without quotes) into `a`.
std::string_view unescape(std::string_view body, arena& a);

inline size_t skip_ws(std::string_view t, size_t p) noexcept {
  while (p < t.size() && (t[p] == ' ' || t[p] == '\n' || t[p] == '\t' || t[p] == '\r'))
    ++p;
  return p;
}

/// Index past the closing quote of the string whose opening quote is at `p`.
size_t skip_string(std::string_view t, size_t p) noexcept;

template <class F>
bool for_each_member(std::string_view obj, F&& f) {
  size_t p = skip_ws(obj, 0);
  if (p >= obj.size() || obj[p] != '{')
    return false;
  p = skip_ws(obj, p + 1);
  if (p < obj.size() && obj[p] == '}')
    return true;
  while (p < obj.size()) {
    if (obj[p] != '"')
      return false;
    size_t kend = skip_string(obj, p);
    if (kend == std::string_view::npos)
      return false;
    std::string_view key = obj.substr(p + 1, kend - p - 2);
    p = skip_ws(obj, kend);
    if (p >= obj.size() || obj[p] != ':')
      return false;
    size_t vb = skip_ws(obj, p + 1);
    size_t ve = skip_value(obj, vb);
    if (ve == std::string_view::npos)
      return false;
    if (!f(key, obj.substr(vb, ve - vb)))
      return true;
    p = skip_ws(obj, ve);
    if (p < obj.size() && obj[p] == ',') {
      p = skip_ws(obj, p + 1);
      continue;
    }
    return p < obj.size() && obj[p] == '}';
  }
  return false;
}

template <class F>
bool for_each_element(std::string_view arr, F&& f) {
  size_t p = skip_ws(arr, 0);
  if (p >= arr.size() || arr[p] != '[')
    return false;
  p = skip_ws(arr, p + 1);
  if (p < arr.size() && arr[p] == ']')
    return true;
  while (p < arr.size()) {
    size_t ve = skip_value(arr, p);
    if (ve == std::string_view::npos)
      return false;
    if (!f(arr.substr(p, ve - p)))
      return true;
    p = skip_ws(arr, ve);
    if (p < arr.size() && arr[p] == ',') {
      p = skip_ws(arr, p + 1);
      continue;
    }
    return p < arr.size() && arr[p] == ']';
  }
  return false;
}

} // namespace cairn::query::json
