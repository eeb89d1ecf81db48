#include "tools/cli/node_metastore.hpp"

#include <filesystem>

namespace cairn::cli {

std::string local_metastore_uri(const std::string& storage_root) {
  return "sqlite:" + (std::filesystem::path{storage_root} / "metastore.db").string();
}

meta::expected<meta::secret_key> node_secret_key(const config& cfg) {
  auto text = cfg.get("storage.secretKey");
  if (text.empty())
    return meta::make_error(meta::errc::invalid_argument,
                            "storage.secretKey is not set (run `cairn show-key --generate` and "
                            "`cairn config set -k storage.secretKey -v KEY`, or set "
                            "CAIRN_STORAGE_SECRETKEY)");
  return meta::parse_secret_key(text);
}

meta::expected<std::optional<std::string>> read_secret(const std::string& storage_root,
                                                       const config& cfg, std::string_view key) {
  auto store = meta::metastore::open(local_metastore_uri(storage_root));
  if (!store)
    return meta::unexpected{store.error()};
  auto names = store->list_secret_keys();
  if (!names)
    return meta::unexpected{names.error()};
  if (std::find(names->begin(), names->end(), key) == names->end())
    return std::optional<std::string>{};
  auto secret = node_secret_key(cfg);
  if (!secret)
    return meta::unexpected{secret.error()};
  return store->get_secret(key, *secret);
}

meta::expected<void> write_secret(const std::string& storage_root, const config& cfg,
                                  std::string_view key, std::string_view value) {
  auto secret = node_secret_key(cfg);
  if (!secret)
    return meta::unexpected{secret.error()};
  std::filesystem::create_directories(storage_root);
  auto store = meta::metastore::open(local_metastore_uri(storage_root));
  if (!store)
    return meta::unexpected{store.error()};
  return store->set_secret(key, value, *secret);
}

meta::expected<std::string> node_metastore_uri(const std::string& storage_root,
                                               const config& cfg) {
  auto pg = read_secret(storage_root, cfg, "metastore.connectionString");
  if (!pg)
    return meta::unexpected{pg.error()};
  if (*pg)
    return **pg;
  return local_metastore_uri(storage_root);
}

} // namespace cairn::cli
