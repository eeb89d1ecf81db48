#include "net/router.hpp"

namespace cairn::net {

void router::add(http::verb method, std::string pattern, std::string name, handler h) {
  routes_.push_back({method, std::move(pattern), std::move(name), std::move(h)});
}

router::match_result router::match(http::verb method, std::string_view path) const {
  match_result result;
  for (const auto& r : routes_) {
    bool hit = r.pattern.ends_with('*')
                 ? path.starts_with(std::string_view{r.pattern}.substr(0, r.pattern.size() - 1))
                 : path == r.pattern;
    if (!hit)
      continue;
    if (r.method == method || (method == http::verb::head && r.method == http::verb::get)) {
      result.target = &r.target;
      result.name = r.name;
      return result;
    }
    result.path_known = true;
    result.name = r.name;
  }
  return result;
}

} // namespace cairn::net
