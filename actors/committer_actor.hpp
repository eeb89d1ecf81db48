#pragma once
/// The ingest committer: the single writer of the node's event store. It
/// assigns ids and appends each accepted batch in one durable LMDB
/// transaction, and only its reply lets the HTTP 201 go out. It accepts
/// batches only while the dispatcher has activated it (this node leads).
///
/// Index passes run here too, on `index` messages from the indexer's timer:
/// LMDB allows one write transaction at a time, so serializing commits and
/// index passes in one actor costs nothing and keeps the store single-writer.
/// Runs detached: fsync blocks.
#include "actors/messages.hpp"
#include "storage/event_store.hpp"

#include <caf/stateful_actor.hpp>

#include <memory>

namespace cairn {

struct committer_state {
  static inline const char* name = "committer";
  std::shared_ptr<storage::event_store> store;
  bool active = false;
  int64_t epoch = 0;
  /// Fencing: commits are refused once the steady clock passes this, even if
  /// no deactivation arrived (a node resumed after SIGSTOP must not commit
  /// on a lease that expired while it was paused).
  int64_t lease_valid_until_steady_ns = 0;
};

caf::behavior committer_actor(caf::stateful_actor<committer_state>* self,
                              std::shared_ptr<storage::event_store> store);

/// The indexer: asks the committer for an index pass every period.
caf::behavior indexer_actor(caf::event_based_actor* self, caf::actor committer,
                            std::chrono::milliseconds period);

} // namespace cairn
