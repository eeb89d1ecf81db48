#include "storage/block_codec.hpp"

#include <zstd.h>

#include <array>
#include <cstring>
#include <vector>

namespace cairn::storage {

namespace {

constexpr char block_magic[4] = {'C', 'B', 'K', '1'};
constexpr size_t value_header_size = 8;
constexpr size_t image_header_size = 8 + 4 * block_column_count;

enum column : size_t { col_shape, col_timestamp, col_id, col_elapsed, col_event_type, col_flags, col_lengths };

constexpr size_t col_data = col_lengths + field_count;

/// Bits of the shape column.
constexpr uint8_t shape_span = 1;    ///< the record is a span: an elapsed value follows
constexpr uint8_t shape_derived = 2; ///< message stored as template hole values

void put_varint(std::string& out, uint64_t v) {
  char buf[10];
  size_t n = 0;
  do {
    uint8_t b = v & 0x7f;
    v >>= 7;
    buf[n++] = static_cast<char>(v ? (b | 0x80) : b);
  } while (v);
  out.append(buf, n);
}

size_t varint_size(uint64_t v) noexcept {
  size_t n = 1;
  while (v >= 0x80) {
    v >>= 7;
    ++n;
  }
  return n;
}

char* write_varint(char* p, uint64_t v) noexcept {
  do {
    uint8_t b = v & 0x7f;
    v >>= 7;
    *p++ = static_cast<char>(v ? (b | 0x80) : b);
  } while (v);
  return p;
}

uint64_t zigzag(int64_t v) noexcept {
  return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63);
}

int64_t unzigzag(uint64_t v) noexcept {
  return static_cast<int64_t>(v >> 1) ^ -static_cast<int64_t>(v & 1);
}

template <class T>
void put_fixed(std::string& out, T v) {
  out.append(reinterpret_cast<const char*>(&v), sizeof(T));
}

/// A bounds-checked reader over one column.
struct column_reader {
  const char* p = nullptr;
  const char* end = nullptr;

  bool varint(uint64_t& v) noexcept {
    v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (p == end)
        return false;
      auto b = static_cast<uint8_t>(*p++);
      v |= uint64_t(b & 0x7f) << shift;
      if (!(b & 0x80))
        return true;
    }
    return false;
  }

  template <class T>
  bool fixed(T& v) noexcept {
    if (size_t(end - p) < sizeof(T))
      return false;
    std::memcpy(&v, p, sizeof(T));
    p += sizeof(T);
    return true;
  }

  bool bytes(size_t n, const char*& out) noexcept {
    if (size_t(end - p) < n)
      return false;
    out = p;
    p += n;
    return true;
  }
};

struct dctx_deleter {
  void operator()(ZSTD_DCtx* c) const noexcept { ZSTD_freeDCtx(c); }
};

/// Per-thread decompression state: readers run on many threads.
struct decode_scratch {
  std::unique_ptr<ZSTD_DCtx, dctx_deleter> dctx{ZSTD_createDCtx()};
  std::string image;
  std::vector<std::string_view> literals;
};

/// Splits a message template into its literal runs: the text between
/// "{...}" holes. A template with n holes has n + 1 literals.
void template_literals(std::string_view mt, std::vector<std::string_view>& lits) {
  lits.clear();
  size_t lit_begin = 0, i = 0;
  while (i < mt.size()) {
    if (mt[i] == '{') {
      size_t close = mt.find('}', i + 1);
      if (close == std::string_view::npos)
        break;
      lits.push_back(mt.substr(lit_begin, i - lit_begin));
      i = lit_begin = close + 1;
    } else {
      ++i;
    }
  }
  lits.push_back(mt.substr(lit_begin));
}

/// If `msg` == lit0 + v0 + lit1 + v1 + ... + litn, appends the hole values
/// (each varint length + bytes) to `out` and returns true. Greedy matching
/// is fine: any decomposition rebuilds exactly the same bytes.
bool derive_holes(std::string_view msg, const std::vector<std::string_view>& lits, std::string& out) {
  size_t n = lits.size();
  if (n < 2 || msg.substr(0, lits[0].size()) != lits[0])
    return false;
  size_t pos = lits[0].size();
  size_t mark = out.size();
  for (size_t i = 1; i < n; ++i) {
    size_t end;
    if (i + 1 == n) {
      if (msg.size() < pos + lits[i].size() || msg.substr(msg.size() - lits[i].size()) != lits[i])
        break;
      end = msg.size() - lits[i].size();
    } else {
      end = msg.find(lits[i], pos);
      if (end == std::string_view::npos)
        break;
    }
    put_varint(out, end - pos);
    out.append(msg.substr(pos, end - pos));
    pos = end + lits[i].size();
    if (i + 1 == n)
      return true;
  }
  out.resize(mark);
  return false;
}

/// Writes varint(length) + lit0 + v0 + ... + litn at w for a derived
/// message whose hole values are in `holes`; false if they do not fit.
bool rebuild_message(std::string_view mt, std::string_view holes, std::vector<std::string_view>& lits, char*& w,
                     char* w_end) {
  template_literals(mt, lits);
  if (lits.size() < 2)
    return false;
  // 1. Length first: the record stores it before the bytes.
  column_reader hr{holes.data(), holes.data() + holes.size()};
  uint64_t total = 0;
  for (size_t i = 0; i < lits.size(); ++i) {
    total += lits[i].size();
    if (i + 1 < lits.size()) {
      uint64_t len;
      const char* src;
      if (!hr.varint(len) || !hr.bytes(len, src))
        return false;
      total += len;
    }
  }
  if (hr.p != hr.end || size_t(w_end - w) < varint_size(total) + total)
    return false;
  // 2. Then literals and holes interleaved.
  w = write_varint(w, total);
  hr = column_reader{holes.data(), holes.data() + holes.size()};
  for (size_t i = 0; i < lits.size(); ++i) {
    std::memcpy(w, lits[i].data(), lits[i].size());
    w += lits[i].size();
    if (i + 1 < lits.size()) {
      uint64_t len = 0;
      const char* src = nullptr;
      hr.varint(len);
      hr.bytes(len, src);
      std::memcpy(w, src, len);
      w += len;
    }
  }
  return true;
}

store_error corrupt(const char* what) {
  return store_error{errc::corrupt, std::string{"decode_block: "} + what};
}

} // namespace

struct block_encoder::impl {
  int level;
  ZSTD_CCtx* cctx = ZSTD_createCCtx();
  std::array<std::string, block_column_count> columns;
  std::vector<std::string_view> literals;
  std::string holes;

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
  // 1. Split every record into its columns.
  int64_t prev_ts = 0;
  uint64_t prev_id = 0;
  uint64_t records_bytes = 0;
  for (const auto& r : records) {
    records_bytes += r.bytes().size();
    int64_t ts = r.timestamp();
    uint64_t id = r.id();
    // A rendered message is stored as its template's hole values when it
    // decomposes that way: the literal text is already in the template.
    auto& holes = impl_->holes;
    holes.clear();
    auto mt = r.get(field::message_template);
    bool derived = false;
    if (!mt.empty()) {
      template_literals(mt, impl_->literals);
      derived = derive_holes(r.get(field::message), impl_->literals, holes);
    }
    cols[col_shape].push_back(static_cast<char>((r.is_span() ? shape_span : 0) | (derived ? shape_derived : 0)));
    put_varint(cols[col_timestamp], zigzag(static_cast<int64_t>(static_cast<uint64_t>(ts) - static_cast<uint64_t>(prev_ts))));
    put_varint(cols[col_id], zigzag(static_cast<int64_t>(id - prev_id)));
    if (r.is_span())
      put_varint(cols[col_elapsed], zigzag(static_cast<int64_t>(static_cast<uint64_t>(ts) - static_cast<uint64_t>(r.start()))));
    put_fixed<uint32_t>(cols[col_event_type], r.event_type());
    put_varint(cols[col_flags], r.flags());
    for (size_t f = 0; f < field_count; ++f) {
      auto v = f == size_t(field::message) && derived ? std::string_view{holes} : r.get(static_cast<field>(f));
      put_varint(cols[col_lengths + f], v.size());
      cols[col_data + f].append(v);
    }
    prev_ts = ts;
    prev_id = id;
  }
  if (records.size() > UINT32_MAX || records_bytes > UINT32_MAX)
    return store_error{errc::internal, "block_encoder: block too large"};
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
  std::memcpy(out.data(), block_magic, 4);
  uint32_t raw = static_cast<uint32_t>(image_.size());
  std::memcpy(out.data() + 4, &raw, 4);
  size_t n = ZSTD_compressCCtx(impl_->cctx, out.data() + value_header_size, bound, image_.data(),
                               image_.size(), impl_->level);
  if (ZSTD_isError(n))
    return store_error{errc::internal, std::string{"block_encoder: "} + ZSTD_getErrorName(n)};
  out.resize(value_header_size + n);
  return ok;
}

status decode_block(std::string_view value, record_batch& out) {
  thread_local decode_scratch scratch;
  out.clear();
  // 1. Check the value header and decompress the column image.
  if (value.size() < value_header_size || std::memcmp(value.data(), block_magic, 4) != 0)
    return corrupt("bad magic");
  uint32_t raw = 0;
  std::memcpy(&raw, value.data() + 4, 4);
  if (raw < image_header_size)
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
  const char* p = image.data() + image_header_size;
  const char* end = image.data() + image.size();
  for (size_t c = 0; c < block_column_count; ++c) {
    uint32_t size;
    std::memcpy(&size, image.data() + 8 + 4 * c, 4);
    if (size_t(end - p) < size)
      return corrupt("column sizes");
    cols[c] = column_reader{p, p + size};
    p += size;
  }
  if (count > records_bytes / record_header_size + 1)
    return corrupt("count");
  // 3. Rebuild each record in place: header, then (varint length, bytes) per field.
  out.bytes.resize(records_bytes);
  out.offsets.resize(count);
  char* w = out.bytes.data();
  char* w_end = w + records_bytes;
  int64_t ts = 0;
  uint64_t id = 0;
  auto& lits = scratch.literals;
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
    std::string_view mt;
    for (size_t f = 0; f < field_count; ++f) {
      uint64_t len;
      const char* src;
      if (!cols[col_lengths + f].varint(len) || !cols[col_data + f].bytes(len, src))
        return corrupt("field columns");
      if (f == size_t(field::message_template))
        mt = std::string_view{src, len};
      if (f == size_t(field::message) && (shape & shape_derived)) {
        if (!rebuild_message(mt, std::string_view{src, len}, lits, w, w_end))
          return corrupt("derived message");
        continue;
      }
      if (size_t(w_end - w) < varint_size(len) + len)
        return corrupt("records_bytes");
      w = write_varint(w, len);
      std::memcpy(w, src, len);
      w += len;
    }
  }
  if (w != w_end)
    return corrupt("records_bytes mismatch");
  return ok;
}

} // namespace cairn::storage
