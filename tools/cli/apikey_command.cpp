/// `cairn apikey create|list|remove` against the node's metastore.
#include "storage/meta/metastore.hpp"
#include "tools/cli/commands.hpp"
#include "tools/cli/node_metastore.hpp"

#include <cstdio>
#include <filesystem>
#include <iostream>

namespace cairn::cli {

int apikey_command(int argc, char** argv) {
  if (argc < 3)
    throw usage_error{"usage: cairn apikey create --title T [--permissions Ingest,Read,Write,Setup] "
                      "[--minimum-level L] [--applied-properties JSON] | list | remove ID"};
  std::string verb = argv[2];
  args a{argc, argv, 3, {"title", "permissions", "minimum-level", "applied-properties"}};
  auto root = a.storage_root();
  std::filesystem::create_directories(root);
  // The node's metastore: PostgreSQL when the node is in a cluster (keys
  // made in the local SQLite file would never reach the nodes).
  config cfg;
  try {
    cfg = config::load(root);
  } catch (const config_error& e) {
    std::cerr << "cairn apikey: " << e.message << "\n";
    return usage;
  }
  auto uri = node_metastore_uri(root, cfg);
  if (!uri) {
    std::cerr << "cairn apikey: cannot choose the metastore: " << uri.error().message << "\n";
    return failure;
  }
  auto store = meta::metastore::open(*uri);
  if (!store) {
    std::cerr << "cairn apikey: cannot open the metastore: " << store.error().message << "\n";
    return failure;
  }
  if (verb == "create") {
    auto perms_text = a.get_or("permissions", "Ingest");
    auto perms = meta::parse_permissions(perms_text);
    if (!perms)
      throw usage_error{"--permissions: '" + perms_text +
                        "' is not a list of Ingest, Read, Write, Setup"};
    auto created = store->create_api_key(a.require("title"), *perms,
                                         a.get_or("applied-properties", "{}"),
                                         a.get_or("minimum-level", ""));
    if (!created) {
      std::cerr << "cairn apikey: " << created.error().message << "\n";
      return failure;
    }
    std::cout << created->token << "\n";
    std::cerr << "API key " << created->info.id << " created; the token above is shown only once.\n";
    return ok;
  }
  if (verb == "list") {
    auto keys = store->list_api_keys();
    if (!keys) {
      std::cerr << "cairn apikey: " << keys.error().message << "\n";
      return failure;
    }
    std::printf("%-24s %-10s %-28s %s\n", "ID", "PREFIX", "PERMISSIONS", "TITLE");
    for (const auto& k : *keys)
      std::printf("%-24s %-10s %-28s %s\n", k.id.c_str(), k.token_prefix.c_str(),
                  meta::to_string(k.permissions).c_str(), k.title.c_str());
    return ok;
  }
  if (verb == "remove") {
    if (a.positional().size() != 1)
      throw usage_error{"usage: cairn apikey remove ID"};
    auto removed = store->remove_api_key(a.positional()[0]);
    if (!removed) {
      std::cerr << "cairn apikey: " << removed.error().message << "\n";
      return failure;
    }
    if (!*removed) {
      std::cerr << "cairn apikey: no key with id " << a.positional()[0] << "\n";
      return failure;
    }
    return ok;
  }
  throw usage_error{"unknown apikey verb '" + verb + "' (create|list|remove)"};
}

} // namespace cairn::cli
