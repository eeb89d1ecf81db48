#pragma once
/// Replication of committed batches from the leader to followers (SPEC.md
/// §6) over CAF remote actors, and the catch-up that fills a replica's gaps.
///
/// Protocol (all on authenticated cluster endpoints, built-in types only):
///   leader -> follower  (replicate, epoch, prev_next_id, first_id, bytes)
///                        -> (ack, applied, next_id) (applied = false: a gap) | error
///   anyone -> replica   (pull, epoch, after_id, max_events)
///                        -> (bytes, more)
///   leader -> follower  (sparse, epoch, prev_next_id, end_id, bytes)
///                        -> (ack, applied, next_id)
///       a follower that holds only some shards (actors/shards.hpp) gets only
///       their records of ids [prev_next_id, end_id); it applies them if it
///       holds everything below prev_next_id, then its position is end_id;
///   leader -> follower  (shardcopy, epoch, bytes) -> (ack, true, count)
///       older events of a shard newly placed on the follower, stored
///       without moving its position (they lie below it).
/// `bytes` are records laid end to end; records are self-delimiting, so the
/// receiver rebuilds the offsets (CAF 0.17 carries std::string natively).
/// Invariants:
/// - ids are (epoch << 40) | counter, so two leaders never hand out the same id;
/// - a follower applies a batch only if it continues its own log
///   (prev_next_id == its next_id) or it already has it; otherwise it answers
///   `gap` and the leader sends what it misses, oldest first;
/// - messages from an epoch older than the highest one seen are refused;
/// - a new leader pulls from every reachable peer the events it lacks before
///   it finishes activating, so an event acknowledged by a quorum survives the
///   loss of the old leader; a follower that connects pulls from one peer
///   holding every shard (the leader's catch-up fills the rest).
#include "storage/event_store.hpp"

#include <caf/atom.hpp>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace cairn {

using replicate_atom = caf::atom_constant<caf::atom("replicate")>;
using pull_atom = caf::atom_constant<caf::atom("pull")>;
using ack_atom = caf::atom_constant<caf::atom("ack")>;
using peers_atom = caf::atom_constant<caf::atom("peers")>;
using apply_atom = caf::atom_constant<caf::atom("apply")>;
using sparse_atom = caf::atom_constant<caf::atom("sparse")>;
using shardcopy_atom = caf::atom_constant<caf::atom("shardcopy")>;
/// Placement keeper -> committer: the followers' shard masks.
using shardmasks_atom = caf::atom_constant<caf::atom("shardmasks")>;
/// Placement keeper -> committer: copy shards onto a follower.
using addshards_atom = caf::atom_constant<caf::atom("addshards")>;
/// Placement keeper -> leader's committer: fetch shards placed on the
/// leader itself from the followers holding them.
using selfcopy_atom = caf::atom_constant<caf::atom("selfcopy")>;
/// Placement keeper -> committer: a placement exists (shards in use).
using sharded_atom = caf::atom_constant<caf::atom("sharded")>;
/// Placement keeper -> committer (every node, every tick): the placement as
/// (shard count, own node id, node ids, their holder names, their recorded
/// shard masks); per-shard quorum on the leader, catch-up sources on a
/// follower (actors/shards.hpp shard_quorum).
using placeview_atom = caf::atom_constant<caf::atom("placeview")>;
/// Placement keeper -> committer: forget a removed follower.
using forget_atom = caf::atom_constant<caf::atom("forget")>;

/// Bits of an id below the epoch.
inline constexpr int epoch_shift = 40;

/// First id a leader of `epoch` may assign.
inline uint64_t first_id_of_epoch(int64_t epoch) {
  return static_cast<uint64_t>(epoch) << epoch_shift;
}

/// Record bytes at most in one catch-up or pull page. A page is one cluster
/// message, and CAF keeps buffers sized by the largest message it has
/// carried (the BASP worker's payload copy, each connection's read buffer):
/// 50,000 events of ~140 bytes made 5-7 MB pages, held for the process's
/// life. 1 MiB still amortizes a round trip over thousands of events.
inline constexpr size_t page_max_bytes = size_t{1} << 20;

/// Events with id > after_id (at most max_events and, past the first, at
/// most max_bytes of records; ascending by id) copied into `out`; returns
/// true if more remain. Pages by id: reads only the blocks that can hold
/// the page (by their id ranges), plus the buffer.
bool collect_after(const storage::event_store& store, uint64_t after_id, size_t max_events,
                   storage::record_batch& out, size_t max_bytes = page_max_bytes);

/// The id stored in a record.
uint64_t record_id(std::string_view record);

/// Records of `batch` whose shard `keep(id)` accepts, appended to `out`
/// (cleared first).
void filter_records(const storage::record_batch& batch,
                    const std::function<bool(uint64_t)>& keep, storage::record_batch& out);

/// Rebuilds `batch.offsets` from `batch.bytes`; false if the bytes are not
/// a sequence of whole records.
bool index_records(storage::record_batch& batch);

/// Splits a batch sorted by id into runs of consecutive ids and calls
/// f(run, first_id) for each (one durable append per run).
void for_each_id_run(const storage::record_batch& sorted,
                     const std::function<void(storage::record_batch&, uint64_t)>& f);

} // namespace cairn
