// API key storage: tokens are shown once and stored as BLAKE2b hashes
// (see api_key.hpp for why a fast hash is sufficient).

#include "storage/meta/metastore.hpp"

#include "storage/meta/detail.hpp"

namespace cairn::meta {

namespace {

constexpr const char* select_key_columns
  = "SELECT id, title, token_prefix, token_hash, permissions,"
    " applied_properties_json, minimum_level, created_ms FROM api_keys";

/// One api_keys row as read from the database.
struct key_row {
  std::string id, title, prefix, hash, permissions, props, min_level;
  long long created = 0;

  api_key_info to_info() const {
    // Unknown permission names (a newer version wrote them) grant nothing.
    auto ps = parse_permissions(permissions).value_or(permission_set{});
    return api_key_info{id, title, prefix, ps, props, min_level, created};
  }
};

/// Reads every row of `st` (prepared with into() to `r`) into a vector.
std::vector<key_row> fetch_all(soci::statement& st, key_row& r) {
  std::vector<key_row> rows;
  st.execute();
  while (st.fetch())
    rows.push_back(r);
  return rows;
}

} // namespace

expected<created_api_key> metastore::create_api_key(std::string_view title,
                                                    permission_set permissions,
                                                    std::string_view applied_properties_json,
                                                    std::string_view minimum_level) {
  auto token = generate_api_token();
  if (!token)
    return unexpected{token.error()};
  return detail::guarded("create_api_key(" + std::string{title} + ")", [&] {
    created_api_key out;
    out.token = std::move(*token);
    auto& info = out.info;
    info.id = "apikey-" + random_hex(8);
    info.title = std::string{title};
    info.token_prefix = out.token.substr(0, token_prefix_length);
    info.permissions = permissions;
    info.applied_properties_json
      = applied_properties_json.empty() ? "{}" : std::string{applied_properties_json};
    info.minimum_level = std::string{minimum_level};
    info.created_ms = detail::unix_now_ms();
    std::string hash = hash_token(out.token);
    std::string perms = to_string(permissions);
    long long created = info.created_ms;
    *sql_ << "INSERT INTO api_keys (id, title, token_prefix, token_hash, permissions,"
             " applied_properties_json, minimum_level, created_ms)"
             " VALUES (:id, :title, :prefix, :hash, :perms, :props, :lvl, :created)",
      soci::use(info.id), soci::use(info.title), soci::use(info.token_prefix),
      soci::use(hash), soci::use(perms), soci::use(info.applied_properties_json),
      soci::use(info.minimum_level), soci::use(created);
    return out;
  });
}

expected<std::optional<api_key_info>> metastore::authenticate(std::string_view token) {
  return detail::guarded("authenticate", [&] {
    std::optional<api_key_info> found;
    if (token.size() <= token_prefix_length)
      return found;
    // Look candidates up by the public prefix, then compare the full hash in
    // constant time so response timing reveals nothing about stored hashes.
    std::string prefix{token.substr(0, token_prefix_length)};
    std::string hash = hash_token(token);
    key_row r;
    soci::statement st
      = (sql_->prepare << std::string{select_key_columns} + " WHERE token_prefix = :p",
         soci::use(prefix), soci::into(r.id), soci::into(r.title), soci::into(r.prefix),
         soci::into(r.hash), soci::into(r.permissions), soci::into(r.props),
         soci::into(r.min_level), soci::into(r.created));
    for (const auto& row : fetch_all(st, r))
      if (constant_time_equal(row.hash, hash))
        found = row.to_info();
    return found;
  });
}

expected<std::vector<api_key_info>> metastore::list_api_keys() {
  return detail::guarded("list_api_keys", [&] {
    key_row r;
    soci::statement st
      = (sql_->prepare << std::string{select_key_columns} + " ORDER BY created_ms, id",
         soci::into(r.id), soci::into(r.title), soci::into(r.prefix), soci::into(r.hash),
         soci::into(r.permissions), soci::into(r.props), soci::into(r.min_level),
         soci::into(r.created));
    std::vector<api_key_info> keys;
    for (const auto& row : fetch_all(st, r))
      keys.push_back(row.to_info());
    return keys;
  });
}

expected<bool> metastore::remove_api_key(std::string_view id) {
  return detail::guarded("remove_api_key(" + std::string{id} + ")", [&] {
    std::string key_id{id};
    soci::statement st
      = (sql_->prepare << "DELETE FROM api_keys WHERE id = :id", soci::use(key_id));
    st.execute(true);
    return st.get_affected_rows() == 1;
  });
}

expected<uint64_t> metastore::api_key_count() {
  return detail::guarded("api_key_count", [&] {
    long long n = 0;
    *sql_ << "SELECT COUNT(*) FROM api_keys", soci::into(n);
    return static_cast<uint64_t>(n);
  });
}

} // namespace cairn::meta
