#pragma once
/// Entry points of the `cairn` verbs, one file per verb group.
#include "tools/cli/cli_args.hpp"

namespace cairn::cli {

int run_command(int argc, char** argv);
int config_command(int argc, char** argv);
int apikey_command(int argc, char** argv);
/// `cairn alert add|list|remove` (tools/cli/alert_command.cpp).
int alert_command(int argc, char** argv);
/// `cairn retention add|list|remove` (tools/cli/retention_command.cpp).
int retention_command(int argc, char** argv);
int ingest_command(int argc, char** argv);
int query_command(int argc, char** argv, bool is_search);
int secret_command(int argc, char** argv);
int show_key_command(int argc, char** argv);
int node_command(int argc, char** argv);
int metastore_command(int argc, char** argv);

} // namespace cairn::cli
