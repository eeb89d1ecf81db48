/// Admin endpoints used by the web UI's Settings page (SPEC.md §3):
///   GET/POST /api/apikeys, DELETE /api/apikeys/{id}          (Setup)
///   GET /api/signals (Read); POST, PUT/DELETE /api/signals/{id} (Write)
///   GET /api/retentionpolicies (Read); POST, DELETE .../{id}    (Setup)
/// Shapes follow Seq's entities (seq-compat.md §6). A created API key's token
/// is in the POST answer only; it is stored hashed and cannot be read again.
/// Retention policies are enforced by the leader (actors/retention_actor.*) on every replica.
///
/// Threading: a metastore session is single-owner, so each request opens a
/// short-lived one on the query pool (SQL blocks; I/O threads must not).
/// These are rare administrative calls: the connect cost does not matter.
#include "net/auth.hpp"
#include "net/reply_to.hpp"
#include "net/event_json.hpp"
#include "net/node_services.hpp"
#include "query/parse_error.hpp"
#include "query/query_plan.hpp"
#include "storage/meta/metastore.hpp"

#include <boost/asio/post.hpp>
#include <simdjson.h>

#include <chrono>

namespace cairn::net {

namespace {

/// What a handler needs to answer after leaving the I/O thread.

/// Runs `work(metastore&, reply)` on the query pool with a fresh session.
template <class Work>
void with_metastore(const node_services& s, reply_to reply, Work work) {
  if (s.metastore_uri.empty())
    return reply.error(http::status::service_unavailable, "this node has no metastore configured");
  boost::asio::post(*s.query_pool, [uri = s.metastore_uri, reply, work = std::move(work)] {
    auto store = meta::metastore::open(uri);
    if (!store)
      return reply.error(http::status::service_unavailable,
                         "cannot open the metastore: " + store.error().message);
    work(*store, reply);
  });
}

/// Wraps a handler: authorizes `needed`, then runs it with a reply_to.
template <class Inner>
handler guarded(const node_services& s, meta::permission needed, Inner inner) {
  return [s, needed, inner](request& req, const request_info& info, responder respond) {
    authorize(s, req, info, needed, respond,
              [s, inner, &req, info, respond](std::optional<meta::api_key_info>) {
                inner(req, info, reply_to{req.version(), req.keep_alive(), respond});
              });
  };
}

void add_field(std::string& out, const char* name, std::string_view v) {
  if (out.back() != '{')
    out += ',';
  out += '"';
  out += name;
  out += "\":\"";
  json_escape_into(out, v);
  out += '"';
}

void add_raw(std::string& out, const char* name, std::string_view raw) {
  if (out.back() != '{')
    out += ',';
  out += '"';
  out += name;
  out += "\":";
  out += raw;
}

void add_utc(std::string& out, const char* name, int64_t ms) {
  if (out.back() != '{')
    out += ',';
  out += '"';
  out += name;
  out += "\":\"";
  write_iso8601(out, ms * 1000000);
  out += '"';
}

/// The id after `prefix` in the request path ("/api/signals/<id>").
std::string id_from_path(const request_info& info, std::string_view prefix) {
  return std::string{std::string_view{info.path}.substr(prefix.size())};
}

/// Parses a JSON object body; error text if it is not one.
struct json_body {
  simdjson::dom::parser parser;
  simdjson::dom::object object;
  std::string error;

  explicit json_body(const std::string& text) {
    simdjson::padded_string padded{text};
    simdjson::dom::element root;
    if (auto e = parser.parse(padded).get(root))
      error = std::string{"the body is not valid JSON: "} + simdjson::error_message(e);
    else if (root.get(object))
      error = "the body must be a JSON object";
  }

  std::string text(const char* key, std::string_view fallback = {}) {
    std::string_view v;
    if (object[key].get(v))
      return std::string{fallback};
    return std::string{v};
  }
};

/// Validates a filter with the query parser; error JSON with Position if bad.
std::optional<std::string> filter_error(const std::string& filter) {
  if (filter.empty())
    return std::nullopt;
  try {
    query::query_plan::compile_filter(filter, 0);
    return std::nullopt;
  } catch (const query::query_error& e) {
    std::string body = "{\"Error\":\"";
    json_escape_into(body, std::string{"filter: "} + e.what());
    body += "\"";
    if (e.position() != query::query_error::npos)
      body += ",\"Position\":" + std::to_string(e.position());
    body += "}";
    return body;
  }
}

// -- API keys -----------------------------------------------------------------

std::string permissions_json(meta::permission_set ps) {
  std::string out = "[";
  for (auto p : {meta::permission::ingest, meta::permission::read, meta::permission::write,
                 meta::permission::setup}) {
    if (!ps.contains(p))
      continue;
    if (out.size() > 1)
      out += ',';
    out += '"' + meta::to_string(meta::permission_set{p}) + '"';
  }
  return out + "]";
}

void write_key(std::string& out, const meta::api_key_info& k) {
  out += '{';
  add_field(out, "Id", k.id);
  add_field(out, "Title", k.title);
  add_field(out, "TokenPrefix", k.token_prefix);
  add_raw(out, "AssignedPermissions", permissions_json(k.permissions));
  add_field(out, "MinimumLevel", k.minimum_level);
  add_utc(out, "CreatedUtc", k.created_ms);
  out += '}';
}

void add_api_key_routes(router& r, const node_services& s) {
  r.add(http::verb::get, "/api/apikeys", "apikeys",
        guarded(s, meta::permission::setup, [s](request&, const request_info&, reply_to reply) {
          with_metastore(s, reply, [](meta::metastore& m, const reply_to& reply) {
            auto keys = m.list_api_keys();
            if (!keys)
              return reply.error(http::status::service_unavailable, keys.error().message);
            std::string body = "[";
            for (const auto& k : *keys) {
              if (body.size() > 1)
                body += ',';
              write_key(body, k);
            }
            reply.json(http::status::ok, body + "]");
          });
        }));
  r.add(http::verb::post, "/api/apikeys", "apikeys",
        guarded(s, meta::permission::setup, [s](request& req, const request_info&, reply_to reply) {
          json_body body{req.body()};
          if (!body.error.empty())
            return reply.error(http::status::bad_request, body.error);
          auto title = body.text("Title");
          if (title.empty())
            return reply.error(http::status::bad_request, "Title is required");
          // AssignedPermissions: ["Read","Write"] (Seq) or "Read,Write".
          std::string perms = body.text("AssignedPermissions");
          simdjson::dom::array list;
          if (!body.object["AssignedPermissions"].get(list)) {
            for (auto item : list) {
              std::string_view p;
              if (item.get(p))
                return reply.error(http::status::bad_request,
                                   "AssignedPermissions must hold strings");
              perms += (perms.empty() ? "" : ",") + std::string{p};
            }
          }
          auto set = meta::parse_permissions(perms.empty() ? "Ingest" : perms);
          if (!set)
            return reply.error(http::status::bad_request,
                               "unknown permission in '" + perms +
                                 "' (use Ingest, Read, Write, Setup)");
          auto level = body.text("MinimumLevel");
          with_metastore(s, reply, [title, ps = *set, level](meta::metastore& m,
                                                             const reply_to& reply) {
            auto created = m.create_api_key(title, ps, "{}", level);
            if (!created)
              return reply.error(http::status::service_unavailable, created.error().message);
            std::string out;
            write_key(out, created->info);
            out.pop_back();
            add_field(out, "Token", created->token);
            out += '}';
            reply.json(http::status::created, std::move(out));
          });
        }));
  r.add(http::verb::delete_, "/api/apikeys/*", "apikeys",
        guarded(s, meta::permission::setup,
                [s](request&, const request_info& info, reply_to reply) {
                  with_metastore(s, reply, [id = id_from_path(info, "/api/apikeys/")](
                                             meta::metastore& m, const reply_to& reply) {
                    auto removed = m.remove_api_key(id);
                    if (!removed)
                      return reply.error(http::status::service_unavailable,
                                         removed.error().message);
                    if (!*removed)
                      return reply.error(http::status::not_found, "no API key " + id);
                    reply.json(http::status::ok, "{}");
                  });
                }));
}

// -- signals ------------------------------------------------------------------

void write_signal(std::string& out, const meta::signal_info& sig) {
  out += '{';
  add_field(out, "Id", sig.id);
  add_field(out, "Title", sig.title);
  add_field(out, "Description", sig.description);
  add_field(out, "Filter", sig.filter);
  add_raw(out, "Filters", sig.filters_json);
  add_raw(out, "Columns", sig.columns_json);
  add_raw(out, "IsProtected", sig.is_protected ? "true" : "false");
  add_utc(out, "CreatedUtc", sig.created_ms);
  add_utc(out, "UpdatedUtc", sig.updated_ms);
  out += '}';
}

/// Reads {Title, Description, Filter} or Seq's {Filters:[{Filter,..}]};
/// several filters are combined with `and`. Returns an error JSON body.
std::optional<std::string> parse_signal(const std::string& text, meta::signal_info& out) {
  json_body body{text};
  if (!body.error.empty())
    return "{\"Error\":\"" + body.error + "\"}";
  out.title = body.text("Title");
  if (out.title.empty())
    return std::string{"{\"Error\":\"Title is required\"}"};
  out.description = body.text("Description");
  out.filter = body.text("Filter");
  out.filters_json = "[";
  simdjson::dom::array filters;
  std::vector<std::string> parts;
  if (!body.object["Filters"].get(filters)) {
    for (auto f : filters) {
      std::string_view expr, desc;
      if (f["Filter"].get(expr))
        return std::string{"{\"Error\":\"each of Filters needs a Filter string\"}"};
      if (f["Description"].get(desc))
        desc = {}; // optional
      parts.emplace_back(expr);
      if (out.filters_json.size() > 1)
        out.filters_json += ',';
      out.filters_json += "{\"Filter\":\"";
      json_escape_into(out.filters_json, expr);
      out.filters_json += "\",\"Description\":\"";
      json_escape_into(out.filters_json, desc);
      out.filters_json += "\"}";
    }
  }
  if (parts.empty() && !out.filter.empty()) {
    out.filters_json += "{\"Filter\":\"";
    json_escape_into(out.filters_json, out.filter);
    out.filters_json += "\",\"Description\":\"\"}";
  } else if (parts.size() == 1) {
    out.filter = parts[0];
  } else if (parts.size() > 1) {
    out.filter.clear();
    for (const auto& p : parts)
      out.filter += (out.filter.empty() ? "(" : " and (") + p + ")";
  }
  out.filters_json += "]";
  bool prot = false;
  if (!body.object["IsProtected"].get(prot))
    out.is_protected = prot;
  return filter_error(out.filter);
}

void add_signal_routes(router& r, const node_services& s) {
  r.add(http::verb::get, "/api/signals", "signals",
        guarded(s, meta::permission::read, [s](request&, const request_info&, reply_to reply) {
          with_metastore(s, reply, [](meta::metastore& m, const reply_to& reply) {
            auto list = m.list_signals();
            if (!list)
              return reply.error(http::status::service_unavailable, list.error().message);
            std::string body = "[";
            for (const auto& sig : *list) {
              if (body.size() > 1)
                body += ',';
              write_signal(body, sig);
            }
            reply.json(http::status::ok, body + "]");
          });
        }));
  r.add(http::verb::post, "/api/signals", "signals",
        guarded(s, meta::permission::write, [s](request& req, const request_info&, reply_to reply) {
          meta::signal_info sig;
          if (auto err = parse_signal(req.body(), sig))
            return reply.json(http::status::bad_request, *err);
          with_metastore(s, reply, [sig](meta::metastore& m, const reply_to& reply) {
            auto created = m.create_signal(sig);
            if (!created)
              return reply.error(http::status::service_unavailable, created.error().message);
            std::string out;
            write_signal(out, *created);
            reply.json(http::status::created, std::move(out));
          });
        }));
  r.add(http::verb::put, "/api/signals/*", "signals",
        guarded(s, meta::permission::write,
                [s](request& req, const request_info& info, reply_to reply) {
                  meta::signal_info sig;
                  if (auto err = parse_signal(req.body(), sig))
                    return reply.json(http::status::bad_request, *err);
                  sig.id = id_from_path(info, "/api/signals/");
                  with_metastore(s, reply, [sig](meta::metastore& m, const reply_to& reply) {
                    auto updated = m.update_signal(sig);
                    if (!updated)
                      return reply.error(http::status::service_unavailable,
                                         updated.error().message);
                    if (!*updated)
                      return reply.error(http::status::not_found, "no signal " + sig.id);
                    reply.json(http::status::ok, "{}");
                  });
                }));
  r.add(http::verb::delete_, "/api/signals/*", "signals",
        guarded(s, meta::permission::write,
                [s](request&, const request_info& info, reply_to reply) {
                  with_metastore(s, reply, [id = id_from_path(info, "/api/signals/")](
                                             meta::metastore& m, const reply_to& reply) {
                    auto removed = m.remove_signal(id);
                    if (!removed)
                      return reply.error(http::status::service_unavailable,
                                         removed.error().message);
                    if (!*removed)
                      return reply.error(http::status::not_found, "no signal " + id);
                    reply.json(http::status::ok, "{}");
                  });
                }));
}

// -- retention policies -------------------------------------------------------

/// Parses a .NET TimeSpan "[d.]hh:mm:ss[.fffffff]" into milliseconds.
std::optional<int64_t> parse_timespan_ms(std::string_view t) {
  int64_t days = 0, h = 0, m = 0;
  double sec = 0;
  char tail = 0;
  std::string text{t};
  if (std::sscanf(text.c_str(), "%ld.%ld:%ld:%lf%c", &days, &h, &m, &sec, &tail) == 4 ||
      (days = 0, std::sscanf(text.c_str(), "%ld:%ld:%lf%c", &h, &m, &sec, &tail) == 3)) {
    if (days < 0 || h < 0 || m < 0 || sec < 0)
      return std::nullopt;
    return ((days * 24 + h) * 60 + m) * 60000 + static_cast<int64_t>(sec * 1000);
  }
  return std::nullopt;
}

void write_policy(std::string& out, const meta::retention_policy_info& p) {
  out += '{';
  add_field(out, "Id", p.id);
  std::string span;
  write_timespan(span, p.retention_ms * 1000000);
  add_field(out, "RetentionTime", span);
  add_raw(out, "RetentionMilliseconds", std::to_string(p.retention_ms));
  add_field(out, "Filter", p.filter);
  add_field(out, "SignalId", p.signal_id);
  if (p.signal_id.empty())
    add_raw(out, "RemovedSignalExpression", "null");
  else
    add_raw(out, "RemovedSignalExpression",
            "{\"SignalId\":\"" + p.signal_id + "\",\"Kind\":\"Signal\"}");
  add_field(out, "DataSource", p.data_source);
  add_raw(out, "IsEnforced", "true");
  add_utc(out, "CreatedUtc", p.created_ms);
  out += '}';
}

void add_retention_routes(router& r, const node_services& s) {
  r.add(http::verb::get, "/api/retentionpolicies", "retentionpolicies",
        guarded(s, meta::permission::read, [s](request&, const request_info&, reply_to reply) {
          with_metastore(s, reply, [](meta::metastore& m, const reply_to& reply) {
            auto list = m.list_retention_policies();
            if (!list)
              return reply.error(http::status::service_unavailable, list.error().message);
            std::string body = "[";
            for (const auto& p : *list) {
              if (body.size() > 1)
                body += ',';
              write_policy(body, p);
            }
            reply.json(http::status::ok, body + "]");
          });
        }));
  r.add(http::verb::post, "/api/retentionpolicies", "retentionpolicies",
        guarded(s, meta::permission::setup, [s](request& req, const request_info&, reply_to reply) {
          json_body body{req.body()};
          if (!body.error.empty())
            return reply.error(http::status::bad_request, body.error);
          meta::retention_policy_info p;
          int64_t ms = 0;
          if (body.object["RetentionMilliseconds"].get(ms)) {
            auto span = body.text("RetentionTime");
            auto parsed = parse_timespan_ms(span);
            if (!parsed)
              return reply.error(http::status::bad_request,
                                 "RetentionMilliseconds (number) or RetentionTime "
                                 "(d.hh:mm:ss) is required");
            ms = *parsed;
          }
          if (ms <= 0)
            return reply.error(http::status::bad_request, "the retention time must be positive");
          p.retention_ms = ms;
          p.filter = body.text("Filter");
          p.signal_id = body.text("SignalId");
          simdjson::dom::object removed;
          if (!body.object["RemovedSignalExpression"].get(removed)) {
            std::string_view sid;
            if (!removed["SignalId"].get(sid))
              p.signal_id = std::string{sid};
          }
          p.data_source = body.text("DataSource", "Stream");
          if (p.data_source != "Stream" && p.data_source != "Series")
            return reply.error(http::status::bad_request, "DataSource must be Stream or Series");
          if (auto err = filter_error(p.filter))
            return reply.json(http::status::bad_request, *err);
          with_metastore(s, reply, [p](meta::metastore& m, const reply_to& reply) {
            auto created = m.create_retention_policy(p);
            if (!created)
              return reply.error(http::status::service_unavailable, created.error().message);
            std::string out;
            write_policy(out, *created);
            reply.json(http::status::created, std::move(out));
          });
        }));
  r.add(http::verb::delete_, "/api/retentionpolicies/*", "retentionpolicies",
        guarded(s, meta::permission::setup,
                [s](request&, const request_info& info, reply_to reply) {
                  with_metastore(s, reply, [id = id_from_path(info, "/api/retentionpolicies/")](
                                             meta::metastore& m, const reply_to& reply) {
                    auto removed = m.remove_retention_policy(id);
                    if (!removed)
                      return reply.error(http::status::service_unavailable,
                                         removed.error().message);
                    if (!*removed)
                      return reply.error(http::status::not_found, "no retention policy " + id);
                    reply.json(http::status::ok, "{}");
                  });
                }));
}

} // namespace

void add_admin_routes(router& r, const node_services& s) {
  add_api_key_routes(r, s);
  add_signal_routes(r, s);
  add_retention_routes(r, s);
}

} // namespace cairn::net
