#pragma once
/// Encodes a run of records into one compressed block value and back.
///
/// Caveats:
/// - Decoding restores every record byte for byte, provided the records were
///   canonical (minimal LEB128 lengths, as record_builder writes them);
///   event_store refuses non-canonical records at append time.
/// - block_encoder is not thread-safe (it owns a ZSTD_CCtx and scratch
///   buffers); the store's writer thread owns one. decode_block() may be
///   called from any thread: it uses a thread-local ZSTD_DCtx and buffer.
///
/// Block value (the LMDB value in the `blocks` DB):
///
///   offset size field
///   0      4    magic "CBK1" (bytes 'C','B','K','1')
///   4      4    raw_size: u32 LE, size of the column image below
///   8      ...  one zstd frame holding the column image
///
/// Column image (u32/varints LE; varint = LEB128, zigzag for signed deltas):
///
///   u32 count          number of records
///   u32 records_bytes  sum of the decoded record sizes
///   u32 column_size[column_count]  byte size of each column, in this order:
///     shape       count bytes: bit 0 set if the record is a span; bit 1 set
///                 if its message is stored derived (see below)
///     timestamp   count varints: zigzag(ts[i] - ts[i-1]), ts[-1] = 0
///     id          count varints: zigzag(id[i] - id[i-1]) (wrapping), id[-1] = 0
///     elapsed     one varint zigzag(ts - start) per span record only
///     event_type  count u32 LE (fixed width: hashes repeat, varints would hide it)
///     flags       count varints
///     length[f]   for each of the 11 fields: count varints (field byte lengths)
///     data[f]     for each of the 11 fields: the field bytes, concatenated
///
/// Derived messages: when a record's rendered message equals
/// lit0 + v0 + lit1 + ... + litn, where lit0..litn are the text runs of its
/// template between "{...}" holes, the message column holds only the hole
/// values (each varint length + bytes); decoding splices them back between
/// the literals. Otherwise the message is stored verbatim. Either way the
/// record comes back byte for byte.
///
/// Grouping each field's bytes together (all messages, then all property
/// objects, ...) puts similar text side by side, which zstd compresses
/// markedly better than whole records in a row (see bench/storage_bench.cpp).
#include "storage/errc.hpp"
#include "storage/event_record.hpp"

#include <memory>
#include <span>
#include <string>

namespace cairn::storage {

/// Number of columns in a block's column image.
inline constexpr size_t block_column_count = 6 + 2 * field_count + 3;

/// Encodes record runs into block values, reusing its buffers between calls.
class block_encoder {
public:
  /// @param zstd_level compression level (3 = zstd's default)
  explicit block_encoder(int zstd_level = 3);
  ~block_encoder();
  block_encoder(const block_encoder&) = delete;
  block_encoder& operator=(const block_encoder&) = delete;

  /// Replaces `out` with the block value for `records`.
  /// @pre records are in key order and were parsed from canonical bytes.
  status encode(std::span<const record_view> records, std::string& out);

  /// Size of the column image built by the last encode().
  size_t last_raw_size() const noexcept { return image_.size(); }

private:
  struct impl;
  std::unique_ptr<impl> impl_;
  std::string image_;
};

/// Decodes a block value into `out` (cleared first): records in key order,
/// offsets rebuilt. Returns errc::corrupt if the value is malformed.
status decode_block(std::string_view value, record_batch& out);

} // namespace cairn::storage
