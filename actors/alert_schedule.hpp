#pragma once
/// Pure scheduling rules of alerts, kept apart from the actor so they can be
/// tested without clocks or databases.
///
/// An alert checks windows [end - window_ms, end) whose ends are multiples
/// of interval_ms (Unix ms), so every leader computes the same windows. A
/// window is due once `settle_ms` have passed after its end (late events of
/// the window have time to be committed). Windows are decided strictly in
/// order, starting after the last decided one; a new alert starts with the
/// first window ending after its creation.
#include <cstddef>
#include <cstdint>
#include <vector>

namespace cairn {

/// The end of the first window an alert decides after `last_end_ms` (0 =
/// none decided yet: the first end after `created_ms`).
/// @pre interval_ms > 0
int64_t next_window_end(int64_t last_end_ms, int64_t created_ms, int64_t interval_ms);

/// The windows due at `now_ms`, oldest first, at most `max_count` of them.
/// @pre interval_ms > 0
std::vector<int64_t> due_windows(int64_t last_end_ms, int64_t created_ms, int64_t interval_ms,
                                 int64_t now_ms, int64_t settle_ms, size_t max_count);

/// What deciding one window records.
struct window_outcome {
  bool fire = false;
  int64_t last_fired_ms = 0;
  int64_t suppressed_until_ms = 0;
};

/// Decides a window: it fires if its condition held and its end is not
/// before the current suppression end; firing suppresses until end +
/// suppression_ms. Otherwise the previous state is kept.
window_outcome decide_window(bool condition_met, int64_t window_end_ms, int64_t last_fired_ms,
                             int64_t suppressed_until_ms, int64_t suppression_ms);

/// Delay before delivery attempt `attempt` (1-based) after a failure:
/// base * 2^(attempt-1), capped at `cap_ms`.
int64_t retry_delay_ms(unsigned attempt, int64_t base_ms, int64_t cap_ms);

} // namespace cairn
