#include "net/http_types.hpp"

#include <cctype>

namespace cairn::net {

response json_response(const request& req, http::status status, std::string body) {
  response res{status, req.version()};
  res.set(http::field::content_type, "application/json; charset=utf-8");
  res.keep_alive(req.keep_alive());
  res.body() = std::move(body);
  res.prepare_payload();
  return res;
}

response error_response(const request& req, http::status status, std::string_view message) {
  std::string body = "{\"Error\":\"";
  json_escape_into(body, message);
  body += "\"}";
  return json_response(req, status, std::move(body));
}


std::string url_decode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '+') {
      out.push_back(' ');
    } else if (c == '%' && i + 2 < s.size() &&
               std::isxdigit(static_cast<unsigned char>(s[i + 1])) &&
               std::isxdigit(static_cast<unsigned char>(s[i + 2]))) {
      auto v = [](char h) { return h <= '9' ? h - '0' : (h | 0x20) - 'a' + 10; };
      out.push_back(static_cast<char>(v(s[i + 1]) * 16 + v(s[i + 2])));
      i += 2;
    } else {
      out.push_back(c);
    }
  }
  return out;
}

namespace {

template <class F>
void for_each_param(std::string_view query, F&& f) {
  size_t pos = 0;
  while (pos <= query.size()) {
    size_t amp = query.find('&', pos);
    if (amp == std::string_view::npos)
      amp = query.size();
    auto pair = query.substr(pos, amp - pos);
    auto eq = pair.find('=');
    auto key = pair.substr(0, eq);
    std::optional<std::string_view> value;
    if (eq != std::string_view::npos)
      value = pair.substr(eq + 1);
    if (!key.empty() && f(key, value))
      return;
    pos = amp + 1;
  }
}

} // namespace

std::optional<std::string> query_param(std::string_view query, std::string_view name) {
  std::optional<std::string> result;
  for_each_param(query, [&](std::string_view key, std::optional<std::string_view> value) {
    if (url_decode(key) != name)
      return false;
    result = value ? url_decode(*value) : std::string{};
    return true;
  });
  return result;
}

bool has_query_param(std::string_view query, std::string_view name) {
  return query_param(query, name).has_value();
}

} // namespace cairn::net
