// Signals and retention policies: plain row CRUD over the tables the first
// migration created. Ids are random, so concurrent creators on several
// nodes never collide.

#include "storage/meta/metastore.hpp"

#include "storage/meta/crypto.hpp"
#include "storage/meta/detail.hpp"

namespace cairn::meta {

namespace {

constexpr const char* select_signal_columns
  = "SELECT id, title, description, filter, filters_json, columns_json, is_protected,"
    " created_ms, updated_ms FROM signals";

/// One signals row as read from the database (soci wants plain types).
struct signal_row {
  std::string id, title, description, filter, filters, columns;
  int is_protected = 0;
  long long created = 0, updated = 0;

  signal_info to_info() const {
    return signal_info{id,      title,        description, filter, filters,
                       columns, is_protected != 0, created, updated};
  }
};

/// One retention_policies row.
struct policy_row {
  std::string id, filter, signal_id, data_source;
  long long retention = 0, created = 0;

  retention_policy_info to_info() const {
    return retention_policy_info{id, retention, filter, signal_id, data_source, created};
  }
};

} // namespace

expected<signal_info> metastore::create_signal(const signal_info& s) {
  return detail::guarded("create_signal(" + s.title + ")", [&] {
    signal_info out = s;
    out.id = "signal-" + random_hex(8);
    out.created_ms = out.updated_ms = detail::unix_now_ms();
    int prot = out.is_protected ? 1 : 0;
    long long created = out.created_ms;
    *sql_ << "INSERT INTO signals (id, title, description, filter, filters_json, columns_json,"
             " is_protected, created_ms, updated_ms)"
             " VALUES (:id, :t, :d, :f, :fj, :cj, :p, :c, :u)",
      soci::use(out.id), soci::use(out.title), soci::use(out.description),
      soci::use(out.filter), soci::use(out.filters_json), soci::use(out.columns_json),
      soci::use(prot), soci::use(created), soci::use(created);
    return out;
  });
}

expected<std::vector<signal_info>> metastore::list_signals() {
  return detail::guarded("list_signals", [&] {
    signal_row r;
    soci::statement st
      = (sql_->prepare << std::string{select_signal_columns} + " ORDER BY title, id",
         soci::into(r.id), soci::into(r.title), soci::into(r.description), soci::into(r.filter),
         soci::into(r.filters), soci::into(r.columns), soci::into(r.is_protected),
         soci::into(r.created), soci::into(r.updated));
    std::vector<signal_info> out;
    st.execute();
    while (st.fetch())
      out.push_back(r.to_info());
    return out;
  });
}

expected<bool> metastore::update_signal(const signal_info& s) {
  return detail::guarded("update_signal(" + s.id + ")", [&] {
    long long updated = detail::unix_now_ms();
    int prot = s.is_protected ? 1 : 0;
    soci::statement st
      = (sql_->prepare << "UPDATE signals SET title = :t, description = :d, filter = :f,"
                          " filters_json = :fj, columns_json = :cj, is_protected = :p,"
                          " updated_ms = :u WHERE id = :id",
         soci::use(s.title), soci::use(s.description), soci::use(s.filter),
         soci::use(s.filters_json), soci::use(s.columns_json), soci::use(prot),
         soci::use(updated), soci::use(s.id));
    st.execute(true);
    return st.get_affected_rows() == 1;
  });
}

expected<bool> metastore::remove_signal(std::string_view id) {
  return detail::guarded("remove_signal(" + std::string{id} + ")", [&] {
    std::string key{id};
    soci::statement st = (sql_->prepare << "DELETE FROM signals WHERE id = :id", soci::use(key));
    st.execute(true);
    return st.get_affected_rows() == 1;
  });
}

expected<retention_policy_info>
metastore::create_retention_policy(const retention_policy_info& p) {
  return detail::guarded("create_retention_policy", [&] {
    retention_policy_info out = p;
    out.id = "retentionpolicy-" + random_hex(8);
    out.created_ms = detail::unix_now_ms();
    long long retention = out.retention_ms;
    long long created = out.created_ms;
    *sql_ << "INSERT INTO retention_policies (id, retention_ms, filter, signal_id, data_source,"
             " created_ms) VALUES (:id, :r, :f, :s, :d, :c)",
      soci::use(out.id), soci::use(retention), soci::use(out.filter), soci::use(out.signal_id),
      soci::use(out.data_source), soci::use(created);
    return out;
  });
}

expected<std::vector<retention_policy_info>> metastore::list_retention_policies() {
  return detail::guarded("list_retention_policies", [&] {
    policy_row r;
    soci::statement st
      = (sql_->prepare << "SELECT id, retention_ms, filter, signal_id, data_source, created_ms"
                          " FROM retention_policies ORDER BY created_ms, id",
         soci::into(r.id), soci::into(r.retention), soci::into(r.filter),
         soci::into(r.signal_id), soci::into(r.data_source), soci::into(r.created));
    std::vector<retention_policy_info> out;
    st.execute();
    while (st.fetch())
      out.push_back(r.to_info());
    return out;
  });
}

expected<bool> metastore::remove_retention_policy(std::string_view id) {
  return detail::guarded("remove_retention_policy(" + std::string{id} + ")", [&] {
    std::string key{id};
    soci::statement st
      = (sql_->prepare << "DELETE FROM retention_policies WHERE id = :id", soci::use(key));
    st.execute(true);
    return st.get_affected_rows() == 1;
  });
}

} // namespace cairn::meta
