#include "storage/meta/api_key.hpp"

#include <array>
#include <cctype>
#include <utility>

namespace cairn::meta {

namespace {

constexpr std::array<std::pair<permission, std::string_view>, 4> permission_names = {{
  {permission::ingest, "Ingest"},
  {permission::read, "Read"},
  {permission::write, "Write"},
  {permission::setup, "Setup"},
}};

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size())
    return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(a[i]))
        != std::tolower(static_cast<unsigned char>(b[i])))
      return false;
  return true;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front())))
    s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back())))
    s.remove_suffix(1);
  return s;
}

} // namespace

std::string to_string(permission_set ps) {
  std::string out;
  for (auto [p, name] : permission_names) {
    if (!ps.contains(p))
      continue;
    if (!out.empty())
      out += ',';
    out += name;
  }
  return out;
}

std::optional<permission_set> parse_permissions(std::string_view text) {
  permission_set result;
  while (!text.empty()) {
    auto comma = text.find(',');
    auto item = trim(text.substr(0, comma));
    text = comma == std::string_view::npos ? std::string_view{} : text.substr(comma + 1);
    if (item.empty())
      continue;
    bool known = false;
    for (auto [p, name] : permission_names) {
      if (iequals(item, name)) {
        result.add(p);
        known = true;
      }
    }
    if (!known)
      return std::nullopt;
  }
  return result;
}

} // namespace cairn::meta
