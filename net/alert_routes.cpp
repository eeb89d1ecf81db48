/// Alert endpoints:
///   GET /api/alerts                 (Read)  every alert with its schedule state
///   GET /api/alerts/notifications   (Read)  the leader's recent notifications
///   POST /api/alerts                (Write) {Title, Query, WindowMs, IntervalMs,
///                                            SuppressionMs, Notify:{webhook, app,
///                                            events, email:{...}}}
///   PUT /api/alerts/{id}            (Write) same body: replaces the definition,
///                                           keeps the schedule state
///   DELETE /api/alerts/{id}         (Write)
/// Notify.email is described in actors/alert_email.hpp. Listed alerts carry
/// the leader's last delivery error (LastError, LastErrorUtc,
/// DeliveryAttempts) from actors/alert_board.hpp.
/// camelCase keys (title, query, windowMs, ...) are accepted too. The query
/// must compile; it fires when it returns at least one row (use `having`).
/// Threading: like net/admin_routes.cpp, each request opens a short-lived
/// metastore session on the query pool.
#include "net/alert_routes.hpp"

#include "actors/alert_email.hpp"

#include "net/auth.hpp"
#include "net/reply_to.hpp"
#include "net/event_json.hpp"
#include "query/parse_error.hpp"
#include "query/query_plan.hpp"
#include "storage/meta/metastore.hpp"

#include <boost/asio/post.hpp>
#include <simdjson.h>

#include <chrono>

namespace cairn::net {

namespace {


/// Authorizes `needed`, then runs `work(metastore&, reply)` on the query pool.
template <class Work>
handler with_metastore(const node_services& s, meta::permission needed, Work work) {
  return [s, needed, work](request& req, const request_info& info, responder respond) {
    authorize(s, req, info, needed, respond,
              [s, work, &req, info, respond](std::optional<meta::api_key_info>) {
                reply_to reply{req.version(), req.keep_alive(), respond};
                if (s.metastore_uri.empty())
                  return reply.error(http::status::service_unavailable,
                                     "this node has no metastore configured");
                boost::asio::post(*s.query_pool, [uri = s.metastore_uri, reply, work,
                                                  body = req.body(), info] {
                  auto store = meta::metastore::open(uri);
                  if (!store)
                    return reply.error(http::status::service_unavailable,
                                       "cannot open the metastore: " + store.error().message);
                  work(*store, reply, body, info);
                });
              });
  };
}

void add_string(std::string& out, const char* name, std::string_view v) {
  out += out.back() == '{' ? "\"" : ",\"";
  out += name;
  out += "\":\"";
  json_escape_into(out, v);
  out += '"';
}

void add_raw(std::string& out, const char* name, std::string_view raw) {
  out += out.back() == '{' ? "\"" : ",\"";
  out += name;
  out += "\":";
  out += raw;
}

void add_utc(std::string& out, const char* name, int64_t ms) {
  if (ms == 0)
    return add_raw(out, name, "null");
  out += out.back() == '{' ? "\"" : ",\"";
  out += name;
  out += "\":\"";
  write_iso8601(out, ms * 1000000);
  out += '"';
}

void write_alert(std::string& out, const meta::alert_info& a, const alert_board* board) {
  out += '{';
  add_string(out, "Id", a.id);
  add_string(out, "Title", a.title);
  add_string(out, "Description", a.description);
  add_string(out, "Query", a.query);
  add_raw(out, "WindowMs", std::to_string(a.window_ms));
  add_raw(out, "IntervalMs", std::to_string(a.interval_ms));
  add_raw(out, "SuppressionMs", std::to_string(a.suppression_ms));
  add_raw(out, "Notify", a.notification_json);
  add_raw(out, "IsDisabled", a.is_disabled ? "true" : "false");
  add_utc(out, "LastWindowEndUtc", a.last_window_end_ms);
  add_utc(out, "LastFiredUtc", a.last_fired_ms);
  add_utc(out, "SuppressedUntilUtc", a.suppressed_until_ms);
  add_raw(out, "NotificationPending", a.pending_json.empty() ? "false" : "true");
  add_utc(out, "CreatedUtc", a.created_ms);
  auto err = board ? board->error_of(a.id) : std::nullopt;
  if (err) {
    add_string(out, "LastError", err->error);
    add_utc(out, "LastErrorUtc", err->at_ms);
    add_raw(out, "DeliveryAttempts", std::to_string(err->attempts));
  } else {
    add_raw(out, "LastError", "null");
    add_raw(out, "LastErrorUtc", "null");
    add_raw(out, "DeliveryAttempts", "0");
  }
  out += '}';
}

/// Looks up `Pascal` or `camel` in `o`.
simdjson::simdjson_result<simdjson::dom::element> field(simdjson::dom::object o,
                                                         const char* pascal, const char* camel) {
  auto r = o[pascal];
  return r.error() ? o[camel] : r;
}

/// Reads an alert definition; an error message if it is invalid.
std::optional<std::string> parse_alert(const std::string& text, meta::alert_info& out) {
  simdjson::dom::parser parser;
  simdjson::padded_string padded{text};
  simdjson::dom::object o;
  if (parser.parse(padded).get(o))
    return "the body must be a JSON object";
  std::string_view sv;
  if (!field(o, "Title", "title").get(sv))
    out.title = sv;
  if (!field(o, "Description", "description").get(sv))
    out.description = sv;
  if (!field(o, "Query", "query").get(sv))
    out.query = sv;
  int64_t n = 0;
  if (!field(o, "WindowMs", "windowMs").get(n))
    out.window_ms = n;
  if (!field(o, "IntervalMs", "intervalMs").get(n))
    out.interval_ms = n;
  if (!field(o, "SuppressionMs", "suppressionMs").get(n))
    out.suppression_ms = n;
  bool disabled = false;
  if (!field(o, "IsDisabled", "isDisabled").get(disabled))
    out.is_disabled = disabled;
  simdjson::dom::object notify;
  if (!field(o, "Notify", "notify").get(notify)) {
    std::string_view url;
    if (!notify["webhook"].get(url) && url.rfind("http://", 0) != 0)
      return "Notify.webhook must be an http:// URL";
    out.notification_json = simdjson::to_string(notify);
    std::optional<email_output> mail;
    if (auto err = parse_email_output(out.notification_json, mail))
      return err;
  }
  if (out.title.empty())
    return "Title is required";
  if (out.query.empty())
    return "Query is required";
  if (out.window_ms <= 0 || out.interval_ms <= 0 || out.suppression_ms < 0)
    return "WindowMs and IntervalMs must be positive, SuppressionMs not negative";
  try {
    auto now = std::chrono::duration_cast<std::chrono::nanoseconds>(
                 std::chrono::system_clock::now().time_since_epoch())
                 .count();
    auto plan = query::query_plan::compile(out.query, now);
    (void)plan;
  } catch (const query::query_error& e) {
    return std::string{"Query: "} + e.what();
  }
  return std::nullopt;
}

} // namespace

void add_alert_routes(router& r, const node_services& s, std::shared_ptr<alert_board> board) {
  r.add(http::verb::get, "/api/alerts", "alerts",
        with_metastore(s, meta::permission::read,
                       [board](meta::metastore& m, const reply_to& reply, const std::string&,
                               const request_info&) {
                         auto list = m.list_alerts();
                         if (!list)
                           return reply.error(http::status::service_unavailable,
                                              list.error().message);
                         std::string body = "[";
                         for (const auto& a : *list) {
                           if (body.size() > 1)
                             body += ',';
                           write_alert(body, a, board.get());
                         }
                         reply.json(http::status::ok, body + "]");
                       }));
  r.add(http::verb::get, "/api/alerts/notifications", "alerts",
        require_read(s, [board](request& req, const request_info&, responder respond) {
          std::string body = "[";
          for (const auto& n : board ? board->recent() : std::vector<alert_board::sent>{}) {
            if (body.size() > 1)
              body += ',';
            body += '{';
            add_string(body, "AlertId", n.alert_id);
            add_string(body, "Title", n.title);
            add_utc(body, "WindowEndUtc", n.window_end_ms);
            add_utc(body, "SentUtc", n.at_ms);
            add_string(body, "Outputs", n.outputs);
            if (n.error.empty())
              add_raw(body, "Error", "null");
            else
              add_string(body, "Error", n.error);
            body += '}';
          }
          respond(json_response(req, http::status::ok, body + "]"));
        }));
  r.add(http::verb::post, "/api/alerts", "alerts",
        with_metastore(s, meta::permission::write,
                       [board](meta::metastore& m, const reply_to& reply, const std::string& body,
                               const request_info&) {
                         meta::alert_info a;
                         if (auto err = parse_alert(body, a))
                           return reply.error(http::status::bad_request, *err);
                         auto created = m.create_alert(a);
                         if (!created)
                           return reply.error(http::status::service_unavailable,
                                              created.error().message);
                         std::string out;
                         write_alert(out, *created, board.get());
                         reply.json(http::status::created, std::move(out));
                       }));
  r.add(http::verb::put, "/api/alerts/*", "alerts",
        with_metastore(s, meta::permission::write,
                       [board](meta::metastore& m, const reply_to& reply, const std::string& body,
                               const request_info& info) {
                         meta::alert_info a;
                         a.id = info.path.substr(std::string_view{"/api/alerts/"}.size());
                         if (auto err = parse_alert(body, a))
                           return reply.error(http::status::bad_request, *err);
                         auto updated = m.update_alert(a);
                         if (!updated)
                           return reply.error(http::status::service_unavailable,
                                              updated.error().message);
                         if (!*updated)
                           return reply.error(http::status::not_found, "no alert " + a.id);
                         auto list = m.list_alerts();
                         if (!list)
                           return reply.error(http::status::service_unavailable,
                                              list.error().message);
                         for (const auto& stored : *list)
                           if (stored.id == a.id) {
                             std::string out;
                             write_alert(out, stored, board.get());
                             return reply.json(http::status::ok, std::move(out));
                           }
                         reply.error(http::status::not_found, "no alert " + a.id);
                       }));
  r.add(http::verb::delete_, "/api/alerts/*", "alerts",
        with_metastore(s, meta::permission::write,
                       [](meta::metastore& m, const reply_to& reply, const std::string&,
                          const request_info& info) {
                         auto id = info.path.substr(std::string_view{"/api/alerts/"}.size());
                         auto removed = m.remove_alert(id);
                         if (!removed)
                           return reply.error(http::status::service_unavailable,
                                              removed.error().message);
                         if (!*removed)
                           return reply.error(http::status::not_found, "no alert " + id);
                         reply.json(http::status::ok, "{}");
                       }));
}

} // namespace cairn::net
