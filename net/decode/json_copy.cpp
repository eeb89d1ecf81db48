#include "net/decode/json_copy.hpp"

#include "net/decode/json_text.hpp"

namespace cairn::decode {

namespace od = simdjson::ondemand;

namespace {

std::string_view trim_right(std::string_view s) noexcept {
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\n' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

} // namespace

simdjson::error_code copy_json_value(od::value v, std::string& out, int depth) {
  // On-demand parsing does not bound nesting; recursion must be bounded here.
  if (depth > max_json_depth)
    return simdjson::DEPTH_ERROR;
  od::json_type type;
  if (auto e = v.type().get(type))
    return e;
  switch (type) {
    case od::json_type::object: {
      od::object obj;
      if (auto e = v.get_object().get(obj))
        return e;
      out.push_back('{');
      bool first = true;
      for (auto field_result : obj) {
        od::field field;
        if (auto e = std::move(field_result).get(field))
          return e;
        std::string_view key;
        if (auto e = field.unescaped_key().get(key))
          return e;
        if (!first)
          out.push_back(',');
        first = false;
        append_json_string(out, key);
        out.push_back(':');
        if (auto e = copy_json_value(field.value(), out, depth + 1))
          return e;
      }
      out.push_back('}');
      return simdjson::SUCCESS;
    }
    case od::json_type::array: {
      od::array arr;
      if (auto e = v.get_array().get(arr))
        return e;
      out.push_back('[');
      bool first = true;
      for (auto element : arr) {
        od::value item;
        if (auto e = std::move(element).get(item))
          return e;
        if (!first)
          out.push_back(',');
        first = false;
        if (auto e = copy_json_value(item, out, depth + 1))
          return e;
      }
      out.push_back(']');
      return simdjson::SUCCESS;
    }
    case od::json_type::number: {
      // Peek at the token before get_number() consumes it.
      std::string_view token = trim_right(v.raw_json_token());
      od::number n;
      auto e = v.get_number().get(n);
      // Numbers beyond 64-bit range are still valid JSON: keep their text.
      if (e && e != simdjson::NUMBER_OUT_OF_RANGE)
        return e;
      out.append(token);
      return simdjson::SUCCESS;
    }
    case od::json_type::string: {
      std::string_view s;
      if (auto e = v.get_string().get(s))
        return e;
      append_json_string(out, s);
      return simdjson::SUCCESS;
    }
    case od::json_type::boolean: {
      bool b;
      if (auto e = v.get_bool().get(b))
        return e;
      out.append(b ? "true" : "false");
      return simdjson::SUCCESS;
    }
    case od::json_type::null: {
      bool is_null = false;
      if (auto e = v.is_null().get(is_null))
        return e;
      if (!is_null)
        return simdjson::N_ATOM_ERROR;
      out.append("null");
      return simdjson::SUCCESS;
    }
  }
  return simdjson::INCORRECT_TYPE;
}

const char* json_error_text(simdjson::error_code e) noexcept {
  return simdjson::error_message(e);
}

std::string json_error(simdjson::error_code e) {
  return std::string("invalid JSON: ") + json_error_text(e);
}

decode_status read_string_field(od::value v, const char* name, std::string_view& out) {
  od::json_type type;
  if (auto e = v.type().get(type))
    return json_error(e);
  if (type != od::json_type::string)
    return std::string(name) + " must be a string";
  if (auto e = v.get_string().get(out))
    return json_error(e);
  return std::nullopt;
}

} // namespace cairn::decode
