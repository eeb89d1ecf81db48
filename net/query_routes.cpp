/// Query endpoints: GET /api/data (SQL, Seq's Rows/Slices/Series shapes) and
/// filtered GET /api/events. Queries run on the bounded query pool, never on
/// I/O threads, so heavy scans cannot stall ingestion; `query.timeoutMs`
/// cancels a scan through the executor's cancel flag.
#include "actors/metrics.hpp"
#include "actors/store_source.hpp"
#include "net/auth.hpp"
#include "net/decode/timestamp.hpp"
#include "net/event_json.hpp"
#include "net/node_services.hpp"
#include "query/executor.hpp"
#include "query/parse_error.hpp"
#include "query/result_json.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>

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

/// Runs `work` on the query pool with a timeout-driven cancel flag.
template <class Work>
void run_on_pool(const node_services& s, Work work) {
  auto cancel = std::make_shared<std::atomic<bool>>(false);
  auto timer = std::make_shared<boost::asio::steady_timer>(*s.ioc, s.query_timeout);
  timer->async_wait([cancel](const boost::system::error_code& ec) {
    if (!ec)
      cancel->store(true);
  });
  boost::asio::post(*s.query_pool, [work = std::move(work), cancel, timer]() mutable {
    work(cancel.get());
    boost::asio::post(timer->get_executor(), [timer] { timer->cancel(); });
  });
}

http::status status_for(const query::query_error& e) {
  using k = query::query_error::kind;
  return e.error_kind() == k::cancelled ? http::status::service_unavailable
                                        : http::status::bad_request;
}

void handle_data(const node_services& s, request& req, const request_info& info,
                 responder respond) {
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
  run_on_pool(s, [s, text = *q, from, to, version, keep_alive, respond](
                   const std::atomic<bool>* cancel) {
    metrics::instance().queries++;
    try {
      auto started = std::chrono::steady_clock::now();
      auto plan = query::query_plan::compile(text, unix_ns_now());
      query::query_options opts;
      opts.from_ns = from.value_or(INT64_MIN);
      opts.to_ns = to.value_or(unix_ns_now() + 1);
      opts.max_memory_bytes = s.query_max_memory;
      opts.cancel = cancel;
      store_source source{s.store};
      query::query_stats stats;
      auto partial = query::execute_partial(plan, source, opts, &stats);
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
                ",\"BlocksRead\":" + std::to_string(source.blocks_read()) +
                ",\"BlocksSkipped\":" + std::to_string(source.blocks_skipped()) + "}}";
      }
      request stub;
      stub.version(version);
      stub.keep_alive(keep_alive);
      respond(json_response(stub, http::status::ok, std::move(body)));
    } catch (const query::query_error& e) {
      metrics::instance().query_errors++;
      respond(query_error_response(version, keep_alive, status_for(e), e));
    }
  });
}

} // namespace

/// Filtered search for GET /api/events?filter=...; `after` pages as Seq does.
void search_events(const node_services& s, request& req, const request_info& info,
                   std::string filter, size_t count, std::optional<uint64_t> after_id,
                   std::optional<int64_t> from, std::optional<int64_t> to, responder respond) {
  std::optional<std::pair<int64_t, uint64_t>> before;
  if (after_id) {
    auto rec = s.store->get_by_id(*after_id);
    storage::record_view view;
    if (!rec || !view.parse(rec->data(), rec->size()))
      return respond(error_response(req, http::status::not_found,
                                    "afterId: no event " + format_event_id(*after_id)));
    before = std::make_pair(view.timestamp(), *after_id);
  }
  auto version = req.version();
  auto keep_alive = req.keep_alive();
  run_on_pool(s, [=](const std::atomic<bool>* cancel) {
    metrics::instance().queries++;
    try {
      auto plan = query::query_plan::compile_filter(filter, unix_ns_now());
      query::query_options opts;
      opts.from_ns = from.value_or(INT64_MIN);
      opts.to_ns = to.value_or(INT64_MAX);
      opts.max_memory_bytes = s.query_max_memory;
      opts.cancel = cancel;
      store_source source{s.store};
      query::search_options so;
      so.count = count;
      so.before = before;
      auto hits = query::search(*plan, source, opts, so);
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
      request stub;
      stub.version(version);
      stub.keep_alive(keep_alive);
      respond(json_response(stub, http::status::ok, std::move(body)));
    } catch (const query::query_error& e) {
      metrics::instance().query_errors++;
      respond(query_error_response(version, keep_alive, status_for(e), e));
    }
  });
}

void add_query_routes(router& r, const node_services& s) {
  r.add(http::verb::get, "/api/data", "data",
        require_read(s, [s](request& req, const request_info& info, responder respond) {
          handle_data(s, req, info, std::move(respond));
        }));
}

} // namespace cairn::net
