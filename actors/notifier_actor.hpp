#pragma once
/// The notifier: a leader-only service (activated and deactivated by the
/// dispatcher with the alert actor) that watches Cairn's own health every
/// `interval` and records each start and clear of a notification
/// (actors/notification_checks.hpp) as an event through the committer
/// (actors/internal_ingest.hpp: no HTTP, no API key).
///
/// Lifecycle of one activation:
///   1. The first check loads the active set the previous leader (or this
///      node before a restart) stored in the metastore; until that read
///      succeeds nothing is decided, so a condition is never raised twice.
///   2. Each check measures the storage root's disk and the followers' lag
///      (replication_lag::instance(); follower checks wait `follower_grace`
///      after activation so peers can connect), diffs against the active
///      set, commits one event per transition, stores the new set and
///      publishes it on notification_board::instance() for /api/cluster.
///      A commit that fails (not leading yet, no quorum) puts the previous
///      set back, so the same transitions are found and sent again.
///   3. Deactivation forgets the set and empties the board; the stored set
///      stays for the next leader.
///
/// Runs detached: metastore calls block.
#include "actors/notification_checks.hpp"

#include <caf/actor.hpp>
#include <caf/stateful_actor.hpp>

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace cairn {

namespace meta {
class metastore;
}

/// Settings of the notifier (notifications.* configuration keys).
struct notifier_options {
  std::string metastore_uri;
  /// This node's name (the Node property) and id.
  std::string node_name;
  std::string node_id;
  /// The storage root whose file system is watched.
  std::string storage_root;
  /// cluster.peers entries: a single node has no follower to miss.
  size_t configured_peers = 0;
  notification_thresholds thresholds;
  /// notifications.checkIntervalMs.
  std::chrono::milliseconds interval{10000};
  /// Follower checks start this long after activation.
  std::chrono::milliseconds follower_grace{5000};
  /// Stores the notification events.
  caf::actor committer;
};

struct notifier_state {
  static inline const char* name = "notifier";
  notifier_options opts;
  bool active = false;
  /// Bumped per activation: checks scheduled by an older one stop.
  uint64_t activation = 0;
  std::chrono::steady_clock::time_point activated_at{};
  std::shared_ptr<meta::metastore> meta;
  /// Whether `current` holds the stored set yet.
  bool loaded = false;
  std::vector<notification> current;
  /// `current` differs from the stored set (a failed write is retried).
  bool unsaved = false;
  /// Node names by id, from the membership table.
  std::map<std::string, std::string> names;
};

/// The metastore setting holding the active set.
inline constexpr std::string_view notifications_setting = "notifications.active";

caf::behavior notifier_actor(caf::stateful_actor<notifier_state>* self, notifier_options opts);

} // namespace cairn
