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
/// CBK4 (written): the columns below, compressed in 14 groups so a query
/// decompresses only the groups of the fields it reads:
///
///   offset size field
///   0      4    magic "CBK4"
///   4      4    count (u32 LE)
///   8      4    records_bytes (u32 LE)
///   12     124  column_size[31]: raw byte size of each column, column order
///   136    56   group_size[14]: stored size of each group; equal to the sum
///                 of its columns' sizes = stored raw (zstd did not shrink
///                 it), smaller = one zstd frame
///   192    ...  the groups, in order: 0 = shape, id, elapsed, event_type,
///               flags; 1 + f = length[f], data[f] for each of the 11
///               fields; 12 = prop_layout, prop_dict, prop_values;
///               13 = timestamp
///
/// CBK3 (still read): the same with 13 groups (group_size[13] at 136, the
/// groups from 188), the timestamps in group 0 (shape, timestamp, id, ...),
/// and exceptions not among the repeating fields.
///
/// CBK2/CBK1 (still read; "CBK" + any other digit is refused as
/// errc::incompatible):
///
///   0      4    magic: "CBK2" or "CBK1"
///   4      4    raw_size: u32 LE, size of the column image below
///   8      ...  one zstd frame holding the column image
///
/// Column image of CBK2/CBK1; CBK3/CBK4 keep the same columns without this
/// header (u32/varints LE; varint = LEB128, zigzag for signed deltas):
///
///   u32 count          number of records
///   u32 records_bytes  sum of the decoded record sizes
///   u32 column_size[n] byte size of each column (n = 28 in CBK1, 31 in
///                      CBK2), in this order:
///     shape       count bytes: bit 0 set if the record is a span; bit 1 set
///                 if its message is stored derived; bit 2 (CBK2) set if its
///                 properties are in the property columns
///     timestamp   count varints: zigzag(ts[i] - ts[i-1]), ts[-1] = 0
///     id          count varints: zigzag(id[i] - id[i-1]) (wrapping), id[-1] = 0
///     elapsed     one varint zigzag(ts - start) per span record only
///     event_type  count u32 LE (fixed width: hashes repeat, varints would hide it)
///     flags       count varints
///     length[f]   for each of the 11 fields: one varint (field byte length)
///                 per record, except properties of shape-bit-2 records;
///                 from CBK2, a repeating field (level, template, span kind,
///                 resource, scope; CBK4 also exception) holds 2 * length
///                 for a value in data[f], or 2 * n + 1 for the block's n-th
///                 distinct non-empty value of the field, stored once
///     data[f]     for each of the 11 fields: the field bytes, concatenated
///     prop_layout, prop_dict, prop_values   CBK2: shredded properties,
///                 see storage/property_columns.hpp
///
/// Derived messages (storage/message_holes.hpp): when a record's rendered
/// message equals lit0 + v0 + lit1 + ... + litn, where lit0..litn are the
/// text runs of its template between "{...}" holes, the message column holds
/// the hole stream instead. CBK1: each value (varint length + bytes). CBK2:
/// per hole, 0 if the value is the plain rendering of the record's property
/// named by the hole (strings unescaped, other JSON as is), else
/// varint(length + 1) + bytes. Otherwise the message is stored verbatim.
/// Either way the record comes back byte for byte.
///
/// Shredded properties (CBK2): a compact object `{"k":v,...}` is stored as
/// a layout index (its key list, kept once per block) plus one value per key
/// in that key's stream: integers and fixed-point decimals as varints,
/// strings by their text the first time and by number after, other values
/// verbatim. Objects in any other form stay in data[properties].
///
/// Grouping each field's bytes together (all messages, then all property
/// values of one name, ...) puts similar data side by side, which zstd
/// compresses markedly better than whole records in a row (see
/// bench/storage_bench.cpp and storage/README.md for numbers).
#include "storage/errc.hpp"
#include "storage/event_record.hpp"

#include <array>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace cairn::storage {

class summary_builder;

/// Number of columns in a block's column image.
inline constexpr size_t block_column_count = 6 + 2 * field_count + 3;

/// Encodes record runs into block values, reusing its buffers between calls.
class block_encoder {
public:
  /// @param zstd_level compression level (store_options::zstd_level)
  explicit block_encoder(int zstd_level = 1);
  ~block_encoder();
  block_encoder(const block_encoder&) = delete;
  block_encoder& operator=(const block_encoder&) = delete;

  /// Replaces `out` with the block value for `records`. With `summary`,
  /// also folds every record into it (summary_builder::add), handing it the
  /// properties as split here: each event's JSON is scanned once.
  /// @pre records are in key order and were parsed from canonical bytes;
  ///      `summary` was reset() and holds nothing but these records.
  status encode(std::span<const record_view> records, std::string& out, summary_builder* summary = nullptr);

  /// Total size of the columns built by the last encode() (before zstd).
  size_t last_raw_size() const noexcept { return raw_size_; }

private:
  struct impl;
  std::unique_ptr<impl> impl_;
  std::string image_; ///< one group's columns while compressing
  size_t raw_size_ = 0;
};

/// Bit mask with every field of enum class field set.
inline constexpr uint32_t all_fields_mask = (1u << field_count) - 1;

/// Bit of one field in a field mask.
constexpr uint32_t field_bit(field f) noexcept { return 1u << static_cast<unsigned>(f); }

/// Which parts of each record a decode rebuilds. Queries read few fields;
/// skipping the others saves most of the decoding (re-rendered messages,
/// rebuilt property objects). The default rebuilds records byte for byte.
struct field_projection {
  /// Bit f set: field f is rebuilt; clear: it comes back empty. The fixed
  /// header (timestamp, id, start, event type, flags) is always rebuilt.
  /// The message needs its template and properties: asking for it implies
  /// both, with the members named by the block's template holes added to
  /// property_names (every member if property_names is null).
  uint32_t fields = all_fields_mask;
  /// If not null, shredded properties objects keep only the members so
  /// named (in their order; keys written with escapes are always kept).
  /// Objects stored verbatim keep every member. Must outlive the decode.
  const std::vector<std::string>* property_names = nullptr;

  bool is_full() const noexcept { return fields == all_fields_mask && !property_names; }
};

/// Decodes a block value into `out` (cleared first): records in key order,
/// offsets rebuilt. Returns errc::corrupt if the value is malformed and
/// errc::incompatible if a newer build wrote it. Every field, byte for byte.
status decode_block(std::string_view value, record_batch& out);

/// As above with an explicit projection: skipped fields are empty, so the
/// records are valid but no longer byte-identical to what was stored.
status decode_block(std::string_view value, record_batch& out, const field_projection& projection);

/// A decoded block as record views straight over its columns: no record is
/// rebuilt, so a query reading a few fields pays only for those fields.
/// Views are assembled (record_view::bytes() is empty) and stay valid until
/// the next decode into this object. Reuse one per thread.
class block_views {
public:
  std::span<const record_view> views() const noexcept { return views_; }
  size_t size() const noexcept { return views_.size(); }

  /// Views over the records of `batch` (parsed; bytes() valid while batch lives).
  void assign(const record_batch& batch);

private:
  friend status decode_block(std::string_view value, block_views& out, const field_projection& projection);
  friend class block_view_sink;
  std::vector<record_view> views_;
  std::string image_; ///< decompressed columns the views point into
  std::string text_;  ///< rebuilt properties and messages
  uint32_t dirty_fields_ = 0; ///< fields some view may hold a value in
};

/// Decodes a block value into views: fields outside the projection are
/// empty; with CBK3/CBK4 blocks only the column groups of projected fields
/// are decompressed. Errors as decode_block above.
status decode_block(std::string_view value, block_views& out, const field_projection& projection);

/// Fields a block stores whole in their own columns, so they can be read as
/// value codes: all but the message (may be rendered from the template) and
/// the properties (may be shredded).
inline constexpr uint32_t coded_fields_mask =
  all_fields_mask & ~(field_bit(field::message) | field_bit(field::properties));

/// What decode_block_columns reads.
struct column_selection {
  uint32_t fields = 0;                      ///< within coded_fields_mask
  std::span<const std::string> properties;  ///< top-level property names
  bool timestamps = false;
  /// Bit i: property i's numbers come as doubles (property_numbers), with
  /// no text, when they convert exactly; its other values keep their text.
  uint64_t numeric_properties = 0;
  /// Each event's @Message (block_columns::message), rebuilt from its
  /// template and the properties its holes name; implies the template codes.
  bool messages = false;
};

/// A decoded block as value codes: for each asked field, one code per event
/// into that field's values (code 0 is the empty value). Fields that repeat
/// (level, template, span kind, resource, scope; CBK4: exception) get one
/// code per distinct value, as the block stores them; the others one code
/// per non-empty event. Asked top-level properties likewise: a code per
/// event into the JSON texts of the property's values (code 0: the event
/// lacks it), strings one code per distinct string.
/// A query that only compares or groups whole values evaluates its
/// expressions once per value instead of once per event, and never builds
/// records or views (the columnar path of query/column_scan.hpp).
/// Reuse one per thread; spans stay valid until the next decode into it.
class block_columns {
public:
  uint32_t size() const noexcept { return count_; }
  /// False if the block cannot be read this way (a property key written
  /// with escapes, or a properties object not in compact form): read it as
  /// views instead. The codes are then incomplete.
  bool complete() const noexcept { return complete_; }
  /// Codes of field f, one per event; empty unless f was asked for.
  std::span<const uint32_t> codes(field f) const noexcept { return codes_[static_cast<size_t>(f)]; }
  /// Values of field f by code; values(f)[0] is the empty value.
  std::span<const std::string_view> values(field f) const noexcept { return values_[static_cast<size_t>(f)]; }
  /// Codes of the i-th asked property, one per event (0: absent).
  std::span<const uint32_t> property_codes(size_t i) const noexcept { return props_[i].codes; }
  /// JSON texts of the i-th asked property's values by code ([0] empty).
  std::span<const std::string_view> property_values(size_t i) const noexcept { return props_[i].values; }
  /// For a property asked as numeric: its values by code as doubles, NaN
  /// where the value is not such a number (its text is then in
  /// property_values); empty for the other properties.
  std::span<const double> property_numbers(size_t i) const noexcept { return props_[i].numbers; }
  /// Event timestamps in block order; empty unless asked for.
  std::span<const int64_t> timestamps() const noexcept { return timestamps_; }
  /// Event i's message as stored or rebuilt from its template's holes
  /// (empty: none, and the event has no template either); asked for with
  /// column_selection::messages. A block holding an event with a template
  /// but no message (a reader renders those itself) is not complete().
  std::string_view message(uint32_t i) const noexcept {
    return std::string_view{message_text_}.substr(message_spans_[i].first, message_spans_[i].second);
  }

private:
  friend status decode_block_columns(std::string_view value, const column_selection& what, block_columns& out);
  struct property_column {
    std::vector<uint32_t> codes;
    std::vector<std::string_view> values;
    std::vector<double> numbers;
    std::vector<std::pair<uint32_t, uint32_t>> spans; ///< values as [offset, size) in text while decoding
    std::vector<uint32_t> string_codes;                ///< per string number of the block: its code
    std::string text;
  };
  uint32_t count_ = 0;
  bool complete_ = true;
  std::string image_;
  std::array<std::vector<uint32_t>, field_count> codes_;
  std::array<std::vector<std::string_view>, field_count> values_;
  std::vector<property_column> props_;
  std::vector<int64_t> timestamps_;
  std::vector<uint8_t> shapes_; ///< per event, while decoding properties
  std::string message_text_;
  std::vector<std::pair<uint32_t, uint32_t>> message_spans_; ///< per event: [offset, size) in message_text_
};

/// Decodes the value codes of the selected fields (a subset of
/// coded_fields_mask) and properties and, if asked, the timestamps; with
/// CBK4 blocks only those column groups are decompressed (CBK3: the
/// timestamps come with the whole fixed group; properties need the fixed
/// group's shapes). Errors as decode_block above; errc::internal if a
/// field outside coded_fields_mask is asked for (a caller bug).
status decode_block_columns(std::string_view value, const column_selection& what, block_columns& out);

} // namespace cairn::storage
