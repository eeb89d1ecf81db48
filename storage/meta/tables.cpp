#include "storage/meta/tables.hpp"

namespace cairn::meta {

namespace {

constexpr auto T = column_kind::text;
constexpr auto I = column_kind::integer;

constexpr column_def leader_lease_cols[] = {
  {"name", T}, {"node_id", T}, {"epoch", I}, {"expires_at_ms", I}, {"acquired_at_ms", I},
  {"manual", I},
};

constexpr column_def nodes_cols[] = {
  {"id", T},    {"name", T},  {"cluster_uri", T},       {"internal_uri", T},
  {"api_uri", T}, {"role", T}, {"epoch", I},            {"generation", I},
  {"last_heartbeat_ms", I},   {"shard_id", T},          {"data_age_ms", I},
  {"health", T},
};

constexpr column_def api_keys_cols[] = {
  {"id", T},          {"title", T},         {"token_prefix", T},
  {"token_hash", T},  {"permissions", T},   {"applied_properties_json", T},
  {"minimum_level", T}, {"created_ms", I},
};

constexpr column_def settings_cols[] = {{"key", T}, {"value", T}};

constexpr column_def secrets_cols[] = {{"key", T}, {"nonce", T}, {"ciphertext", T}};

constexpr column_def signals_cols[] = {
  {"id", T},           {"title", T},        {"description", T},
  {"filter", T},       {"filters_json", T}, {"columns_json", T},
  {"is_protected", I}, {"is_index_suppressed", I}, {"owner_id", T},
  {"created_ms", I},   {"updated_ms", I},
};

constexpr column_def retention_policies_cols[] = {
  {"id", T},        {"retention_ms", I}, {"filter", T},
  {"signal_id", T}, {"data_source", T},  {"created_ms", I},
};

constexpr column_def shard_replicas_cols[] = {{"shard", I}, {"holder", T}, {"placed_ms", I}};

constexpr column_def alerts_cols[] = {
  {"id", T},           {"title", T},         {"description", T},
  {"query", T},        {"interval_ms", I},   {"condition", T},
  {"notification_json", T}, {"owner_id", T}, {"is_disabled", I},
  {"last_fired_ms", I}, {"suppressed_until_ms", I}, {"created_ms", I},
  {"window_ms", I},    {"suppression_ms", I}, {"last_window_end_ms", I},
  {"pending_json", T},
};

constexpr table_def tables[] = {
  {"leader_lease", leader_lease_cols},
  {"nodes", nodes_cols},
  {"api_keys", api_keys_cols},
  {"settings", settings_cols},
  {"secrets", secrets_cols},
  {"signals", signals_cols},
  {"retention_policies", retention_policies_cols},
  {"shard_replicas", shard_replicas_cols},
  {"alerts", alerts_cols},
};

} // namespace

std::span<const table_def> copied_tables() {
  return tables;
}

} // namespace cairn::meta
