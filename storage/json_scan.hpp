#pragma once
/// Byte-exact scanning of the compact JSON object text stored in records
/// (properties, resource, scope), for the block codec. Internal to storage/.
///
/// Caveats:
/// - Every function is bounds-checked and total: corrupt or non-compact text
///   makes it fail (false / nullopt), never read out of range.
/// - These functions are part of the block format: decoding re-renders
///   derived messages with them, so changing what they return for a given
///   input changes how old blocks decode. Add new behaviour under a new
///   block version instead.
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>

namespace cairn::storage::blockfmt {

/// Returns the length of the JSON value starting at `s[0]` (a string,
/// number, literal, object or array, compact or not), or 0 if it is not
/// one well-bracketed value. Does not validate number or literal syntax.
size_t json_value_extent(std::string_view s) noexcept;

/// Calls `bool fn(key, value)` for each member (false from `fn` stops the
/// walk early and counts as success) of a compact object
/// `{"k":v,"k":v}` (no whitespace between tokens), with `key` the raw bytes
/// between the quotes (escapes kept) and `value` the raw value text.
/// Returns false, possibly after some calls, if `obj` is not in that form;
/// "{}" calls nothing and returns true.
template <class Fn>
bool for_each_member(std::string_view obj, Fn&& fn);

/// The raw value text of the first top-level member named `name` (compared
/// with the raw key bytes), or nullopt.
std::optional<std::string_view> find_member(std::string_view obj, std::string_view name) noexcept;

/// One object member: raw key bytes and raw value text.
using json_member = std::pair<std::string_view, std::string_view>;

/// The properties of one record, for looking members up by name: either
/// already split (the member list, faster) or only the object text.
struct property_source {
  std::string_view json;                 ///< the object text
  std::span<const json_member> members;  ///< its members, if `split`
  bool split = false;

  /// Same answer as find_member(json, name): the first member so named.
  std::optional<std::string_view> find(std::string_view name) const noexcept {
    if (!split)
      return find_member(json, name);
    for (const auto& [k, v] : members)
      if (k == name)
        return v;
    return std::nullopt;
  }
};

/// Appends `value` as a message template hole shows it without a format:
/// strings unescaped (without quotes), anything else as its JSON text.
/// Returns false if a string literal is malformed.
bool append_plain_rendering(std::string_view value, std::string& out);

/// Appends the text of a JSON string's body (the bytes between its quotes,
/// escapes decoded); false if an escape is malformed.
bool append_unescaped(std::string_view body, std::string& out);

// --- implementation -------------------------------------------------------

/// Length of the string literal at s[0] == '"' including both quotes, or 0.
size_t json_string_extent(std::string_view s) noexcept;

template <class Fn>
bool for_each_member(std::string_view obj, Fn&& fn) {
  if (obj.size() < 2 || obj.front() != '{' || obj.back() != '}')
    return false;
  size_t i = 1, end = obj.size() - 1;
  if (i == end)
    return true;
  for (;;) {
    if (i >= end || obj[i] != '"')
      return false;
    size_t klen = json_string_extent(obj.substr(i, end - i));
    if (klen == 0 || i + klen >= end || obj[i + klen] != ':')
      return false;
    std::string_view key = obj.substr(i + 1, klen - 2);
    i += klen + 1;
    size_t vlen = json_value_extent(obj.substr(i, end - i));
    if (vlen == 0)
      return false;
    if (!fn(key, obj.substr(i, vlen)))
      return true;
    i += vlen;
    if (i == end)
      return true;
    if (obj[i] != ',')
      return false;
    ++i;
  }
}

} // namespace cairn::storage::blockfmt
