#pragma once
/// The per-node event store (SPEC.md §5): one LMDB environment in
/// `<root>/stream/` holding a write-ahead buffer of recent events and
/// immutable zstd blocks of older ones. storage/README.md documents every
/// on-disk structure and invariant.
///
/// Caveats:
/// - Single writer: append_batch, index_pass, flush, delete_* must all be
///   called from ONE thread (the ingest committer / indexer actor). LMDB would
///   serialise writers anyway, but the store keeps writer-owned scratch
///   buffers and a cached copy of the meta counters.
/// - Reads (list_blocks, read_block, scan_buffer, get_by_id, newest_first,
///   stats, generation) may run on any thread at any time; each opens its own
///   short read-only transaction (MDB_NOTLS). Views passed to callbacks point
///   into the LMDB map or a reused buffer: they die when the callback returns.
/// - Every write is one durable LMDB commit (fsync) before it returns: a
///   batch acknowledged by append_batch survives SIGKILL and power loss.
/// - MDB_MAP_FULL/ENOSPC surface as errc::store_full (answer 503); the
///   failed transaction is rolled back and the store stays usable.
#include "storage/block_codec.hpp"
#include "storage/block_summary.hpp"
#include "storage/errc.hpp"
#include "storage/event_key.hpp"
#include "storage/event_record.hpp"

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace cairn::storage {

/// Tunables of one store; defaults suit a server.
struct store_options {
  /// LMDB map size: the most the store can ever hold (virtual, not allocated).
  size_t map_size = size_t{64} << 30;
  /// A block holds at most this many events...
  uint32_t block_max_events = 4096;
  /// ...and at most this many record bytes (uncompressed); at least 1 event.
  size_t block_max_bytes = size_t{1} << 20;
  /// A partial block is only built from buffered events whose timestamp is
  /// at least this much older than the `now` given to index_pass.
  int64_t index_min_age_ns = 30'000'000'000;
  /// zstd level for blocks. 1, not zstd's default 3: the column groups
  /// compress as well at both (bench/storage_bench: 0.730x vs 0.728x of the
  /// CLEF text's `zstd -3`) and level 1 costs ~6% less index-pass CPU
  /// (storage/README.md, "Numbers"). Readers do not depend on the level.
  int zstd_level = 1;
  /// An index pass (one transaction) takes whole buffered batches up to this
  /// many blocks' worth (block_max_events / block_max_bytes each).
  uint32_t index_pass_max_blocks = 4;
  /// append_batch cuts a batch into `batches` values of at most this many
  /// record bytes (a bigger record gets a value of its own). LMDB mallocs
  /// each value's overflow pages for the transaction: below glibc's mmap
  /// threshold (never under 128 KiB) that memory comes from the heap and is
  /// reused, above it every commit mmaps it afresh and page-faults it in.
  size_t buffer_value_max_bytes = 96 * 1024;
};

/// `model.write` (SPEC.md §5): write counts committed batches, model counts
/// store creation, indexing passes and retention passes.
struct generation {
  uint64_t model = 0;
  uint64_t write = 0;

  auto operator<=>(const generation&) const = default;
  /// "model.write", as in the X-Cairn-Generation header.
  std::string to_string() const;
};

/// What append_batch did.
struct append_result {
  generation gen;        ///< generation after the commit
  uint64_t first_id = 0; ///< id of the batch's first record; the rest follow
};

/// What one index_pass did.
struct index_result {
  uint32_t events = 0; ///< events moved from the buffer into new blocks
  bool more = false;   ///< a full block's worth is still buffered: call again
  generation gen;
  uint32_t blocks = 0; ///< blocks written (a pass may cut several)
};

/// What a retention pass did.
struct retention_result {
  uint64_t deleted_events = 0;
  uint32_t blocks_rewritten = 0; ///< blocks re-encoded with fewer events
  uint32_t blocks_deleted = 0;   ///< blocks removed whole
  generation gen;
};

/// A block as listed from the summaries DB (no block bytes read).
struct block_info {
  block_key key;
  block_summary summary;
  uint64_t raw_bytes = 0;    ///< record bytes, uncompressed
  uint64_t stored_bytes = 0; ///< size of the compressed block value
};

/// Sizes for GET /api/storage and /metrics.
struct store_stats {
  uint64_t buffered_events = 0;
  uint64_t buffered_bytes = 0;
  uint64_t indexed_events = 0;
  uint64_t indexed_raw_bytes = 0;    ///< record bytes inside blocks
  uint64_t indexed_stored_bytes = 0; ///< compressed block values
  uint64_t block_count = 0;
  uint64_t next_id = 0;
  uint64_t file_bytes = 0;           ///< pages in use in the LMDB file
  generation gen;
};

/// Event callback: return false to stop the scan.
using record_callback = std::function<bool(const record_view&)>;
/// Retention predicate: true deletes the event.
using record_predicate = std::function<bool(const record_view&)>;
/// Block pre-filter for retention: false means "no event in this block can
/// match" (e.g. from the level bitmap), so the block is not decoded.
using summary_predicate = std::function<bool(const block_summary&)>;
/// Listing filter: true keeps the block. Sees each block's whole summary.
using block_predicate = std::function<bool(const block_key&, const block_summary&)>;

/// One node's event store. Lifecycle: open() on startup (creates the store
/// on first use), used by one writer thread and any number of readers,
/// destroyed on shutdown after the writer stopped (callers flush() first if
/// they want no buffer left). The buffer needs no replay: it is durable.
class event_store {
public:
  /// Opens (creating if needed) the store in `<root>/stream/`.
  static result<std::unique_ptr<event_store>> open(const std::filesystem::path& root,
                                                   const store_options& opts = {});
  ~event_store();
  event_store(const event_store&) = delete;
  event_store& operator=(const event_store&) = delete;

  // ---- writer thread -------------------------------------------------------

  /// Assigns ids from the persisted allocator (patching each record at
  /// record_id_offset), stores every record in the buffer and bumps `write`,
  /// all in one durable commit. An empty batch commits nothing.
  /// On error nothing is stored (ids in `batch` may be patched; a retry
  /// reassigns them).
  result<append_result> append_batch(record_batch& batch);

  /// As above with ids chosen by the caller (replication: the leader's ids);
  /// the allocator moves past them. Fails with duplicate_key, storing
  /// nothing, if any of the ids is already buffered.
  result<append_result> append_batch(record_batch& batch, uint64_t first_id);

  /// Folds buffered events into blocks in one transaction: put blocks +
  /// summaries, delete those events from the buffer, bump `model` once.
  /// While a full block's worth (block_max_events or block_max_bytes) is
  /// buffered, it takes the oldest batches whole, up to
  /// index_pass_max_blocks blocks' worth, sorts them and cuts them evenly
  /// into blocks; otherwise it makes one block of the events older than
  /// now - index_min_age. `more` says a full block's worth is still buffered.
  result<index_result> index_pass(int64_t now_ns);

  /// Indexes the whole buffer, whatever its age (shutdown, tests).
  result<generation> flush();

  /// Deletes every event with timestamp < `ns` (buffer and blocks; blocks
  /// straddling `ns` are rewritten).
  result<retention_result> delete_before(int64_t ns);

  /// Deletes events with timestamp < `older_than_ns` for which `pred` is
  /// true. `may_match`, if given, skips blocks whose summary cannot match.
  result<retention_result> delete_matching(const record_predicate& pred, int64_t older_than_ns,
                                           const summary_predicate& may_match = {});

  // ---- any thread ----------------------------------------------------------

  /// The generation as of the last commit.
  generation current_generation() const;

  /// Blocks holding any event with from_ns <= timestamp < to_ns, in block
  /// key order (ascending greatest event).
  result<std::vector<block_info>> list_blocks(int64_t from_ns, int64_t to_ns) const;

  /// Like list_blocks, but only the blocks `keep` accepts, and without their
  /// bloom filters (left empty, so they "know nothing"): a query over a large
  /// store holds ~100 bytes per candidate block instead of its filters'
  /// kilobytes (20 MB for 17,000 blocks), and blocks `keep` rules out cost
  /// no memory at all.
  result<std::vector<block_info>> list_blocks(int64_t from_ns, int64_t to_ns, const block_predicate& keep) const;

  /// Decodes one block into `out` (cleared; buffers reused); not_found if the
  /// block is gone (rewritten or deleted by retention since it was listed).
  status read_block(const block_key& key, record_batch& out) const;

  /// Decodes one block as record views of the projected fields
  /// (block_codec.hpp's block_views): what queries read. Errors as above.
  status read_block(const block_key& key, const field_projection& projection, block_views& out) const;

  /// Decodes one block as value codes (block_codec.hpp's block_columns).
  /// Errors as above.
  status read_block_columns(const block_key& key, const column_selection& what, block_columns& out) const;

  /// Calls `f` for each buffered event with from_ns <= timestamp < to_ns in
  /// key order, zero-copy inside one read transaction. Returns events visited.
  result<uint64_t> scan_buffer(int64_t from_ns, int64_t to_ns, const record_callback& f) const;

  /// Calls f(id, record bytes) for each buffered event with id > after_id,
  /// in commit order (NOT sorted), zero-copy inside one read transaction;
  /// batches wholly at or below after_id are skipped by their header. For
  /// replication paging by id (actors/replication.cpp collect_after), which
  /// would otherwise sort the whole buffer per page. `f` returns false to
  /// stop. Returns events delivered.
  result<uint64_t> scan_buffer_after(uint64_t after_id,
                                     const std::function<bool(uint64_t, std::string_view)>& f) const;

  /// A copy of the record with this id; not_found if absent.
  result<std::string> get_by_id(uint64_t id) const;

  /// Pages events newest first for GET /api/events: calls `f` for up to
  /// `count` events with from_ns <= timestamp < to_ns in descending
  /// (timestamp, id) order. With `after_id`, only events strictly older
  /// than that event in (timestamp, id) order are returned, so passing the
  /// last id of one page yields the next page; not_found if `after_id` is
  /// not stored. Returns the number of events delivered.
  result<uint64_t> newest_first(size_t count, std::optional<uint64_t> after_id, int64_t from_ns,
                                int64_t to_ns, const record_callback& f) const;

  /// Buffered and indexed sizes, consistent as of one snapshot.
  result<store_stats> stats() const;

private:
  struct impl;
  explicit event_store(std::unique_ptr<impl> p);
  std::unique_ptr<impl> impl_;
};

} // namespace cairn::storage
