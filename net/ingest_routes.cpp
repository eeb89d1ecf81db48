/// Ingestion endpoints (SPEC.md §3): decode on the I/O thread with a
/// thread-local decoder (one reused parser per thread), then hand the whole
/// batch to the committer; the 201 goes out only after its durable commit.
#include "actors/commit_waiter.hpp"
#include "actors/messages.hpp"
#include "actors/metrics.hpp"
#include "net/auth.hpp"
#include "net/commit_deadline.hpp"
#include "net/key_settings.hpp"
#include "net/decode/clef_decoder.hpp"
#include "net/decode/gzip.hpp"
#include "net/decode/otlp_json_decoder.hpp"
#include "net/decode/otlp_proto_decoder.hpp"
#include "net/decode/raw_json_decoder.hpp"
#include "net/node_services.hpp"
#include "storage/buffer_pool.hpp"

#include <boost/beast/core/string.hpp>

namespace cairn::net {

namespace beast = boost::beast;

namespace {

enum class ingest_format { clef, raw_json, otlp_logs, otlp_traces };

constexpr std::string_view accepted_body = "{\"MinimumLevelAccepted\":null}";

/// Seq's rule: `?clef`, `clef=true`, `clef=clef` (but not `clef=`) or a
/// content type starting with application/vnd.serilog.clef.
bool wants_clef(const request& req, const request_info& info) {
  std::string_view q = info.query;
  while (!q.empty()) {
    auto amp = q.find('&');
    auto pair = q.substr(0, amp);
    q = amp == std::string_view::npos ? std::string_view{} : q.substr(amp + 1);
    if (pair == "clef" || pair == "clef=true" || pair == "clef=clef")
      return true;
  }
  auto ct = std::string_view{req[http::field::content_type]};
  return ct.starts_with("application/vnd.serilog.clef");
}

bool is_json_content(const request& req) {
  auto ct = std::string_view{req[http::field::content_type]};
  return ct.starts_with("application/json");
}

decode::decode_status decode_body(ingest_format format, bool json, std::string& body,
                                  storage::record_batch& out) {
  thread_local decode::clef_decoder clef;
  thread_local decode::raw_json_decoder raw;
  thread_local decode::otlp_json_decoder otlp_json;
  thread_local decode::otlp_proto_decoder otlp_proto;
  switch (format) {
    case ingest_format::clef: return clef.decode(body, out);
    case ingest_format::raw_json: return raw.decode(body, out);
    case ingest_format::otlp_logs:
      return json ? otlp_json.decode_logs(body, out) : otlp_proto.decode_logs(body, out);
    case ingest_format::otlp_traces:
      return json ? otlp_json.decode_traces(body, out) : otlp_proto.decode_traces(body, out);
  }
  return std::string{"unknown format"};
}

void reject(const request& req, responder& respond, http::status status, std::string_view msg) {
  metrics::instance().ingest_rejected++;
  auto res = error_response(req, status, msg);
  if (status == http::status::service_unavailable)
    res.set(http::field::retry_after, "1");
  respond(std::move(res));
}

std::string accepted_body_for(const std::optional<meta::api_key_info>& key) {
  if (!key || key->minimum_level.empty())
    return std::string{accepted_body};
  std::string body = "{\"MinimumLevelAccepted\":\"";
  json_escape_into(body, key->minimum_level);
  return body + "\"}";
}

void ingest(const node_services& s, std::optional<ingest_format> fixed, request& req,
            const request_info& info, responder respond,
            const std::optional<meta::api_key_info>& key) {
    // A stalled storage (commitTimeoutMs passed with a commit unfinished)
    // refuses before decoding: the batch would only queue behind it.
    if (s.commit_deadlines && s.commit_deadlines->stalled())
      return reject(req, respond, http::status::service_unavailable,
                    "the storage of this node is stalled (a commit has not finished within "
                    "ingest.commitTimeoutMs); retry shortly");
    auto format = fixed ? *fixed : (wants_clef(req, info) ? ingest_format::clef
                                                           : ingest_format::raw_json);
    // Inflate gzip bodies, bounded by the same limit as plain ones.
    std::string& body = req.body();
    std::string inflated;
    if (beast::iequals(req[http::field::content_encoding], "gzip")) {
      auto kind = decode::gunzip_error::none;
      if (auto err = decode::gunzip(body, inflated, s.max_body_bytes, &kind)) {
        return reject(req, respond,
                      kind == decode::gunzip_error::too_large ? http::status::payload_too_large
                                                              : http::status::bad_request,
                      *err);
      }
      body.swap(inflated);
    }
    auto body_bytes = body.size();
    storage::record_batch batch;
    // Records take about as many bytes as the body (CLEF text; OTLP
    // protobuf a bit more): one allocation up front instead of a doubling
    // series of copies while the decoder appends; a buffer the committer
    // handed back after an earlier commit if it has one (storage/buffer_pool.hpp).
    batch.bytes = storage::buffer_pool::ingest().take();
    batch.bytes.reserve(body.size() + body.size() / 2);
    if (auto err = decode_body(format, is_json_content(req), body, batch))
      return reject(req, respond, http::status::bad_request, *err);
    for (size_t i = 0; i < batch.size(); ++i)
      if (batch.record(i).size() > s.max_event_bytes)
        return reject(req, respond, http::status::bad_request,
                      "event " + std::to_string(i + 1) + " exceeds ingest.maxEventBytes (" +
                        std::to_string(s.max_event_bytes) + " bytes)");
    if (key)
      apply_key_settings(batch, *key);
    auto ok_body = accepted_body_for(key);
    auto version = req.version();
    auto keep_alive = req.keep_alive();
    auto make = [version, keep_alive](http::status st, std::string body) {
      request stub;
      stub.version(version);
      stub.keep_alive(keep_alive);
      return json_response(stub, st, std::move(body));
    };
    if (batch.empty()) // a level poll, or a request of blank lines
      return respond(make(http::status::created, ok_body));
    // Straight to the committer, which answers on its own thread once the
    // group holding this batch is durable (actors/commit_waiter.hpp): no
    // helper actor, no request timeout; a 503 if the committer is gone or
    // the commit outlasts ingest.commitTimeoutMs (net/commit_deadline.hpp).
    auto waiter = std::make_shared<commit_waiter>(
      [=](const commit_result& r) {
        if (r.ok) {
          metrics::instance().ingest_requests++;
          metrics::instance().ingest_bytes += body_bytes;
          return respond(make(http::status::created, ok_body));
        }
        request stub;
        stub.version(version);
        stub.keep_alive(keep_alive);
        auto res = error_response(stub, static_cast<http::status>(r.http_status), r.error);
        if (r.http_status == 503)
          res.set(http::field::retry_after, "1");
        metrics::instance().ingest_rejected++;
        respond(std::move(res));
      });
    if (s.commit_deadlines)
      s.commit_deadlines->watch(waiter);
    caf::anon_send(s.committer, ingest_atom::value, std::move(batch), std::move(waiter));
}

handler make_ingest_handler(const node_services& s, std::optional<ingest_format> fixed) {
  return [s, fixed](request& req, const request_info& info, responder respond) {
    authorize(s, req, info, meta::permission::ingest, respond,
              [s, fixed, &req, info, respond](std::optional<meta::api_key_info> key) {
                ingest(s, fixed, req, info, respond, key);
              });
  };
}

} // namespace

void add_ingest_routes(router& r, const node_services& s) {
  r.add(http::verb::post, "/ingest/clef", "ingest_clef", make_ingest_handler(s, ingest_format::clef));
  r.add(http::verb::post, "/api/events/raw", "ingest_raw", make_ingest_handler(s, std::nullopt));
  for (const char* prefix : {"/ingest/otlp", ""}) {
    r.add(http::verb::post, std::string{prefix} + "/v1/logs", "ingest_otlp_logs",
          make_ingest_handler(s, ingest_format::otlp_logs));
    r.add(http::verb::post, std::string{prefix} + "/v1/traces", "ingest_otlp_traces",
          make_ingest_handler(s, ingest_format::otlp_traces));
  }
}

} // namespace cairn::net
