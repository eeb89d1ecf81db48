#include "net/decode/otlp_proto_decoder.hpp"

#include <bit>
#include <chrono>

#include <simdjson.h>

#include "net/decode/json_text.hpp"
#include "net/decode/murmur3.hpp"
#include "net/decode/otlp_names.hpp"
#include "net/decode/protobuf_reader.hpp"

namespace cairn::decode {

namespace {

// Field numbers from opentelemetry-proto.
namespace f {
// ExportLogsServiceRequest / ExportTraceServiceRequest
constexpr uint32_t resource_logs = 1, resource_spans = 1;
// ResourceLogs / ResourceSpans
constexpr uint32_t resource = 1, scope_logs = 2, scope_spans = 2;
// ScopeLogs / ScopeSpans
constexpr uint32_t scope = 1, log_records = 2, spans = 2;
// LogRecord
constexpr uint32_t log_time = 1, log_severity_number = 2, log_severity_text = 3, log_body = 5,
                   log_attributes = 6, log_trace_id = 9, log_span_id = 10, log_observed_time = 11;
// Span
constexpr uint32_t span_trace_id = 1, span_span_id = 2, span_parent_span_id = 4, span_name = 5,
                   span_kind = 6, span_start = 7, span_end = 8, span_attributes = 9,
                   span_events = 11, span_status = 15;
// Span.Event
constexpr uint32_t event_time = 1, event_name = 2, event_attributes = 3;
// Status
constexpr uint32_t status_message = 2, status_code = 3;
// Resource
constexpr uint32_t resource_attributes = 1;
// InstrumentationScope
constexpr uint32_t scope_name = 1, scope_version = 2, scope_attributes = 3;
// KeyValue
constexpr uint32_t kv_key = 1, kv_value = 2;
// AnyValue
constexpr uint32_t any_string = 1, any_bool = 2, any_int = 3, any_double = 4, any_array = 5,
                   any_kvlist = 6, any_bytes = 7;
// ArrayValue / KeyValueList
constexpr uint32_t list_values = 1;
} // namespace f

constexpr int max_value_depth = 64;

std::string own(const char* what) { return std::string(": ") + what; }

const std::string malformed = ": malformed protobuf (truncated or invalid field)";

std::string wrong_type(uint32_t field) {
  return ": field " + std::to_string(field) + " has an unexpected wire type";
}

/// "name[i]" + child error, joined with '.' unless the child's own.
std::string nest(const char* name, size_t index, const std::string& err) {
  std::string s = std::string(name) + "[" + std::to_string(index) + "]";
  if (!err.empty() && err[0] != ':')
    s += '.';
  return s + err;
}

/// Turns the internal error form into client text.
decode_status top_level(decode_status err) {
  if (err && err->size() >= 2 && (*err)[0] == ':')
    return "request" + *err;
  return err;
}

bool valid_utf8(std::string_view s) noexcept { return simdjson::validate_utf8(s.data(), s.size()); }

/// Reads a length-delimited field that must be a UTF-8 string.
decode_status read_string(protobuf_reader& r, wire_type t, uint32_t field, std::string_view& out) {
  if (t != wire_type::len)
    return wrong_type(field);
  if (!r.bytes(out))
    return malformed;
  if (!valid_utf8(out))
    return own("invalid UTF-8 in a string field");
  return std::nullopt;
}

decode_status read_len(protobuf_reader& r, wire_type t, uint32_t field, std::string_view& out) {
  if (t != wire_type::len)
    return wrong_type(field);
  if (!r.bytes(out))
    return malformed;
  return std::nullopt;
}

decode_status read_fixed64(protobuf_reader& r, wire_type t, uint32_t field, uint64_t& out) {
  if (t != wire_type::i64)
    return wrong_type(field);
  if (!r.fixed64(out))
    return malformed;
  return std::nullopt;
}

decode_status read_varint(protobuf_reader& r, wire_type t, uint32_t field, uint64_t& out) {
  if (t != wire_type::varint)
    return wrong_type(field);
  if (!r.varint(out))
    return malformed;
  return std::nullopt;
}

decode_status skip(protobuf_reader& r, wire_type t) {
  if (!r.skip(t))
    return malformed;
  return std::nullopt;
}

/// Converts OTLP's unsigned nanoseconds; 0 means "not set".
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

/// Runs `fn(field, type, reader)` over each field of `msg`.
template <class Fn>
decode_status for_each_field(std::string_view msg, Fn&& fn) {
  protobuf_reader r{msg};
  while (!r.at_end()) {
    uint32_t field;
    wire_type type;
    if (!r.tag(field, type))
      return malformed;
    if (auto err = fn(field, type, r))
      return err;
  }
  return std::nullopt;
}

} // namespace

// --- values ---------------------------------------------------------------

decode_status otlp_proto_decoder::append_any_value(std::string_view msg, std::string& out,
                                                   int depth) {
  if (depth > max_value_depth)
    return own("attribute values nested too deeply");
  const size_t start = out.size();
  bool wrote = false;
  auto err = for_each_field(msg, [&](uint32_t field, wire_type t, protobuf_reader& r) -> decode_status {
    // A oneof: the last member on the wire wins, so each rewrites the value.
    std::string_view s;
    uint64_t u = 0;
    switch (field) {
      case f::any_string:
        if (auto e = read_string(r, t, field, s))
          return e;
        out.resize(start);
        append_json_string(out, s);
        break;
      case f::any_bool:
        if (auto e = read_varint(r, t, field, u))
          return e;
        out.resize(start);
        out.append(u ? "true" : "false");
        break;
      case f::any_int:
        if (auto e = read_varint(r, t, field, u))
          return e;
        out.resize(start);
        append_int(out, static_cast<int64_t>(u));
        break;
      case f::any_double:
        if (auto e = read_fixed64(r, t, field, u))
          return e;
        out.resize(start);
        append_json_double(out, std::bit_cast<double>(u));
        break;
      case f::any_array: {
        if (auto e = read_len(r, t, field, s))
          return e;
        out.resize(start);
        out.push_back('[');
        bool first = true;
        if (auto e = for_each_field(s, [&](uint32_t fl, wire_type tl, protobuf_reader& rl) -> decode_status {
              if (fl != f::list_values)
                return skip(rl, tl);
              std::string_view item;
              if (auto e2 = read_len(rl, tl, fl, item))
                return e2;
              if (!first)
                out.push_back(',');
              first = false;
              return append_any_value(item, out, depth + 1);
            }))
          return e;
        out.push_back(']');
        break;
      }
      case f::any_kvlist: {
        if (auto e = read_len(r, t, field, s))
          return e;
        out.resize(start);
        bool first = true;
        if (auto e = for_each_field(s, [&](uint32_t fl, wire_type tl, protobuf_reader& rl) -> decode_status {
              if (fl != f::list_values)
                return skip(rl, tl);
              std::string_view kv;
              if (auto e2 = read_len(rl, tl, fl, kv))
                return e2;
              if (depth + 1 > max_value_depth)
                return own("attribute values nested too deeply");
              return append_key_value(kv, out, first);
            }))
          return e;
        if (first)
          out.push_back('{');
        out.push_back('}');
        break;
      }
      case f::any_bytes:
        if (auto e = read_len(r, t, field, s))
          return e;
        out.resize(start);
        out.push_back('"');
        append_base64(out, s);
        out.push_back('"');
        break;
      default:
        return skip(r, t);
    }
    wrote = true;
    return std::nullopt;
  });
  if (err)
    return err;
  if (!wrote)
    out.append("null"); // an empty AnyValue
  return std::nullopt;
}

namespace {

/// Finds the key and value of a KeyValue message (any field order).
decode_status split_key_value(std::string_view kv, std::string_view& key, std::string_view& value,
                              bool& has_value) {
  has_value = false;
  key = {};
  return for_each_field(kv, [&](uint32_t field, wire_type t, protobuf_reader& r) -> decode_status {
    if (field == f::kv_key)
      return read_string(r, t, field, key);
    if (field == f::kv_value) {
      has_value = true;
      return read_len(r, t, field, value);
    }
    return skip(r, t);
  });
}

} // namespace

decode_status otlp_proto_decoder::append_key_value(std::string_view kv, std::string& out,
                                                   bool& first) {
  std::string_view key, value;
  bool has_value;
  if (auto err = split_key_value(kv, key, value, has_value))
    return err;
  out.push_back(first ? '{' : ',');
  first = false;
  append_json_string(out, key);
  out.push_back(':');
  if (!has_value) {
    out.append("null");
    return std::nullopt;
  }
  return append_any_value(value, out, 1);
}

decode_status otlp_proto_decoder::add_property(std::string_view kv) {
  std::string_view key, value;
  bool has_value;
  if (auto err = split_key_value(kv, key, value, has_value))
    return err;
  std::string& out = props_.begin_value(key);
  decode_status err;
  if (has_value)
    err = append_any_value(value, out, 0);
  else
    out.append("null");
  props_.end_value();
  return err;
}

decode_status otlp_proto_decoder::read_body(std::string_view msg) {
  message_.clear();
  // Which oneof member is set decides the form: find the last one.
  uint32_t kind = 0;
  std::string_view text;
  auto err = for_each_field(msg, [&](uint32_t field, wire_type t, protobuf_reader& r) -> decode_status {
    if (field == f::any_string) {
      kind = field;
      return read_string(r, t, field, text);
    }
    if (field >= f::any_bool && field <= f::any_bytes)
      kind = field;
    return skip(r, t);
  });
  if (err)
    return err;
  if (kind == 0)
    return std::nullopt;
  if (kind == f::any_string) {
    message_.append(text);
    return std::nullopt;
  }
  return append_any_value(msg, message_, 0);
}

// --- resource and scope ---------------------------------------------------

decode_status otlp_proto_decoder::read_resource(std::string_view msg) {
  resource_.clear();
  bool first = true;
  auto err = for_each_field(msg, [&](uint32_t field, wire_type t, protobuf_reader& r) -> decode_status {
    if (field != f::resource_attributes)
      return skip(r, t);
    std::string_view kv;
    if (auto e = read_len(r, t, field, kv))
      return e;
    return append_key_value(kv, resource_, first);
  });
  if (err)
    return err;
  if (!resource_.empty())
    resource_.push_back('}');
  return std::nullopt;
}

decode_status otlp_proto_decoder::read_scope(std::string_view msg) {
  scope_.clear();
  bool first = true;
  auto err = for_each_field(msg, [&](uint32_t field, wire_type t, protobuf_reader& r) -> decode_status {
    std::string_view s;
    if (field == f::scope_name || field == f::scope_version) {
      if (auto e = read_string(r, t, field, s))
        return e;
      if (s.empty())
        return std::nullopt;
      scope_.push_back(first ? '{' : ',');
      first = false;
      scope_.append(field == f::scope_name ? "\"name\":" : "\"version\":");
      append_json_string(scope_, s);
      return std::nullopt;
    }
    if (field == f::scope_attributes) {
      if (auto e = read_len(r, t, field, s))
        return e;
      return append_key_value(s, scope_, first);
    }
    return skip(r, t);
  });
  if (err)
    return err;
  if (!scope_.empty())
    scope_.push_back('}');
  return std::nullopt;
}

// --- records --------------------------------------------------------------

decode_status otlp_proto_decoder::finish_record(storage::record_batch& out, int64_t timestamp,
                                                int64_t start, std::string_view level,
                                                std::string_view span_kind) {
  std::string_view properties = props_.finish();
  out.offsets.push_back(static_cast<uint32_t>(out.bytes.size()));
  storage::record_builder b{out.bytes};
  b.timestamp(timestamp);
  b.start(start);
  b.event_type(murmur3_32(message_));
  // OTLP bodies and span names are plain messages, not templates; no exception field.
  b.add_all({level, {}, message_, {}, trace_id_, span_id_, parent_id_, span_kind, properties, resource_, scope_});
  if (b.size() > storage::max_record_bytes) {
    b.abandon();
    out.offsets.pop_back();
    return ": " + event_too_large_text();
  }
  return std::nullopt;
}

decode_status otlp_proto_decoder::log_record(std::string_view msg, storage::record_batch& out) {
  props_.clear();
  message_.clear();
  trace_id_.clear();
  span_id_.clear();
  parent_id_.clear();
  uint64_t time = 0, observed = 0, severity = 0;
  std::string_view severity_text, bytes;
  auto err = for_each_field(msg, [&](uint32_t field, wire_type t, protobuf_reader& r) -> decode_status {
    switch (field) {
      case f::log_time: return read_fixed64(r, t, field, time);
      case f::log_observed_time: return read_fixed64(r, t, field, observed);
      case f::log_severity_number: return read_varint(r, t, field, severity);
      case f::log_severity_text: return read_string(r, t, field, severity_text);
      case f::log_body: {
        if (auto e = read_len(r, t, field, bytes))
          return e;
        return read_body(bytes);
      }
      case f::log_attributes: {
        if (auto e = read_len(r, t, field, bytes))
          return e;
        return add_property(bytes);
      }
      case f::log_trace_id:
        if (auto e = read_len(r, t, field, bytes))
          return e;
        trace_id_.clear();
        append_hex_lower(trace_id_, bytes);
        return std::nullopt;
      case f::log_span_id:
        if (auto e = read_len(r, t, field, bytes))
          return e;
        span_id_.clear();
        append_hex_lower(span_id_, bytes);
        return std::nullopt;
      default: return skip(r, t);
    }
  });
  if (err)
    return err;
  int64_t timestamp;
  if (!to_unix_ns(time ? time : observed, timestamp))
    return own("time_unix_nano is out of range");
  if (timestamp == 0)
    timestamp = now_ns(); // neither time is known: use arrival
  std::string_view level =
    severity_text.empty() ? severity_level_name(severity) : severity_text;
  return finish_record(out, timestamp, storage::no_start, level, {});
}

decode_status otlp_proto_decoder::span_event(std::string_view msg, std::string& out) {
  // Name and time first, then attributes (which may come earlier on the wire).
  uint64_t time = 0;
  std::string_view name, bytes;
  auto err = for_each_field(msg, [&](uint32_t field, wire_type t, protobuf_reader& r) -> decode_status {
    if (field == f::event_time)
      return read_fixed64(r, t, field, time);
    if (field == f::event_name)
      return read_string(r, t, field, name);
    return skip(r, t);
  });
  if (err)
    return err;
  int64_t ts;
  if (!to_unix_ns(time, ts))
    return own("time_unix_nano is out of range");
  out.push_back(out.empty() ? '[' : ',');
  out.append("{\"Name\":");
  append_json_string(out, name);
  out.append(",\"Timestamp\":\"");
  append_iso8601(out, ts);
  out.push_back('"');
  const size_t attrs_at = out.size();
  out.append(",\"Attributes\":");
  bool first = true;
  err = for_each_field(msg, [&](uint32_t field, wire_type t, protobuf_reader& r) -> decode_status {
    if (field != f::event_attributes)
      return skip(r, t);
    if (auto e = read_len(r, t, field, bytes))
      return e;
    return append_key_value(bytes, out, first);
  });
  if (err)
    return err;
  if (first)
    out.resize(attrs_at); // no attributes
  else
    out.push_back('}');
  out.push_back('}');
  return std::nullopt;
}

decode_status otlp_proto_decoder::span(std::string_view msg, storage::record_batch& out) {
  props_.clear();
  message_.clear();
  trace_id_.clear();
  span_id_.clear();
  parent_id_.clear();
  events_.clear();
  uint64_t start = 0, end = 0, kind = 0, status_code = 0;
  std::string_view name, status_message, bytes;
  auto err = for_each_field(msg, [&](uint32_t field, wire_type t, protobuf_reader& r) -> decode_status {
    switch (field) {
      case f::span_trace_id:
      case f::span_span_id:
      case f::span_parent_span_id: {
        if (auto e = read_len(r, t, field, bytes))
          return e;
        std::string& target = field == f::span_trace_id ? trace_id_
                              : field == f::span_span_id ? span_id_
                                                         : parent_id_;
        target.clear();
        append_hex_lower(target, bytes);
        return std::nullopt;
      }
      case f::span_name: return read_string(r, t, field, name);
      case f::span_kind: return read_varint(r, t, field, kind);
      case f::span_start: return read_fixed64(r, t, field, start);
      case f::span_end: return read_fixed64(r, t, field, end);
      case f::span_attributes:
        if (auto e = read_len(r, t, field, bytes))
          return e;
        return add_property(bytes);
      case f::span_events: {
        if (auto e = read_len(r, t, field, bytes))
          return e;
        return span_event(bytes, events_);
      }
      case f::span_status:
        if (auto e = read_len(r, t, field, bytes))
          return e;
        return for_each_field(bytes, [&](uint32_t fs, wire_type ts, protobuf_reader& rs) -> decode_status {
          if (fs == f::status_message)
            return read_string(rs, ts, fs, status_message);
          if (fs == f::status_code)
            return read_varint(rs, ts, fs, status_code);
          return skip(rs, ts);
        });
      default: return skip(r, t);
    }
  });
  if (err)
    return err;
  int64_t start_ns, end_ns;
  if (!to_unix_ns(start, start_ns) || !to_unix_ns(end, end_ns))
    return own("span time is out of range");
  if (end_ns == 0)
    end_ns = start_ns ? start_ns : now_ns();
  if (start_ns == 0)
    start_ns = end_ns;
  message_.append(name);
  if (!status_message.empty()) {
    std::string& out_value = props_.begin_value("StatusMessage");
    append_json_string(out_value, status_message);
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

namespace {

/// Calls `fn(bytes, index)` for each length-delimited `field` of `msg`,
/// nesting errors under `name[index]`.
template <class Fn>
decode_status for_each_child(std::string_view msg, uint32_t wanted, const char* name, Fn&& fn) {
  size_t index = 0;
  return for_each_field(msg, [&](uint32_t field, wire_type t, protobuf_reader& r) -> decode_status {
    if (field != wanted)
      return skip(r, t);
    std::string_view bytes;
    decode_status err = read_len(r, t, field, bytes);
    if (!err)
      err = fn(bytes);
    if (err)
      return nest(name, index, *err);
    ++index;
    return std::nullopt;
  });
}

/// Runs `fn(bytes)` on the last occurrence of length-delimited `wanted`.
template <class Fn>
decode_status with_last(std::string_view msg, uint32_t wanted, Fn&& fn) {
  std::string_view found;
  bool present = false;
  auto err = for_each_field(msg, [&](uint32_t field, wire_type t, protobuf_reader& r) -> decode_status {
    if (field != wanted)
      return skip(r, t);
    present = true;
    return read_len(r, t, field, found);
  });
  if (err)
    return err;
  return fn(present ? found : std::string_view{});
}

} // namespace

decode_status otlp_proto_decoder::scope_logs(std::string_view msg, storage::record_batch& out) {
  if (auto err = with_last(msg, f::scope, [&](std::string_view s) { return read_scope(s); }))
    return err;
  return for_each_child(msg, f::log_records, "logRecords",
                        [&](std::string_view s) { return log_record(s, out); });
}

decode_status otlp_proto_decoder::resource_logs(std::string_view msg, storage::record_batch& out) {
  if (auto err = with_last(msg, f::resource, [&](std::string_view s) { return read_resource(s); }))
    return err;
  return for_each_child(msg, f::scope_logs, "scopeLogs",
                        [&](std::string_view s) { return scope_logs(s, out); });
}

decode_status otlp_proto_decoder::scope_spans(std::string_view msg, storage::record_batch& out) {
  if (auto err = with_last(msg, f::scope, [&](std::string_view s) { return read_scope(s); }))
    return err;
  return for_each_child(msg, f::spans, "spans", [&](std::string_view s) { return span(s, out); });
}

decode_status otlp_proto_decoder::resource_spans(std::string_view msg, storage::record_batch& out) {
  if (auto err = with_last(msg, f::resource, [&](std::string_view s) { return read_resource(s); }))
    return err;
  return for_each_child(msg, f::scope_spans, "scopeSpans",
                        [&](std::string_view s) { return scope_spans(s, out); });
}

decode_status otlp_proto_decoder::decode_logs(std::string_view body, storage::record_batch& out) {
  batch_rollback rollback{out};
  auto err = for_each_child(body, f::resource_logs, "resourceLogs",
                            [&](std::string_view s) { return resource_logs(s, out); });
  if (err)
    return top_level(std::move(err));
  rollback.commit();
  return std::nullopt;
}

decode_status otlp_proto_decoder::decode_traces(std::string_view body, storage::record_batch& out) {
  batch_rollback rollback{out};
  auto err = for_each_child(body, f::resource_spans, "resourceSpans",
                            [&](std::string_view s) { return resource_spans(s, out); });
  if (err)
    return top_level(std::move(err));
  rollback.commit();
  return std::nullopt;
}

} // namespace cairn::decode
