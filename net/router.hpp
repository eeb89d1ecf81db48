#pragma once
/// The route table: (method, path pattern) -> handler, with a route name used
/// in metrics. Patterns are exact paths, or end in `*` to match a prefix.
#include "net/http_types.hpp"

#include <string>
#include <vector>

namespace cairn::net {

class router {
public:
  /// Registers a handler. Later registrations do not override earlier ones.
  void add(http::verb method, std::string pattern, std::string name, handler h);

  struct match_result {
    const handler* target = nullptr; ///< null: no route
    std::string_view name;           ///< route name for metrics
    bool path_known = false;         ///< path matched but not the method (405)
  };

  match_result match(http::verb method, std::string_view path) const;

private:
  struct route {
    http::verb method;
    std::string pattern;
    std::string name;
    handler target;
  };
  std::vector<route> routes_;
};

} // namespace cairn::net
