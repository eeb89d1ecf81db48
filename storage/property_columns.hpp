#pragma once
/// Shreds compact JSON property objects into per-name value streams for a
/// block, and rebuilds the exact object text. Internal to storage/
/// (block_codec.cpp). Both classes reuse their buffers between blocks.
///
/// Why: in a block of log events the same dozen property names repeat in
/// the same few orders, and each name's values are alike (small integers,
/// fixed-point milliseconds, a handful of source contexts). Storing names
/// once, each event's name list as one index, and each name's values side
/// by side in binary form lets zstd see only what varies.
///
/// Columns (all varints LEB128):
///   layout  per shredded object: varint index into the layout table
///   dict    varint key_count; per key: string (raw bytes between the
///           quotes, escapes kept), varint byte size of its value stream;
///           varint layout_count; per layout: varint n, n varint key indexes
///           (in member order; a name may repeat)
///   values  the value streams of keys 0, 1, ... back to back; a stream
///           holds that key's values in record order, each one tag byte then:
///     0  raw      string: the value's JSON text verbatim
///     1  string   string: the bytes between the quotes (escapes kept); the
///                 key's strings are numbered 0, 1, ... in stream order
///     6  string   varint n: the same string as the key's string number n
///     2  integer  zigzag varint; text is -?(0|[1-9][0-9]*) in int64, not -0
///     3  true, 4 false, 5 null: nothing
///     8 + 2*f + s  decimal: varint m; text is [-]I.F with f = digits of F
///                  (1..19), s = 1 if '-', I either "0" or without leading
///                  zero, and m = the integer IF (at most 19 digits)
/// An object is shredded only when it is `{"k":v,...}` with no whitespace
/// between tokens; anything else stays verbatim in the record's field
/// column, so every object round-trips byte for byte.
#include "storage/block_varint.hpp"
#include "storage/json_scan.hpp"
#include "storage/value_numbering.hpp"

#include <array>
#include <cstdint>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace cairn::storage::blockfmt {

/// One value of a key's stream as stored: `text` for raw and string
/// values; `number` holds a string_ref's index, a zigzagged integer or a
/// decimal's digits (`frac` of them after the point).
struct stored_value {
  uint8_t tag = 0; ///< value_tag (property_columns.cpp)
  std::string_view text;
  uint64_t number = 0;
  uint8_t frac = 0;
  bool negative = false;
};

/// Builds the three property columns of one block.
class property_encoder {
public:
  /// Forgets the previous block.
  void clear();

  /// Shreds one object into the streams and returns true, or returns false
  /// (recording nothing) if it is not in compact form.
  /// @pre `obj` outlives finish() (keys are viewed, not copied).
  bool add(std::string_view obj);

  /// The members of the object last accepted by add().
  std::span<const json_member> last_members() const noexcept { return members_; }

  /// Bits of last_news(): what a member brings that is new to the block.
  enum member_news : uint8_t {
    new_key = 1,   ///< the first member of this name in the block
    new_value = 2, ///< not a string this name already had in the block
  };
  /// Per member of the object last accepted by add(), its member_news bits:
  /// the summary builder skips names and strings it has already folded in.
  std::span<const uint8_t> last_news() const noexcept { return news_; }

  /// Appends the layout, dict and values columns.
  void finish(std::string& layout, std::string& dict, std::string& values) const;

private:
  /// The index of key `k` (added if new): `after` is the previous member's
  /// key index (no_key for the first), whose recorded successors are
  /// checked before the map.
  std::pair<uint32_t, bool> key_number(std::string_view k, uint32_t after);

  static constexpr uint32_t no_key = UINT32_MAX;
  /// Successors remembered per key: objects of a few shapes interleave, so
  /// a name is followed by one of a few names.
  static constexpr size_t successor_ways = 4;
  struct successors {
    std::array<uint32_t, successor_ways> keys; ///< most recent first
    uint8_t count = 0;
  };

  std::unordered_map<std::string_view, uint32_t> key_index_;
  std::vector<std::string_view> keys_;
  std::vector<successors> next_keys_; ///< per key; [keys_.size()] for "first member"
  std::vector<std::string> streams_; ///< per key; reused across blocks
  /// Per key: its distinct string values, numbered in order of appearance.
  std::vector<value_numbering<2>> strings_;
  std::unordered_map<std::string, uint32_t> layout_index_;
  std::vector<const std::string*> layouts_; ///< layout bytes in index order
  std::array<uint32_t, 4> recent_layouts_{}; ///< checked before layout_index_
  size_t recent_layout_count_ = 0;
  std::string layout_col_;
  std::string scratch_;
  std::vector<json_member> members_;
  std::vector<uint8_t> news_;
};

struct text_writer;

/// Reads shredded objects back, one per call, in record order.
class property_decoder {
public:
  /// Parses the dict column and positions the streams; false if corrupt.
  bool open(std::string_view layout, std::string_view dict, std::string_view values);

  /// Keeps only members named in `names` (compared with the raw key bytes;
  /// keys holding escapes are always kept) in the objects next() builds from
  /// now on until the next open(); null keeps every member. Skipped keys'
  /// streams are never read, so the choice must hold for the whole block.
  void select(const std::vector<std::string>* names);

  /// Replaces `out` with the next object's JSON text; false if corrupt.
  bool next(std::string& out);

  /// The members of the object last built by next(), viewing its text.
  std::span<const json_member> last_members() const noexcept { return members_; }

private:
  bool append_value(uint32_t key, text_writer& out);

  column_reader layout_;
  std::vector<std::string_view> keys_;
  std::vector<column_reader> streams_;
  std::vector<std::vector<std::string_view>> strings_; ///< per key, as first seen
  std::vector<uint32_t> layout_keys_;   ///< all layouts' key indexes
  std::vector<uint32_t> layout_begin_;  ///< layout i = [begin[i], begin[i+1])
  std::vector<json_member> members_;
  std::vector<std::pair<size_t, size_t>> spans_; ///< value [begin, end) in the text
  std::vector<uint8_t> wanted_; ///< per key: 1 if next() emits it (see select())
};

/// Reads one key's values from a block's property columns, object by
/// object, without building the objects: the columnar query path
/// (block_codec.hpp's block_columns). Only that key's stream is read.
class property_key_reader {
public:
  /// One object's value for the key.
  struct key_value {
    enum kind_t : uint8_t { absent, string, other } kind = absent;
    /// string: the key's n-th distinct string in this block (same n, same string).
    uint32_t string_number = 0;
    /// string: the bytes between the quotes (escapes kept); other: the
    /// JSON text (may view a buffer reused by the next call). Empty for a
    /// number when next() was told not to render numbers.
    std::string_view text;
    /// other: the value as a double if it is an integer or decimal that
    /// converts exactly as parsing its text would (correctly rounded), else NaN.
    double number = std::numeric_limits<double>::quiet_NaN();
  };

  /// Parses the dict column and finds `name` (compared with the raw key
  /// bytes); false if corrupt. Reuses its buffers between blocks.
  bool open(std::string_view layout, std::string_view dict, std::string_view values, std::string_view name);

  /// True if some key of the block is written with escapes: it might equal
  /// the name once unescaped, so the caller cannot trust a miss.
  bool escaped_keys() const noexcept { return escaped_keys_; }

  /// The next object's first member of the key (later duplicates are
  /// skipped, as queries read the first); false if corrupt. Numbers that
  /// have a `number` get no text unless `render_numbers`.
  bool next(key_value& out, bool render_numbers = true) {
    uint64_t l;
    if (!layout_.varint(l) || l >= layout_hits_.size())
      return false;
    // The usual cases, inline (this runs once per event of a block): the
    // key absent, or one member holding a string seen before or a number.
    if (layout_hits_[l] == 0) {
      out = {};
      return true;
    }
    if (layout_hits_[l] == 1)
      if (int r = read_common(out, render_numbers); r != 0)
        return r > 0;
    return next_general(l, out, render_numbers);
  }

  /// Value tags read inline (property_columns.cpp's value_tag).
  static constexpr uint8_t tag_integer_ = 2, tag_string_ref_ = 6, tag_decimal_ = 8, max_frac_ = 19;
  /// 10^f for a decimal's fraction digits (exact doubles up to 10^22).
  static constexpr double decimal_powers[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
                                              1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

private:
  bool read_value(bool keep, bool render_numbers, key_value& out);
  /// The key's only member, if it is a string reference or (unless
  /// rendering numbers) an integer or exactly converting decimal: 1 read,
  /// 0 other (nothing consumed), -1 corrupt.
  int read_common(key_value& out, bool render_numbers) {
    if (stream_.at_end())
      return 0;
    const auto tag = static_cast<uint8_t>(*stream_.p);
    const bool number = !render_numbers && (tag == tag_integer_ || tag >= tag_decimal_);
    if (tag != tag_string_ref_ && !number)
      return 0;
    const char* at = stream_.p;
    ++stream_.p;
    uint64_t m;
    if (!stream_.varint(m))
      return -1;
    if (tag == tag_string_ref_) {
      if (m >= strings_)
        return -1;
      out.kind = key_value::string;
      out.string_number = static_cast<uint32_t>(m);
      out.text = {};
      return 1;
    }
    out.kind = key_value::other;
    out.text = {};
    if (tag == tag_integer_) {
      out.number = static_cast<double>(static_cast<int64_t>(m >> 1) ^ -static_cast<int64_t>(m & 1));
      return 1;
    }
    const unsigned frac = (tag - tag_decimal_) / 2u;
    if (frac >= 1 && frac <= max_frac_ && m < (uint64_t(1) << 53)) {
      // Exact as parsing the text: m and 10^frac are exact doubles.
      const double d = static_cast<double>(m) / decimal_powers[frac];
      out.number = (tag - tag_decimal_) & 1 ? -d : d;
      return 1;
    }
    stream_.p = at; // anything else: the general path reads it again
    return 0;
  }
  /// next() past the layout index `l`: every member of the key read.
  bool next_general(uint64_t l, key_value& out, bool render_numbers);

  column_reader layout_;
  column_reader stream_;
  int64_t key_ = -1; ///< index of the key, -1 if the block lacks it
  uint32_t strings_ = 0; ///< distinct strings of the key read so far
  bool escaped_keys_ = false;
  std::vector<uint32_t> layout_hits_;  ///< per layout: how many times it holds the key
  char number_[48];
};

/// Reads, object by object, how a few named keys' values render in a
/// message hole (json_scan.hpp's append_plain_rendering of their first
/// member so named) without building the objects: derived messages are
/// rebuilt from these (the columnar path's @Message). Only the named keys'
/// streams are read.
class plain_values_reader {
public:
  /// Parses the dict column and finds `names` (compared with the raw key
  /// bytes); false if corrupt. Reuses its buffers between blocks.
  bool open(std::string_view layout, std::string_view dict, std::string_view values,
            std::span<const std::string_view> names);

  /// Reads the next object; false if corrupt.
  bool next();

  /// Appends names[s] of the object last read, rendered; false if the
  /// object lacks it (or a string escape is malformed).
  bool append(size_t s, std::string& out) const;

private:
  struct seen_string {
    std::string_view body;
    bool escaped; ///< holds a backslash: must be unescaped
  };
  column_reader layout_;
  std::vector<column_reader> streams_;
  std::vector<int32_t> slot_of_key_;              ///< per key: index into names, or -1
  std::vector<std::vector<seen_string>> strings_; ///< per named key, as first seen
  std::vector<uint32_t> layout_keys_;
  std::vector<uint32_t> layout_begin_;
  std::vector<stored_value> values_; ///< per name, in the object last read (string refs resolved)
  std::vector<uint8_t> escaped_;     ///< per name: its string value holds escapes
  std::vector<uint8_t> present_;
};

} // namespace cairn::storage::blockfmt
