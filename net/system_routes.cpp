#include "actors/messages.hpp"
#include "actors/metrics.hpp"
#include "net/actor_bridge.hpp"
#include "net/node_services.hpp"

namespace cairn::net {

void add_system_routes(router& r, const node_services& s) {
  r.add(http::verb::get, "/health", "health",
        [s](request& req, const request_info&, responder respond) {
          auto version = req.version();
          auto keep_alive = req.keep_alive();
          auto reply = [=](http::status status, std::string body) {
            request stub;
            stub.version(version);
            stub.keep_alive(keep_alive);
            auto res = json_response(stub, status, std::move(body));
            res.set(http::field::cache_control, "no-store");
            if (status != http::status::ok)
              res.set(http::field::retry_after, "1");
            respond(std::move(res));
          };
          ask(
            *s.system, s.node, std::chrono::milliseconds(2000),
            [=](const node_status& st) {
              // A single node is healthy as leader; a follower only with a
              // leader it knows (the proxy to it is checked by the cluster layer).
              bool serving = st.acting_leader || (st.state == "follower" && !st.leader_id.empty());
              std::string body = "{\"status\":\"";
              body += serving ? "ok" : "unavailable";
              body += "\",\"role\":\"";
              body += st.acting_leader ? "leader" : (st.state == "follower" ? "follower" : "none");
              body += "\",\"state\":\"" + st.state + "\",\"node\":\"";
              json_escape_into(body, st.node_id);
              body += "\",\"epoch\":" + std::to_string(st.epoch) + ",\"reason\":\"";
              body += serving ? "The node is in service."
                              : "The node is " + st.state + " and cannot serve yet.";
              body += "\"}";
              reply(serving ? http::status::ok : http::status::service_unavailable, body);
            },
            [=](caf::error&) {
              reply(http::status::service_unavailable,
                    "{\"status\":\"unavailable\",\"reason\":\"node actor did not answer\"}");
            },
            status_atom::value);
        });
  r.add(http::verb::get, "/metrics", "metrics",
        [](request& req, const request_info&, responder respond) {
          response res{http::status::ok, req.version()};
          res.set(http::field::content_type, "text/plain; version=0.0.4; charset=utf-8");
          res.keep_alive(req.keep_alive());
          res.body() = metrics::instance().render();
          respond(std::move(res));
        });
}

} // namespace cairn::net
