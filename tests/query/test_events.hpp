#pragma once
// Test-only helpers: build binary event records from CLEF-like JSON lines
// (a minimal mapping, not the real decoder) and serve them as an
// event_source split into blocks with real summaries.
#include "query/source.hpp"
#include "storage/block_codec.hpp"
#include "storage/block_summary.hpp"
#include "storage/event_record.hpp"

#include <doctest/doctest.h>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace cairn::query::testing {

// Appends the record for one CLEF JSON object line to `batch`; `id` becomes
// the record id. Returns false (with `error`) on bad input.
bool append_clef(storage::record_batch& batch, std::string_view line, uint64_t id, std::string& error);

// Summary the way the indexer is specified to build it (block_summary.hpp).
storage::block_summary summarize(const storage::record_batch& batch);

class memory_source : public event_source {
public:
  // Starts a new block; events go into the last block.
  void new_block() { blocks_.emplace_back(); }
  storage::record_batch& current() {
    if (blocks_.empty())
      new_block();
    return blocks_.back();
  }
  size_t block_count() const { return blocks_.size(); }

  void scan(const scan_request& req, const chunk_callback& chunk) override {
    blocks_read = 0;
    // Summaries are cached; events are only appended while building.
    if (summaries_.size() != blocks_.size() || summarized_events_ != event_total()) {
      summaries_.clear();
      for (auto& b : blocks_)
        summaries_.push_back(summarize(b));
      summarized_events_ = event_total();
    }
    for (size_t i = 0; i < blocks_.size(); ++i) {
      auto& b = blocks_[i];
      auto& s = summaries_[i];
      if (b.empty() || (req.filter && !req.filter->may_match(s)))
        continue;
      ++blocks_read;
      if (use_columns && req.columns && req.column_chunk) {
        // As the store delivers them: the block encoded, then read as codes.
        std::vector<storage::record_view> views(b.size());
        for (size_t e = 0; e < b.size(); ++e)
          (void)views[e].parse(b.record(e).data(), b.record(e).size());
        std::string value;
        REQUIRE(encoder_->encode(views, value));
        REQUIRE(storage::decode_block_columns(value, block_selection(req, s), columns_));
        if (columns_.complete()) {
          ++column_blocks;
          if (!req.column_chunk(s, columns_))
            return;
          continue;
        }
      }
      views_.assign(b);
      if (!chunk(&s, views_.views()))
        return;
    }
  }

  size_t blocks_read = 0;
  /// Hand blocks as value codes to consumers that take them.
  bool use_columns = false;
  /// Blocks handed as value codes since construction.
  size_t column_blocks = 0;

private:
  storage::block_views views_;
  std::unique_ptr<storage::block_encoder> encoder_ = std::make_unique<storage::block_encoder>();
  storage::block_columns columns_;
  size_t event_total() const {
    size_t n = 0;
    for (auto& b : blocks_)
      n += b.size();
    return n;
  }
  std::vector<storage::record_batch> blocks_;
  std::vector<storage::block_summary> summaries_;
  size_t summarized_events_ = 0;
};

} // namespace cairn::query::testing
