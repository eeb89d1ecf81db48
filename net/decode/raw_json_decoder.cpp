#include "net/decode/raw_json_decoder.hpp"

#include "net/decode/event_type.hpp"
#include "net/decode/json_copy.hpp"
#include "net/decode/json_text.hpp"
#include "net/decode/murmur3.hpp"
#include "net/decode/template_cache.hpp"
#include "net/decode/timestamp.hpp"

namespace cairn::decode {

namespace od = simdjson::ondemand;

namespace {

bool is_blank(std::string_view s) noexcept {
  return s.find_first_not_of(" \t\r\n") == std::string_view::npos;
}

} // namespace

decode_status raw_json_decoder::decode(std::string& body, storage::record_batch& out) {
  if (is_blank(body))
    return std::nullopt; // level poll
  ensure_padding(body);
  batch_rollback rollback{out};
  od::document doc;
  if (auto e = parser_.iterate(simdjson::padded_string_view(body.data(), body.size(),
                                                            body.capacity()))
                 .get(doc))
    return json_error(e);
  od::json_type type;
  if (auto e = doc.type().get(type))
    return json_error(e);
  if (type != od::json_type::object)
    return std::string("body must be a JSON object with an Events array");
  od::object root;
  if (auto e = doc.get_object().get(root))
    return json_error(e);
  bool found = false;
  for (auto field_result : root) {
    od::field field;
    if (auto e = std::move(field_result).get(field))
      return json_error(e);
    std::string_view key;
    if (auto e = field.unescaped_key().get(key))
      return json_error(e);
    if (key != "Events" && key != "events")
      continue;
    found = true;
    od::array events;
    if (field.value().get_array().get(events))
      return std::string("Events must be an array");
    size_t index = 0;
    for (auto element : events) {
      ++index;
      od::value event;
      decode_status err;
      if (auto e = std::move(element).get(event))
        err = json_error(e);
      else
        err = decode_event(event, out);
      if (err)
        return "event " + std::to_string(index) + ": " + *err;
    }
  }
  if (doc.current_location().error() != simdjson::OUT_OF_BOUNDS)
    return std::string("invalid JSON: trailing content after the object");
  if (!found)
    return std::string("body has no Events array");
  rollback.commit();
  return std::nullopt;
}

decode_status raw_json_decoder::decode_event(od::value v, storage::record_batch& out) {
  od::object obj;
  {
    od::json_type type;
    if (auto e = v.type().get(type))
      return json_error(e);
    if (type != od::json_type::object)
      return std::string("not a JSON object");
    if (auto e = v.get_object().get(obj))
      return json_error(e);
  }
  props_.clear();
  trace_id_.clear();
  span_id_.clear();
  std::string_view level, tmpl, message, exception, s;
  bool has_timestamp = false, has_message = false, has_template = false, explicit_type = false;
  int64_t timestamp = 0;
  uint32_t event_type = 0;

  for (auto field_result : obj) {
    od::field field;
    if (auto e = std::move(field_result).get(field))
      return json_error(e);
    std::string_view key;
    if (auto e = field.unescaped_key().get(key))
      return json_error(e);
    od::value value = field.value();
    if (key == "Timestamp") {
      if (auto err = read_string_field(value, "Timestamp", s))
        return err;
      auto ns = parse_iso8601(s);
      if (!ns)
        return std::string("Timestamp is not a valid ISO-8601 timestamp");
      timestamp = *ns;
      has_timestamp = true;
    } else if (key == "Level") {
      if (auto err = read_string_field(value, "Level", level))
        return err;
    } else if (key == "MessageTemplate") {
      if (auto err = read_string_field(value, "MessageTemplate", tmpl))
        return err;
      has_template = true;
    } else if (key == "RenderedMessage") {
      if (auto err = read_string_field(value, "RenderedMessage", message))
        return err;
      has_message = true;
    } else if (key == "Exception") {
      if (auto err = read_string_field(value, "Exception", exception))
        return err;
    } else if (key == "EventType") {
      if (auto err = read_event_type(value, "EventType", event_type))
        return err;
      explicit_type = true;
    } else if (key == "TraceId") {
      if (auto err = read_string_field(value, "TraceId", s))
        return err;
      append_lower(trace_id_, s);
    } else if (key == "SpanId") {
      if (auto err = read_string_field(value, "SpanId", s))
        return err;
      append_lower(span_id_, s);
    } else if (key == "Properties") {
      od::json_type type;
      if (auto e = value.type().get(type))
        return json_error(e);
      if (type == od::json_type::null)
        continue;
      if (type != od::json_type::object)
        return std::string("Properties must be an object");
      od::object props;
      if (auto e = value.get_object().get(props))
        return json_error(e);
      for (auto prop_result : props) {
        od::field prop;
        if (auto e = std::move(prop_result).get(prop))
          return json_error(e);
        json_key name;
        if (auto e = read_key(prop, name))
          return json_error(e);
        if (auto e = props_.add(name, prop.value()))
          return json_error(e);
      }
    }
    // Renderings and unknown fields: the on-demand iterator skips them.
  }
  if (!has_timestamp)
    return std::string("Timestamp is missing");

  std::string_view properties = props_.finish();
  // The template's split and hash come from the cache: a body repeats a few
  // templates over and over.
  const parsed_template* parsed =
    has_template && (!has_message || !explicit_type) ? &templates_.find(tmpl) : nullptr;
  if (!has_message && has_template) {
    rendered_.clear();
    parsed->render([&](std::string_view name) { return props_.find(name); }, rendered_);
    message = rendered_;
  }
  if (!explicit_type)
    event_type = parsed ? parsed->event_type() : murmur3_32(message);

  out.offsets.push_back(static_cast<uint32_t>(out.bytes.size()));
  storage::record_builder b{out.bytes};
  b.timestamp(timestamp);
  b.event_type(event_type);
  b.flags(explicit_type ? uint32_t{storage::explicit_event_type} : 0u);
  // No parent id, span kind, resource or scope in this format.
  b.add_all({level, tmpl, message, exception, trace_id_, span_id_, {}, {}, properties, {}, {}});
  if (b.size() > storage::max_record_bytes) {
    b.abandon();
    out.offsets.pop_back();
    return event_too_large_text();
  }
  return std::nullopt;
}

} // namespace cairn::decode
