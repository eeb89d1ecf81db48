/// GET /api/events/stream?filter= : the live tail as Server-Sent Events.
///
/// Each stream remembers the lowest event id it has not looked at yet
/// (`next_id`, from the store's id allocator when the stream opens; ids grow
/// with every committed batch). Every ~500 ms it compares the store
/// generation with the one it last saw and, only if something was committed
/// or indexed, looks at events with id >= next_id: first the write-ahead
/// buffer, then any block whose summary says it holds such ids (an index
/// pass may have moved fresh events out of the buffer between two polls;
/// reading the buffer first means a move during the poll is still caught).
/// Matching events go out oldest id first as `data: <event json>\n\n`.
/// A burst larger than max_events_per_poll sends its newest part only and a
/// `: skipped N` comment: a tail is for watching, not for export.
/// A `: keepalive` comment every 10 s lets proxies and the session notice a
/// client that went away.
///
/// Polls run on the query pool (filter evaluation is CPU work); the timer
/// lives on the I/O context. The stream is served from this node's replica,
/// so followers answer it themselves.
#include "net/auth.hpp"
#include "net/event_json.hpp"
#include "net/node_services.hpp"
#include "query/executor.hpp"
#include "query/parse_error.hpp"
#include "query/query_plan.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <limits>
#include <memory>
#include <unordered_set>

namespace cairn::net {

namespace {

constexpr auto poll_interval = std::chrono::milliseconds(500);
constexpr auto keepalive_interval = std::chrono::seconds(10);
constexpr size_t max_events_per_poll = 500;
constexpr int max_open_streams = 64;

/// Streams open on this process; bounded so tails cannot exhaust the pool.
std::atomic<int> open_streams{0};

int64_t unix_ns_now() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
           std::chrono::system_clock::now().time_since_epoch())
    .count();
}

/// One client's tail. Owned by the producer closure the HTTP session holds;
/// used by one poll at a time (timer -> pool -> sink), so the matcher is
/// never shared between threads concurrently.
struct tail_state {
  tail_state(const node_services& s, std::shared_ptr<const query::query_plan> plan)
    : services(s), matcher(std::move(plan)), timer(*s.ioc) {
    open_streams++;
  }
  ~tail_state() {
    open_streams--;
  }

  const node_services services;
  query::filter_matcher matcher;
  boost::asio::steady_timer timer;
  uint64_t next_id = 0;
  storage::generation seen;
  std::chrono::steady_clock::time_point last_write = std::chrono::steady_clock::now();
  bool greeted = false;
};

struct pending_event {
  uint64_t id;
  std::string json;
};

/// Collects matching events with id >= st.next_id; advances next_id past
/// every event looked at, matching or not.
std::string poll_once(tail_state& st) {
  std::vector<pending_event> found;
  std::unordered_set<uint64_t> seen_ids;
  uint64_t highest = st.next_id;
  auto consider = [&](const storage::record_view& v) {
    if (v.id() < st.next_id || !seen_ids.insert(v.id()).second)
      return;
    highest = std::max(highest, v.id() + 1);
    if (!st.matcher.matches(v))
      return;
    pending_event e{v.id(), {}};
    write_event_json(e.json, v);
    found.push_back(std::move(e));
  };
  auto& store = *st.services.store;
  // 1. The buffer (where fresh events are), 2. blocks that may hold fresh ids.
  (void)store.scan_buffer(std::numeric_limits<int64_t>::min(),
                          std::numeric_limits<int64_t>::max(),
                          [&](const storage::record_view& v) {
                            consider(v);
                            return true;
                          });
  auto unseen = [&](const storage::block_key&, const storage::block_summary& s) { return s.max_id >= st.next_id; };
  if (auto blocks = store.list_blocks(std::numeric_limits<int64_t>::min(), std::numeric_limits<int64_t>::max(), unseen)) {
    storage::record_batch batch;
    for (const auto& b : *blocks) {
      if (!store.read_block(b.key, batch))
        continue; // rewritten by retention since listed
      for (size_t i = 0; i < batch.size(); ++i) {
        auto r = batch.record(i);
        storage::record_view v;
        if (v.parse(r.data(), r.size()))
          consider(v);
      }
    }
  }
  st.next_id = highest;
  std::sort(found.begin(), found.end(),
            [](const pending_event& a, const pending_event& b) { return a.id < b.id; });
  std::string out;
  size_t skip = found.size() > max_events_per_poll ? found.size() - max_events_per_poll : 0;
  if (skip)
    out += ": skipped " + std::to_string(skip) + "\n\n";
  for (size_t i = skip; i < found.size(); ++i) {
    out += "id: ";
    out += format_event_id(found[i].id);
    out += "\ndata: ";
    out += found[i].json;
    out += "\n\n";
  }
  return out;
}

/// Waits for the next thing worth sending and hands it to `sink`.
void produce(std::shared_ptr<tail_state> st, chunk_sink sink) {
  if (!st->greeted) {
    // An immediate first chunk: the browser sees the stream open at once.
    st->greeted = true;
    st->last_write = std::chrono::steady_clock::now();
    return sink(std::string{"retry: 2000\n: connected\n\n"});
  }
  st->timer.expires_after(poll_interval);
  st->timer.async_wait([st, sink = std::move(sink)](const boost::system::error_code& ec) mutable {
    if (ec)
      return sink(std::nullopt);
    boost::asio::post(*st->services.query_pool, [st, sink = std::move(sink)]() mutable {
      std::string out;
      auto gen = st->services.store->current_generation();
      if (gen != st->seen) {
        st->seen = gen;
        out = poll_once(*st);
      }
      auto now = std::chrono::steady_clock::now();
      if (out.empty() && now - st->last_write >= keepalive_interval)
        out = ": keepalive\n\n";
      if (out.empty())
        return produce(st, std::move(sink));
      st->last_write = now;
      sink(std::move(out));
    });
  });
}

} // namespace

void add_stream_routes(router& r, const node_services& s) {
  r.add(http::verb::get, "/api/events/stream", "events_stream",
        require_read(s, [s](request& req, const request_info& info, responder respond) {
          if (!info.stream)
            return respond(error_response(req, http::status::not_implemented,
                                          "this connection cannot stream responses"));
          if (open_streams.load() >= max_open_streams) {
            auto res = error_response(req, http::status::service_unavailable,
                                      "too many live tails are open on this node");
            res.set(http::field::retry_after, "5");
            return respond(std::move(res));
          }
          std::shared_ptr<const query::query_plan> plan;
          try {
            plan = query::query_plan::compile_filter(query_param(info.query, "filter").value_or(""),
                                                     unix_ns_now());
          } catch (const query::query_error& e) {
            std::string body = "{\"Error\":\"";
            json_escape_into(body, e.what());
            body += "\"";
            if (e.position() != query::query_error::npos)
              body += ",\"Position\":" + std::to_string(e.position());
            body += "}";
            return respond(json_response(req, http::status::bad_request, std::move(body)));
          }
          auto st = std::make_shared<tail_state>(s, std::move(plan));
          auto stats = s.store->stats();
          st->next_id = stats ? stats->next_id : 0;
          st->seen = s.store->current_generation();
          response head{http::status::ok, req.version()};
          head.set(http::field::content_type, "text/event-stream; charset=utf-8");
          head.set(http::field::cache_control, "no-cache");
          head.set("X-Accel-Buffering", "no");
          info.stream(std::move(head), [st](chunk_sink sink) { produce(st, std::move(sink)); });
        }));
}

} // namespace cairn::net
