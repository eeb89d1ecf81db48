#pragma once
/// Shared vocabulary of the ingest decoders: the status they return, body
/// padding, and the guard that rolls a batch back when a request is rejected.
///
/// Caveats:
/// - A decoder either appends every record of a request or none: Seq rejects a
///   request whole when any line/record is malformed (SPEC.md §3).
/// - Error texts are meant for the client ({"Error":"..."}) and name the line
///   or record that failed.
#include <optional>
#include <string>

#include "storage/event_record.hpp"

namespace cairn::decode {

/// nullopt = success; otherwise the error text for `{"Error":"..."}`.
using decode_status = std::optional<std::string>;

/// Reserves SIMDJSON_PADDING spare bytes past the end of `body` so simdjson
/// can read it in place without copying.
void ensure_padding(std::string& body);

/// Restores a batch to the size it had at construction unless commit() was
/// called: a rejected request leaves no trace in the batch.
class batch_rollback {
public:
  explicit batch_rollback(storage::record_batch& batch)
    : batch_(batch), bytes_(batch.bytes.size()), count_(batch.offsets.size()) {}

  batch_rollback(const batch_rollback&) = delete;
  batch_rollback& operator=(const batch_rollback&) = delete;

  ~batch_rollback() {
    if (!committed_) {
      batch_.bytes.resize(bytes_);
      batch_.offsets.resize(count_);
    }
  }

  /// Keeps everything appended since construction.
  void commit() noexcept { committed_ = true; }

private:
  storage::record_batch& batch_;
  size_t bytes_;
  size_t count_;
  bool committed_ = false;
};

/// Text of the per-event size error, shared by every decoder.
std::string event_too_large_text();

} // namespace cairn::decode
