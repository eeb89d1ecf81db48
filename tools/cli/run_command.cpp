/// `cairn run`: opens the storage root, starts the node's actors and the
/// HTTP listener, and stops gracefully on SIGINT/SIGTERM.
#include "actors/auth_actor.hpp"
#include "actors/clock_actor.hpp"
#include "actors/committer_actor.hpp"
#include "actors/config.hpp"
#include "actors/consensus_actor.hpp"
#include "actors/dispatcher_actor.hpp"
#include "actors/node_actor.hpp"
#include "net/http_server.hpp"
#include "net/node_services.hpp"
#include "tools/cli/commands.hpp"
#include "tools/cli/node_identity.hpp"
#include "tools/cli/server_log.hpp"
#include "tools/cli/storage_lock.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
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

} // namespace

int run_command(int argc, char** argv) {
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
  caf::actor_system sys{caf_cfg};
  auto tick = std::chrono::milliseconds(cfg.get_int("cluster.tickMs"));
  auto committer = sys.spawn<caf::detached>(committer_actor, store);
  auto indexer = sys.spawn(indexer_actor, committer,
                           std::chrono::milliseconds(cfg.get_int("storage.indexIntervalMs")));
  auto dispatcher = sys.spawn(dispatcher_actor, std::vector<caf::actor>{committer});
  auto node = sys.spawn(node_actor, identity.id, dispatcher,
                        static_cast<size_t>(cfg.get_int("cluster.commandQueueCapacity")),
                        std::chrono::milliseconds(cfg.get_int("cluster.commandDeadlineMs")));
  consensus_options co;
  co.metastore_uri = "sqlite:" + (std::filesystem::path{root} / "metastore.db").string();
  co.node_id = identity.id;
  co.lease = std::chrono::milliseconds(cfg.get_int("cluster.leaseMs"));
  co.tick = tick;
  co.manual_leader = cfg.get_bool("node.manualLeader");
  auto consensus = sys.spawn<caf::detached>(consensus_actor, co, node);
  auto auth_view = std::make_shared<auth_snapshot>();
  auto auth = sys.spawn<caf::detached>(auth_actor, co.metastore_uri, auth_view);
  auto clock = sys.spawn(clock_actor, std::vector<caf::actor>{consensus, node, auth}, tick);

  // 5. HTTP.
  net::node_services services;
  services.system = &sys;
  services.node = node;
  services.committer = committer;
  services.store = store;
  services.auth = auth;
  services.auth_view = auth_view;
  services.max_body_bytes = static_cast<size_t>(cfg.get_int("ingest.maxBodyBytes"));
  services.max_event_bytes = static_cast<size_t>(cfg.get_int("ingest.maxEventBytes"));
  boost::asio::io_context ioc;
  // Scans get their own bounded pool: ingest and I/O threads keep flowing.
  boost::asio::thread_pool query_pool{std::max(1u, std::thread::hardware_concurrency())};
  services.ioc = &ioc;
  services.query_pool = &query_pool;
  services.query_timeout = std::chrono::milliseconds(cfg.get_int("query.timeoutMs"));
  services.query_max_memory = static_cast<size_t>(cfg.get_int("query.maxMemoryBytes"));
  net::router routes;
  net::add_system_routes(routes, services);
  net::add_ingest_routes(routes, services);
  net::add_event_routes(routes, services);
  net::add_query_routes(routes, services);

  net::server_limits limits;
  limits.max_body_bytes = services.max_body_bytes;
  limits.read_timeout = std::chrono::milliseconds(cfg.get_int("api.readTimeoutMs"));
  limits.max_connections = static_cast<size_t>(cfg.get_int("api.maxConnections"));
  net::http_server server{ioc, routes, limits, [store](net::response& res) {
                            res.set("X-Cairn-Generation", store->current_generation().to_string());
                          }};
  int exit_code = ok;
  for (const auto& uri : cfg.get_list("api.listenUris")) {
    if (auto err = server.listen(uri); !err.empty()) {
      spdlog::critical("{}", err);
      exit_code = failure;
      break;
    }
    // Tests pass port 0 and read the real port from this line.
    auto port = server.bound_ports().back();
    auto shown = uri.substr(0, uri.rfind(':') + 1) + std::to_string(port);
    spdlog::info("listening on {}", shown);
  }

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

  // 6. Graceful stop: no new requests, step down, release the lease so a
  // successor need not wait for it to expire, then stop the actors.
  server.stop();
  anon_send_exit(clock, caf::exit_reason::user_shutdown);
  anon_send(node, stop_atom::value);
  wait_until_stopped(sys, node, std::chrono::milliseconds(2000));
  {
    caf::scoped_actor self{sys};
    self->request(consensus, std::chrono::milliseconds(1500), release_atom::value)
      .receive([](bool) {}, [](caf::error&) {});
  }
  ioc.stop();
  for (auto& t : io_threads)
    t.join();
  query_pool.stop();
  query_pool.join();
  for (auto& a : {indexer, dispatcher, node, consensus, committer, auth})
    anon_send_exit(a, caf::exit_reason::user_shutdown);
  spdlog::info("stopped");
  spdlog::shutdown();
  return exit_code;
}

} // namespace cairn::cli
