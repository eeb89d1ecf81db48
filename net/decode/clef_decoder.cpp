#include "net/decode/clef_decoder.hpp"

#include <cstring>

#include "net/decode/event_type.hpp"
#include "net/decode/json_copy.hpp"
#include "net/decode/json_text.hpp"
#include "net/decode/murmur3.hpp"
#include "net/decode/template_cache.hpp"
#include "net/decode/timestamp.hpp"

namespace cairn::decode {

namespace od = simdjson::ondemand;

namespace {

bool is_blank(const char* p, size_t len) noexcept {
  for (size_t i = 0; i < len; ++i)
    if (p[i] != ' ' && p[i] != '\t' && p[i] != '\r')
      return false;
  return true;
}

} // namespace

decode_status clef_decoder::decode(std::string& body, storage::record_batch& out) {
  ensure_padding(body);
  batch_rollback rollback{out};
  const char* base = body.data();
  const size_t size = body.size();
  const size_t capacity = body.capacity();
  size_t line_no = 0;
  size_t pos = 0;
  while (pos < size) {
    ++line_no;
    const char* nl = static_cast<const char*>(std::memchr(base + pos, '\n', size - pos));
    size_t end = nl ? size_t(nl - base) : size;
    size_t len = end - pos;
    if (len > 0 && base[pos + len - 1] == '\r')
      --len;
    if (!is_blank(base + pos, len)) {
      decode_status err;
      if (len > storage::max_record_bytes)
        err = event_too_large_text();
      else
        err = decode_line(base + pos, len, capacity - pos, out);
      if (err)
        return "line " + std::to_string(line_no) + ": " + *err;
    }
    pos = end + 1;
  }
  rollback.commit();
  return std::nullopt;
}

decode_status clef_decoder::decode_line(const char* p, size_t len, size_t padded,
                                        storage::record_batch& out) {
  od::document doc;
  if (auto e = parser_.iterate(simdjson::padded_string_view(p, len, padded)).get(doc))
    return json_error(e);
  od::object obj;
  {
    od::json_type type;
    if (auto e = doc.type().get(type))
      return json_error(e);
    if (type != od::json_type::object)
      return std::string("not a JSON object");
    if (auto e = doc.get_object().get(obj))
      return json_error(e);
  }

  // Step 1: read every field; reified ones into views (valid until the next
  // document), the rest into the property buffer.
  props_.clear();
  trace_id_.clear();
  span_id_.clear();
  parent_id_.clear();
  resource_.clear();
  scope_.clear();
  std::string_view level, tmpl, message, exception, span_kind;
  bool has_t = false, has_m = false, has_mt = false, explicit_type = false;
  int64_t timestamp = 0, start = storage::no_start;
  uint32_t event_type = 0;

  for (auto field_result : obj) {
    if (auto e = field_result.error())
      return json_error(e);
    // A reference into the result, not a moved-out copy: the copy's 16-byte
    // reload of two narrower stores stalled on every member.
    od::field&& field = std::move(field_result).value_unsafe();
    json_key name;
    if (auto e = read_key(field, name))
      return json_error(e);
    std::string_view key = name.text;
    od::value value = field.value();
    if (key.size() < 2 || key[0] != '@') {
      if (auto e = props_.add(name, value))
        return json_error(e);
      continue;
    }
    if (key[1] == '@') { // "@@x" is the user property "@x"
      if (auto e = props_.add(json_key{key.substr(1), name.is_json}, value))
        return json_error(e);
      continue;
    }
    std::string_view s;
    if (key == "@t" || key == "@st") {
      bool is_t = key == "@t";
      if (auto err = read_string_field(value, is_t ? "@t" : "@st", s))
        return err;
      auto ns = parse_iso8601(s);
      if (!ns)
        return std::string(is_t ? "@t" : "@st") + " is not a valid ISO-8601 timestamp";
      if (is_t) {
        timestamp = *ns;
        has_t = true;
      } else {
        start = *ns;
      }
    } else if (key == "@m") {
      if (auto err = read_string_field(value, "@m", message))
        return err;
      has_m = true;
    } else if (key == "@mt") {
      if (auto err = read_string_field(value, "@mt", tmpl))
        return err;
      has_mt = true;
    } else if (key == "@l") {
      if (auto err = read_string_field(value, "@l", level))
        return err;
    } else if (key == "@x") {
      if (auto err = read_string_field(value, "@x", exception))
        return err;
    } else if (key == "@i") {
      if (auto err = read_event_type(value, "@i", event_type))
        return err;
      explicit_type = true;
    } else if (key == "@tr") {
      if (auto err = read_string_field(value, "@tr", s))
        return err;
      append_lower(trace_id_, s);
    } else if (key == "@sp") {
      if (auto err = read_string_field(value, "@sp", s))
        return err;
      append_lower(span_id_, s);
    } else if (key == "@ps") {
      if (auto err = read_string_field(value, "@ps", s))
        return err;
      append_lower(parent_id_, s);
    } else if (key == "@sk") {
      if (auto err = read_string_field(value, "@sk", span_kind))
        return err;
    } else if (key == "@ra" || key == "@sa") {
      bool is_ra = key == "@ra";
      od::json_type type;
      if (auto e = value.type().get(type))
        return json_error(e);
      if (type != od::json_type::object)
        return std::string(is_ra ? "@ra" : "@sa") + " must be an object";
      std::string& target = is_ra ? resource_ : scope_;
      target.clear();
      if (auto e = copy_json_value(value, target))
        return json_error(e);
      if (target == "{}")
        target.clear(); // an empty object carries nothing: store "absent"

    } else if (key == "@r") {
      // Renderings of format specifiers: we render ourselves; ignored.
    } else {
      // Unknown reified field (@d, future ones): kept as user data.
      if (auto e = props_.add(name, value))
        return json_error(e);
    }
  }
  // A document must end with its object ("{...} x" is not one event).
  if (doc.current_location().error() != simdjson::OUT_OF_BOUNDS)
    return std::string("invalid JSON: trailing content after the object");
  if (!has_t)
    return std::string("@t is missing");

  // Step 2: derived values.
  std::string_view properties = props_.finish();
  // The template's split and hash come from the cache: a body repeats a few
  // templates over and over.
  const parsed_template* parsed =
    has_mt && (!has_m || !explicit_type) ? &templates_.find(tmpl) : nullptr;
  if (!has_m && has_mt) {
    rendered_.clear();
    parsed->render([&](std::string_view name) { return props_.find(name); }, rendered_);
    message = rendered_;
  }
  if (!explicit_type)
    event_type = parsed ? parsed->event_type() : murmur3_32(message);

  // Step 3: the record.
  out.offsets.push_back(static_cast<uint32_t>(out.bytes.size()));
  storage::record_builder b{out.bytes};
  b.timestamp(timestamp);
  b.start(start);
  b.event_type(event_type);
  b.flags(explicit_type ? uint32_t{storage::explicit_event_type} : 0u);
  b.add_all({level, tmpl, message, exception, trace_id_, span_id_, parent_id_, span_kind, properties,
             resource_, scope_});
  if (b.size() > storage::max_record_bytes) {
    b.abandon();
    out.offsets.pop_back();
    return event_too_large_text();
  }
  return std::nullopt;
}

} // namespace cairn::decode
