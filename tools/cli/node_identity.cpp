#include "tools/cli/node_identity.hpp"

#include <sodium.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace cairn::cli {

node_identity load_node_identity(const std::string& storage_root, const std::string& name) {
  node_identity out;
  auto path = std::filesystem::path{storage_root} / "node-id";
  if (std::ifstream in{path}; in)
    std::getline(in, out.id);
  if (out.id.empty()) {
    if (sodium_init() < 0)
      throw std::runtime_error{"libsodium failed to initialise"};
    unsigned char raw[8];
    randombytes_buf(raw, sizeof raw);
    char hex[17];
    sodium_bin2hex(hex, sizeof hex, raw, sizeof raw);
    out.id = std::string{"node-"} + hex;
    std::ofstream{path} << out.id << "\n";
  }
  out.name = name;
  if (out.name.empty()) {
    char host[256] = {0};
    gethostname(host, sizeof host - 1);
    out.name = host;
  }
  return out;
}

} // namespace cairn::cli
