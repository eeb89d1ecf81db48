#pragma once
/// A node's stable identity: a random id created on first start and kept in
/// `<storage>/node-id`, and a display name (config `node.name`, else the host
/// name).
#include <string>

namespace cairn::cli {

struct node_identity {
  std::string id;
  std::string name;
};

node_identity load_node_identity(const std::string& storage_root, const std::string& name);

} // namespace cairn::cli
