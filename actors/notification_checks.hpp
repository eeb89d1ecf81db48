#pragma once
/// Cairn's own notifications (issue 8 item 4): the conditions the leader's
/// notifier (actors/notifier_actor.hpp) watches, decided from plain inputs
/// so the rules are tested without a cluster.
///
///   DiskUsage           the storage root's file system is fuller than
///                       `disk_percent` (df's "Use%": used / (used + avail));
///                       subject = this node's name.
///   ReplicationLag      one follower is more than `lag_seconds` behind
///                       (actors/replication_lag.hpp); subject = its name.
///   NoUpToDateFollower  peers are configured but no follower is tracked
///                       with a lag below `lag_seconds`; subject = this node.
///
/// A notification is identified by (kind, subject). Only transitions become
/// events (start: Warning, clear: Information), never a repeat while a
/// condition holds. The active set is kept in the metastore (one setting) so
/// a restarted or new leader clears what its predecessor raised.
///
/// Caveat: the leader watches its own disk only; a DiskUsage raised by a
/// previous leader for its own disk is cleared by the next leader's first
/// check (that disk is no longer watched).
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cairn {

/// What a notification is about.
enum class notification_kind : uint8_t { disk_usage, replication_lag, no_up_to_date_follower };

/// The kind's name in events and JSON ("DiskUsage", ...).
std::string_view kind_name(notification_kind k);

/// Parses kind_name's output; nullopt for anything else.
std::optional<notification_kind> parse_kind(std::string_view name);

/// One condition that holds.
struct notification {
  notification_kind kind{};
  std::string subject; ///< node name the condition is about
  double value = 0;    ///< measured figure (percent, seconds, followers)
  double threshold = 0;
  int64_t since_ms = 0; ///< unix ms when it started

  bool same_as(const notification& o) const { return kind == o.kind && subject == o.subject; }
};

/// A follower as the leader sees it.
struct follower_status {
  std::string name;
  double lag_seconds = 0;
};

/// One check's measurements.
struct notification_inputs {
  std::string node;             ///< this (leading) node's name
  size_t configured_peers = 0;  ///< cluster.peers entries
  std::vector<follower_status> followers; ///< tracked by the committer
  std::optional<double> disk_used_percent; ///< nullopt: statvfs failed
  bool check_followers = true; ///< false during the grace after activation
};

/// Thresholds from configuration (notifications.*).
struct notification_thresholds {
  double lag_seconds = 60;
  double disk_percent = 90;
};

/// One check's outcome.
struct notification_check {
  /// The conditions holding now. Kinds not checked this time (followers in
  /// the grace period, the disk when statvfs failed) keep their entries
  /// from `before`, so they neither clear nor restart.
  std::vector<notification> active;
  /// Every figure measured this time, holding or not (what a clear reports).
  std::vector<notification> measured;
};

/// Decides which conditions hold (see notification_check).
notification_check evaluate_notifications(const notification_inputs& in,
                                          const notification_thresholds& t,
                                          const std::vector<notification>& before,
                                          int64_t now_ms);

/// A start (active) or a clear of one notification.
struct notification_transition {
  notification n;
  bool active = false;
};

/// Starts (in `now`, not in `before`) and clears (the other way round);
/// a clear carries the value and threshold from `measured` when that
/// (kind, subject) was measured, else the ones it was raised with.
std::vector<notification_transition>
diff_notifications(const std::vector<notification>& before, const std::vector<notification>& now,
                   const std::vector<notification>& measured = {});

/// One CLEF line for a transition: @t, @l (Warning / Information), @mt,
/// NotificationKind, Node, Value, Threshold, Active, and Follower for
/// replication kinds. `node` is the node that raised it.
std::string notification_clef(const notification_transition& t, std::string_view node,
                              std::string_view at_iso);

/// The active set as stored in the metastore (one line per entry).
std::string serialize_notifications(const std::vector<notification>& active);

/// Reads serialize_notifications' text; malformed lines are skipped.
std::vector<notification> parse_notifications(std::string_view text);

/// df's Use% of the file system holding `path`; nullopt if statvfs fails.
std::optional<double> disk_used_percent(const std::string& path);

} // namespace cairn
