/// Read-back endpoints in Seq's shapes: GET /api/events (newest first) and
/// GET /api/events/{id}. Reads run on the I/O thread inside short LMDB read
/// transactions; they never wait for the writer. A node that lacks older
/// events of some shards (a leader elected after holding only some) asks
/// their holders instead, on the query pool (actors/distributed_search.hpp).
#include "actors/cluster_view.hpp"
#include "actors/distributed_search.hpp"
#include "net/decode/timestamp.hpp"
#include "net/auth.hpp"
#include "net/event_json.hpp"
#include "net/node_services.hpp"

#include <boost/asio/post.hpp>

#include <limits>

namespace cairn::net {

namespace {

std::optional<int64_t> time_param(const request_info& info, const char* name, std::string& error) {
  auto v = query_param(info.query, name);
  if (!v || v->empty())
    return std::nullopt;
  auto ns = decode::parse_iso8601(*v);
  if (!ns)
    error = std::string{name} + ": '" + *v + "' is not an ISO-8601 timestamp";
  return ns;
}

/// Whether this node may lack events of some shards (a leader elected after
/// holding only some: actors/distributed_search.hpp). One atomic load.
bool lacks_shards(const node_services& s) {
  return s.query_cluster && full_copy_from().load() != 0;
}

/// GET /api/events/{id} for an id this node does not store: looks it up on
/// the holders of its shard, on the query pool (it waits for them).
void fetch_from_holders(const node_services& s, request& req, uint64_t id, std::string text,
                        responder respond) {
  request stub;
  stub.version(req.version());
  stub.keep_alive(req.keep_alive());
  boost::asio::post(*s.query_pool, [s, stub = std::move(stub), id, text = std::move(text),
                                    respond = std::move(respond)]() mutable {
    auto layout = current_search_layout(*s.query_cluster);
    const int64_t epoch = s.view ? s.view->get().epoch : 0;
    auto got = fetch_event(*s.query_cluster, s.store, id, epoch, layout);
    storage::record_view view;
    if (got.kind == fetched_event::unavailable) {
      auto res = error_response(stub, http::status::service_unavailable, got.detail);
      res.set(http::field::retry_after, "1");
      return respond(std::move(res));
    }
    if (got.kind == fetched_event::not_found)
      return respond(error_response(stub, http::status::not_found, "no event with id " + text));
    if (!view.parse(got.record.data(), got.record.size()))
      return respond(error_response(stub, http::status::internal_server_error,
                                    "stored record is corrupt"));
    std::string body;
    write_event_json(body, view);
    respond(json_response(stub, http::status::ok, std::move(body)));
  });
}

} // namespace

void add_event_routes(router& r, const node_services& s) {
  r.add(http::verb::get, "/api/events", "events", require_read(s, [s](request& req, const request_info& info, responder respond) {
          std::string error;
          size_t count = 30;
          if (auto c = query_param(info.query, "count"); c && !c->empty()) {
            char* end = nullptr;
            long v = std::strtol(c->c_str(), &end, 10);
            if (*end || v < 0)
              return respond(error_response(req, http::status::bad_request,
                                            "count: '" + *c + "' is not a non-negative integer"));
            count = static_cast<size_t>(std::min<long>(v, 100000));
          }
          std::optional<uint64_t> after;
          if (auto a = query_param(info.query, "afterId"); a && !a->empty()) {
            after = parse_event_id(*a);
            if (!after)
              return respond(error_response(req, http::status::bad_request,
                                            "afterId: '" + *a + "' is not an event id"));
          }
          auto from = time_param(info, "fromDateUtc", error);
          auto to = time_param(info, "toDateUtc", error);
          if (!error.empty())
            return respond(error_response(req, http::status::bad_request, error));
          auto filter = query_param(info.query, "filter").value_or("");
          auto signal = query_param(info.query, "signal").value_or("");
          // A node lacking some shards pages through the cluster search
          // (same order and bounds as newest_first below).
          if (!filter.empty() || !signal.empty() || lacks_shards(s))
            return search_events(s, req, info, filter, count, after, from, to,
                                 std::move(respond), signal);
          // Reads run on the query pool: up to 100,000 events decoded and
          // written out would hold an I/O thread (and every connection on
          // it), and a stalled disk would park it.
          request stub;
          stub.version(req.version());
          stub.keep_alive(req.keep_alive());
          boost::asio::post(*s.query_pool, [s, stub = std::move(stub), count, after,
                                            from_ns = from.value_or(std::numeric_limits<int64_t>::min()),
                                            to_ns = to.value_or(std::numeric_limits<int64_t>::max()),
                                            respond = std::move(respond)]() mutable {
            std::string body = "[";
            bool first = true;
            auto result = s.store->newest_first(count, after, from_ns, to_ns, [&](const storage::record_view& e) {
              if (!first)
                body.push_back(',');
              first = false;
              write_event_json(body, e);
              return true;
            });
            if (!result) {
              auto code = result.error().code == storage::errc::not_found ? http::status::not_found
                                                                          : http::status::internal_server_error;
              return respond(error_response(stub, code, result.error().to_string()));
            }
            body += "]";
            respond(json_response(stub, http::status::ok, std::move(body)));
          });
        }));
  r.add(http::verb::get, "/api/events/*", "event", require_read(s, [s](request& req, const request_info& info, responder respond) {
          auto text = std::string_view{info.path}.substr(std::string_view{"/api/events/"}.size());
          auto id = parse_event_id(text);
          if (!id)
            return respond(error_response(req, http::status::bad_request,
                                          "'" + std::string{text} + "' is not an event id"));
          auto record = s.store->get_by_id(*id);
          if (!record && record.error().code == storage::errc::not_found && lacks_shards(s))
            return fetch_from_holders(s, req, *id, std::string{text}, std::move(respond));
          if (!record)
            return respond(error_response(
              req,
              record.error().code == storage::errc::not_found ? http::status::not_found
                                                              : http::status::internal_server_error,
              record.error().code == storage::errc::not_found ? "no event with id " +
                                                                  std::string{text}
                                                              : record.error().to_string()));
          storage::record_view view;
          if (!view.parse(record->data(), record->size()))
            return respond(error_response(req, http::status::internal_server_error,
                                          "stored record is corrupt"));
          std::string body;
          write_event_json(body, view);
          respond(json_response(req, http::status::ok, std::move(body)));
        }));
}

} // namespace cairn::net
