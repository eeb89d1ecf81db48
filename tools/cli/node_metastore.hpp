#pragma once
/// Which metastore a node uses and where its secrets live.
///
/// Secrets (the PostgreSQL connection string, the cluster key) are kept in
/// the node-local SQLite file `<storage>/metastore.db`, encrypted with
/// `storage.secretKey`: the shared metastore cannot hold the key to reach
/// itself. With a `metastore.connectionString` secret the node uses that
/// PostgreSQL database; without one, the local SQLite file is the metastore.
#include "actors/config.hpp"
#include "storage/meta/metastore.hpp"

#include <optional>
#include <string>

namespace cairn::cli {

/// `sqlite:<storage>/metastore.db`.
std::string local_metastore_uri(const std::string& storage_root);

/// The node's secret key from config/env; error text if absent or malformed.
meta::expected<meta::secret_key> node_secret_key(const config& cfg);

/// Reads a secret from the local store (nullopt if not set).
meta::expected<std::optional<std::string>> read_secret(const std::string& storage_root,
                                                       const config& cfg, std::string_view key);

/// Stores a secret in the local store.
meta::expected<void> write_secret(const std::string& storage_root, const config& cfg,
                                  std::string_view key, std::string_view value);

/// The metastore URI the node should use (PostgreSQL secret, else local).
meta::expected<std::string> node_metastore_uri(const std::string& storage_root, const config& cfg);

} // namespace cairn::cli
