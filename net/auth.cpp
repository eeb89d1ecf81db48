#include "net/auth.hpp"

#include "actors/auth_actor.hpp"
#include "net/actor_bridge.hpp"

namespace cairn::net {

std::optional<std::string> presented_token(const request& req, const request_info& info) {
  auto header = std::string_view{req["X-Seq-ApiKey"]};
  if (!header.empty() && header != "null")
    return std::string{header};
  if (auto q = query_param(info.query, "apiKey"); q && !q->empty() && *q != "null")
    return q;
  return std::nullopt;
}

void authorize(const node_services& s, const request& req, const request_info& info,
               meta::permission needed, responder respond, authorized proceed) {
  auto token = presented_token(req, info);
  int64_t keys = s.auth_view ? s.auth_view->key_count.load() : 0;
  auto version = req.version();
  auto keep_alive = req.keep_alive();
  auto fail = [=](http::status status, std::string message) {
    request stub;
    stub.version(version);
    stub.keep_alive(keep_alive);
    auto res = error_response(stub, status, message);
    if (status == http::status::unauthorized)
      res.set(http::field::www_authenticate, "X-Seq-ApiKey");
    if (status == http::status::service_unavailable)
      res.set(http::field::retry_after, "1");
    respond(std::move(res));
  };
  if (keys < 0)
    return fail(http::status::service_unavailable, "the node is still loading its API keys");
  if (keys == 0) {
    // Fresh install: loopback clients may ingest and read without a key
    // (a token, if sent, is ignored as Seq ignores unknown keys then).
    if (info.is_loopback)
      return proceed(std::nullopt);
    // Others need a key. The count is a tick old: a key created since (on
    // this node or another) is checked against the metastore below rather
    // than refused until the next tick.
    if (!token)
      return fail(http::status::unauthorized,
                  "an API key is required: no keys exist yet, so only loopback clients may "
                  "connect without one (create one with `cairn apikey create`)");
  }
  if (!token)
    return fail(http::status::unauthorized,
                "an API key is required (X-Seq-ApiKey header or apiKey parameter)");
  ask(
    *s.system, s.auth, std::chrono::milliseconds(5000),
    [=](const auth_result& r) {
      if (!r.error.empty())
        return fail(http::status::service_unavailable, "cannot check the API key: " + r.error);
      if (!r.found)
        return fail(http::status::unauthorized, "the API key is not valid");
      if (!r.key.permissions.contains(needed))
        return fail(http::status::forbidden,
                    "the API key '" + r.key.title + "' lacks the " +
                      meta::to_string(meta::permission_set{needed}) + " permission");
      proceed(r.key);
    },
    [=](caf::error& err) {
      fail(http::status::service_unavailable, "cannot check the API key: " + to_string(err));
    },
    auth_atom::value, *token);
}

handler require_read(const node_services& s, handler inner) {
  return [s, inner](request& req, const request_info& info, responder respond) {
    authorize(s, req, info, meta::permission::read, respond,
              [inner, &req, info, respond](std::optional<meta::api_key_info>) {
                inner(req, info, respond);
              });
  };
}

} // namespace cairn::net
