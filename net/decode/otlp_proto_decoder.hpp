#pragma once
/// Decoder for OTLP/HTTP protobuf bodies (`application/x-protobuf`):
/// ExportLogsServiceRequest and ExportTraceServiceRequest, read straight from
/// the wire format with field numbers from opentelemetry-proto (logs/v1,
/// trace/v1, common/v1, resource/v1). No generated code.
///
/// Lifecycle: one instance per decoding thread/actor, reused; scratch buffers
/// keep their capacity, so steady-state decoding allocates nothing per
/// record. Not thread-safe. The body is only read.
///
/// Mapping (seq-compat.md §2): log body string -> message (not a template);
/// attributes -> properties; resource attributes -> resource JSON; scope ->
/// {"name","version",+attributes}; ids -> lowercase hex. Spans: end ->
/// timestamp, start -> start, name -> message, status ERROR -> level Error,
/// status message -> StatusMessage, events -> SpanEvents.
/// Errors name the record ("resourceLogs[0].scopeLogs[1].logRecords[3]: ...")
/// and leave the batch untouched.
#include <string>
#include <string_view>

#include "net/decode/decode_status.hpp"
#include "net/decode/property_writer.hpp"
#include "storage/event_record.hpp"

namespace cairn::decode {

/// Decodes OTLP protobuf export requests into record batches.
class otlp_proto_decoder {
public:
  /// Appends one record per LogRecord of an ExportLogsServiceRequest.
  decode_status decode_logs(std::string_view body, storage::record_batch& out);

  /// Appends one record per Span of an ExportTraceServiceRequest.
  decode_status decode_traces(std::string_view body, storage::record_batch& out);

private:
  // Each returns an error either starting with ':' (this message is bad) or
  // with a child path ("scopeLogs[1]...."), so callers can prefix their own.
  decode_status resource_logs(std::string_view msg, storage::record_batch& out);
  decode_status scope_logs(std::string_view msg, storage::record_batch& out);
  decode_status log_record(std::string_view msg, storage::record_batch& out);
  decode_status resource_spans(std::string_view msg, storage::record_batch& out);
  decode_status scope_spans(std::string_view msg, storage::record_batch& out);
  decode_status span(std::string_view msg, storage::record_batch& out);
  decode_status span_event(std::string_view msg, std::string& out);

  decode_status read_resource(std::string_view msg);
  decode_status read_scope(std::string_view msg);
  /// Appends `"key":value` of a KeyValue message to an object under
  /// construction in `out`, preceded by '{' if `first` (then cleared) or ','.
  decode_status append_key_value(std::string_view kv, std::string& out, bool& first);
  /// Adds a KeyValue message to props_.
  decode_status add_property(std::string_view kv);
  /// Appends an AnyValue message as JSON.
  decode_status append_any_value(std::string_view msg, std::string& out, int depth);
  /// Sets message_ from a log body: strings verbatim, other values as JSON.
  decode_status read_body(std::string_view msg);

  decode_status finish_record(storage::record_batch& out, int64_t timestamp, int64_t start,
                              std::string_view level, std::string_view span_kind);

  property_writer props_;
  std::string resource_, scope_, message_, trace_id_, span_id_, parent_id_, events_;
};

} // namespace cairn::decode
