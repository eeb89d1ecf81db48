/// GET /api/storage: this node's buffered and indexed sizes and event
/// counts, as an array of one entry per node (SPEC.md §3). Only the
/// answering node is listed until nodes share their figures through the
/// membership heartbeats; the array shape already fits a cluster.
/// store->stats() opens one short LMDB read transaction: cheap enough for
/// the I/O thread.
#include "net/auth.hpp"
#include "net/node_services.hpp"

namespace cairn::net {

void add_storage_routes(router& r, const node_services& s) {
  r.add(http::verb::get, "/api/storage", "storage",
        require_read(s, [s](request& req, const request_info&, responder respond) {
          auto st = s.store->stats();
          if (!st)
            return respond(error_response(req, http::status::internal_server_error,
                                          st.error().to_string()));
          std::string body = "[{\"Name\":\"";
          json_escape_into(body, s.node_name);
          body += "\",\"BufferedEvents\":" + std::to_string(st->buffered_events) +
                  ",\"BufferedBytes\":" + std::to_string(st->buffered_bytes) +
                  ",\"IndexedEvents\":" + std::to_string(st->indexed_events) +
                  ",\"IndexedRawBytes\":" + std::to_string(st->indexed_raw_bytes) +
                  ",\"IndexedStoredBytes\":" + std::to_string(st->indexed_stored_bytes) +
                  ",\"BlockCount\":" + std::to_string(st->block_count) +
                  ",\"FileBytes\":" + std::to_string(st->file_bytes) +
                  ",\"Generation\":\"" + st->gen.to_string() + "\"}]";
          respond(json_response(req, http::status::ok, std::move(body)));
        }));
}

} // namespace cairn::net
