#pragma once
/// The query engine's view of stored events. The event store implements it
/// (blocks + write-ahead buffer); tests implement it over in-memory batches.
#include "query/planner.hpp"
#include "storage/block_codec.hpp"
#include "storage/block_summary.hpp"
#include "storage/event_record.hpp"

#include <cstdint>
#include <functional>
#include <span>

namespace cairn::query {

/// Receives one chunk of events: a block (with its summary) or a slice of
/// the buffer (summary null), as record views valid during the call.
/// Events may lie outside the requested range; the executor filters them.
/// With a projection the views may be assembled from block columns
/// (record_view::bytes() empty); without one every view has its bytes.
/// Return false to stop the scan (cancellation, or a search that has
/// enough results).
using chunk_callback =
  std::function<bool(const storage::block_summary* summary, std::span<const storage::record_view> events)>;

/// Receives one block decoded as value codes (storage::block_columns,
/// complete). Its timestamps are present if the selection asked for them or
/// if some event of the block lies outside [from_ns, to_ns); absent, every
/// event lies inside. Return false to stop the scan.
using column_callback =
  std::function<bool(const storage::block_summary& summary, const storage::block_columns& block)>;

struct scan_request {
  /// Blocks for which filter.may_match(summary) is false need not be read.
  const block_filter* filter = nullptr;
  int64_t from_ns = INT64_MIN; ///< inclusive
  int64_t to_ns = INT64_MAX;   ///< exclusive
  /// Searches ask for newest chunks first; aggregations do not care.
  bool newest_first = false;
  /// If not null, the fields the scan's consumer reads: a source may leave
  /// the others empty (storage::field_projection). Null: whole records.
  const storage::field_projection* projection = nullptr;
  /// If set, a source may hand any block to column_chunk as value codes of
  /// this selection (adding timestamps where needed) instead of handing its
  /// views to the chunk callback. The buffer, blocks it must filter by id
  /// and blocks that decode incomplete still come as views. Sources that
  /// cannot are free to ignore it.
  const storage::column_selection* columns = nullptr;
  column_callback column_chunk;
};

/// What a source decodes a block as value codes with: the request's
/// selection, plus the timestamps when some event of the block may lie
/// outside [from_ns, to_ns) (the executor then checks them).
/// @pre request.columns is set.
inline storage::column_selection block_selection(const scan_request& request, const storage::block_summary& s) {
  storage::column_selection what = *request.columns;
  what.timestamps = what.timestamps || s.min_timestamp < request.from_ns || s.max_timestamp >= request.to_ns;
  return what;
}

class event_source {
public:
  virtual ~event_source() = default;

  /// Calls `chunk` for every chunk that may hold matching events, on the
  /// calling thread, until it returns false.
  virtual void scan(const scan_request& request, const chunk_callback& chunk) = 0;

  /// True if, for newest_first scans, every chunk's newest event is no newer
  /// than the oldest event of any earlier chunk (lets searches stop early).
  virtual bool ordered_newest_first() const { return false; }
};

} // namespace cairn::query
