#pragma once
/// One value of the write-ahead buffer (`batches` DB): every record of one
/// committed batch in a single LMDB value, so a commit writes one run of
/// overflow pages instead of one B-tree leaf entry per event (the per-event
/// layout wrote 6.7x the record bytes). storage/README.md documents it.
///
/// Caveats:
/// - Records inside a value are in the order they were appended, not in key
///   order: readers that need key order sort (event_store does).
/// - The header's id range bounds the ids inside; after a partial rewrite
///   (retention, an age-limited index pass) the ids need not be consecutive.
/// - Values are read in place from the LMDB map: no alignment, memcpy only.
///
/// Layout (integers little-endian):
///
///   offset      size      field
///   0           4         magic "WAB1"
///   4           4         count: records in the value (>= 1)
///   8           8         min_timestamp over the records
///   16          8         max_timestamp
///   24          8         min_id
///   32          8         max_id
///   40          4*count   start of each record, relative to the record area
///   40+4*count  ...       the records (event_record.hpp), concatenated
#include "storage/event_record.hpp"

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace cairn::storage {

/// Fixed part of a buffer batch value.
inline constexpr size_t buffer_batch_header_size = 40;

/// Summary of a batch value's records, written into its header.
struct buffer_batch_head {
  uint32_t count = 0;
  int64_t min_timestamp = 0;
  int64_t max_timestamp = 0;
  uint64_t min_id = 0;
  uint64_t max_id = 0;
};

/// Bytes a value holding `count` records of `record_bytes` bytes in all needs.
inline size_t buffer_batch_size(size_t count, size_t record_bytes) noexcept {
  return buffer_batch_header_size + 4 * count + record_bytes;
}

/// Writes the head, the offsets and the record area of a value into `out`.
/// `records` is the record area (concatenated records) and `offsets` the
/// start of each inside it. @pre out holds buffer_batch_size(...) bytes.
void write_buffer_batch(char* out, const buffer_batch_head& head, std::span<const uint32_t> offsets,
                        std::string_view records) noexcept;

/// Replaces `out` with a value holding `records` (each one whole record,
/// id patched) in this order; the head is computed from the records.
/// @pre records is not empty.
void build_buffer_batch(std::span<const std::string_view> records, std::string& out);

/// Zero-copy reader of one value; the bytes must outlive it.
class buffer_batch_view {
public:
  /// Checks magic, sizes and that every offset lies inside the record area
  /// in ascending order; false if the bytes are not a batch value.
  bool parse(std::string_view value) noexcept;

  /// Reads only the fixed head (cheap: for skipping whole values by time or
  /// id range); record() is unusable after it. False if too short/bad magic.
  bool parse_head(std::string_view value) noexcept;

  const buffer_batch_head& head() const noexcept { return head_; }
  uint32_t size() const noexcept { return head_.count; }

  /// Byte range of record i (not parsed).
  std::string_view record(uint32_t i) const noexcept;

  /// Bytes of all records together.
  size_t record_bytes() const noexcept { return records_.size(); }

private:
  buffer_batch_head head_;
  const char* offsets_ = nullptr;
  std::string_view records_;
};

} // namespace cairn::storage
