#include "storage/block_codec.hpp"

#include "storage/block_summary_codec.hpp"
#include "storage/block_varint.hpp"
#include "storage/message_holes.hpp"
#include "storage/property_columns.hpp"
#include "storage/value_numbering.hpp"

#include <zstd.h>

#include <algorithm>
#include <array>
#include <bit>
#include <unordered_map>
#include <cstring>
#include <limits>
#include <vector>

namespace cairn::storage {

using namespace blockfmt;

namespace {

constexpr char magic_v1[4] = {'C', 'B', 'K', '1'};
constexpr char magic_v2[4] = {'C', 'B', 'K', '2'};
constexpr char magic_v3[4] = {'C', 'B', 'K', '3'};
constexpr char magic_v4[4] = {'C', 'B', 'K', '4'};
constexpr size_t value_header_size = 8;

enum column : size_t { col_shape, col_timestamp, col_id, col_elapsed, col_event_type, col_flags, col_lengths };

constexpr size_t col_data = col_lengths + field_count;
/// Version 2 only: the shredded property columns (property_columns.hpp).
constexpr size_t col_prop_layout = col_data + field_count;
constexpr size_t col_prop_dict = col_prop_layout + 1;
constexpr size_t col_prop_values = col_prop_layout + 2;
constexpr size_t column_count_v1 = col_prop_layout;
constexpr size_t column_count_v2 = col_prop_values + 1;
static_assert(column_count_v2 == block_column_count);

/// CBK3 compresses the columns in groups, each read only when needed: the
/// fixed columns; per field its lengths and data; the property columns.
/// CBK4 moves the timestamps out of the fixed group into a last group of
/// their own: time filters and buckets read them without the rest.
constexpr size_t group_count_v3 = 1 + field_count + 1;
constexpr size_t group_count_v4 = group_count_v3 + 1;
constexpr size_t group_props = 1 + field_count;
constexpr size_t group_timestamps = group_count_v3;
constexpr size_t group_count(int version) noexcept { return version >= 4 ? group_count_v4 : group_count_v3; }

/// Calls f(column) for the columns of group g of a CBK3/CBK4 block, in their stored order.
template <class F>
void for_group_columns(int version, size_t g, F&& f) {
  if (g == 0) {
    for (size_t c = col_shape; c < col_lengths; ++c)
      if (version < 4 || c != col_timestamp)
        f(c);
  } else if (g <= field_count) {
    f(col_lengths + g - 1);
    f(col_data + g - 1);
  } else if (g == group_props) {
    for (size_t c = col_prop_layout; c < column_count_v2; ++c)
      f(c);
  } else {
    f(col_timestamp);
  }
}
constexpr size_t image_header_size(size_t columns) { return 8 + 4 * columns; }

/// Bits of the shape column.
constexpr uint8_t shape_span = 1;     ///< the record is a span: an elapsed value follows
constexpr uint8_t shape_derived = 2;  ///< message stored as template hole values
constexpr uint8_t shape_shredded = 4; ///< v2: properties in the property columns

constexpr size_t props_index = size_t(field::properties);

/// CBK2: fields whose few distinct values repeat all over a block. Their
/// length column holds 2 * length for a value stored in the data column, or
/// 2 * n + 1 for the block's n-th distinct non-empty value of that field.
/// CBK4 adds the exception (the same few stack traces over and over).
constexpr bool is_repeating_field(int version, size_t f) noexcept {
  if (version < 2)
    return false;
  return f == size_t(field::level) || f == size_t(field::message_template) || f == size_t(field::span_kind) ||
         f == size_t(field::resource) || f == size_t(field::scope) ||
         (version >= 4 && f == size_t(field::exception));
}
/// The format block_encoder writes.
constexpr int written_version = 4;
constexpr size_t message_index = size_t(field::message);
constexpr size_t template_index = size_t(field::message_template);

struct dctx_deleter {
  void operator()(ZSTD_DCtx* c) const noexcept { ZSTD_freeDCtx(c); }
};

/// Per-thread decompression state: readers run on many threads.
struct decode_scratch {
  std::unique_ptr<ZSTD_DCtx, dctx_deleter> dctx{ZSTD_createDCtx()};
  std::string image;
  /// Parsed templates, most blocks cycle through a few; round-robin reuse.
  struct cached_shape {
    std::string text; ///< the shape's views point into this (never moved)
    template_shape shape;
    bool valid = false;
  };
  std::array<cached_shape, 8> shapes;
  size_t next_shape = 0;
  std::array<std::vector<std::string_view>, field_count> distinct; ///< repeating fields' values
  property_decoder props;
  std::string props_text;
  std::string message;
  std::vector<std::string> selected_names; ///< asked members plus the templates' hole names
  template_shape names_shape;
};

store_error corrupt(const char* what) {
  return store_error{errc::corrupt, std::string{"decode_block: "} + what};
}

} // namespace

struct block_encoder::impl {
  int level;
  ZSTD_CCtx* cctx = ZSTD_createCCtx();
  std::array<std::string, block_column_count> columns;
  /// Shapes of the block's templates by their distinct number: a block
  /// interleaves a few templates, and parsing each event's anew showed.
  std::vector<template_shape> shapes;
  std::string holes;
  std::string scratch;
  property_encoder props;
  std::array<value_numbering<8>, field_count> distinct; ///< repeating fields' non-empty values

  ~impl() { ZSTD_freeCCtx(cctx); }
};

block_encoder::block_encoder(int zstd_level) : impl_(std::make_unique<impl>()) {
  impl_->level = zstd_level;
}

block_encoder::~block_encoder() = default;

status block_encoder::encode(std::span<const record_view> records, std::string& out, summary_builder* summary) {
  auto& cols = impl_->columns;
  for (auto& c : cols)
    c.clear();
  impl_->props.clear();
  for (auto& d : impl_->distinct)
    d.clear();
  // 1. Split every record into its columns.
  int64_t prev_ts = 0;
  uint64_t prev_id = 0;
  uint64_t records_bytes = 0;
  for (const auto& r : records) {
    records_bytes += r.bytes().size();
    int64_t ts = r.timestamp();
    uint64_t id = r.id();
    auto props = r.get(field::properties);
    bool shredded = !props.empty() && impl_->props.add(props);
    if (summary) {
      summary_builder::property_split split{impl_->props.last_members(), impl_->props.last_news()};
      summary->add(r, shredded ? &split : nullptr);
    }
    // A rendered message is stored as its template's hole values when it
    // decomposes that way, and each value that is exactly a property's
    // rendering as a reference to it: the text is already elsewhere.
    auto& holes = impl_->holes;
    holes.clear();
    auto mt = r.get(field::message_template);
    bool derived = false;
    std::pair<uint32_t, bool> mt_number{0, false};
    static_assert(is_repeating_field(written_version, template_index));
    if (!mt.empty()) {
      mt_number = impl_->distinct[template_index].number(mt);
      auto& shapes = impl_->shapes;
      if (mt_number.second) {
        // Views into this record, which outlives the encode.
        if (shapes.size() <= mt_number.first)
          shapes.resize(mt_number.first + 1);
        shapes[mt_number.first].parse(mt);
      }
      property_source source{props, impl_->props.last_members(), shredded};
      derived = encode_holes(r.get(field::message), shapes[mt_number.first], source, holes, impl_->scratch);
    }
    uint8_t shape = (r.is_span() ? shape_span : 0) | (derived ? shape_derived : 0) | (shredded ? shape_shredded : 0);
    cols[col_shape].push_back(static_cast<char>(shape));
    put_varint(cols[col_timestamp], zigzag(static_cast<int64_t>(static_cast<uint64_t>(ts) - static_cast<uint64_t>(prev_ts))));
    put_varint(cols[col_id], zigzag(static_cast<int64_t>(id - prev_id)));
    if (r.is_span())
      put_varint(cols[col_elapsed], zigzag(static_cast<int64_t>(static_cast<uint64_t>(ts) - static_cast<uint64_t>(r.start()))));
    put_fixed<uint32_t>(cols[col_event_type], r.event_type());
    put_varint(cols[col_flags], r.flags());
    for (size_t f = 0; f < field_count; ++f) {
      if (f == props_index && shredded)
        continue;
      auto v = f == message_index && derived ? std::string_view{holes} : r.get(static_cast<field>(f));
      if (is_repeating_field(written_version, f)) {
        if (!v.empty()) {
          auto [number, added] = f == template_index ? mt_number : impl_->distinct[f].number(v);
          if (!added) {
            put_varint(cols[col_lengths + f], 2 * uint64_t(number) + 1);
            continue;
          }
        }
        put_varint(cols[col_lengths + f], 2 * uint64_t(v.size()));
      } else {
        put_varint(cols[col_lengths + f], v.size());
      }
      cols[col_data + f].append(v);
    }
    prev_ts = ts;
    prev_id = id;
  }
  if (records.size() > UINT32_MAX || records_bytes > UINT32_MAX)
    return store_error{errc::internal, "block_encoder: block too large"};
  impl_->props.finish(cols[col_prop_layout], cols[col_prop_dict], cols[col_prop_values]);
  // 2. The header: magic, counts, every column's raw size; the groups'
  //    stored sizes are patched in as each group is compressed.
  out.clear();
  out.append(magic_v4, 4);
  put_fixed<uint32_t>(out, static_cast<uint32_t>(records.size()));
  put_fixed<uint32_t>(out, static_cast<uint32_t>(records_bytes));
  for (auto& c : cols)
    put_fixed<uint32_t>(out, static_cast<uint32_t>(c.size()));
  const size_t group_sizes_at = out.size();
  out.resize(out.size() + 4 * group_count_v4);
  // 3. Each group on its own: a zstd frame, or raw bytes when zstd does not
  //    shrink them, so a query decompresses only the groups it reads.
  size_t image_size = 0;
  for (size_t g = 0; g < group_count_v4; ++g) {
    auto& image = image_;
    image.clear();
    for_group_columns(written_version, g, [&](size_t c) { image.append(cols[c]); });
    image_size += image.size();
    size_t at = out.size();
    size_t bound = ZSTD_compressBound(image.size());
    out.resize(at + bound);
    size_t n = ZSTD_compressCCtx(impl_->cctx, out.data() + at, bound, image.data(), image.size(), impl_->level);
    if (ZSTD_isError(n))
      return store_error{errc::internal, std::string{"block_encoder: "} + ZSTD_getErrorName(n)};
    if (n >= image.size()) {
      std::memcpy(out.data() + at, image.data(), image.size());
      n = image.size();
    }
    out.resize(at + n);
    uint32_t stored = static_cast<uint32_t>(n);
    std::memcpy(out.data() + group_sizes_at + 4 * g, &stored, 4);
  }
  raw_size_ = image_size;
  return ok;
}

namespace {
const field_projection full_projection{};

/// Which parts of a block a decode reads, derived from a projection.
struct wanted_parts {
  uint32_t fields;  ///< fields read from their columns
  uint32_t emitted; ///< fields handed out (the others come back empty): the asked ones and what they imply
  bool props;       ///< shredded properties are rebuilt
  bool message;     ///< derived messages are re-rendered
  const std::vector<std::string>* prop_names;
  bool fixed = true;       ///< the fixed columns (timestamps, ids, ...) are read
  /// The fixed columns are wanted only for the shapes' shredded bits: not
  /// needed when no event has a properties field entry (all shredded).
  bool fixed_for_shredding = false;
  bool timestamps = false; ///< at least the timestamps are read
};

wanted_parts wanted_by(const field_projection& projection) {
  wanted_parts w;
  w.fields = projection.fields;
  // The message is rebuilt from its template and the properties it refers to.
  w.message = w.fields & field_bit(field::message);
  if (w.message)
    w.fields |= field_bit(field::message_template) | field_bit(field::properties);
  w.emitted = w.fields;
  w.props = w.fields & field_bit(field::properties);
  w.prop_names = projection.property_names;
  return w;
}

/// A block's columns, located (and, for CBK3, the needed groups decompressed).
struct located_block {
  int version = 0;
  uint32_t count = 0;
  uint32_t records_bytes = 0;
  std::array<column_reader, block_column_count> cols;
  /// CBK2+: every event's properties are in the property columns (the
  /// properties field's length column is empty).
  bool all_shredded = false;
};

/// Checks the value, decompresses what `w` needs into `image` and points
/// the column readers at it. Columns of unneeded CBK3 groups stay empty.
status locate_columns(std::string_view value, const wanted_parts& w, decode_scratch& scratch, std::string& image,
                      located_block& b) {
  if (value.size() < value_header_size)
    return corrupt("value too short");
  if (std::memcmp(value.data(), magic_v4, 4) == 0)
    b.version = 4;
  else if (std::memcmp(value.data(), magic_v3, 4) == 0)
    b.version = 3;
  else if (std::memcmp(value.data(), magic_v2, 4) == 0)
    b.version = 2;
  else if (std::memcmp(value.data(), magic_v1, 4) == 0)
    b.version = 1;
  else if (std::memcmp(value.data(), magic_v1, 3) == 0)
    return store_error{errc::incompatible, "decode_block: block format '" + std::string(value.substr(0, 4)) +
                                             "' is newer than this build (reads CBK1 to CBK4)"};
  else
    return corrupt("bad magic");
  uint32_t sizes[block_column_count] = {};
  if (b.version >= 3) {
    const size_t groups = group_count(b.version);
    const size_t header = 4 + 8 + 4 * block_column_count + 4 * groups;
    if (value.size() < header)
      return corrupt("value too short");
    std::memcpy(&b.count, value.data() + 4, 4);
    std::memcpy(&b.records_bytes, value.data() + 8, 4);
    std::memcpy(sizes, value.data() + 12, 4 * block_column_count);
    b.all_shredded = sizes[col_lengths + props_index] == 0;
    uint64_t total = 0;
    for (auto sz : sizes)
      total += sz;
    // Columns are never much larger than the records they came from.
    if (total > 2 * uint64_t(b.records_bytes) + 64 * uint64_t(b.count) + 4096)
      return corrupt("column sizes");
    // The image holds only the needed groups, back to back: a query reading
    // one group of a block does not clear (or fault in) room for all of them.
    const bool fixed = w.fixed && !(w.fixed_for_shredding && b.all_shredded);
    bool needed_group[16] = {};
    size_t raw_of[16] = {};
    size_t needed_total = 0;
    for (size_t g = 0; g < groups; ++g) {
      for_group_columns(b.version, g, [&](size_t c) { raw_of[g] += sizes[c]; });
      needed_group[g] = g == 0               ? fixed || (b.version < 4 && w.timestamps)
                        : g <= field_count   ? (w.fields >> (g - 1)) & 1
                        : g == group_props   ? w.props
                                             : fixed || w.timestamps;
      if (needed_group[g])
        needed_total += raw_of[g];
    }
    if (image.size() < needed_total)
      image.resize(needed_total);
    // Walk the groups: decompress (or copy) the needed ones and point their
    // columns' readers at them; the others stay empty.
    const char* in = value.data() + header;
    const char* in_end = value.data() + value.size();
    char* out = image.data();
    for (size_t g = 0; g < groups; ++g) {
      uint32_t stored;
      std::memcpy(&stored, value.data() + 12 + 4 * block_column_count + 4 * g, 4);
      const size_t raw = raw_of[g];
      if (size_t(in_end - in) < stored || stored > raw)
        return corrupt("group sizes");
      if (needed_group[g]) {
        if (stored == raw) {
          std::memcpy(out, in, raw);
        } else {
          size_t n = ZSTD_decompressDCtx(scratch.dctx.get(), out, raw, in, stored);
          if (ZSTD_isError(n) || n != raw)
            return corrupt("zstd frame");
        }
        const char* at = out;
        for_group_columns(b.version, g, [&](size_t c) {
          b.cols[c] = column_reader{at, at + sizes[c]};
          at += sizes[c];
        });
        out += raw;
      } else {
        for_group_columns(b.version, g, [&](size_t c) { b.cols[c] = {}; });
      }
      in += stored;
    }
    if (in != in_end)
      return corrupt("trailing bytes");
  } else {
    size_t column_count = b.version == 2 ? column_count_v2 : column_count_v1;
    uint32_t raw = 0;
    std::memcpy(&raw, value.data() + 4, 4);
    if (raw < image_header_size(column_count))
      return corrupt("bad raw size");
    image.resize(raw);
    size_t n = ZSTD_decompressDCtx(scratch.dctx.get(), image.data(), raw, value.data() + value_header_size,
                                   value.size() - value_header_size);
    if (ZSTD_isError(n) || n != raw)
      return corrupt("zstd frame");
    std::memcpy(&b.count, image.data(), 4);
    std::memcpy(&b.records_bytes, image.data() + 4, 4);
    std::memcpy(sizes, image.data() + 8, 4 * column_count);
    const char* p = image.data() + image_header_size(column_count);
    const char* end = image.data() + image.size();
    for (size_t c = 0; c < block_column_count; ++c) {
      if (c >= column_count) {
        b.cols[c] = {};
        continue;
      }
      if (size_t(end - p) < sizes[c])
        return corrupt("column sizes");
      b.cols[c] = column_reader{p, p + sizes[c]};
      p += sizes[c];
    }
  }
  if (b.count > b.records_bytes / record_header_size + 1)
    return corrupt("count");
  return ok;
}

/// Rebuilds encoded records into a record_batch (byte for byte when full).
class record_sink {
public:
  record_sink(record_batch& out, bool full) : out_(out), full_(full) {}

  void begin(uint32_t count, uint32_t records_bytes) {
    out_.bytes.resize(records_bytes);
    out_.offsets.resize(count);
    w_ = out_.bytes.data();
    w_end_ = w_ + records_bytes;
  }

  bool add(uint32_t i, int64_t ts, uint64_t id, int64_t start, uint32_t event_type, uint32_t flags,
           const std::array<std::string_view, field_count>& fields, uint32_t /*rebuilt*/) {
    if (size_t(w_end_ - w_) < record_header_size)
      return false;
    out_.offsets[i] = static_cast<uint32_t>(w_ - out_.bytes.data());
    std::memcpy(w_, &ts, 8);
    std::memcpy(w_ + 8, &id, 8);
    std::memcpy(w_ + 16, &start, 8);
    std::memcpy(w_ + 24, &event_type, 4);
    std::memcpy(w_ + 28, &flags, 4);
    w_ += record_header_size;
    for (auto v : fields) {
      if (size_t(w_end_ - w_) < varint_size(v.size()) + v.size())
        return false;
      w_ = write_varint(w_, v.size());
      if (!v.empty()) // an empty field's data() may be null: memcpy(_, null, 0) is UB
        std::memcpy(w_, v.data(), v.size());
      w_ += v.size();
    }
    return true;
  }

  status finish() {
    if (full_ && w_ != w_end_)
      return corrupt("records_bytes mismatch");
    // A projection only shrinks records (skipped fields, fewer members).
    out_.bytes.resize(size_t(w_ - out_.bytes.data()));
    return ok;
  }

private:
  record_batch& out_;
  bool full_;
  char* w_ = nullptr;
  char* w_end_ = nullptr;
};

} // namespace

/// Assembles record views straight over the decoded columns; fields rebuilt
/// per record (properties, messages) are copied into the views' own text.
class block_view_sink {
public:
  block_view_sink(block_views& out, uint32_t emitted) : out_(out), emitted_(emitted) {}

  void begin(uint32_t count, uint32_t) {
    // Views are reused between blocks; only the fields this decode does not
    // overwrite need clearing, and only if an earlier decode set them.
    const uint32_t stale = out_.dirty_fields_ & ~emitted_;
    const size_t kept = std::min<size_t>(out_.views_.size(), count);
    out_.views_.resize(count);
    if (stale)
      for (size_t i = 0; i < kept; ++i)
        for (uint32_t bits = stale; bits; bits &= bits - 1)
          out_.views_[i].set(static_cast<field>(std::countr_zero(bits)), {});
    out_.dirty_fields_ = emitted_;
    out_.text_.clear();
    fixups_.clear();
  }

  bool add(uint32_t i, int64_t ts, uint64_t id, int64_t start, uint32_t event_type, uint32_t flags,
           const std::array<std::string_view, field_count>& fields, uint32_t rebuilt) {
    auto& v = out_.views_[i];
    v.assemble_header(ts, id, start, event_type, flags);
    for (uint32_t bits = emitted_; bits; bits &= bits - 1) {
      const unsigned f = static_cast<unsigned>(std::countr_zero(bits));
      if (rebuilt & (1u << f)) {
        fixups_.push_back({i, f, out_.text_.size(), fields[f].size()});
        out_.text_.append(fields[f]);
      } else {
        v.set(static_cast<field>(f), fields[f]);
      }
    }
    return true;
  }

  status finish() {
    // text_ has stopped growing: its views are stable now.
    for (const auto& x : fixups_)
      out_.views_[x.index].set(static_cast<field>(x.field), std::string_view{out_.text_}.substr(x.offset, x.size));
    return ok;
  }

private:
  struct fixup {
    uint32_t index;
    uint32_t field;
    size_t offset;
    size_t size;
  };
  block_views& out_;
  uint32_t emitted_;
  std::vector<fixup> fixups_;
};

namespace {

/// scratch.selected_names = `asked` plus every hole name of the block's
/// templates (a copy of the template column is read; false if malformed).
bool add_hole_names(const located_block& b, const std::vector<std::string>& asked, decode_scratch& scratch) {
  auto& out = scratch.selected_names;
  out.assign(asked.begin(), asked.end());
  column_reader lengths = b.cols[col_lengths + template_index];
  column_reader data = b.cols[col_data + template_index];
  const bool repeating = is_repeating_field(b.version, template_index);
  for (uint32_t i = 0; i < b.count; ++i) {
    uint64_t len;
    if (!lengths.varint(len))
      return false;
    if (repeating) {
      if (len & 1)
        continue; // an earlier template again
      len >>= 1;
    }
    const char* src;
    if (!data.bytes(len, src))
      return false;
    if (len == 0)
      continue;
    // The hole codec's names, and every `{...}` at any brace (doubled or
    // not) cut as the query's own template rendering cuts it: a superset.
    const std::string_view t{src, size_t(len)};
    auto add = [&](std::string_view name) {
      if (!name.empty() && std::find(out.begin(), out.end(), name) == out.end())
        out.emplace_back(name);
    };
    scratch.names_shape.parse(t);
    for (auto name : scratch.names_shape.names)
      add(name);
    for (size_t i = t.find('{'); i != std::string_view::npos; i = t.find('{', i + 1)) {
      size_t from = t.find_first_not_of('{', i);
      size_t close = from == std::string_view::npos ? from : t.find('}', from);
      if (close == std::string_view::npos)
        break;
      auto name = t.substr(from, close - from);
      if (!name.empty() && (name[0] == '@' || name[0] == '$'))
        name.remove_prefix(1);
      add(name.substr(0, name.find_first_of(":,")));
    }
  }
  return true;
}

/// The per-record loop shared by both outputs: reads only the columns of
/// the wanted fields, re-renders derived messages, hands each record to the sink.
template <class Sink>
status decode_records(located_block& b, const wanted_parts& w, decode_scratch& scratch, Sink& sink) {
  auto& cols = b.cols;
  auto& props = scratch.props;
  if (b.version >= 2 && w.props) {
    auto view = [](const column_reader& c) { return std::string_view{c.p, size_t(c.end - c.p)}; };
    if (!props.open(view(cols[col_prop_layout]), view(cols[col_prop_dict]), view(cols[col_prop_values])))
      return corrupt("property dictionary");
    if (w.message && w.prop_names) {
      // Derived messages refer to the members their holes name.
      if (!add_hole_names(b, *w.prop_names, scratch))
        return corrupt("template column");
      props.select(&scratch.selected_names);
    } else {
      props.select(w.prop_names);
    }
  }
  for (auto& d : scratch.distinct)
    d.clear();
  sink.begin(b.count, b.records_bytes);
  int64_t ts = 0;
  uint64_t id = 0;
  std::array<std::string_view, field_count> fields{};
  const int hole_version = b.version >= 2 ? 2 : 1;
  for (uint32_t i = 0; i < b.count; ++i) {
    uint8_t shape;
    uint64_t dts, did, flags;
    uint32_t event_type;
    if (!cols[col_shape].fixed(shape) || !cols[col_timestamp].varint(dts) || !cols[col_id].varint(did) ||
        !cols[col_event_type].fixed(event_type) || !cols[col_flags].varint(flags))
      return corrupt("fixed columns");
    ts = static_cast<int64_t>(static_cast<uint64_t>(ts) + static_cast<uint64_t>(unzigzag(dts)));
    id += static_cast<uint64_t>(unzigzag(did));
    int64_t start = no_start;
    if (shape & shape_span) {
      uint64_t el;
      if (!cols[col_elapsed].varint(el))
        return corrupt("elapsed column");
      start = static_cast<int64_t>(static_cast<uint64_t>(ts) - static_cast<uint64_t>(unzigzag(el)));
    }
    // Gather the fields: stored ones point into the image, rebuilt ones
    // into scratch buffers (properties before the message that refers to them).
    bool shredded = b.version >= 2 && (shape & shape_shredded);
    uint32_t rebuilt = 0;
    // Fields outside w.fields are never written: they stay empty.
    for (uint32_t bits = w.fields; bits; bits &= bits - 1) {
      const size_t f = static_cast<size_t>(std::countr_zero(bits));
      if (f == props_index && shredded) {
        fields[f] = {};
        continue;
      }
      uint64_t len;
      const char* src;
      if (!cols[col_lengths + f].varint(len))
        return corrupt("field columns");
      if (is_repeating_field(b.version, f)) {
        auto& seen = scratch.distinct[f];
        if (len & 1) {
          if ((len >> 1) >= seen.size())
            return corrupt("repeated value");
          fields[f] = seen[len >> 1];
          continue;
        }
        len >>= 1;
        if (!cols[col_data + f].bytes(len, src))
          return corrupt("field columns");
        fields[f] = std::string_view{src, static_cast<size_t>(len)};
        if (len)
          seen.push_back(fields[f]);
        continue;
      }
      if (!cols[col_data + f].bytes(len, src))
        return corrupt("field columns");
      fields[f] = std::string_view{src, static_cast<size_t>(len)};
    }
    if (shredded && w.props) {
      if (!props.next(scratch.props_text))
        return corrupt("property columns");
      fields[props_index] = scratch.props_text;
      rebuilt |= field_bit(field::properties);
    }
    if ((shape & shape_derived) && w.message) {
      auto mt = fields[template_index];
      decode_scratch::cached_shape* cached = nullptr;
      for (auto& c : scratch.shapes)
        if (c.valid && c.text == mt) {
          cached = &c;
          break;
        }
      if (!cached) {
        cached = &scratch.shapes[scratch.next_shape++ % scratch.shapes.size()];
        cached->text.assign(mt);
        cached->shape.parse(cached->text);
        cached->valid = true;
      }
      scratch.message.clear();
      property_source source{fields[props_index], props.last_members(), shredded};
      if (!decode_holes(cached->shape, fields[message_index], source, hole_version, scratch.message))
        return corrupt("derived message");
      fields[message_index] = scratch.message;
      rebuilt |= field_bit(field::message);
    }
    if (!sink.add(i, ts, id, start, event_type, static_cast<uint32_t>(flags), fields, rebuilt))
      return corrupt("records_bytes");
  }
  return sink.finish();
}

} // namespace

status decode_block(std::string_view value, record_batch& out) {
  return decode_block(value, out, full_projection);
}

status decode_block(std::string_view value, record_batch& out, const field_projection& projection) {
  thread_local decode_scratch scratch;
  out.clear();
  const wanted_parts w = wanted_by(projection);
  located_block b;
  if (auto st = locate_columns(value, w, scratch, scratch.image, b); !st)
    return st;
  record_sink sink(out, projection.is_full());
  return decode_records(b, w, scratch, sink);
}

status decode_block(std::string_view value, block_views& out, const field_projection& projection) {
  thread_local decode_scratch scratch;
  const wanted_parts w = wanted_by(projection);
  located_block b;
  if (auto st = locate_columns(value, w, scratch, out.image_, b); !st)
    return st;
  block_view_sink sink(out, w.emitted);
  return decode_records(b, w, scratch, sink);
}

namespace {

std::string_view column_text(const column_reader& c) { return {c.p, size_t(c.end - c.p)}; }
/// Blocks from CBK2 on have the shredded property columns.
bool shredded_columns_present(const located_block& b) { return b.version >= 2; }

/// Reads the i-th asked property of every event into `pc`: shredded objects
/// from the property columns, the others from the properties field column.
/// Returns false with `complete` cleared if the block cannot be read so.
status decode_property_codes(located_block& b, const std::vector<uint8_t>& shapes, std::string_view name,
                             property_key_reader& reader, column_reader fields_lengths, column_reader fields_data,
                             bool numeric, auto& pc, bool& complete) {
  const uint32_t n = b.count;
  pc.codes.assign(n, 0);
  pc.spans.assign(1, {0, 0});
  pc.numbers.clear();
  if (numeric)
    pc.numbers.push_back(std::numeric_limits<double>::quiet_NaN());
  pc.string_codes.clear();
  pc.text.clear();
  auto add = [&](std::string_view text, bool quoted, double number = std::numeric_limits<double>::quiet_NaN()) {
    if (numeric)
      pc.numbers.push_back(number);
    pc.spans.emplace_back(static_cast<uint32_t>(pc.text.size()), static_cast<uint32_t>(text.size() + 2 * quoted));
    if (quoted)
      pc.text.push_back('"');
    pc.text.append(text);
    if (quoted)
      pc.text.push_back('"');
    return static_cast<uint32_t>(pc.spans.size() - 1);
  };
  const bool shredding = b.version >= 2;
  if (shredded_columns_present(b) &&
      !reader.open(column_text(b.cols[col_prop_layout]), column_text(b.cols[col_prop_dict]),
                   column_text(b.cols[col_prop_values]), name))
    return corrupt("property dictionary");
  if (shredded_columns_present(b) && reader.escaped_keys())
    complete = false;
  property_key_reader::key_value kv;
  for (uint32_t i = 0; i < n && complete; ++i) {
    if (shredding && (shapes[i] & shape_shredded)) {
      if (!reader.next(kv, !numeric))
        return corrupt("property columns");
      if (numeric && kv.number == kv.number) {
        // A number as a double: no text (the reader rendered none).
        pc.numbers.push_back(kv.number);
        pc.spans.emplace_back(0u, 0u);
        pc.codes[i] = static_cast<uint32_t>(pc.spans.size() - 1);
      } else if (kv.kind == property_key_reader::key_value::string) {
        if (kv.string_number == pc.string_codes.size())
          pc.string_codes.push_back(add(kv.text, true));
        else if (kv.string_number > pc.string_codes.size())
          return corrupt("property strings");
        pc.codes[i] = pc.string_codes[kv.string_number];
      } else if (kv.kind == property_key_reader::key_value::other) {
        pc.codes[i] = add(kv.text, false, kv.number);
      }
      continue;
    }
    uint64_t len;
    const char* src;
    if (!fields_lengths.varint(len) || !fields_data.bytes(len, src))
      return corrupt("field columns");
    if (len == 0)
      continue;
    std::string_view found;
    const bool compact = for_each_member(std::string_view{src, size_t(len)}, [&](std::string_view k, std::string_view v) {
      if (k.find('\\') != std::string_view::npos) {
        complete = false;
        return false;
      }
      if (k == name) {
        found = v;
        return false;
      }
      return true;
    });
    if (!compact)
      complete = false;
    else if (!found.empty())
      pc.codes[i] = add(found, false);
  }
  pc.values.resize(pc.spans.size());
  for (size_t c = 0; c < pc.spans.size(); ++c)
    pc.values[c] = std::string_view{pc.text}.substr(pc.spans[c].first, pc.spans[c].second);
  return ok;
}

/// Per-thread state of decode_messages.
struct message_scratch {
  std::vector<template_shape> shapes;            ///< by template code
  std::vector<std::vector<int32_t>> hole_slots;  ///< by template code, per hole: index into names
  std::vector<std::string_view> names;           ///< the block's hole names
  plain_values_reader reader;
};

/// Rebuilds every event's @Message into out.message_text_ as decode_records
/// does: derived messages from their template's literals, the hole values
/// stored verbatim and the plain renderings of the properties holes name.
/// Needs the fixed group's shapes in `shapes`, the template codes, and the
/// message, properties and property columns located in `b`.
status decode_messages(located_block& b, const std::vector<uint8_t>& shapes,
                       std::span<const uint32_t> template_codes, std::span<const std::string_view> templates,
                       message_scratch& ms, std::string& text, std::vector<std::pair<uint32_t, uint32_t>>& spans,
                       bool& complete) {
  const uint32_t n = b.count;
  const int hole_version = b.version >= 2 ? 2 : 1;
  ms.names.clear();
  ms.shapes.resize(templates.size());
  ms.hole_slots.resize(templates.size());
  for (size_t t = 1; t < templates.size(); ++t) {
    ms.shapes[t].parse(templates[t]);
    auto& slots = ms.hole_slots[t];
    slots.clear();
    for (auto name : ms.shapes[t].names) {
      auto at = std::find(ms.names.begin(), ms.names.end(), name);
      if (at == ms.names.end())
        at = ms.names.insert(at, name);
      slots.push_back(name.empty() ? -1 : static_cast<int32_t>(at - ms.names.begin()));
    }
  }
  if (shredded_columns_present(b) &&
      !ms.reader.open(column_text(b.cols[col_prop_layout]), column_text(b.cols[col_prop_dict]),
                      column_text(b.cols[col_prop_values]), ms.names))
    return corrupt("property dictionary");
  column_reader message_lengths = b.cols[col_lengths + message_index];
  column_reader message_data = b.cols[col_data + message_index];
  column_reader props_lengths = b.cols[col_lengths + props_index];
  column_reader props_data = b.cols[col_data + props_index];
  text.clear();
  spans.resize(n);
  for (uint32_t i = 0; i < n; ++i) {
    const bool shredded = b.version >= 2 && (shapes[i] & shape_shredded);
    std::string_view props_json;
    uint64_t len;
    const char* src;
    if (shredded) {
      if (!ms.reader.next())
        return corrupt("property columns");
    } else {
      if (!props_lengths.varint(len) || !props_data.bytes(len, src))
        return corrupt("field columns");
      props_json = {src, size_t(len)};
    }
    if (!message_lengths.varint(len) || !message_data.bytes(len, src))
      return corrupt("field columns");
    const std::string_view stored{src, size_t(len)};
    const uint32_t t = template_codes[i];
    const size_t begin = text.size();
    if (shapes[i] & shape_derived) {
      if (t == 0)
        return corrupt("derived message");
      bool rebuilt;
      if (shredded) {
        const auto& slots = ms.hole_slots[t];
        rebuilt = decode_holes_with(ms.shapes[t], stored, hole_version, text, [&](size_t hole, std::string& o) {
          return slots[hole] >= 0 && ms.reader.append(size_t(slots[hole]), o);
        });
      } else {
        rebuilt = decode_holes(ms.shapes[t], stored, property_source{props_json, {}, false}, hole_version, text);
      }
      if (!rebuilt)
        return corrupt("derived message");
    } else if (stored.empty() && t != 0) {
      // A template without a message renders at read time (query/builtins.cpp).
      complete = false;
      return ok;
    } else {
      text.append(stored);
    }
    spans[i] = {static_cast<uint32_t>(begin), static_cast<uint32_t>(text.size() - begin)};
  }
  return ok;
}

} // namespace

status decode_block_columns(std::string_view value, const column_selection& what, block_columns& out) {
  thread_local decode_scratch scratch;
  thread_local property_key_reader reader;
  thread_local message_scratch messages;
  if (what.fields & ~coded_fields_mask)
    return store_error{errc::internal, "decode_block_columns: message and properties are not coded fields"};
  const uint32_t fields = what.fields | (what.messages ? field_bit(field::message_template) : 0);
  const bool props = !what.properties.empty() || what.messages;
  wanted_parts w{};
  w.fields = fields | (props ? field_bit(field::properties) : 0) | (what.messages ? field_bit(field::message) : 0);
  w.emitted = w.fields;
  w.props = props;
  // Shredded or derived is in the fixed group's shape column.
  w.fixed = props;
  w.fixed_for_shredding = !what.messages;
  w.timestamps = what.timestamps;
  located_block b;
  if (auto st = locate_columns(value, w, scratch, out.image_, b); !st)
    return st;
  const uint32_t n = b.count;
  out.count_ = n;
  out.complete_ = true;
  out.timestamps_.clear();
  if (what.timestamps) {
    out.timestamps_.resize(n);
    auto& col = b.cols[col_timestamp];
    int64_t ts = 0;
    for (uint32_t i = 0; i < n; ++i) {
      uint64_t d;
      if (!col.varint(d))
        return corrupt("timestamp column");
      ts = static_cast<int64_t>(static_cast<uint64_t>(ts) + static_cast<uint64_t>(unzigzag(d)));
      out.timestamps_[i] = ts;
    }
  }
  for (size_t f = 0; f < field_count; ++f) {
    auto& codes = out.codes_[f];
    auto& values = out.values_[f];
    codes.clear();
    values.clear();
    if (!((fields >> f) & 1))
      continue;
    codes.resize(n);
    values.push_back({});
    auto& lengths = b.cols[col_lengths + f];
    auto& data = b.cols[col_data + f];
    // A repeating field's length column refers back to its earlier values
    // (2n+1 = the n-th distinct non-empty value): those are codes already.
    const bool repeating = is_repeating_field(b.version, f);
    for (uint32_t i = 0; i < n; ++i) {
      uint64_t len;
      if (!lengths.varint(len))
        return corrupt("field columns");
      if (repeating) {
        if (len & 1) {
          if ((len >> 1) + 1 >= values.size())
            return corrupt("repeated value");
          codes[i] = static_cast<uint32_t>((len >> 1) + 1);
          continue;
        }
        len >>= 1;
      }
      if (len == 0) {
        codes[i] = 0;
        continue;
      }
      const char* src;
      if (!data.bytes(len, src))
        return corrupt("field columns");
      codes[i] = static_cast<uint32_t>(values.size());
      values.emplace_back(src, static_cast<size_t>(len));
    }
  }
  out.props_.resize(what.properties.size());
  if (props) {
    auto& shapes = out.shapes_;
    shapes.resize(n);
    if (w.fixed_for_shredding && b.all_shredded)
      std::fill(shapes.begin(), shapes.end(), shape_shredded);
    else
      for (uint32_t i = 0; i < n; ++i)
        if (!b.cols[col_shape].fixed(shapes[i]))
          return corrupt("fixed columns");
    for (size_t p = 0; p < what.properties.size() && out.complete_; ++p)
      if (auto st = decode_property_codes(b, shapes, what.properties[p], reader, b.cols[col_lengths + props_index],
                                          b.cols[col_data + props_index], (what.numeric_properties >> p) & 1,
                                          out.props_[p], out.complete_);
          !st)
        return st;
  }
  out.message_text_.clear();
  out.message_spans_.clear();
  if (what.messages && out.complete_)
    return decode_messages(b, out.shapes_, out.codes_[template_index], out.values_[template_index], messages,
                           out.message_text_, out.message_spans_, out.complete_);
  return ok;
}

void block_views::assign(const record_batch& batch) {
  dirty_fields_ = all_fields_mask;
  views_.resize(batch.size());
  size_t n = 0;
  for (size_t i = 0; i < batch.size(); ++i) {
    auto r = batch.record(i);
    if (views_[n].parse(r.data(), r.size()))
      ++n;
  }
  views_.resize(n);
}

} // namespace cairn::storage
