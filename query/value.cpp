#include "query/value.hpp"

#include "storage/bloom.hpp"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <ctime>

namespace cairn::query {

std::string_view kind_name(value_kind k) noexcept {
  switch (k) {
    case value_kind::undefined: return "undefined";
    case value_kind::null: return "null";
    case value_kind::boolean: return "boolean";
    case value_kind::number: return "number";
    case value_kind::string: return "string";
    case value_kind::datetime: return "datetime";
    case value_kind::duration: return "timespan";
    case value_kind::array: return "array";
    case value_kind::object: return "object";
  }
  return "undefined";
}

namespace {

inline char lower(char c) noexcept { return c >= 'A' && c <= 'Z' ? char(c + 32) : c; }

int icompare(std::string_view a, std::string_view b) noexcept {
  size_t n = a.size() < b.size() ? a.size() : b.size();
  for (size_t i = 0; i < n; ++i) {
    auto x = static_cast<unsigned char>(lower(a[i]));
    auto y = static_cast<unsigned char>(lower(b[i]));
    if (x != y)
      return x < y ? -1 : 1;
  }
  return a.size() < b.size() ? -1 : a.size() > b.size() ? 1 : 0;
}

// Seq compares timestamps with plain numbers as 100 ns ticks; we allow the
// same for durations, so `@Elapsed > 10000000` and `@Elapsed > 1s` agree.
bool as_ticks(const value& v, double& out) noexcept {
  if (v.kind == value_kind::number) {
    out = v.number;
    return true;
  }
  if (v.kind == value_kind::datetime) {
    out = double(unix_ns_to_ticks(v.ns));
    return true;
  }
  if (v.kind == value_kind::duration) {
    out = double(v.ns) / 100.0;
    return true;
  }
  return false;
}

bool mixed_time(const value& a, const value& b) noexcept {
  auto t = [](value_kind k) { return k == value_kind::datetime || k == value_kind::duration; };
  return (t(a.kind) && b.kind == value_kind::number) || (t(b.kind) && a.kind == value_kind::number);
}

} // namespace

bool iequals_ascii(std::string_view a, std::string_view b) noexcept {
  return a.size() == b.size() && icompare(a, b) == 0;
}

bool values_equal(const value& a, const value& b, bool ci) noexcept {
  if (a.kind != b.kind) {
    if (mixed_time(a, b)) {
      double x, y;
      as_ticks(a, x);
      as_ticks(b, y);
      return x == y;
    }
    return false;
  }
  switch (a.kind) {
    case value_kind::undefined: return false;
    case value_kind::null: return true;
    case value_kind::boolean: return a.boolean == b.boolean;
    case value_kind::number: return a.number == b.number;
    case value_kind::datetime:
    case value_kind::duration: return a.ns == b.ns;
    case value_kind::string:
      return ci ? iequals_ascii(a.str(), b.str()) : a.str() == b.str();
    case value_kind::array:
    case value_kind::object: return a.str() == b.str();
  }
  return false;
}

bool values_compare(const value& a, const value& b, bool ci, int& out) noexcept {
  if (a.kind != b.kind) {
    if (!mixed_time(a, b))
      return false;
    double x, y;
    as_ticks(a, x);
    as_ticks(b, y);
    out = x < y ? -1 : x > y ? 1 : 0;
    return true;
  }
  switch (a.kind) {
    case value_kind::number:
      if (std::isnan(a.number) || std::isnan(b.number))
        return false;
      out = a.number < b.number ? -1 : a.number > b.number ? 1 : 0;
      return true;
    case value_kind::datetime:
    case value_kind::duration:
      out = a.ns < b.ns ? -1 : a.ns > b.ns ? 1 : 0;
      return true;
    case value_kind::string: {
      if (ci) {
        out = icompare(a.str(), b.str());
      } else {
        int c = a.str().compare(b.str());
        out = c < 0 ? -1 : c > 0 ? 1 : 0;
      }
      return true;
    }
    default: return false;
  }
}

uint64_t hash_value(const value& v, bool ci) noexcept {
  uint64_t h = 0x51ed27ULL * (uint64_t(v.kind) + 1);
  switch (v.kind) {
    case value_kind::boolean: return h ^ (v.boolean ? 0x9e3779b97f4a7c15ULL : 0x7f4a7c159e3779b9ULL);
    case value_kind::number: {
      double d = v.number == 0 ? 0.0 : v.number; // -0 == 0
      uint64_t bits;
      std::memcpy(&bits, &d, 8);
      return storage::hash_bytes({reinterpret_cast<const char*>(&bits), 8}) ^ h;
    }
    case value_kind::datetime:
    case value_kind::duration:
      return storage::hash_bytes({reinterpret_cast<const char*>(&v.ns), 8}) ^ h;
    case value_kind::string:
    case value_kind::array:
    case value_kind::object:
      if (ci && v.kind == value_kind::string) {
        char buf[256];
        auto s = v.str();
        if (s.size() <= sizeof buf) {
          for (size_t i = 0; i < s.size(); ++i)
            buf[i] = lower(s[i]);
          return storage::hash_bytes({buf, s.size()}) ^ h;
        }
        uint64_t acc = h;
        for (char c : s)
          acc = (acc ^ uint8_t(lower(c))) * 0x100000001b3ULL;
        return acc;
      }
      return storage::hash_bytes(v.str()) ^ h;
    default: return h;
  }
}


void append_number(std::string& out, double d) {
  if (!std::isfinite(d)) {
    out += "null";
    return;
  }
  char buf[64];
  if (d == std::floor(d) && std::fabs(d) < 9007199254740992.0) {
    auto r = std::to_chars(buf, buf + sizeof buf, static_cast<int64_t>(d));
    out.append(buf, r.ptr);
    return;
  }
  auto r = std::to_chars(buf, buf + sizeof buf, d);
  out.append(buf, r.ptr);
}

void append_json(std::string& out, const value& v) {
  switch (v.kind) {
    case value_kind::undefined:
    case value_kind::null: out += "null"; break;
    case value_kind::boolean: out += v.boolean ? "true" : "false"; break;
    case value_kind::number: append_number(out, v.number); break;
    case value_kind::string: append_json_string(out, v.str()); break;
    case value_kind::datetime: append_json_string(out, format_iso8601(v.ns)); break;
    case value_kind::duration: append_number(out, double(v.ns / 100)); break;
    case value_kind::array:
    case value_kind::object: out.append(v.str()); break;
  }
}

namespace {

// Howard Hinnant's civil-from-days / days-from-civil.
int64_t days_from_civil(int64_t y, unsigned m, unsigned d) noexcept {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

void civil_from_days(int64_t z, int64_t& y, unsigned& m, unsigned& d) noexcept {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  y = static_cast<int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  d = doy - (153 * mp + 2) / 5 + 1;
  m = mp + (mp < 10 ? 3 : -9);
  y += m <= 2;
}

bool digits(std::string_view s, size_t pos, size_t n, int& out) noexcept {
  if (pos + n > s.size())
    return false;
  int v = 0;
  for (size_t i = 0; i < n; ++i) {
    char c = s[pos + i];
    if (c < '0' || c > '9')
      return false;
    v = v * 10 + (c - '0');
  }
  out = v;
  return true;
}

} // namespace

std::string format_iso8601(int64_t ns) {
  int64_t secs = ns / 1000000000;
  int64_t frac = ns % 1000000000;
  if (frac < 0) {
    frac += 1000000000;
    --secs;
  }
  int64_t days = secs / 86400;
  int64_t rem = secs % 86400;
  if (rem < 0) {
    rem += 86400;
    --days;
  }
  int64_t y;
  unsigned m, d;
  civil_from_days(days, y, m, d);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04lld-%02u-%02uT%02lld:%02lld:%02lld.%07lldZ",
                static_cast<long long>(y), m, d, static_cast<long long>(rem / 3600),
                static_cast<long long>(rem / 60 % 60), static_cast<long long>(rem % 60),
                static_cast<long long>(frac / 100));
  return buf;
}

bool parse_iso8601(std::string_view s, int64_t& out) noexcept {
  int y, mo, d, h = 0, mi = 0, sec = 0;
  if (!digits(s, 0, 4, y) || s.size() < 10 || s[4] != '-' || !digits(s, 5, 2, mo) || s[7] != '-' ||
      !digits(s, 8, 2, d))
    return false;
  static constexpr int month_days[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  if (mo < 1 || mo > 12 || d < 1 || d > month_days[mo - 1] || (mo == 2 && d == 29 && !leap))
    return false;
  size_t pos = 10;
  int64_t frac_ns = 0;
  int64_t offset_s = 0;
  if (pos < s.size() && (s[pos] == 'T' || s[pos] == 't' || s[pos] == ' ')) {
    ++pos;
    if (!digits(s, pos, 2, h) || pos + 2 >= s.size() || s[pos + 2] != ':' || !digits(s, pos + 3, 2, mi))
      return false;
    pos += 5;
    if (pos < s.size() && s[pos] == ':') {
      if (!digits(s, pos + 1, 2, sec))
        return false;
      pos += 3;
      if (pos < s.size() && (s[pos] == '.' || s[pos] == ',')) {
        ++pos;
        int64_t scale = 100000000;
        size_t n = 0;
        while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
          frac_ns += (s[pos] - '0') * scale;
          scale /= 10;
          ++pos;
          ++n;
        }
        if (n == 0)
          return false;
      }
    }
    if (pos < s.size()) {
      if (s[pos] == 'Z' || s[pos] == 'z') {
        ++pos;
      } else if (s[pos] == '+' || s[pos] == '-') {
        int oh, om = 0;
        int sign = s[pos] == '-' ? -1 : 1;
        if (!digits(s, pos + 1, 2, oh))
          return false;
        pos += 3;
        if (pos < s.size() && s[pos] == ':')
          ++pos;
        if (pos < s.size()) {
          if (!digits(s, pos, 2, om))
            return false;
          pos += 2;
        }
        offset_s = sign * (oh * 3600 + om * 60);
      }
    }
  }
  if (pos != s.size() || h > 23 || mi > 59 || sec > 60)
    return false;
  int64_t days = days_from_civil(y, unsigned(mo), unsigned(d));
  out = ((days * 86400 + h * 3600 + mi * 60 + sec) - offset_s) * 1000000000LL + frac_ns;
  return true;
}

} // namespace cairn::query
