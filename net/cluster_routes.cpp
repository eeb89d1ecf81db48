/// GET /api/cluster: every node's id, name, role, addresses, epoch,
/// generation, heartbeat age, data age, replication lag and health, from
/// the metastore's membership table as the consensus module last read it.
/// DELETE /api/cluster/nodes/{name or id} (Setup): `cairn node remove`:
/// takes a stopped node out of membership and placement and re-replicates
/// its shards (actors/placement_actor.hpp); answers what moved.
#include "actors/consensus_actor.hpp"
#include "actors/notification_board.hpp"
#include "actors/placement_actor.hpp"
#include "actors/replication_lag.hpp"
#include "net/actor_bridge.hpp"
#include "net/auth.hpp"
#include "net/event_json.hpp"
#include "net/node_services.hpp"
#include "net/reply_to.hpp"

#include <fmt/format.h>

#include <chrono>
#include <cstdio>

namespace cairn::net {

namespace {

int64_t unix_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
           std::chrono::system_clock::now().time_since_epoch())
    .count();
}

void add_string(std::string& out, const char* name, std::string_view v) {
  out += ",\"";
  out += name;
  out += "\":\"";
  json_escape_into(out, v);
  out += "\"";
}

/// `,"Notifications":[{Kind, Subject, Value, Threshold, SinceUtc}, ...]`.
void write_notifications(std::string& out, const std::vector<notification>& active) {
  out += ",\"Notifications\":[";
  for (size_t i = 0; i < active.size(); ++i) {
    const auto& n = active[i];
    out += i ? ",{" : "{";
    out += "\"Kind\":\"";
    out += kind_name(n.kind);
    out += "\"";
    add_string(out, "Subject", n.subject);
    char numbers[96];
    std::snprintf(numbers, sizeof numbers, ",\"Value\":%.10g,\"Threshold\":%.10g,\"SinceUtc\":\"",
                  n.value, n.threshold);
    out += numbers;
    write_iso8601(out, n.since_ms * 1000000);
    out += "\"}";
  }
  out += ']';
}

} // namespace

void add_cluster_routes(router& r, const node_services& s) {
  r.add(http::verb::get, "/api/cluster", "cluster",
        require_read(s, [s](request& req, const request_info&, responder respond) {
          auto version = req.version();
          auto keep_alive = req.keep_alive();
          ask(
            *s.system, s.consensus, std::chrono::milliseconds(5000),
            [=](const std::vector<meta::node_info>& nodes) {
              auto now = unix_ms();
              std::string body = "[";
              for (const auto& n : nodes) {
                if (body.size() > 1)
                  body += ",";
                auto age = now - n.last_heartbeat_ms;
                body += "{\"Id\":\"";
                json_escape_into(body, n.id);
                body += "\"";
                add_string(body, "Name", n.name);
                add_string(body, "Role", n.role);
                body += n.role == "leader" ? ",\"IsLeading\":true" : ",\"IsLeading\":false";
                add_string(body, "ClusterListenUri", n.cluster_uri);
                add_string(body, "InternalApiUri", n.internal_uri);
                add_string(body, "ApiUri", n.api_uri);
                add_string(body, "ShardId", n.shard_id);
                body += ",\"Epoch\":" + std::to_string(n.epoch);
                body += ",\"Generation\":" + std::to_string(n.generation);
                body += ",\"MillisecondsSinceLastHeartbeat\":" + std::to_string(age);
                body += ",\"DataAgeMilliseconds\":" + std::to_string(n.data_age_ms);
                // Lag as this (leading) node sees each follower; the leader
                // itself and nodes it does not replicate to show 0.
                follower_lag lag;
                bool tracked = replication_lag::instance().find(n.id, lag);
                body += ",\"ReplicationLagBatches\":" + std::to_string(tracked ? lag.batches : 0);
                body += fmt::format(",\"ReplicationLagSeconds\":{:.3f}",
                                    tracked ? lag.seconds(now * 1000000) : 0.0);
                body += std::string{",\"IsConnected\":"} +
                        (age < s.heartbeat_stale.count() ? "true" : "false");
                add_string(body, "Health",
                           age < s.heartbeat_stale.count() ? (n.health.empty() ? "ok" : n.health)
                                                           : "unreachable: no heartbeat");
                // Cairn's own notifications live with the leader that checks
                // them (actors/notifier_actor.hpp).
                if (n.role == "leader")
                  write_notifications(body, notification_board::instance().active());
                body += "}";
              }
              body += "]";
              request stub;
              stub.version(version);
              stub.keep_alive(keep_alive);
              respond(json_response(stub, http::status::ok, std::move(body)));
            },
            [=](caf::error& err) {
              request stub;
              stub.version(version);
              stub.keep_alive(keep_alive);
              auto res = error_response(stub, http::status::service_unavailable,
                                        "the consensus module did not answer: " + to_string(err));
              res.set(http::field::retry_after, "1");
              respond(std::move(res));
            },
            nodes_atom::value);
        }));
  r.add(http::verb::delete_, "/api/cluster/nodes/*", "cluster-nodes",
        [s](request& req, const request_info& info, responder respond) {
          authorize(
            s, req, info, meta::permission::setup, respond,
            [s, reply = reply_to{req.version(), req.keep_alive(), respond},
             info](std::optional<meta::api_key_info>) {
              constexpr std::string_view prefix = "/api/cluster/nodes/";
              auto name = std::string{std::string_view{info.path}.substr(prefix.size())};
              if (!s.placement)
                return reply.error(http::status::bad_request,
                                   "this node is not part of a cluster");
              if (name.empty())
                return reply.error(http::status::bad_request, "no node name in the path");
              // Removal re-replicates shards before it answers: minutes at most.
              ask(
                *s.system, s.placement, std::chrono::minutes(10),
                [reply](int32_t status, const std::string& body) {
                  reply.json(static_cast<http::status>(status), body);
                },
                [reply](caf::error& err) {
                  reply.error(http::status::service_unavailable,
                              "the placement keeper did not answer: " + to_string(err));
                },
                remove_atom::value, name);
            });
        });
}

} // namespace cairn::net
