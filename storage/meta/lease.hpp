#pragma once

// The leader lease: one row per lease name in `leader_lease`.
//
// Invariants kept by the metastore (see metastore_lease.cpp):
// - A lease changes holder only when it has expired (expires_at_ms < now).
// - Every new acquisition (other holder, or own lease that had expired)
//   increments `epoch` in the same statement, so epochs are fencing tokens:
//   strictly increasing over the lifetime of the row. Rows are never
//   deleted; release only expires them, so the epoch never restarts.
// - A manual lease has expires_at_ms == manual_lease_expiry and is only
//   ended by `demote` or `release` by its holder.

#include <cstdint>
#include <limits>
#include <string>

namespace cairn::meta {

/// Expiry stored for a manual (permanent) lease.
inline constexpr int64_t manual_lease_expiry = std::numeric_limits<int64_t>::max();

/// A snapshot of one lease row.
struct lease {
  /// Node id of the holder.
  std::string holder;
  /// Fencing token; grows by one on every new acquisition.
  int64_t epoch = 0;
  /// Unix ms after which other nodes may take the lease.
  int64_t expires_at_ms = 0;
  /// Unix ms at which the current holder acquired it (this epoch began).
  int64_t acquired_at_ms = 0;
  /// True while held in manual mode (`cairn node lead`).
  bool manual = false;

  /// True if the lease is valid at `now_ms` (not yet expired).
  bool valid_at(int64_t now_ms) const noexcept {
    return expires_at_ms >= now_ms;
  }
};

} // namespace cairn::meta
