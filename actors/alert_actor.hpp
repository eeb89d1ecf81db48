#pragma once
/// The alert evaluator: a leader-only service (started and stopped by the
/// dispatcher with activate/deactivate) that decides every due window of
/// every alert and delivers the notifications of the windows that fired.
///
/// Exactly once per window, across leader changes:
///   1. A round lists the alerts and, per alert, first re-sends a pending
///      (recorded but undelivered) notification; no later window of that
///      alert is evaluated until it is delivered or given up.
///   2. Due windows (actors/alert_schedule.hpp) are evaluated in order: the
///      query runs over [end - window, end) on this node's store, and the
///      outcome plus the notification are recorded in ONE compare-and-set
///      statement (metastore::decide_alert_window) BEFORE sending, so a
///      window is decided once even if two leaders overlap.
///   3. The notification is POSTed to the webhook; after success the pending
///      mark is cleared. Failures retry with exponential backoff, one attempt
///      per round, so deactivation is never blocked by a slow receiver.
/// A leader killed between sending and clearing makes its successor send
/// that one notification again (at-least-once at that point); payloads carry
/// AlertId + WindowEnd for receivers that deduplicate.
///
/// Outputs of one notification: webhook (alert_webhook.hpp), email
/// (alert_email.hpp, alert_smtp.hpp) and app. Each output is retried until
/// it succeeded once, so a failing mail server does not make the webhook
/// receive the notification twice (while this leader lives).
///
/// Apps (actors/alert_app.hpp): an alert whose Notify names an "app"
/// command gets its notifications written to that app's stdin as CLEF
/// lines; the app's stdout lines become events through the committer
/// (actors/internal_ingest.hpp), with no HTTP and no API key.
///
/// Runs detached: queries and SQL block.
#include "actors/alert_app.hpp"
#include "actors/alert_board.hpp"
#include "storage/event_store.hpp"

#include <caf/actor.hpp>
#include <caf/stateful_actor.hpp>

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>

namespace cairn {

namespace meta {
class metastore;
}

/// Settings of the alert actor.
struct alert_options {
  std::string metastore_uri;
  std::shared_ptr<storage::event_store> store;
  /// How often a round runs while active.
  std::chrono::milliseconds poll{250};
  /// How long after a window's end it is evaluated (late events).
  int64_t settle_ms = 500;
  size_t max_query_memory = size_t(256) << 20;
  /// Bound of one webhook attempt.
  std::chrono::milliseconds webhook_timeout{3000};
  /// A round starts no further alert after this long, so deactivation
  /// (queued behind the round) is not delayed past the command deadline.
  std::chrono::milliseconds round_budget{1000};
  /// Give up a notification after this many failed attempts.
  unsigned max_attempts = 10;
  /// Bound of one SMTP submission (connect, TLS, AUTH, DATA).
  std::chrono::milliseconds smtp_timeout{5000};
  /// The committer that stores app output lines (null: only logged).
  caf::actor committer;
  /// Delivery errors and recent notifications, shown by /api/alerts.
  std::shared_ptr<alert_board> board = std::make_shared<alert_board>();
  /// Reads a node secret by name (the SMTP password); nullopt if unset or
  /// unreadable. Null: no secrets available.
  std::function<std::optional<std::string>(const std::string&)> read_secret;
};

/// Backoff of one alert's pending notification.
struct alert_delivery {
  unsigned attempts = 0;
  std::chrono::steady_clock::time_point next_at{};
  /// Outputs that already took this notification (not sent again).
  bool app_done = false;
  bool webhook_done = false;
  bool email_done = false;
};

struct alert_state {
  static inline const char* name = "alerts";
  alert_options opts;
  bool active = false;
  /// Bumped per activation: rounds scheduled by an older one stop.
  uint64_t activation = 0;
  std::shared_ptr<meta::metastore> meta;
  std::unordered_map<std::string, alert_delivery> deliveries;
  /// Running apps by command; stopped on deactivation.
  std::map<std::string, std::unique_ptr<app_process>> apps;
};

caf::behavior alert_actor(caf::stateful_actor<alert_state>* self, alert_options opts);

} // namespace cairn
