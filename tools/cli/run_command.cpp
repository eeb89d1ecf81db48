/// `cairn run`: opens the storage root, starts the node's actors and the
/// HTTP listener, and stops gracefully on SIGINT/SIGTERM.
#include "actors/alert_actor.hpp"
#include "actors/auth_actor.hpp"
#include "actors/clock_actor.hpp"
#include "actors/cluster_gate_actor.hpp"
#include "actors/committer_actor.hpp"
#include "actors/config.hpp"
#include "actors/consensus_actor.hpp"
#include "actors/dispatcher_actor.hpp"
#include "actors/distributed_query.hpp"
#include "actors/node_actor.hpp"
#include "actors/notifier_actor.hpp"
#include "actors/placement_actor.hpp"
#include "actors/replication.hpp"
#include "actors/retention_actor.hpp"
#include "net/alert_routes.hpp"
#include "net/commit_deadline.hpp"
#include "net/http_server.hpp"
#include "net/proxy.hpp"
#include "query/memo.hpp"
#include "net/tls_guard.hpp"
#include "net/node_services.hpp"
#include "tools/cli/commands.hpp"
#include "tools/cli/malloc_tuning.hpp"
#include "tools/cli/node_identity.hpp"
#include "tools/cli/node_metastore.hpp"
#include "tools/cli/server_log.hpp"
#include "tools/cli/storage_lock.hpp"

#include <algorithm>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/io/middleman.hpp>
#include <caf/openssl/manager.hpp>
#include <caf/openssl/publish.hpp>
#include <caf/scoped_actor.hpp>
#include <spdlog/spdlog.h>

#include <filesystem>
#include <future>
#include <iostream>
#include <thread>

namespace cairn::cli {

namespace {

/// Waits (bounded) until the node actor reports `stopped`.
void wait_until_stopped(caf::actor_system& sys, const caf::actor& node,
                        std::chrono::milliseconds budget) {
  caf::scoped_actor self{sys};
  auto deadline = std::chrono::steady_clock::now() + budget;
  while (std::chrono::steady_clock::now() < deadline) {
    bool stopped = false;
    self->request(node, std::chrono::milliseconds(500), status_atom::value)
      .receive([&](const node_status& st) { stopped = st.state == "stopped"; },
               [&](caf::error&) {});
    if (stopped)
      return;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  spdlog::warn("shutdown: node did not reach 'stopped' within {} ms", budget.count());
}

/// Followers forward API requests to the leader; a node that is neither
/// leader nor a follower with a known leader answers 503. /health and
/// /metrics always describe this node.
bool intercept_for_follower(const cluster_view& view, boost::asio::io_context& ioc,
                            const net::forward_policy& policy, net::request& req,
                            const net::request_info& info, const net::responder& respond) {
  // The live tail streams from this node's replica (a proxy cannot relay an
  // endless response); the UI's static files hold no data.
  if (info.path == "/health" || info.path == "/metrics" || info.path == "/api/events/stream" ||
      info.path == "/" || info.path.starts_with("/ui/"))
    return false;
  auto role = view.get();
  if (role.acting_leader)
    return false;
  // No leader at all (an election, or the metastore down so nobody can hold
  // the lease): reads are answered from this node's own replica instead of
  // being held and refused, so searches keep working through a metastore
  // outage (tests/fault/pg_outage.sh). They may miss the newest events not
  // yet replicated here. Writes and admin calls still wait for a leader.
  bool read = req.method() == net::http::verb::get &&
              (info.path == "/api/events" || info.path.starts_with("/api/events/") ||
               info.path == "/api/data");
  if (read && !role.follower)
    return false;
  if (!req[net::forwarded_header].empty()) {
    // Forwarded to us but we are not (or no longer) the leader: never
    // forward twice; the first follower retries.
    auto res = net::error_response(req, net::http::status::service_unavailable,
                                   "this node is not the leader; retry shortly");
    res.set(net::http::field::retry_after, "1");
    respond(std::move(res));
    return true;
  }
  net::forward_with_retry(ioc, policy, req, info, respond);
  return true;
}

} // namespace

int run_command(int argc, char** argv) {
  // 0. Allocator settings, before any thread exists (tools/cli/malloc_tuning.hpp:
  // without them memory the allocator retained grew RSS for the whole run).
  const malloc_setup allocator;
  args a{argc, argv, 2, {"listen"}};
  auto root = a.storage_root();
  std::error_code ec;
  std::filesystem::create_directories(root, ec);
  if (ec) {
    std::cerr << "cairn run: cannot create storage root " << root << ": " << ec.message() << "\n";
    return failure;
  }
  // 1. One process per storage root, before touching anything inside it.
  storage_lock lock;
  if (auto err = lock.acquire(root); !err.empty()) {
    std::cerr << "cairn run: " << err << "\n";
    return failure;
  }
  // 2. Configuration: file, env, then command line.
  config cfg;
  try {
    cfg = config::load(root);
    if (auto listen = a.get("listen"))
      cfg.set("api.listenUris", *listen);
  } catch (const config_error& e) {
    std::cerr << "cairn run: " << e.message << "\n";
    return usage;
  }
  setup_server_log(root, cfg.get("diagnostics.logLevel"));
  auto identity = load_node_identity(root, cfg.get("node.name"));
  spdlog::info("cairn 0.1.0 starting: node {} ({}), storage {}", identity.name, identity.id,
               std::filesystem::absolute(root).string());
  spdlog::info("allocator: {}", allocator.description());

  // 3. Storage.
  storage::store_options store_opts;
  store_opts.map_size = static_cast<size_t>(cfg.get_int("storage.mapSizeBytes"));
  auto opened = storage::event_store::open(root, store_opts);
  if (!opened) {
    spdlog::critical("cannot open the event store: {}", opened.error().to_string());
    return failure;
  }
  std::shared_ptr<storage::event_store> store = std::move(*opened);

  // 4. Actors.
  caf::actor_system_config caf_cfg;
  // The default work-stealing scheduler polls idle workers (50 us sleeps):
  // ~16% of a core per node under ingest load. Message rates here are low
  // (one per request, not per event), so a shared queue with a condition
  // variable costs less and idles at zero.
  caf_cfg.set("scheduler.policy", caf::atom("sharing"));
  auto cluster_listen = cfg.get("cluster.listenUri");
  std::string cluster_key;
  if (!cluster_listen.empty()) {
    auto key = read_secret(root, cfg, "cluster.key");
    if (!key || !*key) {
      spdlog::critical("cluster.listenUri is set but no cluster key is stored ({}); run "
                       "`cairn node setup ... -k KEY`",
                       key ? "secret cluster.key missing" : key.error().message);
      return failure;
    }
    cluster_key = **key;
    caf_cfg.load<caf::io::middleman>();
    // TLS on the cluster port: CAF's OpenSSL manager wraps the middleman's
    // connections; publish/remote_actor then go through caf::openssl.
    if (!cfg.get("cluster.certificatePath").empty()) {
      caf_cfg.load<caf::openssl::manager>();
      caf_cfg.openssl_certificate = cfg.get("cluster.certificatePath");
      caf_cfg.openssl_key = cfg.get("cluster.privateKeyPath");
      caf_cfg.openssl_cafile = cfg.get("cluster.caPath");
      // caf_openssl relies on net/tls_guard.cpp (error queue, handshake
      // deadline); without it one bad client drops every peer.
      if (!net::tls_guard_active())
        spdlog::warn("cluster TLS: the OpenSSL call guards are not active; a failed "
                     "handshake may close healthy peer connections");
    }
    // Notice hung peers (SIGSTOP) instead of waiting forever.
    caf_cfg.set("middleman.heartbeat-interval", caf::timespan{std::chrono::milliseconds(500)});
    // ... and drop a connection silent for three heartbeats: a hung peer
    // (SIGSTOP, partition) then goes DOWN in ~1.5 s and leaves the peer set,
    // instead of holding a new leader's catch-up pull for its full request
    // timeout (tests/fault/leader_pause.sh, lease 2 s: a new leader 7.2 s
    // after the pause before, 2.1 s after).
    caf_cfg.set("middleman.connection-timeout", caf::timespan{std::chrono::milliseconds(1500)});
  }
  caf::actor_system sys{caf_cfg};
  auto tick = std::chrono::milliseconds(cfg.get_int("cluster.tickMs"));
  committer_options commit_opts;
  commit_opts.quorum_ack = cfg.get("ingest.ack") == "quorum";
  commit_opts.replicas = std::min<size_t>(static_cast<size_t>(cfg.get_int("cluster.replication")),
                                          cfg.get_list("cluster.peers").size() + 1);
  // Shared by the cluster endpoint (query shares) and the committer's
  // retention handlers: both fence on the newest epoch seen.
  auto share_exec = std::make_shared<share_executor>();
  share_exec->store = store;
  // Retention deletions run on the committer, the store's single writer.
  auto committer = sys.spawn<caf::detached>(
    [store, commit_opts, share_exec](caf::stateful_actor<committer_state>* self) {
      auto base = committer_actor(self, store, commit_opts);
      auto extra = retention_handlers(store, share_exec);
      return caf::behavior{base.as_behavior_impl()->or_else(extra.as_behavior_impl())};
    });
  auto indexer = sys.spawn(indexer_actor, committer,
                           std::chrono::milliseconds(cfg.get_int("storage.indexIntervalMs")));
  // The alert evaluator is a leader-only service (it blocks: detached).
  alert_options alert_opts;
  if (auto uri = node_metastore_uri(root, cfg))
    alert_opts.metastore_uri = *uri;
  else
    alert_opts.metastore_uri = local_metastore_uri(root);
  alert_opts.store = store;
  alert_opts.max_query_memory = static_cast<size_t>(cfg.get_int("query.maxMemoryBytes"));
  // App output goes straight to the committer: no HTTP, no API key.
  alert_opts.committer = committer;
  alert_opts.read_secret = [root, cfg](const std::string& name) -> std::optional<std::string> {
    auto value = read_secret(root, cfg, name);
    if (!value || !*value)
      return std::nullopt;
    return **value;
  };
  auto alerts = sys.spawn<caf::detached>(alert_actor, alert_opts);
  // Cairn's own notifications: also leader-only (metastore calls block).
  notifier_options notify_opts;
  notify_opts.metastore_uri = alert_opts.metastore_uri;
  notify_opts.node_name = identity.name;
  notify_opts.node_id = identity.id;
  notify_opts.storage_root = root;
  notify_opts.configured_peers = cfg.get_list("cluster.peers").size();
  notify_opts.thresholds.lag_seconds =
    static_cast<double>(cfg.get_int("notifications.replicationLagSeconds"));
  notify_opts.thresholds.disk_percent =
    static_cast<double>(cfg.get_int("notifications.diskUsagePercent"));
  notify_opts.interval = std::chrono::milliseconds(cfg.get_int("notifications.checkIntervalMs"));
  notify_opts.committer = committer;
  auto notifier = sys.spawn<caf::detached>(notifier_actor, notify_opts);
  auto dispatcher =
    sys.spawn(dispatcher_actor, std::vector<caf::actor>{committer, alerts, notifier});

  // 5. HTTP: listen first (port 0 picks a free port), so the membership row
  // can carry the real internal API address; routes are added before any
  // I/O thread runs.
  boost::asio::io_context ioc;
  // Scans get their own bounded pool: ingest and I/O threads keep flowing.
  boost::asio::thread_pool query_pool{std::max(1u, std::thread::hardware_concurrency())};
  net::router routes;
  net::server_limits limits;
  limits.max_body_bytes = static_cast<size_t>(cfg.get_int("ingest.maxBodyBytes"));
  limits.read_timeout = std::chrono::milliseconds(cfg.get_int("api.readTimeoutMs"));
  limits.max_connections = static_cast<size_t>(cfg.get_int("api.maxConnections"));
  limits.max_connections_per_ip = static_cast<size_t>(cfg.get_int("api.maxConnectionsPerIp"));
  limits.header_timeout = std::chrono::milliseconds(cfg.get_int("api.headerTimeoutMs"));
  limits.max_header_bytes = static_cast<size_t>(cfg.get_int("api.maxHeaderBytes"));
  limits.max_target_bytes = static_cast<size_t>(cfg.get_int("api.maxUrlBytes"));
  auto view = std::make_shared<cluster_view>();
  net::forward_policy forward;
  // Upstream timeouts: a forwarded query may run for query.timeoutMs (plus a
  // margin for its answer); other calls finish within the command deadline.
  // A leader that loses its lease meanwhile is abandoned sooner (net/proxy).
  forward.read_timeout = std::chrono::milliseconds(cfg.get_int("query.timeoutMs") + 5000);
  forward.write_timeout = std::chrono::milliseconds(cfg.get_int("cluster.commandDeadlineMs"));
  forward.budget = std::chrono::milliseconds(cfg.get_int("cluster.leaseMs") +
                                             2 * cfg.get_int("cluster.tickMs"));
  forward.retry_every = std::chrono::milliseconds(std::max<int64_t>(20, tick.count() / 4));
  forward.leader_uri = [view] {
    auto v = view->get();
    return v.acting_leader || v.follower ? v.leader_api_uri : std::string{};
  };
  net::http_server server{
    ioc, routes, limits,
    [store](net::response& res) {
      res.set("X-Cairn-Generation", store->current_generation().to_string());
    },
    [view, &ioc, forward](net::request& req, const net::request_info& info,
                          const net::responder& respond) {
      return intercept_for_follower(*view, ioc, forward, req, info, respond);
    }};
  int exit_code = ok;
  if (auto cert = cfg.get("api.certificatePath"); !cert.empty()) {
    if (auto err = server.set_tls(cert, cfg.get("api.privateKeyPath")); !err.empty()) {
      spdlog::critical("{}", err);
      exit_code = failure;
    }
  }
  std::vector<std::string> bound_uris;
  for (const auto& uri : cfg.get_list("api.listenUris")) {
    if (exit_code != ok)
      break;
    if (auto err = server.listen(uri); !err.empty()) {
      spdlog::critical("{}", err);
      exit_code = failure;
      break;
    }
    // Tests pass port 0 and read the real port from this line.
    auto port = server.bound_ports().back();
    bound_uris.push_back(uri.substr(0, uri.rfind(':') + 1) + std::to_string(port));
    spdlog::info("listening on {}", bound_uris.back());
  }

  // 6. Consensus, membership and auth share the node's metastore.
  auto metastore_uri = node_metastore_uri(root, cfg);
  if (!metastore_uri) {
    spdlog::critical("cannot choose the metastore: {}", metastore_uri.error().message);
    exit_code = failure;
  }
  consensus_options co;
  co.metastore_uri = metastore_uri ? *metastore_uri : local_metastore_uri(root);
  co.node_id = identity.id;
  co.lease = std::chrono::milliseconds(cfg.get_int("cluster.leaseMs"));
  co.tick = tick;
  co.manual_leader = cfg.get_bool("node.manualLeader");
  co.self.id = identity.id;
  co.self.name = identity.name;
  co.self.cluster_uri = cfg.get("cluster.listenUri");
  co.self.api_uri = bound_uris.empty() ? "" : bound_uris.front();
  co.self.internal_uri = cfg.get("cluster.internalApiUri").empty()
                           ? co.self.api_uri
                           : cfg.get("cluster.internalApiUri");
  // Placement names a node by its shard id; without --shard-id it is the
  // node id (generated once, kept in <storage>/node-id).
  co.self.shard_id = cfg.get("node.shardId").empty() ? identity.id : cfg.get("node.shardId");
  co.self.health = "ok";
  std::vector<caf::actor> cluster_actors;
  auto query_peers = std::make_shared<query_cluster>(
    sys, identity.name, std::chrono::milliseconds(cfg.get_int("query.shareTimeoutMs")));
  share_exec->node_name = identity.name;
  share_exec->max_memory_bytes = static_cast<size_t>(cfg.get_int("query.maxMemoryBytes"));
  // One memo for /api/data and the shares this node runs for a leader.
  auto query_memo =
    std::make_shared<query::memo_cache>(static_cast<size_t>(cfg.get_int("query.memoBytes")));
  share_exec->memo = query_memo;
  query_peers->set_memo(query_memo);
  if (!cluster_listen.empty()) {
    auto colon = cluster_listen.rfind(':');
    auto host = cluster_listen.substr(0, colon);
    auto port = static_cast<uint16_t>(std::stoi(cluster_listen.substr(colon + 1)));
    auto endpoint = sys.spawn(cluster_endpoint_actor, identity.id, committer, store,
                              std::shared_ptr<const share_executor>{share_exec});
    auto gate = sys.spawn(cluster_gate_actor, identity.id, cluster_key, endpoint);
    auto published = sys.has_openssl_manager()
                       ? caf::openssl::publish(gate, port, host.c_str(), true)
                       : sys.middleman().publish(gate, port, host.c_str(), true);
    if (!published) {
      spdlog::critical("cannot open the cluster port {}: {}", cluster_listen,
                       to_string(published.error()));
      exit_code = failure;
    } else {
      spdlog::info("cluster port listening on {}:{}{}", host, *published,
                   sys.has_openssl_manager() ? " (TLS)" : "");
      co.self.cluster_uri = host + ":" + std::to_string(*published);
    }
    peer_connector_config pc;
    pc.node_id = identity.id;
    pc.key = cluster_key;
    pc.self_address = published ? co.self.cluster_uri : std::string{};
    pc.peers = cfg.get_list("cluster.peers");
    pc.endpoint = endpoint;
    pc.committer = committer;
    pc.on_peers = [query_peers](const std::vector<caf::actor>& p,
                                const std::vector<std::string>& ids) {
      query_peers->set_peers(p, ids);
    };
    pc.inbound_grace = std::max(std::chrono::milliseconds(5000), 5 * tick);
    auto connector = sys.spawn<caf::detached>(peer_connector_actor, std::move(pc));
    // Peers that dial this node hand their endpoint to the connector.
    caf::scoped_actor{sys}->send(gate, attach_atom::value, connector);
    cluster_actors = {endpoint, gate, connector};
  }
  auto node = sys.spawn(node_actor, identity.id, dispatcher, committer,
                        static_cast<size_t>(cfg.get_int("cluster.commandQueueCapacity")),
                        std::chrono::milliseconds(cfg.get_int("cluster.commandDeadlineMs")), view);
  auto consensus = sys.spawn<caf::detached>(consensus_actor, co, node);
  auto auth_view = std::make_shared<auth_snapshot>();
  auto auth = sys.spawn<caf::detached>(auth_actor, co.metastore_uri, auth_view);
  std::vector<caf::actor> ticked{consensus, node, auth};
  caf::actor placement;
  if (!cluster_actors.empty()) {
    placement_options po;
    po.metastore_uri = co.metastore_uri;
    po.node_id = identity.id;
    po.shard_id = co.self.shard_id;
    po.shard_count = static_cast<unsigned>(cfg.get_int("cluster.shards"));
    po.replication = static_cast<size_t>(cfg.get_int("cluster.replication"));
    po.heartbeat_stale = std::max(co.lease / 2, 3 * tick);
    po.expected_nodes = cfg.get_list("cluster.peers").size() + 1;
    placement = sys.spawn<caf::detached>(placement_actor, po, committer, view,
                                         cfg.get_bool("query.distribute") ? query_peers
                                                                          : nullptr);
    ticked.push_back(placement);
    // Before the clock starts the peer connector: a node holding only some
    // shards must not pull every shard from its peers when they connect.
    if (holds_some_shards_only(co.metastore_uri, co.self.shard_id, po.shard_count)) {
      spdlog::info("placement: {} holds some shards only; no pull from peers on connect",
                   co.self.shard_id);
      caf::anon_send(committer, sharded_atom::value);
    }
  }
  if (!cluster_actors.empty())
    ticked.push_back(cluster_actors.back()); // the peer connector
  auto clock = sys.spawn(clock_actor, ticked, tick);
  retention_options ro;
  ro.metastore_uri = co.metastore_uri;
  ro.interval = std::chrono::milliseconds(cfg.get_int("storage.retentionIntervalMs"));
  auto retention = sys.spawn<caf::detached>(retention_actor, ro, view, committer, query_peers);

  net::node_services services;
  services.system = &sys;
  services.node = node;
  services.committer = committer;
  services.consensus = consensus;
  services.placement = placement;
  services.store = store;
  services.auth = auth;
  services.auth_view = auth_view;
  services.max_body_bytes = limits.max_body_bytes;
  services.max_event_bytes = static_cast<size_t>(cfg.get_int("ingest.maxEventBytes"));
  const std::chrono::milliseconds commit_timeout{cfg.get_int("ingest.commitTimeoutMs")};
  services.commit_deadlines = std::make_shared<net::commit_deadline_watch>(commit_timeout);
  // Swept a few times per timeout: a stalled request waits at most ~1.25x it.
  services.commit_deadlines->start(
    ioc, std::clamp(commit_timeout / 4, std::chrono::milliseconds(25), std::chrono::milliseconds(1000)));
  services.ioc = &ioc;
  services.query_pool = &query_pool;
  services.query_timeout = std::chrono::milliseconds(cfg.get_int("query.timeoutMs"));
  services.query_max_memory = static_cast<size_t>(cfg.get_int("query.maxMemoryBytes"));
  services.heartbeat_stale = std::max(co.lease / 2, 3 * tick);
  services.query_memo = query_memo;
  services.otlp_endpoint = cfg.get("diagnostics.otlpEndpoint");
  services.node_name = identity.name;
  services.metastore_uri = co.metastore_uri;
  services.view = view;
  if (cfg.get_bool("query.distribute"))
    services.query_cluster = query_peers;
  net::add_system_routes(routes, services);
  net::add_ingest_routes(routes, services);
  net::add_stream_routes(routes, services); // before add_event_routes: /api/events/* prefix
  net::add_event_routes(routes, services);
  net::add_query_routes(routes, services);
  net::add_cluster_routes(routes, services);
  net::add_admin_routes(routes, services);
  net::add_alert_routes(routes, services, alert_opts.board);
  net::add_storage_routes(routes, services);
  net::add_ui_routes(routes, services);

  std::promise<int> stop_signal;
  boost::asio::signal_set signals{ioc, SIGINT, SIGTERM};
  signals.async_wait([&](const boost::system::error_code& e, int signo) {
    if (!e)
      stop_signal.set_value(signo);
  });
  std::vector<std::thread> io_threads;
  if (exit_code == ok) {
    auto threads = std::max(2u, std::thread::hardware_concurrency());
    for (unsigned i = 0; i < threads; ++i)
      io_threads.emplace_back([&ioc] { ioc.run(); });
    int signo = stop_signal.get_future().get();
    spdlog::info("received signal {}; stopping", signo);
  }

  // 7. Graceful stop: step down (no more commits here), release the lease so
  // a successor takes over at its next tick rather than after the lease
  // expires, keep forwarding requests to the successor until it is known
  // (bounded), and only then close the listener.
  anon_send(node, stop_atom::value);
  wait_until_stopped(sys, node, std::chrono::milliseconds(2000));
  {
    caf::scoped_actor self{sys};
    self->request(consensus, std::chrono::milliseconds(1500), release_atom::value)
      .receive([](bool) {}, [](caf::error&) {});
  }
  if (exit_code == ok && !cfg.get_list("cluster.peers").empty()) {
    auto handover_until = std::chrono::steady_clock::now() + forward.budget;
    while (!view->get().follower && std::chrono::steady_clock::now() < handover_until)
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    // In-flight forwards finish on the I/O threads meanwhile.
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  server.stop();
  anon_send_exit(clock, caf::exit_reason::user_shutdown);
  ioc.stop();
  for (auto& t : io_threads)
    t.join();
  query_pool.stop();
  query_pool.join();
  for (auto& a : {indexer, dispatcher, node, consensus, committer, auth, alerts, notifier})
    anon_send_exit(a, caf::exit_reason::user_shutdown);
  anon_send_exit(retention, caf::exit_reason::user_shutdown);
  for (auto& a : cluster_actors)
    anon_send_exit(a, caf::exit_reason::user_shutdown);
  spdlog::info("stopped");
  spdlog::shutdown();
  return exit_code;
}

} // namespace cairn::cli
