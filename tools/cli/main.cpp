/// The `cairn` executable: dispatches to one verb group per file.
#include "tools/cli/commands.hpp"

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <cstring>
#include <iostream>

namespace {

void print_help() {
  std::cout << "cairn: a self-hosted server for structured logs and traces\n\n"
               "usage: cairn <command> [options]\n\n"
               "  run [--storage DIR] [--listen URI]     serve (default http://127.0.0.1:5341)\n"
               "  config create|get|set|list [-k KEY] [-v VALUE]\n"
               "  apikey create|list|remove              manage API keys\n"
               "  alert add|list|remove                  manage alerts\n"
               "  retention add --after 2h [--filter F]|list|remove ID   retention policies\n"
               "  ingest [FILE|-]... [--server URL]      bulk-load CLEF/NDJSON\n"
               "  query 'SQL' [--from ISO] [--to ISO] [--json]   run a query on a node\n"
               "  search 'FILTER' [--count N] [--json]   search events on a node\n"
               "  secret set -k KEY -v VALUE             store an encrypted secret\n"
               "  show-key [--generate]                  the storage.secretKey\n"
               "  node setup --cluster-listen H:P --internal-api URI --peer-cluster H:P,...\n"
               "       --peer-internal-api URI,... -k KEY --node-name NAME [--shard-id ID]\n"
               "  node lead | node demote                manual (DR) leadership\n"
               "  node remove NAME [--server URL] [--api-key KEY]   drop a stopped node, re-replicate\n"
               "  metastore to-postgresql --connection-string=...\n"
               "  version\n\n"
               "Every command takes --storage DIR (default ./cairn-data, env CAIRN_STORAGE).\n";
}

} // namespace

int main(int argc, char** argv) {
  using namespace cairn::cli;
  if (argc < 2 || !std::strcmp(argv[1], "help") || !std::strcmp(argv[1], "--help") ||
      !std::strcmp(argv[1], "-h")) {
    print_help();
    return argc < 2 ? usage : ok;
  }
  std::string verb = argv[1];
  // Library logs (e.g. metastore migrations) must never mix into a verb's
  // stdout, which scripts read (tokens, keys, query results).
  spdlog::set_default_logger(spdlog::stderr_color_mt("cli"));
  try {
    if (verb == "run")
      return run_command(argc, argv);
    if (verb == "config")
      return config_command(argc, argv);
    if (verb == "apikey")
      return apikey_command(argc, argv);
    if (verb == "alert")
      return alert_command(argc, argv);
    if (verb == "retention")
      return retention_command(argc, argv);
    if (verb == "ingest")
      return ingest_command(argc, argv);
    if (verb == "query" || verb == "search")
      return query_command(argc, argv, verb == "search");
    if (verb == "secret")
      return secret_command(argc, argv);
    if (verb == "show-key")
      return show_key_command(argc, argv);
    if (verb == "node")
      return node_command(argc, argv);
    if (verb == "metastore")
      return metastore_command(argc, argv);
    if (verb == "version") {
      std::cout << "cairn 0.1.0\n";
      return ok;
    }
  } catch (const usage_error& e) {
    std::cerr << "cairn " << verb << ": " << e.message << "\n";
    return usage;
  }
  std::cerr << "cairn: unknown command '" << verb << "' (try `cairn help`)\n";
  return usage;
}
