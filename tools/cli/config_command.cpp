#include "tools/cli/commands.hpp"

#include "actors/config.hpp"

#include <cstdio>
#include <filesystem>
#include <iostream>

namespace cairn::cli {

/// `cairn config create|get|set|list` on <storage>/cairn.json.
int config_command(int argc, char** argv) {
  if (argc < 3)
    throw usage_error{"usage: cairn config create|get|set|list [-k KEY] [-v VALUE] [--storage DIR]"};
  std::string verb = argv[2];
  args a{argc, argv, 3, {"key", "value"}, {"force"}, {{"-k", "key"}, {"-v", "value"}}};
  auto root = a.storage_root();
  try {
    if (verb == "create") {
      auto path = config::file_path(root);
      if (std::filesystem::exists(path) && !a.flag("force")) {
        std::cerr << "cairn: " << path << " already exists (use --force to overwrite)\n";
        return failure;
      }
      config cfg;
      for (const auto& spec : settings_registry())
        if (*spec.default_value)
          cfg.set(spec.key, spec.default_value);
      cfg.save(root);
      std::cout << "created " << path << "\n";
      return ok;
    }
    auto cfg = config::load(root, verb != "set");
    if (verb == "get") {
      std::cout << cfg.get(a.require("key")) << "\n";
      return ok;
    }
    if (verb == "set") {
      cfg.set(a.require("key"), a.require("value"));
      cfg.save(root);
      return ok;
    }
    if (verb == "list") {
      for (const auto& spec : settings_registry())
        std::printf("%-28s %-24s %s%s\n", spec.key, cfg.get(spec.key).c_str(), spec.description,
                    spec.needs_restart ? " (restart)" : "");
      return ok;
    }
  } catch (const config_error& e) {
    std::cerr << "cairn: " << e.message << "\n";
    return usage;
  }
  throw usage_error{"unknown config verb '" + verb + "' (create|get|set|list)"};
}

} // namespace cairn::cli
