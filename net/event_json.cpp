#include "net/event_json.hpp"

#include "net/http_types.hpp"

#include <simdjson.h>

#include <charconv>
#include <cinttypes>
#include <cstdio>
#include <ctime>

namespace cairn::net {

namespace {

using storage::field;

void write_string(std::string& out, std::string_view s) {
  out.push_back('"');
  json_escape_into(out, s);
  out.push_back('"');
}

/// Message template tokens: literal text and {Property} holes, `{{`/`}}`
/// unescaped in text.
void write_template_tokens(std::string& out, std::string_view tpl) {
  out += "[";
  bool first = true;
  std::string text;
  auto flush_text = [&] {
    if (text.empty())
      return;
    out += first ? "" : ",";
    first = false;
    out += "{\"Text\":";
    write_string(out, text);
    out += "}";
    text.clear();
  };
  for (size_t i = 0; i < tpl.size(); ++i) {
    char c = tpl[i];
    if ((c == '{' || c == '}') && i + 1 < tpl.size() && tpl[i + 1] == c) {
      text.push_back(c);
      ++i;
      continue;
    }
    if (c == '{') {
      auto close = tpl.find('}', i);
      if (close != std::string_view::npos) {
        auto raw = tpl.substr(i, close - i + 1);
        auto name = raw.substr(1, raw.size() - 2);
        if (!name.empty() && (name[0] == '@' || name[0] == '$'))
          name.remove_prefix(1);
        name = name.substr(0, name.find_first_of(",:"));
        flush_text();
        out += first ? "" : ",";
        first = false;
        out += "{\"PropertyName\":";
        write_string(out, name);
        out += ",\"RawText\":";
        write_string(out, raw);
        out += "}";
        i = close;
        continue;
      }
    }
    text.push_back(c);
  }
  flush_text();
  out += "]";
}

/// Writes a JSON object's members as [{"Name":k,"Value":v}, ...].
void write_name_value_array(std::string& out, std::string_view object_json) {
  out += "[";
  simdjson::padded_string padded{object_json};
  simdjson::dom::parser parser;
  simdjson::dom::object obj;
  if (!parser.parse(padded).get_object().get(obj)) {
    bool first = true;
    for (auto [key, value] : obj) {
      out += first ? "{\"Name\":" : ",{\"Name\":";
      first = false;
      write_string(out, key);
      out += ",\"Value\":";
      out += simdjson::minify(value);
      out += "}";
    }
  }
  out += "]";
}

} // namespace

void write_iso8601(std::string& out, int64_t unix_ns) {
  int64_t secs = unix_ns / 1'000'000'000;
  int64_t frac = unix_ns % 1'000'000'000;
  if (frac < 0) {
    frac += 1'000'000'000;
    --secs;
  }
  std::time_t t = static_cast<std::time_t>(secs);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%07" PRId64 "Z", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, frac / 100);
  out += buf;
}

void write_timespan(std::string& out, int64_t ns) {
  char buf[64];
  const char* sign = ns < 0 ? "-" : "";
  uint64_t v = ns < 0 ? uint64_t(-(ns + 1)) + 1 : uint64_t(ns);
  uint64_t ticks = v / 100;
  uint64_t days = ticks / 864'000'000'000ULL;
  uint64_t rem = ticks % 864'000'000'000ULL;
  unsigned h = unsigned(rem / 36'000'000'000ULL);
  unsigned m = unsigned(rem / 600'000'000ULL % 60);
  unsigned s = unsigned(rem / 10'000'000ULL % 60);
  unsigned f = unsigned(rem % 10'000'000ULL);
  if (days)
    std::snprintf(buf, sizeof buf, "%s%" PRIu64 ".%02u:%02u:%02u.%07u", sign, days, h, m, s, f);
  else
    std::snprintf(buf, sizeof buf, "%s%02u:%02u:%02u.%07u", sign, h, m, s, f);
  out += buf;
}

std::string format_event_id(uint64_t id) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "event-%016" PRIx64, id);
  return buf;
}

std::optional<uint64_t> parse_event_id(std::string_view text) {
  uint64_t v = 0;
  int base = 10;
  if (text.starts_with("event-")) {
    text.remove_prefix(6);
    base = 16;
  }
  if (text.empty())
    return std::nullopt;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v, base);
  if (ec != std::errc{} || p != text.data() + text.size())
    return std::nullopt;
  return v;
}

void write_event_json(std::string& out, const storage::record_view& e) {
  auto id = format_event_id(e.id());
  out += "{\"Id\":\"";
  out += id;
  out += "\",\"Timestamp\":\"";
  write_iso8601(out, e.timestamp());
  out += "\",\"Level\":";
  auto level = e.get(field::level);
  write_string(out, level.empty() ? std::string_view{"Information"} : level);
  auto tpl = e.get(field::message_template);
  auto msg = e.get(field::message);
  out += ",\"MessageTemplateTokens\":";
  if (!tpl.empty()) {
    write_template_tokens(out, tpl);
  } else {
    out += "[{\"Text\":";
    write_string(out, msg);
    out += "}]";
  }
  out += ",\"RenderedMessage\":";
  write_string(out, msg);
  if (auto x = e.get(field::exception); !x.empty()) {
    out += ",\"Exception\":";
    write_string(out, x);
  }
  out += ",\"Properties\":";
  write_name_value_array(out, e.get(field::properties));
  static constexpr std::pair<field, const char*> trace_fields[] = {
    {field::trace_id, "TraceId"},
    {field::span_id, "SpanId"},
    {field::parent_id, "ParentId"},
    {field::span_kind, "SpanKind"},
  };
  for (auto [f, name] : trace_fields) {
    if (auto v = e.get(f); !v.empty()) {
      out += ",\"";
      out += name;
      out += "\":";
      write_string(out, v);
    }
  }
  if (e.is_span()) {
    out += ",\"Start\":\"";
    write_iso8601(out, e.start());
    out += "\",\"Elapsed\":\"";
    write_timespan(out, e.timestamp() - e.start());
    out += "\"";
  }
  if (auto r = e.get(field::resource); !r.empty()) {
    out += ",\"Resource\":";
    write_name_value_array(out, r);
  }
  if (auto s = e.get(field::scope); !s.empty()) {
    out += ",\"Scope\":";
    write_name_value_array(out, s);
  }
  char type[16];
  std::snprintf(type, sizeof type, "$%08X", e.event_type());
  out += ",\"EventType\":\"";
  out += type;
  out += "\",\"Links\":{\"Self\":\"api/events/";
  out += id;
  out += "\"}}";
}

} // namespace cairn::net
