/// Cluster administration verbs: `secret set`, `show-key`, `node setup|lead|
/// demote`, `metastore to-postgresql`.
#include "storage/meta/metastore.hpp"
#include "tools/cli/commands.hpp"
#include "tools/cli/http_client.hpp"
#include "tools/cli/node_identity.hpp"
#include "tools/cli/node_metastore.hpp"

#include <chrono>
#include <cstdio>
#include <iostream>
#include <unistd.h>

namespace cairn::cli {

namespace {

int fail_with(const std::string& verb, const std::string& message, int code = failure) {
  std::cerr << "cairn " << verb << ": " << message << "\n";
  return code;
}

config load_config_or_throw(const std::string& root) {
  try {
    return config::load(root);
  } catch (const config_error& e) {
    throw usage_error{e.message};
  }
}

int64_t unix_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
           std::chrono::system_clock::now().time_since_epoch())
    .count();
}

/// Sets storage.secretKey to a fresh key if none is configured yet.
void ensure_secret_key(const std::string& root, config& cfg) {
  if (!cfg.get("storage.secretKey").empty())
    return;
  auto key = meta::generate_secret_key();
  if (!key)
    throw std::runtime_error{key.error().message};
  cfg.set("storage.secretKey", *key);
  cfg.save(root);
  std::cerr << "generated storage.secretKey (kept in " << config::file_path(root)
            << "; every node of a cluster may use its own)\n";
}

} // namespace

int secret_command(int argc, char** argv) {
  if (argc < 3 || std::string{argv[2]} != "set")
    throw usage_error{"usage: cairn secret set -k KEY -v VALUE"};
  args a{argc, argv, 3, {"key", "value"}, {}, {{"-k", "key"}, {"-v", "value"}}};
  auto root = a.storage_root();
  auto cfg = load_config_or_throw(root);
  auto r = write_secret(root, cfg, a.require("key"), a.require("value"));
  if (!r)
    return fail_with("secret", r.error().message);
  return ok;
}

int show_key_command(int argc, char** argv) {
  args a{argc, argv, 2, {}, {"generate"}};
  if (a.flag("generate")) {
    auto key = meta::generate_secret_key();
    if (!key)
      return fail_with("show-key", key.error().message);
    std::cout << *key << "\n";
    return ok;
  }
  auto cfg = load_config_or_throw(a.storage_root());
  auto key = cfg.get("storage.secretKey");
  if (key.empty())
    return fail_with("show-key", "no storage.secretKey is configured (use --generate)");
  std::cout << key << "\n";
  return ok;
}

int node_command(int argc, char** argv) {
  if (argc < 3)
    throw usage_error{"usage: cairn node setup|lead|demote [options]"};
  std::string verb = argv[2];
  if (verb == "setup") {
    args a{argc,
           argv,
           3,
           {"cluster-listen", "internal-api", "peer-cluster", "peer-internal-api", "key",
            "node-name", "shard-id", "listen"},
           {},
           {{"-k", "key"}}};
    auto root = a.storage_root();
    auto cfg = load_config_or_throw(root);
    try {
      cfg.set("cluster.listenUri", a.require("cluster-listen"));
      cfg.set("cluster.internalApiUri", a.get_or("internal-api", ""));
      cfg.set("cluster.peers", a.get_or("peer-cluster", ""));
      cfg.set("cluster.peerInternalApis", a.get_or("peer-internal-api", ""));
      cfg.set("node.name", a.require("node-name"));
      if (auto shard = a.get("shard-id"))
        cfg.set("node.shardId", *shard);
      if (auto listen = a.get("listen"))
        cfg.set("api.listenUris", *listen);
      cfg.save(root);
      ensure_secret_key(root, cfg);
    } catch (const config_error& e) {
      return fail_with("node setup", e.message, usage);
    }
    auto key = a.require("key");
    if (key.size() < 16)
      return fail_with("node setup", "the cluster key must have at least 16 characters", usage);
    auto r = write_secret(root, cfg, "cluster.key", key);
    if (!r)
      return fail_with("node setup", r.error().message);
    std::cout << "node " << cfg.get("node.name") << " configured for cluster port "
              << cfg.get("cluster.listenUri") << "\n";
    return ok;
  }
  if (verb == "lead" || verb == "demote") {
    args a{argc, argv, 3, {}};
    auto root = a.storage_root();
    auto cfg = load_config_or_throw(root);
    auto uri = node_metastore_uri(root, cfg);
    if (!uri)
      return fail_with("node " + verb, uri.error().message);
    auto store = meta::metastore::open(*uri);
    if (!store)
      return fail_with("node " + verb, store.error().message);
    if (verb == "lead") {
      auto identity = load_node_identity(root, cfg.get("node.name"));
      auto lease = store->set_manual_leader("leader", identity.id, unix_ms());
      if (!lease)
        return fail_with("node lead", lease.error().message);
      cfg.set("node.manualLeader", "true");
      cfg.save(root);
      std::cout << "node " << identity.name << " holds the lease permanently (epoch "
                << lease->epoch << ") until `cairn node demote`\n";
    } else {
      auto demoted = store->demote("leader");
      if (!demoted)
        return fail_with("node demote", demoted.error().message);
      cfg.set("node.manualLeader", "false");
      cfg.save(root);
      std::cout << (*demoted ? "lease released; automatic election resumes\n"
                             : "no node held the lease\n");
    }
    return ok;
  }
  if (verb == "remove") {
    // On the leader (any node forwards it there): membership, placement and
    // re-replication of the shards that lost a copy.
    if (argc < 4)
      throw usage_error{"usage: cairn node remove NAME [--server URL] [--api-key KEY]"};
    std::string name = argv[3];
    args a{argc, argv, 4, {"server", "api-key"}};
    http_client client{a.get_or("server", "http://127.0.0.1:5341"), a.get_or("api-key", "")};
    http_reply reply;
    try {
      reply = client.send("DELETE", "/api/cluster/nodes/" + url_encode(name), "");
    } catch (const std::exception& e) {
      return fail_with("node remove", e.what());
    }
    if (reply.status != 200)
      return fail_with("node remove", "HTTP " + std::to_string(reply.status) + ": " + reply.body);
    std::cout << reply.body << "\n";
    return ok;
  }
  throw usage_error{"unknown node verb '" + verb + "' (setup|lead|demote|remove)"};
}

int metastore_command(int argc, char** argv) {
  if (argc < 3 || std::string{argv[2]} != "to-postgresql")
    throw usage_error{"usage: cairn metastore to-postgresql --connection-string=..."};
  args a{argc, argv, 3, {"connection-string"}};
  auto root = a.storage_root();
  auto cfg = load_config_or_throw(root);
  auto target_uri = a.require("connection-string");
  auto source = meta::metastore::open(local_metastore_uri(root));
  if (!source)
    return fail_with("metastore", source.error().message);
  auto target = meta::metastore::open(target_uri);
  if (!target)
    return fail_with("metastore", target.error().message);
  bool tty = ::isatty(2);
  auto copied = source->copy_to(*target, [tty](std::string_view table, uint64_t done,
                                                uint64_t total) {
    std::fprintf(stderr, "%s%-20.*s %llu/%llu rows%s", tty ? "\r" : "",
                 static_cast<int>(table.size()), table.data(),
                 static_cast<unsigned long long>(done), static_cast<unsigned long long>(total),
                 tty ? "" : "\n");
    std::fflush(stderr);
  });
  if (!copied)
    return fail_with("metastore", "copy failed, nothing changed: " + copied.error().message);
  try {
    ensure_secret_key(root, cfg);
  } catch (const std::exception& e) {
    return fail_with("metastore", e.what());
  }
  auto r = write_secret(root, cfg, "metastore.connectionString", target_uri);
  if (!r)
    return fail_with("metastore", r.error().message);
  std::fprintf(stderr, "%scopied %llu rows; this node now uses PostgreSQL\n", tty ? "\n" : "",
               static_cast<unsigned long long>(*copied));
  return ok;
}

} // namespace cairn::cli
