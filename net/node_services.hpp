#pragma once
/// What the HTTP handlers of one node need: actor handles, the event store
/// (read-only from HTTP threads) and the limits from config.
#include "net/router.hpp"
#include "query/memo.hpp"
#include "storage/event_store.hpp"

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/thread_pool.hpp>

#include <chrono>
#include <memory>
#include <optional>
#include <string>

namespace cairn {
struct auth_snapshot;
class cluster_view;
class query_cluster;
} // namespace cairn

namespace cairn::net {

class commit_deadline_watch;

struct node_services {
  caf::actor_system* system = nullptr;
  caf::actor node;      ///< node actor: status
  caf::actor committer; ///< ingest committer
  caf::actor auth;      ///< API key checks
  caf::actor consensus; ///< membership for /api/cluster
  caf::actor placement; ///< shard placement, node removal (cluster nodes only)
  std::shared_ptr<cairn::auth_snapshot> auth_view; ///< key count, for loopback access
  std::shared_ptr<storage::event_store> store;
  size_t max_body_bytes = 10 * 1024 * 1024;
  size_t max_event_bytes = 256 * 1024;
  /// ingest.commitTimeoutMs: answers requests whose commit hangs (null: no bound).
  std::shared_ptr<commit_deadline_watch> commit_deadlines;
  boost::asio::io_context* ioc = nullptr;        ///< for query timeouts
  boost::asio::thread_pool* query_pool = nullptr; ///< bounded: scans never run on I/O threads
  std::chrono::milliseconds query_timeout{60000};
  size_t query_max_memory = size_t(1) << 30;
  /// A node whose heartbeat is older than this counts as unreachable.
  std::chrono::milliseconds heartbeat_stale{5000};
  /// query.memoBytes: memo cache of per-block partial results (0 = off);
  /// nullopt = not wired by the caller, net/query_routes.cpp then reads the
  /// CAIRN_QUERY_MEMOBYTES override or uses the default.
  std::optional<size_t> query_memo_bytes;
  /// The memo itself when the caller shares it with the cluster's query
  /// shares (then query_memo_bytes is not read).
  std::shared_ptr<query::memo_cache> query_memo;
  /// diagnostics.otlpEndpoint: where query spans go (empty = off); nullopt as
  /// above with CAIRN_DIAGNOSTICS_OTLPENDPOINT.
  std::optional<std::string> otlp_endpoint;
  std::string node_name; ///< service.instance.id of exported spans
  /// Where the admin routes open their short-lived metastore sessions.
  std::string metastore_uri;
  /// The node's role (leader or not, epoch); may be null (single node tests).
  std::shared_ptr<cairn::cluster_view> view;
  /// Peers for distributed queries (actors/distributed_query.hpp); null:
  /// queries always run locally.
  std::shared_ptr<cairn::query_cluster> query_cluster;
};

/// /health and /metrics.
void add_system_routes(router& r, const node_services& s);
/// CLEF, raw JSON and OTLP ingestion endpoints.
void add_ingest_routes(router& r, const node_services& s);
/// GET /api/events and /api/events/{id}.
void add_event_routes(router& r, const node_services& s);
/// GET /api/data.
void add_query_routes(router& r, const node_services& s);
/// GET /api/cluster.
void add_cluster_routes(router& r, const node_services& s);
/// GET / and /ui/*: the embedded web UI.
void add_ui_routes(router& r, const node_services& s);
/// GET /api/events/stream: live tail as Server-Sent Events. Register before
/// add_event_routes (its /api/events/* prefix would match first).
void add_stream_routes(router& r, const node_services& s);
/// GET /api/storage: this node's buffered/indexed sizes and counts.
void add_storage_routes(router& r, const node_services& s);
/// /api/apikeys, /api/signals, /api/retentionpolicies.
void add_admin_routes(router& r, const node_services& s);

/// Runs a filtered search for GET /api/events on the query pool; `signal`
/// (net/signal_filter.hpp) narrows `filter` further.
void search_events(const node_services& s, request& req, const request_info& info,
                   std::string filter, size_t count, std::optional<uint64_t> after_id,
                   std::optional<int64_t> from, std::optional<int64_t> to, responder respond,
                   std::string signal = {});

} // namespace cairn::net
