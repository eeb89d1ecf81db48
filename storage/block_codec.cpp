#include "storage/block_codec.hpp"

#include "storage/block_varint.hpp"
#include "storage/message_holes.hpp"
#include "storage/property_columns.hpp"

#include <zstd.h>

#include <array>
#include <unordered_map>
#include <cstring>
#include <vector>

namespace cairn::storage {

using namespace blockfmt;

namespace {

constexpr char magic_v1[4] = {'C', 'B', 'K', '1'};
constexpr char magic_v2[4] = {'C', 'B', 'K', '2'};
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

constexpr size_t image_header_size(size_t columns) { return 8 + 4 * columns; }

/// Bits of the shape column.
constexpr uint8_t shape_span = 1;     ///< the record is a span: an elapsed value follows
constexpr uint8_t shape_derived = 2;  ///< message stored as template hole values
constexpr uint8_t shape_shredded = 4; ///< v2: properties in the property columns

constexpr size_t props_index = size_t(field::properties);

/// CBK2: fields whose few distinct values repeat all over a block. Their
/// length column holds 2 * length for a value stored in the data column, or
/// 2 * n + 1 for the block's n-th distinct non-empty value of that field.
constexpr bool is_repeating_field(size_t f) noexcept {
  return f == size_t(field::level) || f == size_t(field::message_template) || f == size_t(field::span_kind) ||
         f == size_t(field::resource) || f == size_t(field::scope);
}
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
};

store_error corrupt(const char* what) {
  return store_error{errc::corrupt, std::string{"decode_block: "} + what};
}

} // namespace

struct block_encoder::impl {
  int level;
  ZSTD_CCtx* cctx = ZSTD_createCCtx();
  std::array<std::string, block_column_count> columns;
  template_shape shape;
  std::string holes;
  std::string scratch;
  property_encoder props;
  std::array<std::unordered_map<std::string_view, uint32_t>, field_count> distinct; ///< repeating fields

  ~impl() { ZSTD_freeCCtx(cctx); }
};

block_encoder::block_encoder(int zstd_level) : impl_(std::make_unique<impl>()) {
  impl_->level = zstd_level;
}

block_encoder::~block_encoder() = default;

status block_encoder::encode(std::span<const record_view> records, std::string& out) {
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
  std::string_view shape_of; // the template impl_->shape was parsed from
  for (const auto& r : records) {
    records_bytes += r.bytes().size();
    int64_t ts = r.timestamp();
    uint64_t id = r.id();
    auto props = r.get(field::properties);
    bool shredded = !props.empty() && impl_->props.add(props);
    // A rendered message is stored as its template's hole values when it
    // decomposes that way, and each value that is exactly a property's
    // rendering as a reference to it: the text is already elsewhere.
    auto& holes = impl_->holes;
    holes.clear();
    auto mt = r.get(field::message_template);
    bool derived = false;
    if (!mt.empty()) {
      if (mt.data() != shape_of.data() || mt != shape_of) {
        impl_->shape.parse(mt);
        shape_of = mt;
      }
      property_source source{props, impl_->props.last_members(), shredded};
      derived = encode_holes(r.get(field::message), impl_->shape, source, holes, impl_->scratch);
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
      if (is_repeating_field(f)) {
        if (!v.empty()) {
          auto [it, added] = impl_->distinct[f].try_emplace(v, static_cast<uint32_t>(impl_->distinct[f].size()));
          if (!added) {
            put_varint(cols[col_lengths + f], 2 * uint64_t(it->second) + 1);
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
  // 2. Lay the columns out behind the image header.
  image_.clear();
  put_fixed<uint32_t>(image_, static_cast<uint32_t>(records.size()));
  put_fixed<uint32_t>(image_, static_cast<uint32_t>(records_bytes));
  for (auto& c : cols)
    put_fixed<uint32_t>(image_, static_cast<uint32_t>(c.size()));
  for (auto& c : cols)
    image_.append(c);
  // 3. Compress into the value, behind magic and raw size.
  size_t bound = ZSTD_compressBound(image_.size());
  out.resize(value_header_size + bound);
  std::memcpy(out.data(), magic_v2, 4);
  uint32_t raw = static_cast<uint32_t>(image_.size());
  std::memcpy(out.data() + 4, &raw, 4);
  size_t n = ZSTD_compressCCtx(impl_->cctx, out.data() + value_header_size, bound, image_.data(),
                               image_.size(), impl_->level);
  if (ZSTD_isError(n))
    return store_error{errc::internal, std::string{"block_encoder: "} + ZSTD_getErrorName(n)};
  out.resize(value_header_size + n);
  return ok;
}

namespace {
/// The projection decode_block(value, out) uses on this thread.
thread_local const field_projection* current_projection = nullptr;
const field_projection full_projection{};
} // namespace

scoped_projection::scoped_projection(const field_projection& projection) noexcept
  : previous_(current_projection) {
  current_projection = &projection;
}

scoped_projection::~scoped_projection() { current_projection = previous_; }

status decode_block(std::string_view value, record_batch& out) {
  return decode_block(value, out, current_projection ? *current_projection : full_projection);
}

status decode_block(std::string_view value, record_batch& out, const field_projection& projection) {
  thread_local decode_scratch scratch;
  out.clear();
  const bool full = projection.is_full();
  // The message is rebuilt from its template and the properties it refers to.
  uint32_t wanted = projection.fields;
  const bool want_message = wanted & field_bit(field::message);
  if (want_message)
    wanted |= field_bit(field::message_template) | field_bit(field::properties);
  const bool want_props = wanted & field_bit(field::properties);
  const std::vector<std::string>* prop_names = want_message ? nullptr : projection.property_names;
  // 1. Check the value header and decompress the column image.
  if (value.size() < value_header_size)
    return corrupt("value too short");
  int version;
  if (std::memcmp(value.data(), magic_v2, 4) == 0)
    version = 2;
  else if (std::memcmp(value.data(), magic_v1, 4) == 0)
    version = 1;
  else if (std::memcmp(value.data(), magic_v1, 3) == 0)
    return store_error{errc::incompatible, "decode_block: block format '" + std::string(value.substr(0, 4)) +
                                             "' is newer than this build (reads CBK1, CBK2)"};
  else
    return corrupt("bad magic");
  size_t column_count = version == 2 ? column_count_v2 : column_count_v1;
  uint32_t raw = 0;
  std::memcpy(&raw, value.data() + 4, 4);
  if (raw < image_header_size(column_count))
    return corrupt("bad raw size");
  auto& image = scratch.image;
  image.resize(raw);
  size_t n = ZSTD_decompressDCtx(scratch.dctx.get(), image.data(), raw, value.data() + value_header_size,
                                 value.size() - value_header_size);
  if (ZSTD_isError(n) || n != raw)
    return corrupt("zstd frame");
  // 2. Locate the columns.
  uint32_t count, records_bytes;
  std::memcpy(&count, image.data(), 4);
  std::memcpy(&records_bytes, image.data() + 4, 4);
  std::array<column_reader, block_column_count> cols;
  const char* p = image.data() + image_header_size(column_count);
  const char* end = image.data() + image.size();
  for (size_t c = 0; c < column_count; ++c) {
    uint32_t size;
    std::memcpy(&size, image.data() + 8 + 4 * c, 4);
    if (size_t(end - p) < size)
      return corrupt("column sizes");
    cols[c] = column_reader{p, p + size};
    p += size;
  }
  if (count > records_bytes / record_header_size + 1)
    return corrupt("count");
  auto& props = scratch.props;
  if (version >= 2) {
    auto view = [](const column_reader& c) { return std::string_view{c.p, size_t(c.end - c.p)}; };
    if (!props.open(view(cols[col_prop_layout]), view(cols[col_prop_dict]), view(cols[col_prop_values])))
      return corrupt("property dictionary");
    props.select(prop_names);
  }
  for (auto& d : scratch.distinct)
    d.clear();
  // 3. Rebuild each record in place: header, then (varint length, bytes) per field.
  out.bytes.resize(records_bytes);
  out.offsets.resize(count);
  char* w = out.bytes.data();
  char* w_end = w + records_bytes;
  int64_t ts = 0;
  uint64_t id = 0;
  std::array<std::string_view, field_count> fields;
  for (uint32_t i = 0; i < count; ++i) {
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
    if (size_t(w_end - w) < record_header_size)
      return corrupt("records_bytes");
    out.offsets[i] = static_cast<uint32_t>(w - out.bytes.data());
    uint32_t flags32 = static_cast<uint32_t>(flags);
    std::memcpy(w, &ts, 8);
    std::memcpy(w + 8, &id, 8);
    std::memcpy(w + 16, &start, 8);
    std::memcpy(w + 24, &event_type, 4);
    std::memcpy(w + 28, &flags32, 4);
    w += record_header_size;
    // 3a. Gather the fields: stored ones point into the image, rebuilt ones
    //     into scratch buffers (properties before the message that refers to them).
    bool shredded = version >= 2 && (shape & shape_shredded);
    for (size_t f = 0; f < field_count; ++f) {
      if (f == props_index && shredded)
        continue;
      uint64_t len;
      const char* src;
      if (!cols[col_lengths + f].varint(len))
        return corrupt("field columns");
      if (version >= 2 && is_repeating_field(f)) {
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
    if (shredded) {
      if (want_props) {
        if (!props.next(scratch.props_text))
          return corrupt("property columns");
        fields[props_index] = scratch.props_text;
      } else {
        fields[props_index] = {};
      }
    }
    if ((shape & shape_derived) && want_message) {
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
      if (!decode_holes(cached->shape, fields[message_index], source, version, scratch.message))
        return corrupt("derived message");
      fields[message_index] = scratch.message;
    }
    // 3b. Write them behind the header (skipped fields empty).
    if (!full)
      for (size_t f = 0; f < field_count; ++f)
        if (!(wanted & (1u << f)))
          fields[f] = {};
    for (auto v : fields) {
      if (size_t(w_end - w) < varint_size(v.size()) + v.size())
        return corrupt("records_bytes");
      w = write_varint(w, v.size());
      std::memcpy(w, v.data(), v.size());
      w += v.size();
    }
  }
  if (full && w != w_end)
    return corrupt("records_bytes mismatch");
  // A projection only shrinks records (skipped fields, fewer members).
  out.bytes.resize(size_t(w - out.bytes.data()));
  return ok;
}

} // namespace cairn::storage
