#pragma once
/// Query execution as OpenTelemetry spans (issue 9 item 5).
///
/// A query_trace collects the spans of one query (a root `query` span with
/// db.statement, then `query.plan`, `query.scan`, `query.merge` children)
/// and renders them as the `spans` array of an OTLP/JSON
/// ExportTraceServiceRequest (opentelemetry-proto, JSON mapping: ids in hex,
/// uint64 times as decimal strings). net/otlp_exporter.hpp wraps batches of
/// them with the resource and POSTs them.
///
/// Lifecycle: one per query, filled and rendered on the query's thread.
#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace cairn {

/// One span attribute value: string, integer or double.
using span_value = std::variant<std::string, int64_t, double>;

/// A finished span.
struct span_record {
  std::string name;
  std::array<uint8_t, 8> span_id{};
  std::array<uint8_t, 8> parent_id{}; ///< all zero for the root
  int64_t start_ns = 0;               ///< Unix ns
  int64_t end_ns = 0;
  std::vector<std::pair<std::string, span_value>> attributes;
  bool error = false;
  std::string status_message;
};

class query_trace {
public:
  /// Starts a trace with fresh random trace and root span ids.
  query_trace();

  /// The root span (name "query"); fill its attributes and end time.
  span_record& root() noexcept { return spans_.front(); }
  /// Adds a child of the root over [start_ns, end_ns) and returns it.
  span_record& add_child(std::string name, int64_t start_ns, int64_t end_ns);

  const std::array<uint8_t, 16>& trace_id() const noexcept { return trace_id_; }
  const std::vector<span_record>& spans() const noexcept { return spans_; }

  /// Appends the spans as comma-separated OTLP/JSON span objects (no
  /// brackets), so several traces can share one request.
  void append_otlp_spans(std::string& out) const;

private:
  std::array<uint8_t, 16> trace_id_{};
  std::vector<span_record> spans_;
};

/// Lowercase hex of `n` bytes.
std::string to_hex(const uint8_t* bytes, size_t n);

} // namespace cairn
