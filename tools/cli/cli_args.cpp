#include "tools/cli/cli_args.hpp"

#include <algorithm>
#include <cstdlib>

namespace cairn::cli {

args::args(int argc, char** argv, int first, std::vector<std::string> known,
           std::vector<std::string> flags, std::map<std::string, std::string> aliases) {
  known.push_back("storage");
  auto is = [](const std::vector<std::string>& v, const std::string& x) {
    return std::find(v.begin(), v.end(), x) != v.end();
  };
  for (int i = first; i < argc; ++i) {
    std::string a = argv[i];
    std::string name;
    std::optional<std::string> value;
    if (a.rfind("--", 0) == 0 && a.size() > 2) {
      name = a.substr(2);
      if (auto eq = name.find('='); eq != std::string::npos) {
        value = name.substr(eq + 1);
        name = name.substr(0, eq);
      }
    } else if (a.size() == 2 && a[0] == '-' && aliases.count(a)) {
      name = aliases.at(a);
    } else if (a.size() >= 2 && a[0] == '-' && a != "-") {
      throw usage_error{"unknown option '" + a + "'"};
    } else {
      positional_.push_back(a);
      continue;
    }
    if (is(flags, name)) {
      if (value)
        throw usage_error{"option --" + name + " takes no value"};
      values_[name] = "true";
      continue;
    }
    if (!is(known, name))
      throw usage_error{"unknown option '--" + name + "'"};
    if (!value) {
      if (i + 1 >= argc)
        throw usage_error{"option --" + name + " needs a value"};
      value = argv[++i];
    }
    values_[name] = *value;
  }
}

std::optional<std::string> args::get(const std::string& name) const {
  if (auto i = values_.find(name); i != values_.end())
    return i->second;
  return std::nullopt;
}

std::string args::get_or(const std::string& name, std::string fallback) const {
  return get(name).value_or(std::move(fallback));
}

std::string args::require(const std::string& name) const {
  if (auto v = get(name))
    return *v;
  throw usage_error{"missing required option --" + name};
}

bool args::flag(const std::string& name) const {
  return values_.count(name) > 0;
}

std::string args::storage_root() const {
  if (auto v = get("storage"))
    return *v;
  if (const char* env = std::getenv("CAIRN_STORAGE"))
    return env;
  return "cairn-data";
}

} // namespace cairn::cli
