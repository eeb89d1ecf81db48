#include "net/decode/timestamp.hpp"

namespace cairn::decode {

namespace {

// Howard Hinnant's days_from_civil: y/m/d to days since 1970-01-01.
int64_t days_from_civil(int64_t y, unsigned m, unsigned d) noexcept {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

bool is_leap(int64_t y) noexcept { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

unsigned days_in_month(int64_t y, unsigned m) noexcept {
  static constexpr unsigned days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && is_leap(y) ? 29 : days[m - 1];
}

/// Cursor over the text that reads fixed-width digit groups.
struct cursor {
  std::string_view s;
  size_t pos = 0;

  bool digits(int n, unsigned& v) noexcept {
    if (pos + n > s.size())
      return false;
    v = 0;
    for (int i = 0; i < n; ++i) {
      char c = s[pos + i];
      if (c < '0' || c > '9')
        return false;
      v = v * 10 + unsigned(c - '0');
    }
    pos += n;
    return true;
  }
  bool eat(char c) noexcept {
    if (pos < s.size() && s[pos] == c) {
      ++pos;
      return true;
    }
    return false;
  }
  bool done() const noexcept { return pos == s.size(); }
  char peek() const noexcept { return pos < s.size() ? s[pos] : '\0'; }
};

} // namespace

std::optional<int64_t> parse_iso8601(std::string_view text) noexcept {
  cursor c{text};
  unsigned year, month, day, hour, minute, second = 0;
  // Date.
  if (!c.digits(4, year) || !c.eat('-') || !c.digits(2, month) || !c.eat('-') ||
      !c.digits(2, day))
    return std::nullopt;
  if (month < 1 || month > 12 || day < 1 || day > days_in_month(year, month))
    return std::nullopt;
  // Time.
  if (!(c.eat('T') || c.eat('t') || c.eat(' ')))
    return std::nullopt;
  if (!c.digits(2, hour) || !c.eat(':') || !c.digits(2, minute))
    return std::nullopt;
  if (c.eat(':') && !c.digits(2, second))
    return std::nullopt;
  // 60 allows a leap second; it folds into the next minute.
  if (hour > 23 || minute > 59 || second > 60)
    return std::nullopt;
  // Fraction: keep 9 digits, truncate the rest.
  int64_t frac = 0;
  if (c.eat('.') || c.eat(',')) {
    int n = 0;
    while (c.peek() >= '0' && c.peek() <= '9') {
      if (n < 9) {
        frac = frac * 10 + (c.peek() - '0');
        ++n;
      }
      ++c.pos;
    }
    if (n == 0)
      return std::nullopt;
    for (; n < 9; ++n)
      frac *= 10;
  }
  // Offset.
  int64_t offset_secs = 0;
  if (c.eat('Z') || c.eat('z')) {
  } else if (c.peek() == '+' || c.peek() == '-') {
    bool negative = c.peek() == '-';
    ++c.pos;
    unsigned oh, om = 0;
    if (!c.digits(2, oh))
      return std::nullopt;
    if (c.eat(':')) {
      if (!c.digits(2, om))
        return std::nullopt;
    } else if (!c.done() && !c.digits(2, om)) {
      return std::nullopt;
    }
    if (oh > 23 || om > 59)
      return std::nullopt;
    offset_secs = static_cast<int64_t>(oh * 3600 + om * 60) * (negative ? -1 : 1);
  }
  if (!c.done())
    return std::nullopt;
  int64_t secs = days_from_civil(year, month, day) * 86400 + int64_t(hour) * 3600 +
                 int64_t(minute) * 60 + int64_t(second) - offset_secs;
  // int64 nanoseconds span about ±292 years around 1970.
  constexpr int64_t max_secs = INT64_MAX / 1'000'000'000 - 1;
  if (secs > max_secs || secs < -max_secs)
    return std::nullopt;
  return secs * 1'000'000'000 + frac;
}

} // namespace cairn::decode
