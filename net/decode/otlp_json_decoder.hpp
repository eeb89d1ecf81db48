#pragma once
/// Decoder for OTLP/HTTP JSON bodies (`application/json`, the default of the
/// OTel JS `*-otlp-http` exporters): the protobuf JSON mapping of
/// ExportLogsServiceRequest / ExportTraceServiceRequest. Field names are
/// accepted in lowerCamelCase and in the proto's snake_case; 64-bit integers
/// as numbers or strings; enums as numbers or names; trace/span ids as hex
/// strings (OTLP's JSON exception); bytes values as base64 strings.
///
/// Lifecycle: one instance per decoding thread/actor, reused; holds one
/// simdjson parser and scratch buffers. Not thread-safe. Mapping and error
/// paths are those of otlp_proto_decoder.
#include <string>

#include <simdjson.h>

#include "net/decode/decode_status.hpp"
#include "net/decode/property_writer.hpp"
#include "storage/event_record.hpp"

namespace cairn::decode {

/// Decodes OTLP JSON export requests into record batches.
class otlp_json_decoder {
public:
  /// Appends one record per log record. May grow `body`'s capacity.
  decode_status decode_logs(std::string& body, storage::record_batch& out);

  /// Appends one record per span. May grow `body`'s capacity.
  decode_status decode_traces(std::string& body, storage::record_batch& out);

private:
  using value = simdjson::ondemand::value;
  using object = simdjson::ondemand::object;

  decode_status decode(std::string& body, storage::record_batch& out, bool traces);
  decode_status resource_entry(object o, storage::record_batch& out, bool traces);
  decode_status scope_entry(object o, storage::record_batch& out, bool traces);
  decode_status log_record(object o, storage::record_batch& out);
  decode_status span(object o, storage::record_batch& out);
  decode_status span_event(object o);

  decode_status read_resource(value v);
  decode_status read_scope(value v);
  /// Appends the KeyValues of a JSON array as object members to `out`.
  decode_status append_key_values(value array, std::string& out, bool& first, int depth);
  /// Adds the KeyValues of a JSON array to props_.
  decode_status add_properties(value array);
  decode_status append_any_value(value v, std::string& out, int depth);
  decode_status read_body(value v);
  decode_status finish_record(storage::record_batch& out, int64_t timestamp, int64_t start,
                              std::string_view level, std::string_view span_kind);

  simdjson::ondemand::parser parser_;
  /// Validates the whole body first: on-demand parsing only checks what it
  /// visits, and lookups after a malformed stretch leave its iterator in a
  /// state later lookups must not touch (found by otlp_json_fuzz). OTLP JSON
  /// is the slow path anyway; protobuf is the fast one.
  simdjson::dom::parser validator_;
  property_writer props_;
  std::string resource_, scope_, message_, trace_id_, span_id_, parent_id_, events_, attrs_;
};

} // namespace cairn::decode
