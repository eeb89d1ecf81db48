#pragma once
/// The server's own log: spdlog to the console and to a rotating file under
/// `<storage>/logs/`, at the level from `diagnostics.logLevel`.
#include <string>

namespace cairn::cli {

void setup_server_log(const std::string& storage_root, const std::string& level);

} // namespace cairn::cli
