#pragma once
/// Entry points of the `cairn` verbs, one file per verb group.
#include "tools/cli/cli_args.hpp"

namespace cairn::cli {

int run_command(int argc, char** argv);
int config_command(int argc, char** argv);
int apikey_command(int argc, char** argv);
int ingest_command(int argc, char** argv);
int query_command(int argc, char** argv, bool is_search);

} // namespace cairn::cli
