#pragma once
#include "storage/json_escape.hpp"
/// The runtime value of the query language: a small, trivially copyable view.
///
/// Caveats:
/// - A value never owns text. Strings point into the event record, into the
///   query's constants, or into an arena (query/arena.hpp); the producer picks
///   a storage that outlives the use. Copy with `value::persist` to keep one.
/// - Arrays and objects are compact JSON text (kind array/object); they are
///   navigated lazily by query/json_text.hpp and compared textually.
/// - Numbers are doubles (Seq uses decimals; integers up to 2^53 are exact).
/// - datetime and duration carry nanoseconds; Seq exposes both as 100 ns
///   ticks, which query/result_json.cpp does at the edge.
#include "query/arena.hpp"

#include <cstdint>
#include <string>
#include <string_view>

namespace cairn::query {

enum class value_kind : uint8_t {
  undefined, ///< missing property or a failed operation; propagates
  null,
  boolean,
  number,
  string,
  datetime, ///< ns since the Unix epoch
  duration, ///< ns
  array,    ///< JSON array text
  object,   ///< JSON object text
};

/// Seq's TypeOf() name of a kind.
std::string_view kind_name(value_kind k) noexcept;

struct value {
  value_kind kind = value_kind::undefined;
  uint32_t len = 0;
  union {
    bool boolean;
    double number;
    int64_t ns;
    const char* text;
  };

  value() noexcept : text(nullptr) {}

  static value undefined() noexcept { return {}; }
  static value null() noexcept {
    value v;
    v.kind = value_kind::null;
    return v;
  }
  static value of(bool b) noexcept {
    value v;
    v.kind = value_kind::boolean;
    v.boolean = b;
    return v;
  }
  static value of(double d) noexcept {
    value v;
    v.kind = value_kind::number;
    v.number = d;
    return v;
  }
  static value string(std::string_view s) noexcept { return text_kind(value_kind::string, s); }
  static value array_json(std::string_view s) noexcept { return text_kind(value_kind::array, s); }
  static value object_json(std::string_view s) noexcept { return text_kind(value_kind::object, s); }
  static value datetime(int64_t ns) noexcept { return time_kind(value_kind::datetime, ns); }
  static value duration(int64_t ns) noexcept { return time_kind(value_kind::duration, ns); }

  bool is_undefined() const noexcept { return kind == value_kind::undefined; }
  bool is_null() const noexcept { return kind == value_kind::null; }
  /// Null or undefined (what `is null` tests).
  bool is_missing() const noexcept { return kind <= value_kind::null; }
  bool is_true() const noexcept { return kind == value_kind::boolean && boolean; }
  bool is_bool() const noexcept { return kind == value_kind::boolean; }
  bool is_number() const noexcept { return kind == value_kind::number; }
  bool is_string() const noexcept { return kind == value_kind::string; }
  bool has_text() const noexcept {
    return kind == value_kind::string || kind == value_kind::array || kind == value_kind::object;
  }
  std::string_view str() const noexcept { return {text, len}; }

  /// Copies the text (if any) into `a` so the value outlives its source.
  value persist(arena& a) const {
    if (!has_text())
      return *this;
    return text_kind(kind, a.copy(str()));
  }

private:
  static value text_kind(value_kind k, std::string_view s) noexcept {
    value v;
    v.kind = k;
    v.text = s.data();
    v.len = static_cast<uint32_t>(s.size());
    return v;
  }
  static value time_kind(value_kind k, int64_t ns) noexcept {
    value v;
    v.kind = k;
    v.ns = ns;
    return v;
  }
};

/// Structural equality (Seq's `=`): same kind and same content; strings are
/// ordinal, or ASCII case-insensitive when `ci`. Undefined never equals.
bool values_equal(const value& a, const value& b, bool ci = false) noexcept;

/// Three-way order for `<` and friends: returns false when the two values are
/// not comparable (different kinds, non-orderable kinds).
bool values_compare(const value& a, const value& b, bool ci, int& out) noexcept;

/// Hash consistent with values_equal (ci folds ASCII case).
uint64_t hash_value(const value& v, bool ci = false) noexcept;

/// Appends the JSON form of `v` (datetime as ISO-8601 string, duration as
/// ticks, undefined as null).
void append_json(std::string& out, const value& v);


/// Appends a number the way Seq prints it (integral values without ".0").
void append_number(std::string& out, double d);

/// Formats Unix ns as ISO-8601 UTC with 7 fractional digits ("...0000000Z").
std::string format_iso8601(int64_t unix_ns);

/// Parses ISO-8601 date/time text to Unix ns; false if it is not one.
bool parse_iso8601(std::string_view s, int64_t& unix_ns) noexcept;

/// 100 ns ticks since 0001-01-01 (Seq's clock) from Unix ns and back.
inline constexpr int64_t unix_epoch_ticks = 621355968000000000LL;
inline int64_t unix_ns_to_ticks(int64_t ns) noexcept {
  // floor division so pre-1970 instants stay monotonic
  int64_t q = ns / 100;
  if (ns % 100 < 0)
    --q;
  return q + unix_epoch_ticks;
}
inline int64_t ticks_to_unix_ns(int64_t ticks) noexcept {
  int64_t d, ns;
  if (__builtin_sub_overflow(ticks, unix_epoch_ticks, &d))
    return INT64_MIN; // only very negative ticks underflow
  if (__builtin_mul_overflow(d, int64_t{100}, &ns))
    return d < 0 ? INT64_MIN : INT64_MAX;
  return ns;
}

/// A double as int64, saturating at the ends of the range (NaN: 0). Query
/// input reaches these conversions, and casting an out-of-range double is
/// undefined behaviour.
inline int64_t saturating_int64(double d) noexcept {
  if (!(d == d))
    return 0;
  if (d >= 9223372036854775807.0)
    return INT64_MAX;
  if (d <= -9223372036854775808.0)
    return INT64_MIN;
  return static_cast<int64_t>(d);
}

/// a + b for instants and durations, saturating instead of overflowing.
inline int64_t saturating_add(int64_t a, int64_t b) noexcept {
  int64_t r;
  if (__builtin_add_overflow(a, b, &r))
    return b < 0 ? INT64_MIN : INT64_MAX;
  return r;
}
inline int64_t saturating_sub(int64_t a, int64_t b) noexcept {
  int64_t r;
  if (__builtin_sub_overflow(a, b, &r))
    return b > 0 ? INT64_MIN : INT64_MAX;
  return r;
}

/// ASCII case-insensitive equality.
bool iequals_ascii(std::string_view a, std::string_view b) noexcept;

} // namespace cairn::query
