#pragma once
/// Request bodies for the end-to-end ingest benchmark: realistic CLEF batches
/// (web requests, database calls, warnings with exceptions, varied property
/// types) and the same shapes as OTLP/HTTP protobuf ExportLogsServiceRequest
/// messages. Bodies are generated once before the run, so generating them is
/// never measured.
#include <cstdint>
#include <string>

namespace cairn::bench {

/// One newline-delimited CLEF body of `events` events; `seed` varies the
/// values so bodies differ; timestamps start at `base_ns` (Unix ns), 1 ms apart.
std::string clef_batch(int events, uint64_t seed, int64_t base_ns);

/// One OTLP protobuf ExportLogsServiceRequest with one resource
/// (service.name, host.name), one scope and `events` log records carrying
/// the same kind of content as clef_batch.
std::string otlp_logs_batch(int events, uint64_t seed, int64_t base_ns);

} // namespace cairn::bench
