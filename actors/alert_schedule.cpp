#include "actors/alert_schedule.hpp"

#include <algorithm>

namespace cairn {

int64_t next_window_end(int64_t last_end_ms, int64_t created_ms, int64_t interval_ms) {
  if (last_end_ms > 0)
    return last_end_ms + interval_ms;
  // Floor division that also holds for negative times (tests use them).
  int64_t q = created_ms / interval_ms;
  if (created_ms % interval_ms < 0)
    --q;
  return (q + 1) * interval_ms;
}

std::vector<int64_t> due_windows(int64_t last_end_ms, int64_t created_ms, int64_t interval_ms,
                                 int64_t now_ms, int64_t settle_ms, size_t max_count) {
  std::vector<int64_t> out;
  for (int64_t end = next_window_end(last_end_ms, created_ms, interval_ms);
       end + settle_ms <= now_ms && out.size() < max_count; end += interval_ms)
    out.push_back(end);
  return out;
}

window_outcome decide_window(bool condition_met, int64_t window_end_ms, int64_t last_fired_ms,
                             int64_t suppressed_until_ms, int64_t suppression_ms) {
  if (!condition_met || window_end_ms < suppressed_until_ms)
    return {false, last_fired_ms, suppressed_until_ms};
  return {true, window_end_ms, window_end_ms + suppression_ms};
}

int64_t retry_delay_ms(unsigned attempt, int64_t base_ms, int64_t cap_ms) {
  int64_t delay = base_ms;
  for (unsigned i = 1; i < attempt && delay < cap_ms; ++i)
    delay *= 2;
  return std::min(delay, cap_ms);
}

} // namespace cairn
