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

namespace {

/// A page candidate: a record's id and its place in the arena.
struct candidate {
  uint64_t id;
  size_t offset;
  size_t size;
};

/// Records of `sorted` (ascending ids, not empty) that make the page: at
/// most max_events, and none that would take it past max_bytes (the first
/// always goes, so a record larger than the cap still moves the position).
size_t page_length(const std::vector<candidate>& sorted, size_t max_events, size_t max_bytes) {
  const size_t limit = std::min(sorted.size(), max_events);
  size_t n = 0, bytes = 0;
  while (n < limit && (n == 0 || bytes + sorted[n].size <= max_bytes))
    bytes += sorted[n++].size;
  return n;
}

/// One attempt of collect_after (below); reads blocks and buffer in
/// separate read transactions.
bool collect_once(const storage::event_store& store, uint64_t after_id, size_t max_events,
                  size_t max_bytes, storage::record_batch& out) {
  // Pages by id: blocks whose id range reaches past after_id are read in
  // ascending order of their lowest id, and reading stops once the held
  // candidates fill a page (by count or bytes) and the next block starts
  // above the page's last id (it cannot hold one of the page's records). A
  // chunk thus costs the blocks it returns plus one, not every block past
  // the position (which made a catch-up quadratic in its length). The buffer
  // (recent, bounded by indexing) is always scanned. Candidates go into one
  // arena (no allocation per record), then are sorted by id.
  max_events = std::max<size_t>(max_events, 1);
  std::vector<candidate> found;
  std::string arena;
  auto keep = [&](uint64_t id, std::string_view r) {
    found.push_back({id, arena.size(), r.size()});
    arena.append(r);
  };
  auto by_id = [](const candidate& a, const candidate& b) { return a.id < b.id; };
  auto full = [&](size_t count, size_t bytes) { return count >= max_events || bytes > max_bytes; };
  constexpr int64_t all_from = std::numeric_limits<int64_t>::min();
  constexpr int64_t all_to = std::numeric_limits<int64_t>::max();
  bool blocks_left = false;
  auto past_after = [&](const storage::block_key&, const storage::block_summary& s) {
    return s.max_id > after_id && s.event_count > 0;
  };
  if (auto blocks = store.list_blocks(all_from, all_to, past_after)) {
    std::vector<const storage::block_info*> reach;
    for (const auto& b : *blocks)
      reach.push_back(&b);
    std::sort(reach.begin(), reach.end(), [](const auto* a, const auto* b) {
      return a->summary.min_id < b->summary.min_id;
    });
    storage::record_batch block;
    for (size_t i = 0; i < reach.size(); ++i) {
      if (full(found.size(), arena.size())) {
        std::sort(found.begin(), found.end(), by_id);
        if (reach[i]->summary.min_id > found[page_length(found, max_events, max_bytes) - 1].id) {
          blocks_left = true;
          break;
        }
      }
      if (!store.read_block(reach[i]->key, block))
        continue;
      for (size_t r = 0; r < block.size(); ++r) {
        auto rec = block.record(r);
        if (auto id = id_of(rec); id > after_id)
          keep(id, rec);
      }
    }
  }
  // The buffer: its ids and sizes first (no copy), so only records that can
  // be in the page are copied (a buffer of 100k events while indexing lags
  // would otherwise be copied whole for every page).
  std::vector<candidate> ids = found;
  const size_t from_blocks = ids.size();
  size_t all_bytes = arena.size();
  (void)store.scan_buffer_after(after_id, [&](uint64_t id, std::string_view r) {
    ids.push_back({id, 0, r.size()});
    all_bytes += r.size();
    return true;
  });
  uint64_t bound = UINT64_MAX; // the page's highest possible id
  if (!ids.empty() && full(ids.size(), all_bytes)) {
    std::sort(ids.begin(), ids.end(), by_id);
    bound = ids[page_length(ids, max_events, max_bytes) - 1].id;
  }
  if (ids.size() > from_blocks)
    (void)store.scan_buffer_after(after_id, [&](uint64_t id, std::string_view r) {
      if (id <= bound)
        keep(id, r);
      return true;
    });
  std::sort(found.begin(), found.end(), by_id);
  found.erase(std::unique(found.begin(), found.end(),
                          [](const candidate& a, const candidate& b) { return a.id == b.id; }),
              found.end());
  out.clear();
  const size_t n = found.empty() ? 0 : page_length(found, max_events, max_bytes);
  size_t bytes = 0;
  for (size_t i = 0; i < n; ++i)
    bytes += found[i].size;
  out.bytes.reserve(bytes);
  out.offsets.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    out.offsets.push_back(static_cast<uint32_t>(out.bytes.size()));
    out.bytes.append(arena, found[i].offset, found[i].size);
  }
  return found.size() > n || blocks_left || ids.size() > n;
}

} // namespace

bool collect_after(const storage::event_store& store, uint64_t after_id, size_t max_events,
                   storage::record_batch& out, size_t max_bytes) {
  // Blocks and buffer are read in separate transactions: an index pass
  // committed in between moves events out of the buffer after the block
  // list was taken, and they would be missed (a hole the caller's position
  // then skips for good). The model number moves with every index or
  // retention pass: read again if it moved (bounded; passes are rare).
  bool more = false;
  for (int attempt = 0; attempt < 8; ++attempt) {
    auto model = store.current_generation().model;
    more = collect_once(store, after_id, max_events, max_bytes, out);
    if (store.current_generation().model == model)
      break;
  }
  return more;
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
