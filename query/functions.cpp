#include "query/functions.hpp"

#include "query/json_text.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>

namespace cairn::query {

size_t utf8_length(std::string_view s) noexcept {
  size_t n = 0;
  for (char c : s)
    n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return n;
}

size_t utf8_offset(std::string_view s, size_t cp) noexcept {
  size_t i = 0;
  // Fast path: ASCII prefix.
  while (i < s.size() && cp > 0 && static_cast<unsigned char>(s[i]) < 0x80) {
    ++i;
    --cp;
  }
  if (cp == 0)
    return i;
  for (; i < s.size(); ++i) {
    if ((static_cast<unsigned char>(s[i]) & 0xC0) != 0x80) {
      if (cp == 0)
        return i;
      --cp;
    }
  }
  return s.size();
}

namespace {

inline char lower(char c) noexcept { return c >= 'A' && c <= 'Z' ? char(c + 32) : c; }

// Byte position of `needle` in `hay` at or after `from`, ASCII-ci if asked.
size_t find_text(std::string_view hay, std::string_view needle, bool ci, bool last) {
  if (!ci)
    return last ? hay.rfind(needle) : hay.find(needle);
  if (needle.size() > hay.size())
    return std::string_view::npos;
  auto match_at = [&](size_t i) {
    for (size_t j = 0; j < needle.size(); ++j)
      if (lower(hay[i + j]) != lower(needle[j]))
        return false;
    return true;
  };
  size_t n = hay.size() - needle.size();
  if (last) {
    for (size_t i = n + 1; i-- > 0;)
      if (match_at(i))
        return i;
  } else {
    for (size_t i = 0; i <= n; ++i)
      if (match_at(i))
        return i;
  }
  return std::string_view::npos;
}

// Byte position and length of the first/last regex match.
bool regex_find(std::string_view s, const std::regex& re, bool last, size_t& pos, size_t& len) {
  bool found = false;
  for (std::cregex_iterator it(s.data(), s.data() + s.size(), re), end; it != end; ++it) {
    pos = size_t(it->position(0));
    len = size_t(it->length(0));
    found = true;
    if (!last)
      break;
  }
  return found;
}

bool whole_number(const value& v, int64_t& out) {
  if (!v.is_number() || v.number != std::floor(v.number) || std::fabs(v.number) > 9e15)
    return false;
  out = int64_t(v.number);
  return true;
}

value str_result(eval_context& ctx, std::string_view s) { return value::string(ctx.scratch().copy(s)); }

// ---- string functions

value fn_substring(const fn_call& c) {
  const value& s = c.args[0];
  int64_t start, len = -1;
  if (!s.is_string() || !whole_number(c.args[1], start) || start < 0)
    return {};
  if (c.argc > 2 && !c.args[2].is_null()) {
    if (!whole_number(c.args[2], len) || len < 0)
      return {};
  }
  auto text = s.str();
  size_t b = utf8_offset(text, size_t(start));
  if (b == text.size() && utf8_length(text) < size_t(start))
    return {};
  if (len < 0)
    return value::string(text.substr(b));
  size_t e = b + utf8_offset(text.substr(b), size_t(len));
  return value::string(text.substr(b, e - b));
}

value index_of(const fn_call& c, bool last) {
  const value& s = c.args[0];
  if (!s.is_string())
    return {};
  size_t pos;
  if (c.regexes[1]) {
    size_t len;
    if (!regex_find(s.str(), *c.regexes[1], last, pos, len))
      return value::of(-1.0);
  } else {
    if (!c.args[1].is_string())
      return {};
    pos = find_text(s.str(), c.args[1].str(), c.ci, last);
    if (pos == std::string_view::npos)
      return value::of(-1.0);
  }
  return value::of(double(utf8_length(s.str().substr(0, pos))));
}
value fn_indexof(const fn_call& c) { return index_of(c, false); }
value fn_lastindexof(const fn_call& c) { return index_of(c, true); }

value fn_contains(const fn_call& c) {
  if (!c.args[0].is_string())
    return {};
  if (c.regexes[1]) {
    size_t p, l;
    return value::of(regex_find(c.args[0].str(), *c.regexes[1], false, p, l));
  }
  if (!c.args[1].is_string())
    return {};
  return value::of(find_text(c.args[0].str(), c.args[1].str(), c.ci, false) != std::string_view::npos);
}

value fn_startswith(const fn_call& c) {
  if (!c.args[0].is_string())
    return {};
  auto s = c.args[0].str();
  if (c.regexes[1]) {
    std::cmatch m;
    return value::of(std::regex_search(s.data(), s.data() + s.size(), m, *c.regexes[1],
                                       std::regex_constants::match_continuous));
  }
  if (!c.args[1].is_string())
    return {};
  auto t = c.args[1].str();
  if (t.size() > s.size())
    return value::of(false);
  return value::of(c.ci ? iequals_ascii(s.substr(0, t.size()), t) : s.starts_with(t));
}

value fn_endswith(const fn_call& c) {
  if (!c.args[0].is_string())
    return {};
  auto s = c.args[0].str();
  if (c.regexes[1]) {
    size_t p, l;
    bool found = false;
    for (std::cregex_iterator it(s.data(), s.data() + s.size(), *c.regexes[1]), end; it != end; ++it)
      if (size_t(it->position(0) + it->length(0)) == s.size())
        found = true;
    (void)p;
    (void)l;
    return value::of(found);
  }
  if (!c.args[1].is_string())
    return {};
  auto t = c.args[1].str();
  if (t.size() > s.size())
    return value::of(false);
  return value::of(c.ci ? iequals_ascii(s.substr(s.size() - t.size()), t) : s.ends_with(t));
}

value fn_length(const fn_call& c) {
  const value& v = c.args[0];
  if (v.is_string())
    return value::of(double(utf8_length(v.str())));
  if (v.kind == value_kind::array || v.kind == value_kind::object) {
    size_t n = 0;
    if (v.kind == value_kind::array)
      json::for_each_element(v.str(), [&](std::string_view) { return ++n, true; });
    else
      json::for_each_member(v.str(), [&](std::string_view, std::string_view) { return ++n, true; });
    return value::of(double(n));
  }
  return {};
}

value change_case(const fn_call& c, bool upper) {
  if (!c.args[0].is_string())
    return {};
  auto s = c.args[0].str();
  char* out = c.ctx.scratch().allocate(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    char ch = s[i];
    if (upper && ch >= 'a' && ch <= 'z')
      ch = char(ch - 32);
    else if (!upper && ch >= 'A' && ch <= 'Z')
      ch = char(ch + 32);
    out[i] = ch;
  }
  return value::string({out, s.size()});
}
value fn_toupper(const fn_call& c) { return change_case(c, true); }
value fn_tolower(const fn_call& c) { return change_case(c, false); }

value fn_concat(const fn_call& c) {
  size_t total = 0;
  for (size_t i = 0; i < c.argc; ++i) {
    if (!c.args[i].is_string())
      return {};
    total += c.args[i].len;
  }
  char* out = c.ctx.scratch().allocate(total);
  size_t p = 0;
  for (size_t i = 0; i < c.argc; ++i) {
    std::memcpy(out + p, c.args[i].text, c.args[i].len);
    p += c.args[i].len;
  }
  return value::string({out, total});
}

value fn_replace(const fn_call& c) {
  if (!c.args[0].is_string() || !c.args[2].is_string())
    return {};
  auto s = c.args[0].str();
  auto r = c.args[2].str();
  std::string out;
  if (c.regexes[1]) {
    out = std::regex_replace(std::string(s), *c.regexes[1], std::string(r));
  } else {
    if (!c.args[1].is_string())
      return {};
    auto t = c.args[1].str();
    if (t.empty())
      return c.args[0];
    size_t pos = 0;
    for (;;) {
      size_t f = find_text(s.substr(pos), t, c.ci, false);
      if (f == std::string_view::npos) {
        out.append(s.substr(pos));
        break;
      }
      out.append(s.substr(pos, f));
      out.append(r);
      pos += f + t.size();
    }
  }
  return str_result(c.ctx, out);
}

// ---- general

value fn_has(const fn_call& c) { return value::of(!c.args[0].is_undefined()); }

value fn_coalesce(const fn_call& c) {
  for (size_t i = 0; i < c.argc; ++i)
    if (!c.args[i].is_missing())
      return c.args[i];
  return c.argc ? c.args[c.argc - 1] : value{};
}

value fn_typeof(const fn_call& c) { return value::string(kind_name(c.args[0].kind)); }

value fn_round(const fn_call& c) {
  int64_t places;
  if (!c.args[0].is_number() || !whole_number(c.args[1], places) || places < 0 || places > 15)
    return {};
  double scale = std::pow(10.0, double(places));
  // Midpoints round up (away from zero), as Seq's reference documents.
  return value::of(std::round(c.args[0].number * scale) / scale);
}

value fn_floor(const fn_call& c) {
  return c.args[0].is_number() ? value::of(std::floor(c.args[0].number)) : value{};
}
value fn_ceiling(const fn_call& c) {
  return c.args[0].is_number() ? value::of(std::ceil(c.args[0].number)) : value{};
}
value fn_abs(const fn_call& c) {
  return c.args[0].is_number() ? value::of(std::fabs(c.args[0].number)) : value{};
}

value fn_keys(const fn_call& c) {
  if (c.args[0].kind != value_kind::object)
    return {};
  std::string out = "[";
  json::for_each_member(c.args[0].str(), [&](std::string_view k, std::string_view) {
    if (out.size() > 1)
      out.push_back(',');
    out.push_back('"');
    out.append(k);
    out.push_back('"');
    return true;
  });
  out.push_back(']');
  return value::array_json(c.ctx.scratch().copy(out));
}

value fn_values(const fn_call& c) {
  if (c.args[0].kind == value_kind::array)
    return c.args[0];
  if (c.args[0].kind != value_kind::object)
    return {};
  std::string out = "[";
  json::for_each_member(c.args[0].str(), [&](std::string_view, std::string_view v) {
    if (out.size() > 1)
      out.push_back(',');
    out.append(v);
    return true;
  });
  out.push_back(']');
  return value::array_json(c.ctx.scratch().copy(out));
}

value fn_elementat(const fn_call& c) {
  const value& coll = c.args[0];
  std::string_view raw;
  if (coll.kind == value_kind::array) {
    int64_t i;
    if (!whole_number(c.args[1], i) || i < 0 || !json::element_at(coll.str(), size_t(i), raw))
      return {};
    return json::to_value(raw, c.ctx.scratch());
  }
  if (coll.kind == value_kind::object && c.args[1].is_string()) {
    if (!json::find_member(coll.str(), c.args[1].str(), raw))
      return {};
    return json::to_value(raw, c.ctx.scratch());
  }
  return {};
}

value fn_tojson(const fn_call& c) {
  std::string out;
  append_json(out, c.args[0]);
  return str_result(c.ctx, out);
}

value fn_fromjson(const fn_call& c) {
  if (!c.args[0].is_string())
    return {};
  auto s = c.args[0].str();
  size_t b = json::skip_ws(s, 0);
  size_t e = json::skip_value(s, b);
  if (e == std::string_view::npos || json::skip_ws(s, e) != s.size())
    return {};
  auto raw = s.substr(b, e - b);
  // Scalars must be exactly a JSON literal or number.
  if (raw[0] == 't' || raw[0] == 'f' || raw[0] == 'n') {
    if (raw != "true" && raw != "false" && raw != "null")
      return {};
  } else if (raw[0] != '"' && raw[0] != '{' && raw[0] != '[') {
    double d;
    auto r = std::from_chars(raw.data(), raw.data() + raw.size(), d);
    if (r.ec != std::errc{} || r.ptr != raw.data() + raw.size())
      return {};
  }
  return json::to_value(raw, c.ctx.scratch());
}

value fn_tonumber(const fn_call& c) {
  if (c.args[0].is_number())
    return c.args[0];
  if (!c.args[0].is_string())
    return {};
  auto s = c.args[0].str();
  double d;
  auto r = std::from_chars(s.data(), s.data() + s.size(), d);
  if (r.ec != std::errc{} || r.ptr != s.data() + s.size() || s.empty())
    return {};
  return value::of(d);
}

value fn_tostring(const fn_call& c) {
  if (c.args[0].is_string())
    return c.args[0];
  std::string out;
  if (c.args[0].kind == value_kind::datetime)
    out = format_iso8601(c.args[0].ns);
  else
    append_json(out, c.args[0]);
  return str_result(c.ctx, out);
}

value fn_tohexstring(const fn_call& c) {
  int64_t n;
  if (!whole_number(c.args[0], n))
    return {};
  char buf[32];
  auto r = std::to_chars(buf, buf + sizeof buf, uint64_t(n), 16);
  std::string s = "0x";
  s.append(buf, r.ptr);
  for (size_t i = 2; i < s.size(); ++i)
    if (s[i] >= 'a' && s[i] <= 'f')
      s[i] = char(s[i] - 32);
  return str_result(c.ctx, s);
}

// ---- time

value fn_now(const fn_call& c) { return value::datetime(c.ctx.now_ns()); }

value fn_datetime(const fn_call& c) {
  const value& v = c.args[0];
  if (v.kind == value_kind::datetime)
    return v;
  if (v.is_number())
    return value::datetime(ticks_to_unix_ns(saturating_int64(v.number)));
  int64_t ns;
  if (v.is_string() && parse_iso8601(v.str(), ns))
    return value::datetime(ns);
  return {};
}

bool duration_ns(const value& v, int64_t& ns) {
  if (v.kind == value_kind::duration) {
    ns = v.ns;
    return true;
  }
  if (v.is_number()) { // ticks
    ns = saturating_int64(v.number * 100);
    return true;
  }
  return false;
}

value fn_totalmilliseconds(const fn_call& c) {
  int64_t ns;
  if (!duration_ns(c.args[0], ns))
    return {};
  return value::of(double(ns) / 1e6);
}

value fn_timespan(const fn_call& c) {
  const value& v = c.args[0];
  int64_t ns;
  if (duration_ns(v, ns))
    return value::duration(ns);
  if (!v.is_string())
    return {};
  // [d.]hh:mm:ss[.fffffff]
  auto s = v.str();
  int64_t days = 0, h = 0, m = 0;
  double sec = 0;
  size_t colon = s.find(':');
  if (colon == std::string_view::npos)
    return {};
  auto head = s.substr(0, colon);
  size_t dot = head.find('.');
  auto num = [](std::string_view t, int64_t& out) {
    auto r = std::from_chars(t.data(), t.data() + t.size(), out);
    return r.ec == std::errc{} && r.ptr == t.data() + t.size() && !t.empty();
  };
  if (dot != std::string_view::npos) {
    if (!num(head.substr(0, dot), days) || !num(head.substr(dot + 1), h))
      return {};
  } else if (!num(head, h)) {
    return {};
  }
  auto rest = s.substr(colon + 1);
  size_t c2 = rest.find(':');
  if (!num(rest.substr(0, c2), m))
    return {};
  if (c2 != std::string_view::npos) {
    auto st = rest.substr(c2 + 1);
    auto r = std::from_chars(st.data(), st.data() + st.size(), sec);
    if (r.ec != std::errc{} || r.ptr != st.data() + st.size())
      return {};
  }
  return value::duration(((days * 24 + h) * 60 + m) * 60000000000LL + int64_t(std::llround(sec * 1e9)));
}

value fn_toisostring(const fn_call& c) {
  if (c.args[0].kind != value_kind::datetime)
    return {};
  return str_result(c.ctx, format_iso8601(c.args[0].ns));
}

int64_t offset_ns(const fn_call& c, size_t i, bool& ok) {
  ok = true;
  if (c.argc <= i)
    return 0;
  int64_t ns;
  if (c.args[i].kind == value_kind::duration)
    return c.args[i].ns;
  if (c.args[i].is_number()) // hours
    return saturating_int64(c.args[i].number * 3600e9);
  (void)ns;
  ok = false;
  return 0;
}

value fn_timeofday(const fn_call& c) {
  if (c.args[0].kind != value_kind::datetime)
    return {};
  bool ok;
  int64_t t = c.args[0].ns + offset_ns(c, 1, ok);
  if (!ok)
    return {};
  int64_t day = 86400000000000LL;
  int64_t r = t % day;
  if (r < 0)
    r += day;
  return value::duration(r);
}

value fn_datepart(const fn_call& c) {
  if (c.args[0].kind != value_kind::datetime || !c.args[1].is_string())
    return {};
  bool ok;
  int64_t t = c.args[0].ns + offset_ns(c, 2, ok);
  if (!ok)
    return {};
  auto iso = format_iso8601(t); // yyyy-mm-ddThh:mm:ss.fffffffZ
  auto part = c.args[1].str();
  auto field = [&](size_t p, size_t n) { return value::of(double(std::stoi(iso.substr(p, n)))); };
  if (iequals_ascii(part, "year")) return field(0, 4);
  if (iequals_ascii(part, "month")) return field(5, 2);
  if (iequals_ascii(part, "day")) return field(8, 2);
  if (iequals_ascii(part, "hour")) return field(11, 2);
  if (iequals_ascii(part, "minute")) return field(14, 2);
  if (iequals_ascii(part, "second")) return field(17, 2);
  if (iequals_ascii(part, "millisecond")) return field(20, 3);
  if (iequals_ascii(part, "weekday")) {
    int64_t days = t / 86400000000000LL - (t % 86400000000000LL < 0);
    return value::of(double(((days % 7) + 11) % 7)); // 1970-01-01 was a Thursday (4)
  }
  return {};
}

constexpr uint32_t arg1 = 1u << 1;

constexpr function_info functions[] = {
  {"Substring", 2, 3, true, 0, false, fn_substring},
  {"IndexOf", 2, 2, true, arg1, false, fn_indexof},
  {"LastIndexOf", 2, 2, true, arg1, false, fn_lastindexof},
  {"StartsWith", 2, 2, true, arg1, true, fn_startswith},
  {"EndsWith", 2, 2, true, arg1, true, fn_endswith},
  {"Contains", 2, 2, true, arg1, true, fn_contains},
  {"Length", 1, 1, true, 0, false, fn_length},
  {"ToUpper", 1, 1, true, 0, false, fn_toupper},
  {"ToLower", 1, 1, true, 0, false, fn_tolower},
  {"Concat", 1, 16, true, 0, false, fn_concat},
  {"Replace", 3, 3, true, arg1, false, fn_replace},
  {"Has", 1, 1, false, 0, true, fn_has},
  {"Coalesce", 1, 16, false, 0, false, fn_coalesce},
  {"TypeOf", 1, 1, false, 0, false, fn_typeof},
  {"Round", 2, 2, true, 0, false, fn_round},
  {"Floor", 1, 1, true, 0, false, fn_floor},
  {"Ceiling", 1, 1, true, 0, false, fn_ceiling},
  {"Abs", 1, 1, true, 0, false, fn_abs},
  {"Keys", 1, 1, true, 0, false, fn_keys},
  {"Values", 1, 1, true, 0, false, fn_values},
  {"ElementAt", 2, 2, true, 0, false, fn_elementat},
  {"ToJson", 1, 1, false, 0, false, fn_tojson},
  {"FromJson", 1, 1, true, 0, false, fn_fromjson},
  {"ToNumber", 1, 1, true, 0, false, fn_tonumber},
  {"ToString", 1, 1, true, 0, false, fn_tostring},
  {"ToHexString", 1, 1, true, 0, false, fn_tohexstring},
  {"Now", 0, 0, true, 0, false, fn_now},
  {"DateTime", 1, 1, true, 0, false, fn_datetime},
  {"TotalMilliseconds", 1, 1, true, 0, false, fn_totalmilliseconds},
  {"TimeSpan", 1, 1, true, 0, false, fn_timespan},
  {"ToIsoString", 1, 2, true, 0, false, fn_toisostring},
  {"TimeOfDay", 1, 2, true, 0, false, fn_timeofday},
  {"DatePart", 2, 3, true, 0, false, fn_datepart},
};

} // namespace

const function_info* find_function(std::string_view name) noexcept {
  for (const auto& f : functions)
    if (iequals_ascii(f.name, name))
      return &f;
  return nullptr;
}

bool is_aggregate_name(std::string_view name) noexcept {
  static constexpr std::string_view names[] = {"count", "distinct", "sum", "min", "max", "mean",
                                               "percentile", "first", "last", "any", "all"};
  for (auto n : names)
    if (iequals_ascii(n, name))
      return true;
  return false;
}

} // namespace cairn::query
