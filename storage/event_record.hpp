#pragma once
/// The binary event record: the one representation of an event shared by the
/// decoders (net/), the event store (storage/) and the query engine (query/).
///
/// Caveats:
/// - A record is a flat byte string, little-endian, with no alignment
///   guarantees: read fixed fields with memcpy (the view does this).
/// - The id field is patched in place by the ingest committer after decoding,
///   so decoders write 0 there; nothing else in a record ever changes.
/// - Properties, resource and scope are stored as compact JSON object text
///   (type-preserving: strings, integers, floats, bools, null, arrays,
///   objects). An empty string means "absent" (no object at all).
///
/// Layout (all integers little-endian):
///
///   offset size field
///   0      8    timestamp   int64, nanoseconds since the Unix epoch (UTC)
///   8      8    id          uint64, cluster-unique, assigned at commit
///   16     8    start       int64, span start in Unix ns; no_start if not a span
///   24     4    event_type  uint32 (CLEF @i, or Murmur3 of the template)
///   28     4    flags       uint32, see record_flags
///   32     ...  kField count strings, each a LEB128 varint byte length then
///               the bytes, in the order of enum class field.
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

namespace cairn::storage {

/// Marks a record that is not a span.
inline constexpr int64_t no_start = INT64_MIN;

/// Size of the fixed header preceding the variable-length fields.
inline constexpr size_t record_header_size = 32;

/// Offset of the id field, which the committer patches.
inline constexpr size_t record_id_offset = 8;

/// Largest encoded record accepted anywhere (SPEC.md §3: 256 KiB events).
inline constexpr size_t max_record_bytes = 256 * 1024;

/// Bits of the flags word.
enum record_flags : uint32_t {
  /// event_type came from the client (CLEF @i) rather than a template hash.
  explicit_event_type = 1u << 0,
};

/// The variable-length fields in storage order.
enum class field : uint8_t {
  level,            ///< level as sent ("" = absent, reads as Information)
  message_template, ///< Serilog message template (@mt), may be empty
  message,          ///< rendered message (@m, OTLP body, span name)
  exception,        ///< exception text (@x)
  trace_id,         ///< lowercase hex, 32 chars, or empty
  span_id,          ///< lowercase hex, 16 chars, or empty
  parent_id,        ///< lowercase hex parent span id, or empty
  span_kind,        ///< Client/Server/Producer/Consumer/Internal, or empty
  properties,       ///< JSON object text of user properties, or empty
  resource,         ///< JSON object text of resource attributes, or empty
  scope,            ///< JSON object text of the instrumentation scope, or empty
};
inline constexpr size_t field_count = 11;

/// Read-only, zero-copy view over one encoded record.
/// @pre the bytes outlive the view and were produced by record_builder.
class record_view {
public:
  record_view() = default;

  /// Parses the field table; returns false if the bytes are not a record.
  bool parse(const char* data, size_t size) noexcept {
    if (size < record_header_size)
      return false;
    data_ = data;
    size_ = size;
    std::memcpy(&timestamp_, data, 8);
    std::memcpy(&id_, data + 8, 8);
    std::memcpy(&start_, data + 16, 8);
    std::memcpy(&event_type_, data + 24, 4);
    std::memcpy(&flags_, data + 28, 4);
    size_t pos = record_header_size;
    for (size_t i = 0; i < field_count; ++i) {
      uint64_t len = 0;
      int shift = 0;
      for (;;) {
        if (pos >= size || shift > 35)
          return false;
        auto b = static_cast<uint8_t>(data[pos++]);
        len |= uint64_t(b & 0x7f) << shift;
        if (!(b & 0x80))
          break;
        shift += 7;
      }
      if (len > size - pos)
        return false;
      fields_[i] = std::string_view{data + pos, static_cast<size_t>(len)};
      pos += len;
    }
    return pos == size;
  }

  /// Makes this a view assembled from decoded block columns
  /// (storage/block_codec.hpp): the header values given here, every field
  /// empty until set(), and no record bytes behind it (bytes() is empty).
  void assemble(int64_t timestamp, uint64_t id, int64_t start, uint32_t event_type, uint32_t flags) noexcept {
    assemble_header(timestamp, id, start, event_type, flags);
    for (auto& f : fields_)
      f = {};
  }

  /// As assemble(), but the fields keep their values: for decoders that
  /// reuse views and overwrite every field they hand out.
  void assemble_header(int64_t timestamp, uint64_t id, int64_t start, uint32_t event_type,
                       uint32_t flags) noexcept {
    data_ = nullptr;
    size_ = 0;
    timestamp_ = timestamp;
    id_ = id;
    start_ = start;
    event_type_ = event_type;
    flags_ = flags;
  }

  /// Sets a field of an assembled view; the text must outlive the view.
  void set(field f, std::string_view value) noexcept { fields_[static_cast<size_t>(f)] = value; }

  int64_t timestamp() const noexcept { return timestamp_; }
  uint64_t id() const noexcept { return id_; }
  int64_t start() const noexcept { return start_; }
  bool is_span() const noexcept { return start_ != no_start; }
  uint32_t event_type() const noexcept { return event_type_; }
  uint32_t flags() const noexcept { return flags_; }

  std::string_view get(field f) const noexcept {
    return fields_[static_cast<size_t>(f)];
  }

  /// The encoded record; empty for an assembled view.
  std::string_view bytes() const noexcept { return {data_, size_}; }

private:
  const char* data_ = nullptr;
  size_t size_ = 0;
  int64_t timestamp_ = 0;
  uint64_t id_ = 0;
  int64_t start_ = no_start;
  uint32_t event_type_ = 0;
  uint32_t flags_ = 0;
  std::string_view fields_[field_count];
};

/// Appends one record to a caller-owned buffer without allocating per field.
/// Usage: begin(), set header values, add fields in `field` order, finish().
class record_builder {
public:
  /// Starts a record at the end of `out`.
  explicit record_builder(std::string& out) : out_(out) {
    begin_ = out_.size();
    out_.resize(begin_ + record_header_size);
    std::memset(out_.data() + begin_, 0, record_header_size);
    store<int64_t>(16, no_start);
  }

  void timestamp(int64_t unix_ns) { store<int64_t>(0, unix_ns); }
  void start(int64_t unix_ns) { store<int64_t>(16, unix_ns); }
  void event_type(uint32_t t) { store<uint32_t>(24, t); }
  void flags(uint32_t f) { store<uint32_t>(28, f); }

  /// Appends the next field; fields must come in `field` order.
  void add(std::string_view value) {
    // The length is put together first and appended in one go: a
    // push_back per varint byte cost a capacity check each (every decoder
    // adds 11 fields per event).
    char len[10];
    size_t n = 0;
    uint64_t rest = value.size();
    do {
      uint8_t b = rest & 0x7f;
      rest >>= 7;
      len[n++] = static_cast<char>(rest ? (b | 0x80) : b);
    } while (rest);
    out_.append(len, n);
    out_.append(value.data(), value.size());
    ++added_;
  }

  /// Appends every field at once, in `field` order: the record grows once
  /// instead of twice per field. @pre no field was added yet.
  void add_all(const std::string_view (&values)[field_count]) {
    size_t total = 0;
    for (auto v : values)
      total += varint_size(v.size()) + v.size();
    size_t at = out_.size();
    out_.resize(at + total);
    char* p = out_.data() + at;
    for (auto v : values) {
      uint64_t rest = v.size();
      do {
        uint8_t b = rest & 0x7f;
        rest >>= 7;
        *p++ = static_cast<char>(rest ? (b | 0x80) : b);
      } while (rest);
      if (!v.empty())
        std::memcpy(p, v.data(), v.size());
      p += v.size();
    }
    added_ += field_count;
  }

  /// Fields added so far.
  size_t added() const noexcept { return added_; }

  /// Size of the record so far.
  size_t size() const noexcept { return out_.size() - begin_; }

  /// Removes the partial record from the buffer (on a decode error).
  void abandon() { out_.resize(begin_); }

  size_t begin_offset() const noexcept { return begin_; }

private:
  static size_t varint_size(uint64_t n) noexcept {
    size_t bytes = 1;
    while (n >>= 7)
      ++bytes;
    return bytes;
  }

  template <class T>
  void store(size_t off, T v) {
    std::memcpy(out_.data() + begin_ + off, &v, sizeof(T));
  }

  std::string& out_;
  size_t begin_ = 0;
  size_t added_ = 0;
};

/// A decoded request: records laid end to end plus their offsets.
/// Decoders fill one; the committer patches ids and stores it whole.
struct record_batch {
  std::string bytes;             ///< concatenated records
  std::vector<uint32_t> offsets; ///< start of each record in bytes

  size_t size() const noexcept { return offsets.size(); }
  bool empty() const noexcept { return offsets.empty(); }

  /// Byte range of record i.
  std::string_view record(size_t i) const noexcept {
    size_t end = i + 1 < offsets.size() ? offsets[i + 1] : bytes.size();
    return std::string_view{bytes}.substr(offsets[i], end - offsets[i]);
  }

  void clear() {
    bytes.clear();
    offsets.clear();
  }
};

} // namespace cairn::storage
