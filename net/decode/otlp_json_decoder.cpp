#include "net/decode/otlp_json_decoder.hpp"

#include <charconv>
#include <chrono>

#include "net/decode/json_copy.hpp"
#include "net/decode/json_text.hpp"
#include "net/decode/murmur3.hpp"
#include "net/decode/otlp_names.hpp"
#include "net/decode/template_renderer.hpp"

namespace cairn::decode {

namespace od = simdjson::ondemand;

namespace {

constexpr int max_value_depth = 64;

std::string own(std::string what) { return ": " + what; }
std::string jerr(simdjson::error_code e) { return ": " + json_error(e); }

std::string nest(const char* name, size_t index, const std::string& err) {
  std::string s = std::string(name) + "[" + std::to_string(index) + "]";
  if (!err.empty() && err[0] != ':')
    s += '.';
  return s + err;
}

/// Compares a raw key with its camelCase and snake_case spellings.
bool key_is(std::string_view key, std::string_view camel, std::string_view snake = {}) {
  return key == camel || (!snake.empty() && key == snake);
}

/// Looks up an optional member under either spelling.
simdjson::error_code find(od::object& o, std::string_view camel, std::string_view snake,
                          od::value& out) {
  auto e = o.find_field_unordered(camel).get(out);
  if (e == simdjson::NO_SUCH_FIELD && !snake.empty() && snake != camel)
    e = o.find_field_unordered(snake).get(out);
  return e;
}

/// An unsigned 64-bit integer sent as a JSON number or a decimal string.
decode_status read_u64(od::value v, const char* name, uint64_t& out) {
  od::json_type type;
  if (auto e = v.type().get(type))
    return jerr(e);
  if (type == od::json_type::number) {
    if (v.get_uint64().get(out))
      return own(std::string(name) + " must be an unsigned integer");
    return std::nullopt;
  }
  if (type == od::json_type::string) {
    std::string_view s;
    if (auto e = v.get_string().get(s))
      return jerr(e);
    auto res = std::from_chars(s.data(), s.data() + s.size(), out);
    if (res.ec != std::errc{} || res.ptr != s.data() + s.size())
      return own(std::string(name) + " must be an unsigned integer");
    return std::nullopt;
  }
  if (type == od::json_type::null) {
    out = 0;
    return std::nullopt;
  }
  return own(std::string(name) + " must be an unsigned integer");
}

/// An enum sent as a number or as its name.
decode_status read_enum(od::value v, const char* name, uint64_t (*from_name)(std::string_view),
                        uint64_t& out) {
  od::json_type type;
  if (auto e = v.type().get(type))
    return jerr(e);
  if (type == od::json_type::string) {
    std::string_view s;
    if (auto e = v.get_string().get(s))
      return jerr(e);
    out = from_name(s);
    return std::nullopt;
  }
  return read_u64(v, name, out);
}

decode_status read_string(od::value v, const char* name, std::string_view& out) {
  auto err = read_string_field(v, name, out);
  if (err)
    return ": " + *err;
  return std::nullopt;
}

decode_status read_hex_id(od::value v, const char* name, std::string& out) {
  std::string_view s;
  if (auto err = read_string(v, name, s))
    return err;
  out.clear();
  append_lower(out, s);
  return std::nullopt;
}

bool to_unix_ns(uint64_t v, int64_t& out) noexcept {
  if (v > uint64_t(INT64_MAX))
    return false;
  out = static_cast<int64_t>(v);
  return true;
}

int64_t now_ns() noexcept {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
           std::chrono::system_clock::now().time_since_epoch())
    .count();
}

/// Iterates the objects of an array member, nesting errors as name[i].
template <class Fn>
decode_status for_each_object(od::value v, const char* name, Fn&& fn) {
  od::json_type type;
  if (auto e = v.type().get(type))
    return jerr(e);
  if (type == od::json_type::null)
    return std::nullopt;
  od::array arr;
  if (v.get_array().get(arr))
    return own(std::string(name) + " must be an array");
  size_t index = 0;
  for (auto element : arr) {
    od::value item;
    od::object o;
    decode_status err;
    if (auto e = std::move(element).get(item))
      err = jerr(e);
    else if (item.get_object().get(o))
      err = own("not a JSON object");
    else
      err = fn(o);
    if (err)
      return nest(name, index, *err);
    ++index;
  }
  return std::nullopt;
}

} // namespace

// --- values ---------------------------------------------------------------

decode_status otlp_json_decoder::append_any_value(od::value v, std::string& out, int depth) {
  if (depth > max_value_depth)
    return own("attribute values nested too deeply");
  od::object o;
  if (v.get_object().get(o))
    return own("attribute value must be an AnyValue object");
  const size_t start = out.size();
  bool wrote = false;
  for (auto field_result : o) {
    od::field field;
    if (auto e = std::move(field_result).get(field))
      return jerr(e);
    std::string_view key;
    if (auto e = field.unescaped_key().get(key))
      return jerr(e);
    od::value member = field.value();
    if (key_is(key, "stringValue", "string_value")) {
      std::string_view s;
      if (auto err = read_string(member, "stringValue", s))
        return err;
      out.resize(start);
      append_json_string(out, s);
    } else if (key_is(key, "boolValue", "bool_value")) {
      bool b;
      if (member.get_bool().get(b))
        return own("boolValue must be a boolean");
      out.resize(start);
      out.append(b ? "true" : "false");
    } else if (key_is(key, "intValue", "int_value")) {
      int64_t i = 0;
      od::json_type type;
      if (auto e = member.type().get(type))
        return jerr(e);
      bool ok;
      if (type == od::json_type::string) {
        std::string_view s;
        ok = !member.get_string().get(s);
        if (ok) {
          auto res = std::from_chars(s.data(), s.data() + s.size(), i);
          ok = res.ec == std::errc{} && res.ptr == s.data() + s.size();
        }
      } else {
        ok = !member.get_int64().get(i);
      }
      if (!ok)
        return own("intValue must be a 64-bit integer");
      out.resize(start);
      append_int(out, i);
    } else if (key_is(key, "doubleValue", "double_value")) {
      double d = 0;
      od::json_type type;
      if (auto e = member.type().get(type))
        return jerr(e);
      bool ok;
      if (type == od::json_type::string) { // "NaN", "Infinity", "-Infinity" or digits
        std::string_view s;
        ok = !member.get_string().get(s);
        if (ok && s == "NaN") d = std::numeric_limits<double>::quiet_NaN();
        else if (ok && s == "Infinity") d = std::numeric_limits<double>::infinity();
        else if (ok && s == "-Infinity") d = -std::numeric_limits<double>::infinity();
        else if (ok) {
          auto res = std::from_chars(s.data(), s.data() + s.size(), d);
          ok = res.ec == std::errc{} && res.ptr == s.data() + s.size();
        }
      } else {
        ok = !member.get_double().get(d);
      }
      if (!ok)
        return own("doubleValue must be a number");
      out.resize(start);
      append_json_double(out, d);
    } else if (key_is(key, "bytesValue", "bytes_value")) {
      std::string_view s;
      if (auto err = read_string(member, "bytesValue", s))
        return err;
      out.resize(start);
      append_json_string(out, s); // already base64 in OTLP JSON
    } else if (key_is(key, "arrayValue", "array_value") ||
               key_is(key, "kvlistValue", "kvlist_value")) {
      bool is_array = key[0] == 'a';
      od::object list;
      if (member.get_object().get(list))
        return own(std::string(is_array ? "arrayValue" : "kvlistValue") + " must be an object");
      out.resize(start);
      od::value values;
      auto e = list.find_field_unordered("values").get(values);
      if (e && e != simdjson::NO_SUCH_FIELD)
        return jerr(e);
      if (is_array) {
        out.push_back('[');
        if (!e) {
          od::array arr;
          if (values.get_array().get(arr))
            return own("arrayValue.values must be an array");
          bool first = true;
          for (auto element : arr) {
            od::value item;
            if (auto e2 = std::move(element).get(item))
              return jerr(e2);
            if (!first)
              out.push_back(',');
            first = false;
            if (auto err = append_any_value(item, out, depth + 1))
              return err;
          }
        }
        out.push_back(']');
      } else {
        bool first = true;
        if (!e)
          if (auto err = append_key_values(values, out, first, depth + 1))
            return err;
        out.append(first ? "{}" : "}");
      }
    } else {
      continue; // unknown member: ignored
    }
    wrote = true;
  }
  if (!wrote)
    out.append("null");
  return std::nullopt;
}

decode_status otlp_json_decoder::append_key_values(od::value v, std::string& out, bool& first,
                                                   int depth) {
  return for_each_object(v, "attributes", [&](od::object& kv) -> decode_status {
    od::value key_value, value;
    std::string_view key;
    if (auto e = kv.find_field_unordered("key").get(key_value))
      return e == simdjson::NO_SUCH_FIELD ? own("key is missing") : jerr(e);
    if (auto err = read_string(key_value, "key", key))
      return err;
    out.push_back(first ? '{' : ',');
    first = false;
    append_json_string(out, key);
    out.push_back(':');
    auto e = kv.find_field_unordered("value").get(value);
    if (e == simdjson::NO_SUCH_FIELD) {
      out.append("null");
      return std::nullopt;
    }
    if (e)
      return jerr(e);
    return append_any_value(value, out, depth);
  });
}

decode_status otlp_json_decoder::add_properties(od::value v) {
  return for_each_object(v, "attributes", [&](od::object& kv) -> decode_status {
    od::value key_value, value;
    std::string_view key;
    if (auto e = kv.find_field_unordered("key").get(key_value))
      return e == simdjson::NO_SUCH_FIELD ? own("key is missing") : jerr(e);
    if (auto err = read_string(key_value, "key", key))
      return err;
    std::string& out = props_.begin_value(key);
    decode_status err;
    auto e = kv.find_field_unordered("value").get(value);
    if (e == simdjson::NO_SUCH_FIELD)
      out.append("null");
    else if (e)
      err = jerr(e);
    else
      err = append_any_value(value, out, 0);
    props_.end_value();
    return err;
  });
}

decode_status otlp_json_decoder::read_body(od::value v) {
  message_.clear();
  if (auto err = append_any_value(v, message_, 0))
    return err;
  if (message_ == "null") {
    message_.clear();
  } else if (message_.front() == '"') {
    // A string body is the plain message, not its JSON text.
    attrs_.clear();
    append_unescaped_json_string(message_, attrs_);
    message_.swap(attrs_);
  }
  return std::nullopt;
}

decode_status otlp_json_decoder::read_resource(od::value v) {
  resource_.clear();
  od::object o;
  if (v.get_object().get(o))
    return own("resource must be an object");
  od::value attrs;
  auto e = o.find_field_unordered("attributes").get(attrs);
  if (e == simdjson::NO_SUCH_FIELD)
    return std::nullopt;
  if (e)
    return jerr(e);
  bool first = true;
  if (auto err = append_key_values(attrs, resource_, first, 1))
    return err;
  if (!first)
    resource_.push_back('}');
  return std::nullopt;
}

decode_status otlp_json_decoder::read_scope(od::value v) {
  scope_.clear();
  od::object o;
  if (v.get_object().get(o))
    return own("scope must be an object");
  bool first = true;
  for (auto field_result : o) {
    od::field field;
    if (auto e = std::move(field_result).get(field))
      return jerr(e);
    std::string_view key;
    if (auto e = field.unescaped_key().get(key))
      return jerr(e);
    if (key == "name" || key == "version") {
      std::string_view s;
      if (auto err = read_string(field.value(), key == "name" ? "name" : "version", s))
        return err;
      if (s.empty())
        continue;
      scope_.push_back(first ? '{' : ',');
      first = false;
      scope_.append(key == "name" ? "\"name\":" : "\"version\":");
      append_json_string(scope_, s);
    } else if (key == "attributes") {
      if (auto err = append_key_values(field.value(), scope_, first, 1))
        return err;
    }
  }
  if (!first)
    scope_.push_back('}');
  return std::nullopt;
}

// --- records --------------------------------------------------------------

decode_status otlp_json_decoder::finish_record(storage::record_batch& out, int64_t timestamp,
                                               int64_t start, std::string_view level,
                                               std::string_view span_kind) {
  std::string_view properties = props_.finish();
  out.offsets.push_back(static_cast<uint32_t>(out.bytes.size()));
  storage::record_builder b{out.bytes};
  b.timestamp(timestamp);
  b.start(start);
  b.event_type(murmur3_32(message_));
  b.add(level);
  b.add({}); // plain message, never a template
  b.add(message_);
  b.add({});
  b.add(trace_id_);
  b.add(span_id_);
  b.add(parent_id_);
  b.add(span_kind);
  b.add(properties);
  b.add(resource_);
  b.add(scope_);
  if (b.size() > storage::max_record_bytes) {
    b.abandon();
    out.offsets.pop_back();
    return ": " + event_too_large_text();
  }
  return std::nullopt;
}

decode_status otlp_json_decoder::log_record(od::object o, storage::record_batch& out) {
  props_.clear();
  message_.clear();
  trace_id_.clear();
  span_id_.clear();
  parent_id_.clear();
  uint64_t time = 0, observed = 0, severity = 0;
  std::string_view severity_text;
  for (auto field_result : o) {
    od::field field;
    if (auto e = std::move(field_result).get(field))
      return jerr(e);
    std::string_view key;
    if (auto e = field.unescaped_key().get(key))
      return jerr(e);
    od::value v = field.value();
    decode_status err;
    if (key_is(key, "timeUnixNano", "time_unix_nano"))
      err = read_u64(v, "timeUnixNano", time);
    else if (key_is(key, "observedTimeUnixNano", "observed_time_unix_nano"))
      err = read_u64(v, "observedTimeUnixNano", observed);
    else if (key_is(key, "severityNumber", "severity_number"))
      err = read_enum(v, "severityNumber", severity_number_from_name, severity);
    else if (key_is(key, "severityText", "severity_text"))
      err = read_string(v, "severityText", severity_text);
    else if (key == "body")
      err = read_body(v);
    else if (key == "attributes")
      err = add_properties(v);
    else if (key_is(key, "traceId", "trace_id"))
      err = read_hex_id(v, "traceId", trace_id_);
    else if (key_is(key, "spanId", "span_id"))
      err = read_hex_id(v, "spanId", span_id_);
    if (err)
      return err;
  }
  int64_t timestamp;
  if (!to_unix_ns(time ? time : observed, timestamp))
    return own("timeUnixNano is out of range");
  if (timestamp == 0)
    timestamp = now_ns();
  std::string_view level =
    severity_text.empty() ? severity_level_name(severity) : severity_text;
  return finish_record(out, timestamp, storage::no_start, level, {});
}

decode_status otlp_json_decoder::span_event(od::object o) {
  uint64_t time = 0;
  std::string_view name;
  attrs_.clear();
  bool first = true;
  for (auto field_result : o) {
    od::field field;
    if (auto e = std::move(field_result).get(field))
      return jerr(e);
    std::string_view key;
    if (auto e = field.unescaped_key().get(key))
      return jerr(e);
    decode_status err;
    if (key_is(key, "timeUnixNano", "time_unix_nano"))
      err = read_u64(field.value(), "timeUnixNano", time);
    else if (key == "name")
      err = read_string(field.value(), "name", name);
    else if (key == "attributes")
      err = append_key_values(field.value(), attrs_, first, 1);
    if (err)
      return err;
  }
  int64_t ts;
  if (!to_unix_ns(time, ts))
    return own("timeUnixNano is out of range");
  events_.push_back(events_.empty() ? '[' : ',');
  events_.append("{\"Name\":");
  append_json_string(events_, name);
  events_.append(",\"Timestamp\":\"");
  append_iso8601(events_, ts);
  events_.push_back('"');
  if (!first) {
    events_.append(",\"Attributes\":");
    events_.append(attrs_);
    events_.push_back('}');
  }
  events_.push_back('}');
  return std::nullopt;
}

decode_status otlp_json_decoder::span(od::object o, storage::record_batch& out) {
  props_.clear();
  message_.clear();
  trace_id_.clear();
  span_id_.clear();
  parent_id_.clear();
  events_.clear();
  uint64_t start = 0, end = 0, kind = 0, status_code = 0;
  std::string_view name, status_message;
  for (auto field_result : o) {
    od::field field;
    if (auto e = std::move(field_result).get(field))
      return jerr(e);
    std::string_view key;
    if (auto e = field.unescaped_key().get(key))
      return jerr(e);
    od::value v = field.value();
    decode_status err;
    if (key_is(key, "traceId", "trace_id"))
      err = read_hex_id(v, "traceId", trace_id_);
    else if (key_is(key, "spanId", "span_id"))
      err = read_hex_id(v, "spanId", span_id_);
    else if (key_is(key, "parentSpanId", "parent_span_id"))
      err = read_hex_id(v, "parentSpanId", parent_id_);
    else if (key == "name")
      err = read_string(v, "name", name);
    else if (key == "kind")
      err = read_enum(v, "kind", span_kind_from_name, kind);
    else if (key_is(key, "startTimeUnixNano", "start_time_unix_nano"))
      err = read_u64(v, "startTimeUnixNano", start);
    else if (key_is(key, "endTimeUnixNano", "end_time_unix_nano"))
      err = read_u64(v, "endTimeUnixNano", end);
    else if (key == "attributes")
      err = add_properties(v);
    else if (key == "events")
      err = for_each_object(v, "events", [&](od::object& ev) { return span_event(ev); });
    else if (key == "status") {
      od::object st;
      if (v.get_object().get(st))
        return own("status must be an object");
      for (auto sf_result : st) {
        od::field sf;
        if (auto e = std::move(sf_result).get(sf))
          return jerr(e);
        std::string_view skey;
        if (auto e = sf.unescaped_key().get(skey))
          return jerr(e);
        if (skey == "message")
          err = read_string(sf.value(), "status.message", status_message);
        else if (skey == "code")
          err = read_enum(sf.value(), "status.code", status_code_from_name, status_code);
        if (err)
          return err;
      }
    }
    if (err)
      return err;
  }
  int64_t start_ns, end_ns;
  if (!to_unix_ns(start, start_ns) || !to_unix_ns(end, end_ns))
    return own("span time is out of range");
  if (end_ns == 0)
    end_ns = start_ns ? start_ns : now_ns();
  if (start_ns == 0)
    start_ns = end_ns;
  message_.append(name);
  if (!status_message.empty()) {
    std::string& sv = props_.begin_value("StatusMessage");
    append_json_string(sv, status_message);
    props_.end_value();
  }
  if (!events_.empty()) {
    events_.push_back(']');
    props_.add_raw("SpanEvents", events_);
  }
  std::string_view level = status_code == status_code_error ? "Error" : "";
  return finish_record(out, end_ns, start_ns, level, span_kind_name(kind));
}

// --- containers -----------------------------------------------------------

decode_status otlp_json_decoder::scope_entry(od::object o, storage::record_batch& out,
                                             bool traces) {
  od::value v;
  auto e = o.find_field_unordered("scope").get(v);
  if (e && e != simdjson::NO_SUCH_FIELD)
    return jerr(e);
  if (e)
    scope_.clear();
  else if (auto err = read_scope(v))
    return err;
  e = traces ? find(o, "spans", "spans", v) : find(o, "logRecords", "log_records", v);
  if (e == simdjson::NO_SUCH_FIELD)
    return std::nullopt;
  if (e)
    return jerr(e);
  if (traces)
    return for_each_object(v, "spans", [&](od::object& s) { return span(s, out); });
  return for_each_object(v, "logRecords", [&](od::object& r) { return log_record(r, out); });
}

decode_status otlp_json_decoder::resource_entry(od::object o, storage::record_batch& out,
                                                bool traces) {
  od::value v;
  auto e = o.find_field_unordered("resource").get(v);
  if (e && e != simdjson::NO_SUCH_FIELD)
    return jerr(e);
  if (e)
    resource_.clear();
  else if (auto err = read_resource(v))
    return err;
  e = traces ? find(o, "scopeSpans", "scope_spans", v) : find(o, "scopeLogs", "scope_logs", v);
  if (e == simdjson::NO_SUCH_FIELD)
    return std::nullopt;
  if (e)
    return jerr(e);
  return for_each_object(v, traces ? "scopeSpans" : "scopeLogs",
                         [&](od::object& s) { return scope_entry(s, out, traces); });
}

decode_status otlp_json_decoder::decode(std::string& body, storage::record_batch& out,
                                        bool traces) {
  if (body.find_first_not_of(" \t\r\n") == std::string::npos)
    return std::nullopt;
  ensure_padding(body);
  if (auto e = validator_.parse(body.data(), body.size(), false).error())
    return std::string{"request: invalid JSON: "} + simdjson::error_message(e);
  batch_rollback rollback{out};
  auto run = [&]() -> decode_status {
    od::document doc;
    if (auto e = parser_.iterate(simdjson::padded_string_view(body.data(), body.size(),
                                                              body.capacity()))
                   .get(doc))
      return jerr(e);
    od::object root;
    if (auto e = doc.get_object().get(root))
      return e == simdjson::INCORRECT_TYPE ? own("body must be a JSON object") : jerr(e);
    od::value v;
    auto e = traces ? find(root, "resourceSpans", "resource_spans", v)
                    : find(root, "resourceLogs", "resource_logs", v);
    if (e && e != simdjson::NO_SUCH_FIELD)
      return jerr(e);
    if (!e)
      if (auto err = for_each_object(v, traces ? "resourceSpans" : "resourceLogs",
                                     [&](od::object& r) { return resource_entry(r, out, traces); }))
        return err;
    // Reading the rest validates it and finds trailing content.
    if (auto e2 = root.reset().error())
      return jerr(e2);
    for (auto field_result : root) {
      od::field field;
      if (auto e2 = std::move(field_result).get(field))
        return jerr(e2);
    }
    if (doc.current_location().error() != simdjson::OUT_OF_BOUNDS)
      return own("invalid JSON: trailing content after the object");
    return std::nullopt;
  };
  auto err = run();
  if (err) {
    if ((*err)[0] == ':')
      return "request" + *err;
    return err;
  }
  rollback.commit();
  return std::nullopt;
}

decode_status otlp_json_decoder::decode_logs(std::string& body, storage::record_batch& out) {
  return decode(body, out, false);
}

decode_status otlp_json_decoder::decode_traces(std::string& body, storage::record_batch& out) {
  return decode(body, out, true);
}

} // namespace cairn::decode
