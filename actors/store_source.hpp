#pragma once
/// The query engine's event_source over this node's LMDB event store: blocks
/// whose summaries the plan cannot rule out are decoded one at a time, then
/// the write-ahead buffer is delivered in slices. Newest-first scans read the
/// buffer (the most recent events) before the blocks, newest block first.
///
/// One instance per query and thread: it reuses its decode buffers.
#include "query/source.hpp"
#include "storage/event_store.hpp"

#include <memory>

namespace cairn {

class store_source final : public query::event_source {
public:
  explicit store_source(std::shared_ptr<storage::event_store> store) : store_(std::move(store)) {}

  void scan(const query::scan_request& request, const query::chunk_callback& chunk) override;

  /// Blocks skipped by their summaries in the last scan.
  uint64_t blocks_skipped() const noexcept { return blocks_skipped_; }
  uint64_t blocks_read() const noexcept { return blocks_read_; }

private:
  bool scan_buffer(const query::scan_request& request, const query::chunk_callback& chunk);
  bool scan_blocks(const query::scan_request& request, const query::chunk_callback& chunk);

  std::shared_ptr<storage::event_store> store_;
  storage::record_batch batch_;
  uint64_t blocks_skipped_ = 0;
  uint64_t blocks_read_ = 0;
};

} // namespace cairn
