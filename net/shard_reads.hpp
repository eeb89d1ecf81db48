#pragma once
/// Reads on a node that stores only some shards and knows no leader (an
/// election, or the metastore down): followers then answer GET
/// /api/events, /api/events/{id} and /api/data from their own store
/// (tools/cli/run_command.cpp), which lacks the other shards. Such a node
/// answers 503 rather than a silently short page; the leader, once known,
/// asks the holders (actors/distributed_search.hpp, distributed_query.hpp).
#include "actors/cluster_view.hpp"
#include "actors/shards.hpp"
#include "net/http_types.hpp"
#include "net/node_services.hpp"

namespace cairn::net {

/// Whether this node answers reads alone while storing only some shards.
/// One atomic load unless the placement made it a partial replica.
inline bool alone_with_some_shards(const node_services& s) {
  return partial_replica().load() && s.view && !s.view->get().acting_leader;
}

/// The 503 (with Retry-After) such a node answers.
inline response partial_replica_response(const request& req) {
  auto res = error_response(req, http::status::service_unavailable,
                            "this node stores only some shards and no leader is known to ask "
                            "the holders of the others; the result would be incomplete, retry "
                            "shortly");
  res.set(http::field::retry_after, "1");
  return res;
}

} // namespace cairn::net
