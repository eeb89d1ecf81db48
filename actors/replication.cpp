#include "actors/replication.hpp"

#include <algorithm>
#include <cstring>
#include <limits>

namespace cairn {

uint64_t record_id(std::string_view record) {
  uint64_t id;
  std::memcpy(&id, record.data() + storage::record_id_offset, sizeof id);
  return id;
}

void filter_records(const storage::record_batch& batch,
                    const std::function<bool(uint64_t)>& keep, storage::record_batch& out) {
  out.clear();
  for (size_t i = 0; i < batch.size(); ++i) {
    auto r = batch.record(i);
    if (!keep(record_id(r)))
      continue;
    out.offsets.push_back(static_cast<uint32_t>(out.bytes.size()));
    out.bytes += r;
  }
}

namespace {

uint64_t id_of(std::string_view record) {
  return record_id(record);
}

} // namespace

bool collect_after(const storage::event_store& store, uint64_t after_id, size_t max_events,
                   storage::record_batch& out) {
  // Gather candidates from blocks whose id range reaches past after_id, then
  // from the buffer, into one arena (no allocation per record); sort their
  // (id, place) by id and copy out the first max_events.
  struct candidate {
    uint64_t id;
    size_t offset;
    size_t size;
  };
  std::vector<candidate> found;
  std::string arena;
  auto keep = [&](uint64_t id, std::string_view r) {
    found.push_back({id, arena.size(), r.size()});
    arena.append(r);
  };
  constexpr int64_t all_from = std::numeric_limits<int64_t>::min();
  constexpr int64_t all_to = std::numeric_limits<int64_t>::max();
  if (auto blocks = store.list_blocks(all_from, all_to)) {
    storage::record_batch block;
    for (const auto& b : *blocks) {
      if (b.summary.max_id <= after_id)
        continue;
      if (!store.read_block(b.key, block))
        continue;
      for (size_t i = 0; i < block.size(); ++i) {
        auto r = block.record(i);
        if (auto id = id_of(r); id > after_id)
          keep(id, r);
      }
    }
  }
  (void)store.scan_buffer(all_from, all_to, [&](const storage::record_view& v) {
    if (v.id() > after_id)
      keep(v.id(), v.bytes());
    return true;
  });
  std::sort(found.begin(), found.end(), [](const candidate& a, const candidate& b) { return a.id < b.id; });
  found.erase(std::unique(found.begin(), found.end(),
                          [](const candidate& a, const candidate& b) { return a.id == b.id; }),
              found.end());
  out.clear();
  size_t n = std::min(found.size(), max_events);
  for (size_t i = 0; i < n; ++i) {
    out.offsets.push_back(static_cast<uint32_t>(out.bytes.size()));
    out.bytes.append(arena, found[i].offset, found[i].size);
  }
  return found.size() > n;
}

bool index_records(storage::record_batch& batch) {
  batch.offsets.clear();
  size_t pos = 0;
  const auto& b = batch.bytes;
  while (pos < b.size()) {
    size_t end = pos + storage::record_header_size;
    if (end > b.size())
      return false;
    for (size_t f = 0; f < storage::field_count; ++f) {
      uint64_t len = 0;
      int shift = 0;
      for (;;) {
        if (end >= b.size() || shift > 35)
          return false;
        auto c = static_cast<uint8_t>(b[end++]);
        len |= uint64_t(c & 0x7f) << shift;
        if (!(c & 0x80))
          break;
        shift += 7;
      }
      if (len > b.size() - end)
        return false;
      end += len;
    }
    batch.offsets.push_back(static_cast<uint32_t>(pos));
    pos = end;
  }
  return true;
}

void for_each_id_run(const storage::record_batch& sorted,
                     const std::function<void(storage::record_batch&, uint64_t)>& f) {
  storage::record_batch run;
  uint64_t first = 0, expected = 0;
  auto flush = [&] {
    if (!run.empty())
      f(run, first);
    run.clear();
  };
  for (size_t i = 0; i < sorted.size(); ++i) {
    auto r = sorted.record(i);
    auto id = id_of(r);
    if (run.empty() || id != expected) {
      flush();
      first = id;
    }
    run.offsets.push_back(static_cast<uint32_t>(run.bytes.size()));
    run.bytes += r;
    expected = id + 1;
  }
  flush();
}

} // namespace cairn
