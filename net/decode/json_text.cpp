#include "net/decode/json_text.hpp"

#include <charconv>
#include <cmath>

namespace cairn::decode {


void append_hex_lower(std::string& out, std::string_view bytes) {
  static constexpr char hex[] = "0123456789abcdef";
  size_t at = out.size();
  out.resize(at + bytes.size() * 2);
  for (unsigned char c : bytes) {
    out[at++] = hex[c >> 4];
    out[at++] = hex[c & 0xf];
  }
}

void append_lower(std::string& out, std::string_view s) {
  size_t at = out.size();
  out.resize(at + s.size());
  for (char c : s)
    out[at++] = (c >= 'A' && c <= 'Z') ? char(c - 'A' + 'a') : c;
}

void append_base64(std::string& out, std::string_view bytes) {
  static constexpr char table[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  auto b = [&](size_t i) { return static_cast<uint32_t>(static_cast<unsigned char>(bytes[i])); };
  size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    uint32_t n = b(i) << 16 | b(i + 1) << 8 | b(i + 2);
    out.push_back(table[n >> 18 & 63]);
    out.push_back(table[n >> 12 & 63]);
    out.push_back(table[n >> 6 & 63]);
    out.push_back(table[n & 63]);
  }
  size_t rest = bytes.size() - i;
  if (rest == 1) {
    uint32_t n = b(i) << 16;
    out.push_back(table[n >> 18 & 63]);
    out.push_back(table[n >> 12 & 63]);
    out.append("==", 2);
  } else if (rest == 2) {
    uint32_t n = b(i) << 16 | b(i + 1) << 8;
    out.push_back(table[n >> 18 & 63]);
    out.push_back(table[n >> 12 & 63]);
    out.push_back(table[n >> 6 & 63]);
    out.push_back('=');
  }
}

void append_json_double(std::string& out, double v) {
  if (std::isnan(v)) {
    out.append("\"NaN\"");
    return;
  }
  if (std::isinf(v)) {
    out.append(v > 0 ? "\"Infinity\"" : "\"-Infinity\"");
    return;
  }
  char buf[32];
  auto res = std::to_chars(buf, buf + sizeof buf, v);
  std::string_view text{buf, static_cast<size_t>(res.ptr - buf)};
  out.append(text);
  // A float must stay a float when read back (1.0 must not become 1).
  if (text.find_first_of(".eE") == std::string_view::npos)
    out.append(".0", 2);
}

void append_int(std::string& out, int64_t v) {
  char buf[24];
  auto res = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, static_cast<size_t>(res.ptr - buf));
}

namespace {

// Howard Hinnant's civil_from_days: days since 1970-01-01 to y/m/d.
void civil_from_days(int64_t z, int64_t& y, unsigned& m, unsigned& d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  y = static_cast<int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  d = doy - (153 * mp + 2) / 5 + 1;
  m = mp < 10 ? mp + 3 : mp - 9;
  y += m <= 2;
}

void put_digits(char* p, uint64_t v, int n) {
  for (int i = n - 1; i >= 0; --i) {
    p[i] = static_cast<char>('0' + v % 10);
    v /= 10;
  }
}

} // namespace

void append_iso8601(std::string& out, int64_t ns) {
  int64_t secs = ns / 1'000'000'000;
  int64_t frac = ns % 1'000'000'000;
  if (frac < 0) {
    frac += 1'000'000'000;
    --secs;
  }
  int64_t days = secs / 86400;
  int64_t sod = secs % 86400;
  if (sod < 0) {
    sod += 86400;
    --days;
  }
  int64_t y;
  unsigned m, d;
  civil_from_days(days, y, m, d);
  char buf[30]; // YYYY-MM-DDTHH:MM:SS.fffffffffZ
  put_digits(buf, static_cast<uint64_t>(y < 0 ? 0 : y), 4);
  buf[4] = '-';
  put_digits(buf + 5, m, 2);
  buf[7] = '-';
  put_digits(buf + 8, d, 2);
  buf[10] = 'T';
  put_digits(buf + 11, static_cast<uint64_t>(sod / 3600), 2);
  buf[13] = ':';
  put_digits(buf + 14, static_cast<uint64_t>(sod / 60 % 60), 2);
  buf[16] = ':';
  put_digits(buf + 17, static_cast<uint64_t>(sod % 60), 2);
  buf[19] = '.';
  put_digits(buf + 20, static_cast<uint64_t>(frac), 9);
  buf[29] = 'Z';
  out.append(buf, 30);
}

} // namespace cairn::decode
