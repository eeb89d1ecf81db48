#pragma once
/// Building block summaries from records, and their on-disk form.
///
/// Stored summary (the LMDB value in the `summaries` DB, little-endian):
///
///   offset size field
///   0      4    version (1)
///   4      4    event_count
///   8      8    min_timestamp  int64 Unix ns
///   16     8    max_timestamp  int64 Unix ns
///   24     8    min_id
///   32     8    max_id
///   40     4    level_bits
///   44     4    reserved (0)
///   48     8    raw_bytes     sum of the block's record sizes (uncompressed)
///   56     8    stored_bytes  size of the block value in the `blocks` DB
///   64     ...  names bloom, then tokens bloom (bloom_filter::serialize)
///
/// The fixed 64-byte head lets list_blocks/get_by_id filter on time and id
/// ranges without reading the blooms.
#include "storage/block_summary.hpp"
#include "storage/event_record.hpp"
#include "storage/json_scan.hpp"
#include "storage/recent_texts.hpp"
#include "storage/unique_hashes.hpp"

#include <simdjson.h>

#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace cairn::storage {

/// Size of the fixed head of a stored summary.
inline constexpr size_t summary_head_size = 64;

/// The fixed head of a stored summary, readable without the blooms.
struct summary_head {
  uint32_t event_count = 0;
  int64_t min_timestamp = 0;
  int64_t max_timestamp = 0;
  uint64_t min_id = 0;
  uint64_t max_id = 0;
  uint32_t level_bits = 0;
  uint64_t raw_bytes = 0;
  uint64_t stored_bytes = 0;

  /// Reads the head of a stored summary; false if too short or wrong version.
  bool decode(std::string_view stored) noexcept;
};

/// Writes the stored form of `s` (replacing `out`).
void serialize_summary(const block_summary& s, uint64_t raw_bytes, uint64_t stored_bytes, std::string& out);

/// Reads a stored summary (head and blooms); false if malformed.
bool deserialize_summary(std::string_view stored, block_summary& s);

/// Accumulates the summary of a block, one record at a time.
///
/// What goes into the blooms (a superset of block_summary's contract, which
/// only ever adds "maybe" answers, never false negatives):
/// - names: every property name and its dotted path into nested objects
///   ("Http", "Http.Method"); objects inside arrays continue the array's path
///   ("Items.Sku"); "@Exception" when an event has an exception; resource and
///   scope attribute paths prefixed "@Resource." and "@Scope.".
/// - tokens: for_each_token of message, template, exception, every string
///   value at any depth of properties, resource and scope, and the trace and
///   span ids (one hex token each).
/// Not thread-safe; the writer thread owns one and reuses its buffers.
class summary_builder {
public:
  /// Forgets everything added so far.
  void reset();

  /// A record's properties object as the block encoder split it
  /// (property_encoder::last_members/last_news): members and, per member,
  /// property_encoder::member_news bits saying what is new to the block.
  struct property_split {
    std::span<const blockfmt::json_member> members;
    std::span<const uint8_t> news;
  };

  /// Folds one record in. With `props`, its properties are read from that
  /// split instead of being scanned again, and names and top-level strings
  /// the block already had are skipped (same summary either way).
  /// @pre `props`, if given, split this record's properties in this block,
  ///      fed to one property_encoder since the reset() before it.
  void add(const record_view& r, const property_split* props = nullptr);

  /// The summary of everything added since reset(); blooms are sized for the
  /// distinct items seen (about 10 bits each).
  block_summary finish();

private:
  void add_json(std::string_view json, std::string_view prefix);
  void walk(simdjson::dom::element e);
  /// Walks compact JSON text (no whitespace between tokens, no backslash
  /// anywhere: raw keys and strings are their unescaped selves); false if
  /// `v` is not in that form (what was added by then is still true data).
  bool walk_compact(std::string_view v);
  /// Appends a raw key (escapes decoded) to path_; false if malformed.
  bool append_key(std::string_view raw_key);
  /// Tokens of a JSON string's body (escapes decoded first if it has any).
  bool add_string_tokens(std::string_view body);
  /// False if some member is not in compact form (the caller falls back).
  bool add_members(const property_split& props);
  void add_tokens(std::string_view text);

  block_summary s_;
  bool empty_ = true;
  simdjson::dom::parser parser_;
  std::string padded_;
  std::string path_;
  std::string unescaped_;
  unique_hashes names_;
  unique_hashes tokens_;
  // Texts already folded into this block (skipped when they repeat).
  recent_texts<> templates_, exceptions_, resources_, scopes_;
};

} // namespace cairn::storage
