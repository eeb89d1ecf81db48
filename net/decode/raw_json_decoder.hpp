#pragma once
/// Decoder for Seq's legacy raw JSON format, `POST /api/events/raw` without
/// `?clef`: `{"Events":[{"Timestamp":..,"Level":..,"MessageTemplate":..,
/// "RenderedMessage":..,"Exception":..,"Properties":{..},"EventType":..,
/// "TraceId":..,"SpanId":..}]}` (seq-logging, pino-seq, winston-seq). The
/// forwarder's lower-case `events` is accepted too.
///
/// Lifecycle: one instance per decoding thread/actor, reused; not
/// thread-safe. Errors name the event, 1-based ("event 3: ..."), and leave
/// the batch untouched.
#include <string>

#include <simdjson.h>

#include "net/decode/decode_status.hpp"
#include "net/decode/property_writer.hpp"
#include "net/decode/template_cache.hpp"
#include "storage/event_record.hpp"

namespace cairn::decode {

/// Decodes `{"Events":[...]}` bodies into record batches.
class raw_json_decoder {
public:
  /// Appends one record per element of the Events array.
  /// May grow `body`'s capacity (padding); its contents are not changed.
  decode_status decode(std::string& body, storage::record_batch& out);

private:
  /// Decodes one event object; error text without the "event N: " prefix.
  decode_status decode_event(simdjson::ondemand::value v, storage::record_batch& out);

  simdjson::ondemand::parser parser_;
  property_writer props_;
  template_cache templates_;
  std::string rendered_, trace_id_, span_id_;
};

} // namespace cairn::decode
