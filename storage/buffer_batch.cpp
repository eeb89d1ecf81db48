#include "storage/buffer_batch.hpp"

#include <algorithm>
#include <cstring>

namespace cairn::storage {

namespace {

constexpr char batch_magic[4] = {'W', 'A', 'B', '1'};

uint32_t load_u32(const char* p) noexcept {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}

} // namespace

void write_buffer_batch(char* out, const buffer_batch_head& head, std::span<const uint32_t> offsets,
                        std::string_view records) noexcept {
  std::memcpy(out, batch_magic, 4);
  std::memcpy(out + 4, &head.count, 4);
  std::memcpy(out + 8, &head.min_timestamp, 8);
  std::memcpy(out + 16, &head.max_timestamp, 8);
  std::memcpy(out + 24, &head.min_id, 8);
  std::memcpy(out + 32, &head.max_id, 8);
  std::memcpy(out + buffer_batch_header_size, offsets.data(), 4 * offsets.size());
  std::memcpy(out + buffer_batch_header_size + 4 * offsets.size(), records.data(), records.size());
}

void build_buffer_batch(std::span<const std::string_view> records, std::string& out) {
  buffer_batch_head head;
  head.count = static_cast<uint32_t>(records.size());
  head.min_timestamp = INT64_MAX;
  head.max_timestamp = INT64_MIN;
  head.min_id = UINT64_MAX;
  head.max_id = 0;
  size_t bytes = 0;
  for (auto r : records) {
    int64_t ts;
    uint64_t id;
    std::memcpy(&ts, r.data(), 8);
    std::memcpy(&id, r.data() + record_id_offset, 8);
    head.min_timestamp = std::min(head.min_timestamp, ts);
    head.max_timestamp = std::max(head.max_timestamp, ts);
    head.min_id = std::min(head.min_id, id);
    head.max_id = std::max(head.max_id, id);
    bytes += r.size();
  }
  out.resize(buffer_batch_size(records.size(), bytes));
  char* p = out.data();
  std::memcpy(p, batch_magic, 4);
  std::memcpy(p + 4, &head.count, 4);
  std::memcpy(p + 8, &head.min_timestamp, 8);
  std::memcpy(p + 16, &head.max_timestamp, 8);
  std::memcpy(p + 24, &head.min_id, 8);
  std::memcpy(p + 32, &head.max_id, 8);
  char* offs = p + buffer_batch_header_size;
  char* area = offs + 4 * records.size();
  uint32_t pos = 0;
  for (size_t i = 0; i < records.size(); ++i) {
    std::memcpy(offs + 4 * i, &pos, 4);
    std::memcpy(area + pos, records[i].data(), records[i].size());
    pos += static_cast<uint32_t>(records[i].size());
  }
}

bool buffer_batch_view::parse_head(std::string_view value) noexcept {
  if (value.size() < buffer_batch_header_size || std::memcmp(value.data(), batch_magic, 4) != 0)
    return false;
  const char* p = value.data();
  head_.count = load_u32(p + 4);
  std::memcpy(&head_.min_timestamp, p + 8, 8);
  std::memcpy(&head_.max_timestamp, p + 16, 8);
  std::memcpy(&head_.min_id, p + 24, 8);
  std::memcpy(&head_.max_id, p + 32, 8);
  offsets_ = nullptr;
  records_ = {};
  return head_.count != 0;
}

bool buffer_batch_view::parse(std::string_view value) noexcept {
  if (!parse_head(value) || (value.size() - buffer_batch_header_size) / 4 < head_.count)
    return false;
  const char* p = value.data();
  offsets_ = p + buffer_batch_header_size;
  size_t area = buffer_batch_header_size + 4 * size_t{head_.count};
  records_ = value.substr(area);
  // Offsets ascend from 0 and stay inside the area, so record(i) is safe.
  uint32_t prev = 0;
  for (uint32_t i = 0; i < head_.count; ++i) {
    uint32_t o = load_u32(offsets_ + 4 * size_t{i});
    if ((i == 0 && o != 0) || o < prev || o > records_.size())
      return false;
    prev = o;
  }
  return true;
}

std::string_view buffer_batch_view::record(uint32_t i) const noexcept {
  uint32_t begin = load_u32(offsets_ + 4 * size_t{i});
  size_t end = i + 1 < head_.count ? load_u32(offsets_ + 4 * size_t{i + 1}) : records_.size();
  return records_.substr(begin, end - begin);
}

} // namespace cairn::storage
