#pragma once
/// Retention policies (SPEC.md §5, issue 5 item 5). The leader's retention
/// actor reads the policies from the metastore every
/// storage.retentionIntervalMs, turns each into (cutoff_ns, filter text) with
/// ONE clock reading, and sends the same deletion to every replica:
///
///   leader -> local committer       (retention, epoch, cutoff_ns, filter)
///   leader -> peer cluster endpoint (retention, epoch, cutoff_ns, filter)
///                                    -> endpoint fences the epoch, delegates
///                                       to its own committer
///                                    -> (deleted_events, model_generation)
///
/// Deletions run on the committer (the store's single writer) through
/// retention_handlers(), which run_command appends to the committer's
/// behaviour. The store bumps the model generation, so memoized partials and
/// clients see the change. A policy on a signal uses the signal's filter.
#include "actors/distributed_query.hpp"
#include "storage/event_store.hpp"

#include <caf/atom.hpp>
#include <caf/behavior.hpp>
#include <caf/event_based_actor.hpp>

#include <chrono>
#include <memory>
#include <string>

namespace cairn {

class cluster_view;

using retention_atom = caf::atom_constant<caf::atom("retention")>;

/// Deletes events with timestamp < cutoff_ns matching `filter` (empty: all)
/// from `store`; must run on the store's writer. Returns the number deleted
/// or an error text in `error`.
uint64_t apply_retention(storage::event_store& store, int64_t cutoff_ns,
                         const std::string& filter, std::string& error);

/// Handlers appended to the committer's behaviour:
///   (retention, epoch, cutoff_ns, filter) -> (deleted, model) | error
caf::behavior retention_handlers(std::shared_ptr<storage::event_store> store,
                                 std::shared_ptr<const share_executor> fence);

struct retention_options {
  std::string metastore_uri;
  std::chrono::milliseconds interval{60000};
  std::chrono::milliseconds peer_timeout{30000};
};

/// The leader-side scheduler (run detached: metastore reads and the replicas'
/// answers block). Does nothing on a node that is not the acting leader.
caf::behavior retention_actor(caf::event_based_actor* self, retention_options options,
                              std::shared_ptr<cluster_view> view, caf::actor committer,
                              std::shared_ptr<query_cluster> peers);

} // namespace cairn
