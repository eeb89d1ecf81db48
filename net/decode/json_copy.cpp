#include "net/decode/json_copy.hpp"

#include "net/decode/json_text.hpp"
#include "storage/json_string_scan.hpp"

namespace cairn::decode {

namespace od = simdjson::ondemand;

namespace {

std::string_view trim_right(std::string_view s) noexcept {
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\n' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

/// Length of the body of the string literal whose opening quote is at
/// text[0], if the body holds no escape (then the literal is exactly its
/// minimal JSON form, since simdjson rejects unescaped control characters
/// and invalid UTF-8 before any value is read); npos otherwise.
size_t clean_string_body(std::string_view text) noexcept {
  size_t end = next_quote_or_backslash_padded(text.data(), 1, text.size());
  if (end < text.size() && text[end] == '"')
    return end - 1;
  return std::string_view::npos;
}

/// True if `token` is a number simdjson's get_number() would accept for
/// sure: -?(0|[1-9][0-9]*)(.[0-9]+)? with at most 18 digits if integral (so
/// it fits int64) or at most 20 characters if not (so it is a finite double).
/// Anything else (exponents, longer numbers, malformed text) goes through
/// get_number(), which validates it.
bool is_plain_number(std::string_view token) noexcept {
  size_t i = 0, n = token.size();
  auto digit = [&](size_t at) { return at < n && token[at] >= '0' && token[at] <= '9'; };
  if (i < n && token[i] == '-')
    ++i;
  if (!digit(i))
    return false;
  if (token[i] == '0') {
    ++i;
  } else {
    while (digit(i))
      ++i;
  }
  size_t integral_end = i;
  if (i < n && token[i] == '.') {
    ++i;
    if (!digit(i))
      return false;
    while (digit(i))
      ++i;
    return i == n && n <= 20;
  }
  return i == n && integral_end - (token[0] == '-') <= 18;
}

} // namespace

simdjson::error_code read_key(od::field& f, json_key& out) {
  // The key's raw bytes run from just past its opening quote to at most the
  // start of the value (past the closing quote and ':').
  const char* begin = reinterpret_cast<const char*>(f.key().raw());
  const char* value_begin = f.value().raw_json_token().data();
  if (value_begin > begin) {
    size_t n = size_t(value_begin - begin);
    size_t end = next_quote_or_backslash_padded(begin, 0, n);
    if (end < n && begin[end] == '"') {
      out = json_key{std::string_view(begin, end), true};
      return simdjson::SUCCESS;
    }
  }
  out.is_json = false;
  return f.unescaped_key().get(out.text);
}

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
        if (auto e = field_result.error())
          return e;
        od::field&& field = std::move(field_result).value_unsafe(); // no copy (see clef_decoder.cpp)
        json_key key;
        if (auto e = read_key(field, key))
          return e;
        if (!first)
          out.push_back(',');
        first = false;
        append_json_key(out, key);
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
      // Plain numbers (most) are checked here and left unread: parsing them
      // into a double or integer only to write the text back cost more.
      if (is_plain_number(token)) {
        out.append(token);
        return simdjson::SUCCESS;
      }
      od::number n;
      auto e = v.get_number().get(n);
      // Numbers beyond 64-bit range are still valid JSON: keep their text.
      if (e && e != simdjson::NUMBER_OUT_OF_RANGE)
        return e;
      out.append(token);
      return simdjson::SUCCESS;
    }
    case od::json_type::string: {
      // Most strings hold no escape: copy their literal as it stands and
      // leave the value unread (the iterator skips it), instead of
      // unescaping it into simdjson's buffer and escaping it back.
      std::string_view literal = v.raw_json_token();
      if (size_t n = clean_string_body(literal); n != std::string_view::npos) {
        out.append(literal.data(), n + 2);
        return simdjson::SUCCESS;
      }
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
