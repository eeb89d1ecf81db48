#include "actors/store_source.hpp"

#include "storage/block_codec.hpp"

#include <spdlog/spdlog.h>

#include <optional>

namespace cairn {

namespace {

constexpr size_t buffer_slice_events = 4096;

} // namespace

bool store_source::scan_buffer(const query::scan_request& request,
                               const query::chunk_callback& chunk) {
  batch_.clear();
  bool go_on = true;
  auto deliver = [&] {
    if (!batch_.empty()) {
      views_.assign(batch_);
      go_on = chunk(nullptr, views_.views());
    }
    batch_.clear();
  };
  // The buffer is copied out in slices: its views die with the read txn.
  auto scanned = store_->scan_buffer(request.from_ns, request.to_ns,
                                     [&](const storage::record_view& rec) {
                                       if (!keeps(rec.id()))
                                         return true;
                                       batch_.offsets.push_back(
                                         static_cast<uint32_t>(batch_.bytes.size()));
                                       batch_.bytes.append(rec.bytes());
                                       if (batch_.size() >= buffer_slice_events)
                                         deliver();
                                       return go_on;
                                     });
  if (go_on)
    deliver();
  if (!scanned)
    spdlog::warn("query: buffer scan failed: {}", scanned.error().to_string());
  return go_on;
}

std::vector<storage::block_info> store_source::list_candidates(const query::scan_request& request) {
  return list_blocks(request.from_ns, request.to_ns, [&](const storage::block_key&, const storage::block_summary& s) {
    if (request.filter && !request.filter->may_match(s)) {
      ++blocks_skipped_;
      return false;
    }
    return true;
  });
}

std::vector<storage::block_info> store_source::list_blocks(int64_t from_ns, int64_t to_ns,
                                                           const storage::block_predicate& keep) const {
  auto blocks = store_->list_blocks(from_ns, to_ns, [&](const storage::block_key& key, const storage::block_summary& s) {
    return !(id_restricted() && outside_ids(s)) && keep(key, s);
  });
  if (!blocks) {
    spdlog::warn("query: listing blocks failed: {}", blocks.error().to_string());
    return {};
  }
  return std::move(*blocks);
}

std::optional<std::span<const storage::record_view>> store_source::read_block(
  const storage::block_info& block, const storage::field_projection* projection) {
  // With a projection, views over the block's columns (nothing rebuilt);
  // without, whole records (search hits are copied out byte for byte).
  storage::status st = projection ? store_->read_block(block.key, *projection, views_)
                                  : store_->read_block(block.key, batch_);
  if (!st)
    return std::nullopt;
  if (!projection)
    views_.assign(batch_);
  ++blocks_read_;
  block_bytes_read_ += block.stored_bytes;
  if (!filters_ids_of(block.summary))
    return views_.views();
  filtered_.clear();
  for (const auto& v : views_.views())
    if (keeps(v.id()))
      filtered_.push_back(v);
  return std::span<const storage::record_view>{filtered_};
}

std::optional<bool> store_source::deliver_block(const storage::block_info& block,
                                                const query::scan_request& request,
                                                const query::chunk_callback& chunk) {
  if (request.columns && request.column_chunk && !filters_ids_of(block.summary)) {
    if (!store_->read_block_columns(block.key, query::block_selection(request, block.summary), columns_))
      return std::nullopt;
    if (columns_.complete()) {
      ++blocks_read_;
      block_bytes_read_ += block.stored_bytes;
      return request.column_chunk(block.summary, columns_);
    }
  }
  auto events = read_block(block, request.projection);
  if (!events)
    return std::nullopt;
  return chunk(&block.summary, *events);
}

bool store_source::scan_blocks(const query::scan_request& request,
                               const query::chunk_callback& chunk) {
  auto blocks = list_candidates(request);
  auto visit = [&](const storage::block_info& b) {
    // A block gone since listing was rewritten by retention: its events are gone or moved.
    return deliver_block(b, request, chunk).value_or(true);
  };
  if (request.newest_first) {
    for (auto i = blocks.rbegin(); i != blocks.rend(); ++i)
      if (!visit(*i))
        return false;
  } else {
    for (const auto& b : blocks)
      if (!visit(b))
        return false;
  }
  return true;
}

void store_source::scan(const query::scan_request& request, const query::chunk_callback& chunk) {
  const bool blocks = parts_ != parts::buffer;
  const bool buffer = parts_ != parts::blocks;
  if (request.newest_first) {
    if ((!buffer || scan_buffer(request, chunk)) && blocks)
      scan_blocks(request, chunk);
  } else {
    if ((!blocks || scan_blocks(request, chunk)) && buffer)
      scan_buffer(request, chunk);
  }
}

} // namespace cairn
