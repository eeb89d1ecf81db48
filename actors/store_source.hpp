#pragma once
/// The query engine's event_source over this node's LMDB event store: blocks
/// whose summaries the plan cannot rule out are decoded one at a time, then
/// the write-ahead buffer is delivered in slices. Newest-first scans read the
/// buffer (the most recent events) before the blocks, newest block first.
///
/// The memoizing executor (actors/query_memo.hpp) drives the parts itself:
/// list_candidates and read_block per block, then scan() restricted to the
/// buffer with set_parts(parts::buffer).
///
/// One instance per query and thread: it reuses its decode buffers.
#include "query/source.hpp"
#include "storage/event_store.hpp"

#include <memory>
#include <optional>
#include <span>
#include <vector>

namespace cairn {

class store_source final : public query::event_source {
public:
  /// Which parts of the store scan() visits.
  enum class parts { all, blocks, buffer };

  explicit store_source(std::shared_ptr<storage::event_store> store) : store_(std::move(store)) {}

  void scan(const query::scan_request& request, const query::chunk_callback& chunk) override;

  /// Restricts later scans to the blocks or to the buffer.
  void set_parts(parts p) noexcept { parts_ = p; }

  /// Restricts everything this source lists, reads and scans to events with
  /// id_lo <= id < id_hi: one share of a distributed query
  /// (actors/distributed_query.hpp). Replicas cut blocks at different ids,
  /// so shares are id ranges; blocks outside are not listed, straddling
  /// blocks are filtered after decoding (memo keys of such blocks carry the
  /// restriction: memo_clip).
  void set_id_range(uint64_t id_lo, uint64_t id_hi) noexcept {
    id_lo_ = id_lo;
    id_hi_ = id_hi;
  }

  /// Further restricts everything to events whose shard (actors/shards.hpp:
  /// (id >> 10) % shard_count) is in `mask`: a node's shards in a sharded
  /// distributed query. shard_count 0 lifts the restriction.
  void set_shard_mask(uint64_t mask, unsigned shard_count) noexcept {
    shard_mask_ = mask;
    shard_count_ = shard_count;
  }

  /// Appends to `key` what of the id range and shard mask drops events of
  /// a block with summary `s`: a bound only if the block's ids cross it, the
  /// mask only for the shards the block's ids touch. So a clipped block's
  /// memoized partial is reused whenever the same events are kept, though
  /// a share's bounds move with every query as data arrives; blocks wholly
  /// inside share their entry with unrestricted runs.
  void memo_clip(const storage::block_summary& s, std::string& key) const {
    if (!filters_ids_of(s))
      return;
    const uint64_t lo = s.min_id < id_lo_ ? id_lo_ : 0;
    const uint64_t hi = s.max_id >= id_hi_ ? id_hi_ : UINT64_MAX;
    uint64_t mask = ~uint64_t{0}, count = 0;
    if (sharded()) {
      const uint64_t touched = shards_touched(s);
      if (touched & ~shard_mask_) {
        mask = shard_mask_ & touched;
        count = shard_count_;
      }
    }
    if (lo == 0 && hi == UINT64_MAX && count == 0)
      return;
    for (uint64_t v : {lo, hi, mask, count})
      key.append(reinterpret_cast<const char*>(&v), sizeof v);
  }

  /// Blocks overlapping [request.from_ns, request.to_ns) that the request's
  /// filter cannot rule out, in key order; counts the others as skipped.
  std::vector<storage::block_info> list_candidates(const query::scan_request& request);

  /// Decodes one block; nullopt if it is gone (rewritten or deleted by
  /// retention since it was listed). The views live until the next read.
  /// With a projection they are assembled over the block's columns with
  /// only those fields (the others empty, bytes() empty); without, they
  /// view whole records.
  std::optional<std::span<const storage::record_view>> read_block(
    const storage::block_info& block, const storage::field_projection* projection = nullptr);

  /// Decodes one block and hands it to the request's consumer: as value
  /// codes to request.column_chunk when the request takes them and no event
  /// of the block needs filtering by id, else as views to `chunk`. nullopt
  /// if the block is gone (as read_block), else what the callback returned.
  std::optional<bool> deliver_block(const storage::block_info& block, const query::scan_request& request,
                                    const query::chunk_callback& chunk);

  /// The blocks overlapping [from_ns, to_ns) (and this source's ids) that
  /// `keep` accepts, in key order, from one read transaction (empty, logged,
  /// if listing fails); without their bloom filters
  /// (storage::event_store::list_blocks).
  std::vector<storage::block_info> list_blocks(int64_t from_ns, int64_t to_ns,
                                               const storage::block_predicate& keep) const;

  /// Counts a block ruled out by its summary (callers filtering themselves).
  void count_skipped() noexcept { ++blocks_skipped_; }

  /// Blocks skipped by their summaries since construction or reset_counters().
  uint64_t blocks_skipped() const noexcept { return blocks_skipped_; }
  /// Blocks decoded since construction or reset_counters().
  uint64_t blocks_read() const noexcept { return blocks_read_; }
  /// Compressed block bytes decoded since construction or reset_counters().
  uint64_t block_bytes_read() const noexcept { return block_bytes_read_; }
  void reset_counters() noexcept { blocks_skipped_ = blocks_read_ = block_bytes_read_ = 0; }

  /// A source over the same store with the same restrictions, its own
  /// buffers and zeroed counters: for another thread reading other blocks.
  store_source fork() const {
    store_source s{store_};
    s.id_lo_ = id_lo_;
    s.id_hi_ = id_hi_;
    s.shard_mask_ = shard_mask_;
    s.shard_count_ = shard_count_;
    s.parts_ = parts_;
    return s;
  }

  /// Adds a fork's counters (after its thread finished).
  void add_counters(const store_source& other) noexcept {
    blocks_skipped_ += other.blocks_skipped_;
    blocks_read_ += other.blocks_read_;
    block_bytes_read_ += other.block_bytes_read_;
  }

private:
  bool scan_buffer(const query::scan_request& request, const query::chunk_callback& chunk);
  bool scan_blocks(const query::scan_request& request, const query::chunk_callback& chunk);

  bool sharded() const noexcept { return shard_count_ != 0; }
  bool id_restricted() const noexcept {
    return id_lo_ != 0 || id_hi_ != UINT64_MAX || sharded();
  }
  /// Whether an event id passes the id range and the shard mask.
  bool keeps(uint64_t id) const noexcept {
    return id >= id_lo_ && id < id_hi_ &&
           (!sharded() || ((shard_mask_ >> ((id >> 10) % shard_count_)) & 1));
  }
  /// Whether some event of a listed block may fall outside the id range or shard mask.
  bool filters_ids_of(const storage::block_summary& s) const noexcept {
    return id_restricted() && (sharded() || s.min_id < id_lo_ || s.max_id >= id_hi_);
  }
  /// The shards (bits) of the ids min_id..max_id of a block (sharded only).
  uint64_t shards_touched(const storage::block_summary& s) const noexcept {
    const uint64_t all = shard_count_ >= 64 ? ~uint64_t{0} : (uint64_t{1} << shard_count_) - 1;
    const uint64_t first = s.min_id >> 10, last = s.max_id >> 10;
    if (last < first || last - first + 1 >= shard_count_)
      return all;
    uint64_t bits = 0;
    for (uint64_t chunk = first; chunk <= last; ++chunk)
      bits |= uint64_t{1} << (chunk % shard_count_);
    return bits;
  }
  bool outside_ids(const storage::block_summary& s) const noexcept {
    return s.max_id < id_lo_ || s.min_id >= id_hi_;
  }

  std::shared_ptr<storage::event_store> store_;
  storage::record_batch batch_;
  storage::block_views views_;
  storage::block_columns columns_;
  std::vector<storage::record_view> filtered_; ///< id-restricted views of a straddling block
  uint64_t id_lo_ = 0;
  uint64_t id_hi_ = UINT64_MAX;
  uint64_t shard_mask_ = ~uint64_t{0};
  unsigned shard_count_ = 0;
  parts parts_ = parts::all;
  uint64_t blocks_skipped_ = 0;
  uint64_t blocks_read_ = 0;
  uint64_t block_bytes_read_ = 0;
};

} // namespace cairn
