#pragma once

// Alerts as stored in the `alerts` table (storage/meta/migrations.cpp, v1 +
// v2). Only the leader evaluates them (actors/alert_actor.hpp).
//
// Invariants of the scheduling state:
// - Windows are [end - window_ms, end) with `end` a multiple of interval_ms.
// - last_window_end_ms is the end of the last window decided (its query ran
//   and its outcome was recorded); 0 = none yet. It only moves forward, by
//   compare-and-set, so two evaluators can never both decide one window.
// - pending_json is the notification of window last_window_end_ms while it
//   is not yet delivered (empty otherwise). It is written in the same
//   statement that decides the window, BEFORE anything is sent.

#include <cstdint>
#include <string>

namespace cairn::meta {

/// One alert and its scheduling state.
struct alert_info {
  /// Stable identifier, "alert-" plus 16 hex characters.
  std::string id;
  std::string title;
  std::string description;
  /// A `select` whose non-empty result means "fire" (typically `having`).
  std::string query;
  int64_t window_ms = 60000;
  int64_t interval_ms = 60000;
  /// After firing, windows ending before last fire + this do not fire.
  int64_t suppression_ms = 0;
  /// {"webhook":"http://...","app":"name"}: where notifications go.
  std::string notification_json = "{}";
  bool is_disabled = false;
  int64_t last_window_end_ms = 0;
  int64_t last_fired_ms = 0;
  int64_t suppressed_until_ms = 0;
  /// Undelivered notification of window last_window_end_ms ("" = none).
  std::string pending_json;
  int64_t created_ms = 0;
};

} // namespace cairn::meta
