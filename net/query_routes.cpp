/// Query endpoints: GET /api/data (SQL, Seq's Rows/Slices/Series shapes) and
/// filtered GET /api/events. Queries run on the bounded query pool, never on
/// I/O threads, so heavy scans cannot stall ingestion; `query.timeoutMs`
/// cancels a scan through the executor's cancel flag.
///
/// /api/data memoizes per-block partial results (actors/query_memo.hpp) and,
/// with diagnostics.otlpEndpoint set, exports each query as OTLP spans
/// (net/otlp_exporter.hpp) in the background.
#include "actors/cluster_view.hpp"
#include "actors/distributed_query.hpp"
#include "actors/distributed_search.hpp"
#include "actors/metrics.hpp"
#include "actors/query_memo.hpp"
#include "actors/query_tracer.hpp"
#include "actors/store_source.hpp"
#include "net/auth.hpp"
#include "net/decode/timestamp.hpp"
#include "net/event_json.hpp"
#include "net/node_services.hpp"
#include "net/otlp_exporter.hpp"
#include "net/signal_filter.hpp"
#include "query/executor.hpp"
#include "query/parse_error.hpp"
#include "query/result_json.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include <spdlog/spdlog.h>

#include <chrono>
#include <cstdlib>

namespace cairn::net {

namespace {

int64_t unix_ns_now() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
           std::chrono::system_clock::now().time_since_epoch())
    .count();
}

/// Parses an optional ISO-8601 parameter; appends to `error` if malformed.
std::optional<int64_t> time_arg(const request_info& info, const char* name, std::string& error) {
  auto v = query_param(info.query, name);
  if (!v || v->empty())
    return std::nullopt;
  auto ns = decode::parse_iso8601(*v);
  if (!ns)
    error = std::string{name} + ": '" + *v + "' is not an ISO-8601 timestamp";
  return ns;
}

/// {"Error":..., "Reasons":[...], "Position":n} as Seq clients expect.
response query_error_response(unsigned version, bool keep_alive, http::status status,
                              const query::query_error& e) {
  std::string body = "{\"Error\":\"";
  json_escape_into(body, e.what());
  body += "\",\"Reasons\":[\"";
  json_escape_into(body, e.what());
  body += "\"]";
  if (e.position() != query::query_error::npos)
    body += ",\"Position\":" + std::to_string(e.position());
  body += "}";
  request stub;
  stub.version(version);
  stub.keep_alive(keep_alive);
  return json_response(stub, status, std::move(body));
}

/// Runs `work` on the query pool with a cancel flag that query.timeoutMs
/// and the client leaving (request_info::client_gone) both raise.
template <class Work>
void run_on_pool(const node_services& s, const request_info& info, Work work) {
  auto cancel = info.client_gone ? info.client_gone : std::make_shared<std::atomic<bool>>(false);
  auto timed_out = std::make_shared<std::atomic<bool>>(false);
  auto timer = std::make_shared<boost::asio::steady_timer>(*s.ioc, s.query_timeout);
  timer->async_wait([cancel, timed_out](const boost::system::error_code& ec) {
    if (ec)
      return;
    timed_out->store(true);
    cancel->store(true);
  });
  boost::asio::post(*s.query_pool, [work = std::move(work), cancel, timed_out, timer]() mutable {
    auto started = std::chrono::steady_clock::now();
    work(cancel.get());
    if (cancel->load() && !timed_out->load()) {
      metrics::instance().queries_abandoned++;
      spdlog::debug("query: client went away; scan stopped after {} ms",
                    std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started)
                      .count());
    }
    boost::asio::post(timer->get_executor(), [timer] { timer->cancel(); });
  });
}

http::status status_for(const query::query_error& e) {
  using k = query::query_error::kind;
  return e.error_kind() == k::cancelled ? http::status::service_unavailable
                                        : http::status::bad_request;
}

/// Node-wide query state shared by every /api/data request.
struct query_runtime {
  std::shared_ptr<query::memo_cache> memo;
  std::shared_ptr<otlp_exporter> exporter; ///< null: tracing off
};

/// True if this query should be split across the cluster: this node leads
/// and has authenticated peers, or lacks some shards' older events (then the
/// distributed path refuses what no live holder can answer).
bool distribute(const node_services& s) {
  return s.query_cluster && s.view && s.view->get().acting_leader &&
         (!s.query_cluster->peers().empty() || full_copy_from().load() != 0);
}

/// ,"Nodes":[{"Name":..,"Ms":..,"Events":..,"Shares":..[,"Failure":..]}]
std::string nodes_json(const std::vector<node_work>& nodes) {
  std::string out = ",\"Nodes\":[";
  for (size_t i = 0; i < nodes.size(); ++i) {
    const auto& n = nodes[i];
    if (i)
      out.push_back(',');
    out += "{\"Name\":\"";
    json_escape_into(out, n.name);
    out += "\",\"Ms\":" + std::to_string(n.ms) + ",\"Events\":" + std::to_string(n.events) +
           ",\"Shares\":" + std::to_string(n.shares);
    if (!n.failure.empty()) {
      out += ",\"Failure\":\"";
      json_escape_into(out, n.failure);
      out += "\"";
    }
    out += "}";
  }
  out += "]";
  return out;
}

/// Applies the `signal=` parameter (net/signal_filter.hpp) to a query or
/// filter; answers the request and returns nullopt if it cannot.
template <class Apply>
std::optional<std::string> with_signal(const node_services& s, const std::string& signal,
                                       unsigned version, bool keep_alive,
                                       const responder& respond, Apply apply) {
  try {
    return apply(resolve_signal_filter(s.metastore_uri, signal));
  } catch (const query::query_error& e) {
    respond(query_error_response(version, keep_alive, http::status::bad_request, e));
  } catch (const std::invalid_argument& e) {
    respond(query_error_response(version, keep_alive, http::status::bad_request,
                                 query::query_error{query::query_error::kind::semantic, e.what()}));
  } catch (const std::runtime_error& e) {
    respond(query_error_response(version, keep_alive, http::status::service_unavailable,
                                 query::query_error{query::query_error::kind::semantic, e.what()}));
  }
  return std::nullopt;
}

/// Fills `trace` from one run; `error` is empty on success.
void record_spans(query_trace& trace, const std::string& text, int64_t started_ns,
                  int64_t planned_ns, int64_t merge_start_ns, int64_t ended_ns,
                  const memo_run_report& report, const store_source& source,
                  const query::query_stats& stats, const std::string& error) {
  auto& root = trace.root();
  root.start_ns = started_ns;
  root.end_ns = ended_ns;
  root.attributes = {{"db.system", std::string{"cairn"}},
                     {"db.statement", text},
                     {"cairn.events.scanned", static_cast<int64_t>(stats.events_scanned)},
                     {"cairn.events.matched", static_cast<int64_t>(stats.events_matched)}};
  if (!error.empty()) {
    root.error = true;
    root.status_message = error;
  }
  trace.add_child("query.plan", started_ns, planned_ns);
  if (report.blocks_start_ns == 0) // failed before scanning
    return;
  auto& blocks = trace.add_child("query.scan", report.blocks_start_ns, report.blocks_end_ns);
  blocks.attributes = {
    {"cairn.scan.part", std::string{report.bypassed ? "all" : "blocks"}},
    {"cairn.blocks.read", static_cast<int64_t>(source.blocks_read())},
    {"cairn.blocks.skipped", static_cast<int64_t>(source.blocks_skipped())},
    {"cairn.blocks.memo_hits", static_cast<int64_t>(report.memo_hits)},
    {"cairn.events.scanned", static_cast<int64_t>(report.block_events)},
    {"cairn.memo.bypassed", static_cast<int64_t>(report.bypassed)}};
  if (!report.bypassed && report.buffer_end_ns != 0) {
    auto& buffer = trace.add_child("query.scan", report.buffer_start_ns, report.buffer_end_ns);
    buffer.attributes = {{"cairn.scan.part", std::string{"buffer"}},
                         {"cairn.events.scanned", static_cast<int64_t>(report.buffer_events)}};
  }
  if (merge_start_ns != 0) {
    auto& merge = trace.add_child("query.merge", merge_start_ns, ended_ns);
    merge.attributes = {{"cairn.merge.partials_ms", report.merge_ms}};
  }
}

void handle_data(const node_services& s, const query_runtime& rt, request& req,
                 const request_info& info, responder respond) {
  auto q = query_param(info.query, "q");
  if (!q || q->empty())
    return respond(error_response(req, http::status::bad_request, "the q parameter is required"));
  std::string error;
  auto from = time_arg(info, "rangeStartUtc", error);
  auto to = time_arg(info, "rangeEndUtc", error);
  if (!error.empty())
    return respond(error_response(req, http::status::bad_request, error));
  auto version = req.version();
  auto keep_alive = req.keep_alive();
  auto signal = query_param(info.query, "signal").value_or("");
  run_on_pool(s, info, [s, rt, text = *q, from, to, version, keep_alive, respond, signal](
                   const std::atomic<bool>* cancel) {
    metrics::instance().queries++;
    std::optional<query_trace> trace;
    if (rt.exporter)
      trace.emplace();
    const int64_t started_ns = unix_ns_now();
    int64_t planned_ns = 0, merge_start_ns = 0;
    auto started = std::chrono::steady_clock::now();
    store_source source{s.store};
    query::query_stats stats;
    memo_run_report report;
    std::vector<node_work> node_reports; // distributed runs: one per node
    auto export_trace = [&](const std::string& failure) {
      if (!trace)
        return;
      int64_t ended_ns = unix_ns_now();
      record_spans(*trace, text, started_ns, planned_ns ? planned_ns : ended_ns, merge_start_ns,
                   ended_ns, report, source, stats, failure);
      // Which nodes took part and how long each worked (shares run in
      // parallel from the end of planning).
      for (const auto& n : node_reports) {
        auto& share = trace->add_child("query.share", planned_ns,
                                       planned_ns + static_cast<int64_t>(n.ms * 1e6));
        share.attributes = {{"cairn.node", n.name},
                            {"cairn.events.scanned", static_cast<int64_t>(n.events)},
                            {"cairn.shares", static_cast<int64_t>(n.shares)}};
        if (!n.failure.empty()) {
          share.error = true;
          share.status_message = n.failure;
        }
      }
      rt.exporter->submit(*trace);
    };
    try {
      const int64_t now_ns = unix_ns_now();
      auto sql = text;
      if (!signal.empty()) {
        auto narrowed = with_signal(s, signal, version, keep_alive, respond,
                                    [&](const std::string& f) { return add_filter_to_sql(text, f); });
        if (!narrowed)
          return;
        sql = std::move(*narrowed);
      }
      auto plan = query::query_plan::compile(sql, now_ns);
      query::query_options opts;
      opts.from_ns = from.value_or(INT64_MIN);
      opts.to_ns = to.value_or(now_ns + 1);
      opts.max_memory_bytes = s.query_max_memory;
      opts.cancel = cancel;
      planned_ns = unix_ns_now();
      std::string nodes;
      uint64_t blocks_read = 0, blocks_skipped = 0;
      std::optional<query::partial_result> distributed;
      if (distribute(s)) {
        auto run = run_distributed(*s.query_cluster, s.store, plan, text, now_ns, opts,
                                   s.view->get().epoch);
        stats = run.stats;
        blocks_read = run.blocks_read;
        blocks_skipped = run.blocks_skipped;
        report.bypassed = true;
        nodes = nodes_json(run.nodes);
        node_reports = run.nodes;
        distributed.emplace(std::move(run.partial));
      }
      auto partial = distributed
                       ? std::move(*distributed)
                       : execute_memoized(plan, source, opts, rt.memo.get(), stats, report);
      if (!distributed) {
        blocks_read = source.blocks_read();
        blocks_skipped = source.blocks_skipped();
      }
      merge_start_ns = unix_ns_now();
      auto result = partial.finish(opts.from_ns, opts.to_ns);
      auto body = query::to_seq_json(result);
      // Replace the engine's statistics with the node's fuller view.
      if (auto at = body.rfind(",\"Statistics\":"); at != std::string::npos) {
        body.resize(at);
        auto ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() -
                                                            started)
                    .count();
        body += ",\"Statistics\":{\"ElapsedMilliseconds\":" + std::to_string(ms) +
                ",\"ScannedEvents\":" + std::to_string(stats.events_scanned) +
                ",\"BlocksRead\":" + std::to_string(blocks_read) +
                ",\"BlocksSkipped\":" + std::to_string(blocks_skipped) +
                ",\"MemoHits\":" + std::to_string(report.memo_hits) +
                ",\"MemoMisses\":" + std::to_string(report.memo_misses) +
                ",\"MemoBypassed\":" + (report.bypassed ? "true" : "false") + nodes + "}}";
      }
      export_trace({});
      request stub;
      stub.version(version);
      stub.keep_alive(keep_alive);
      respond(json_response(stub, http::status::ok, std::move(body)));
    } catch (const query::query_error& e) {
      metrics::instance().query_errors++;
      export_trace(e.what());
      respond(query_error_response(version, keep_alive, status_for(e), e));
    }
  });
}

} // namespace

/// Filtered search for GET /api/events?filter=...; `after` pages as Seq does.
/// A node lacking some shards (a leader elected after holding only some,
/// actors/distributed_search.hpp) also asks their holders.
void search_events(const node_services& s, request& req, const request_info& info,
                   std::string filter, size_t count, std::optional<uint64_t> after_id,
                   std::optional<int64_t> from, std::optional<int64_t> to, responder respond,
                   std::string signal) {
  auto layout = s.query_cluster ? current_search_layout(*s.query_cluster) : search_layout{};
  const bool fan_out = !layout.local_only();
  std::optional<std::pair<int64_t, uint64_t>> before;
  if (after_id && !fan_out) {
    auto rec = s.store->get_by_id(*after_id);
    storage::record_view view;
    if (!rec || !view.parse(rec->data(), rec->size()))
      return respond(error_response(req, http::status::not_found,
                                    "afterId: no event " + format_event_id(*after_id)));
    before = std::make_pair(view.timestamp(), *after_id);
  }
  auto version = req.version();
  auto keep_alive = req.keep_alive();
  run_on_pool(s, info, [=, layout = std::move(layout)](const std::atomic<bool>* cancel) mutable {
    metrics::instance().queries++;
    request stub;
    stub.version(version);
    stub.keep_alive(keep_alive);
    try {
      auto combined = filter;
      if (!signal.empty()) {
        auto narrowed = with_signal(s, signal, version, keep_alive, respond,
                                    [&](const std::string& f) { return and_filters(filter, f); });
        if (!narrowed)
          return;
        combined = std::move(*narrowed);
      }
      const int64_t now_ns = unix_ns_now();
      query::query_options opts;
      opts.from_ns = from.value_or(INT64_MIN);
      opts.to_ns = to.value_or(INT64_MAX);
      opts.max_memory_bytes = s.query_max_memory;
      opts.cancel = cancel;
      std::vector<query::search_hit> hits;
      if (fan_out) {
        const int64_t epoch = s.view ? s.view->get().epoch : 0;
        if (after_id) {
          // The page bound is an event this node may not store: ask its shard.
          auto bound = fetch_event(*s.query_cluster, s.store, *after_id, epoch, layout);
          storage::record_view view;
          if (bound.kind == fetched_event::unavailable) {
            auto res = error_response(stub, http::status::service_unavailable,
                                      "afterId: " + bound.detail);
            res.set(http::field::retry_after, "1");
            return respond(std::move(res));
          }
          if (bound.kind == fetched_event::not_found ||
              !view.parse(bound.record.data(), bound.record.size()))
            return respond(error_response(stub, http::status::not_found,
                                          "afterId: no event " + format_event_id(*after_id)));
          before = std::make_pair(view.timestamp(), *after_id);
        }
        search_request sr{combined, now_ns, count, before};
        hits = search_cluster(*s.query_cluster, s.store, sr, opts, epoch, layout);
      } else {
        auto plan = query::query_plan::compile_filter(combined, now_ns);
        store_source source{s.store};
        query::search_options so;
        so.count = count;
        so.before = before;
        hits = query::search(*plan, source, opts, so);
      }
      std::string body = "[";
      for (size_t i = 0; i < hits.size(); ++i) {
        storage::record_view view;
        if (!view.parse(hits[i].record.data(), hits[i].record.size()))
          continue;
        if (body.size() > 1)
          body.push_back(',');
        write_event_json(body, view);
      }
      body += "]";
      respond(json_response(stub, http::status::ok, std::move(body)));
    } catch (const query::query_error& e) {
      metrics::instance().query_errors++;
      respond(query_error_response(version, keep_alive, status_for(e), e));
    }
  });
}

namespace {

/// A setting the caller did not wire: its CAIRN_* environment override,
/// which config::load would have applied too.
std::optional<std::string> env_setting(const char* name) {
  if (const char* v = std::getenv(name))
    return std::string{v};
  return std::nullopt;
}

query_runtime make_query_runtime(const node_services& s) {
  query_runtime rt;
  rt.memo = s.query_memo;
  if (!rt.memo) {
    size_t memo_bytes = query::default_memo_bytes;
    if (s.query_memo_bytes) {
      memo_bytes = *s.query_memo_bytes;
    } else if (auto v = env_setting("CAIRN_QUERY_MEMOBYTES")) {
      try {
        memo_bytes = static_cast<size_t>(std::stoull(*v));
      } catch (const std::exception&) {
        spdlog::warn("query: ignoring CAIRN_QUERY_MEMOBYTES='{}'", *v);
      }
    }
    rt.memo = std::make_shared<query::memo_cache>(memo_bytes);
  }
  metrics::instance().watch_memo(rt.memo);
  auto endpoint = s.otlp_endpoint ? *s.otlp_endpoint
                                  : env_setting("CAIRN_DIAGNOSTICS_OTLPENDPOINT").value_or("");
  if (!endpoint.empty()) {
    if (auto ep = parse_http_endpoint(endpoint)) {
      otlp_exporter::options o;
      o.node_name = s.node_name;
      rt.exporter = std::make_shared<otlp_exporter>(std::move(*ep), std::move(o));
      spdlog::info("query spans go to {}", endpoint);
    } else {
      spdlog::warn("diagnostics.otlpEndpoint '{}' is not an http:// URI: query spans are off",
                   endpoint);
    }
  }
  return rt;
}

} // namespace

void add_query_routes(router& r, const node_services& s) {
  auto rt = make_query_runtime(s);
  r.add(http::verb::get, "/api/data", "data",
        require_read(s, [s, rt](request& req, const request_info& info, responder respond) {
          handle_data(s, rt, req, info, std::move(respond));
        }));
}

} // namespace cairn::net
