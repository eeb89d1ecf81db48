// Alerts: row CRUD plus the compare-and-set that decides one window. The
// CAS on last_window_end_ms is what makes each window decided exactly once
// even if a deposed leader is still evaluating when its successor starts.

#include "storage/meta/metastore.hpp"

#include "storage/meta/crypto.hpp"
#include "storage/meta/detail.hpp"

namespace cairn::meta {

namespace {

constexpr const char* select_alert_columns
  = "SELECT id, title, description, query, window_ms, interval_ms, suppression_ms,"
    " notification_json, is_disabled, last_window_end_ms, last_fired_ms, suppressed_until_ms,"
    " pending_json, created_ms FROM alerts";

/// One alerts row as read from the database (soci wants plain types).
struct alert_row {
  std::string id, title, description, query, notification, pending;
  long long window = 0, interval = 0, suppression = 0, last_end = 0, fired = 0, suppressed = 0,
            created = 0;
  int disabled = 0;

  alert_info to_info() const {
    alert_info a;
    a.id = id;
    a.title = title;
    a.description = description;
    a.query = query;
    a.window_ms = window;
    a.interval_ms = interval;
    a.suppression_ms = suppression;
    a.notification_json = notification;
    a.is_disabled = disabled != 0;
    a.last_window_end_ms = last_end;
    a.last_fired_ms = fired;
    a.suppressed_until_ms = suppressed;
    a.pending_json = pending;
    a.created_ms = created;
    return a;
  }
};

} // namespace

expected<alert_info> metastore::create_alert(const alert_info& a) {
  return detail::guarded("create_alert(" + a.title + ")", [&] {
    alert_info out = a;
    out.id = "alert-" + random_hex(8);
    out.created_ms = detail::unix_now_ms();
    out.last_window_end_ms = out.last_fired_ms = out.suppressed_until_ms = 0;
    out.pending_json.clear();
    long long window = out.window_ms, interval = out.interval_ms,
              suppression = out.suppression_ms, created = out.created_ms;
    int disabled = out.is_disabled ? 1 : 0;
    *sql_ << "INSERT INTO alerts (id, title, description, query, window_ms, interval_ms,"
             " suppression_ms, notification_json, is_disabled, created_ms)"
             " VALUES (:id, :t, :d, :q, :w, :i, :s, :n, :dis, :c)",
      soci::use(out.id), soci::use(out.title), soci::use(out.description), soci::use(out.query),
      soci::use(window), soci::use(interval), soci::use(suppression),
      soci::use(out.notification_json), soci::use(disabled), soci::use(created);
    return out;
  });
}

expected<std::vector<alert_info>> metastore::list_alerts() {
  return detail::guarded("list_alerts", [&] {
    alert_row r;
    soci::statement st
      = (sql_->prepare << std::string{select_alert_columns} + " ORDER BY created_ms, id",
         soci::into(r.id), soci::into(r.title), soci::into(r.description), soci::into(r.query),
         soci::into(r.window), soci::into(r.interval), soci::into(r.suppression),
         soci::into(r.notification), soci::into(r.disabled), soci::into(r.last_end),
         soci::into(r.fired), soci::into(r.suppressed), soci::into(r.pending),
         soci::into(r.created));
    std::vector<alert_info> out;
    st.execute();
    while (st.fetch())
      out.push_back(r.to_info());
    return out;
  });
}

expected<bool> metastore::update_alert(const alert_info& a) {
  return detail::guarded("update_alert(" + a.id + ")", [&] {
    long long window = a.window_ms, interval = a.interval_ms, suppression = a.suppression_ms;
    int disabled = a.is_disabled ? 1 : 0;
    soci::statement st
      = (sql_->prepare << "UPDATE alerts SET title = :t, description = :d, query = :q,"
                          " window_ms = :w, interval_ms = :i, suppression_ms = :s,"
                          " notification_json = :n, is_disabled = :dis WHERE id = :id",
         soci::use(a.title), soci::use(a.description), soci::use(a.query), soci::use(window),
         soci::use(interval), soci::use(suppression), soci::use(a.notification_json),
         soci::use(disabled), soci::use(a.id));
    st.execute(true);
    return st.get_affected_rows() == 1;
  });
}

expected<bool> metastore::remove_alert(std::string_view id) {
  return detail::guarded("remove_alert(" + std::string{id} + ")", [&] {
    std::string key{id};
    soci::statement st = (sql_->prepare << "DELETE FROM alerts WHERE id = :id", soci::use(key));
    st.execute(true);
    return st.get_affected_rows() == 1;
  });
}

expected<bool> metastore::decide_alert_window(std::string_view id, int64_t expected_last_end_ms,
                                              int64_t window_end_ms, int64_t last_fired_ms,
                                              int64_t suppressed_until_ms,
                                              const std::string& pending_json) {
  return detail::guarded("decide_alert_window(" + std::string{id} + ")", [&] {
    std::string key{id};
    long long expected_end = expected_last_end_ms, end = window_end_ms, fired = last_fired_ms,
              suppressed = suppressed_until_ms;
    soci::statement st
      = (sql_->prepare << "UPDATE alerts SET last_window_end_ms = :e, last_fired_ms = :f,"
                          " suppressed_until_ms = :s, pending_json = :p"
                          " WHERE id = :id AND last_window_end_ms = :x",
         soci::use(end), soci::use(fired), soci::use(suppressed), soci::use(pending_json),
         soci::use(key), soci::use(expected_end));
    st.execute(true);
    return st.get_affected_rows() == 1;
  });
}

expected<void> metastore::clear_alert_pending(std::string_view id, int64_t window_end_ms) {
  return detail::guarded("clear_alert_pending(" + std::string{id} + ")", [&] {
    std::string key{id};
    long long end = window_end_ms;
    *sql_ << "UPDATE alerts SET pending_json = '' WHERE id = :id AND last_window_end_ms = :e",
      soci::use(key), soci::use(end);
  });
}

} // namespace cairn::meta
