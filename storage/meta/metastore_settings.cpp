// Cluster-wide plain settings (key/value text).

#include "storage/meta/metastore.hpp"

#include "storage/meta/detail.hpp"

namespace cairn::meta {

expected<void> metastore::set_setting(std::string_view key, std::string_view value) {
  return detail::guarded("set_setting(" + std::string{key} + ")", [&] {
    std::string k{key};
    std::string v{value};
    *sql_ << "INSERT INTO settings (key, value) VALUES (:k, :v)"
             " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
      soci::use(k), soci::use(v);
  });
}

expected<std::optional<std::string>> metastore::get_setting(std::string_view key) {
  return detail::guarded("get_setting(" + std::string{key} + ")", [&] {
    std::string k{key};
    std::string v;
    *sql_ << "SELECT value FROM settings WHERE key = :k", soci::use(k), soci::into(v);
    std::optional<std::string> result;
    if (sql_->got_data())
      result = std::move(v);
    return result;
  });
}

expected<std::vector<std::pair<std::string, std::string>>> metastore::list_settings() {
  return detail::guarded("list_settings", [&] {
    std::vector<std::pair<std::string, std::string>> out;
    std::string k;
    std::string v;
    soci::statement st = (sql_->prepare << "SELECT key, value FROM settings ORDER BY key",
                          soci::into(k), soci::into(v));
    st.execute();
    while (st.fetch())
      out.emplace_back(k, v);
    return out;
  });
}

expected<bool> metastore::remove_setting(std::string_view key) {
  return detail::guarded("remove_setting(" + std::string{key} + ")", [&] {
    std::string k{key};
    soci::statement st
      = (sql_->prepare << "DELETE FROM settings WHERE key = :k", soci::use(k));
    st.execute(true);
    return st.get_affected_rows() == 1;
  });
}

} // namespace cairn::meta
