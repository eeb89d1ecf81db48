#pragma once
/// Per-key input settings applied at ingestion, as Seq offers them: events
/// below the key's minimum level are dropped, and the key's applied
/// properties override the events' own.
#include "storage/event_record.hpp"
#include "storage/meta/api_key.hpp"

namespace cairn::net {

/// Severity rank of a level for minimum-level checks (aliases fold together).
int level_rank(std::string_view level) noexcept;

/// Rewrites `batch` in place according to `key`; cheap when the key has no
/// minimum level and no applied properties.
void apply_key_settings(storage::record_batch& batch, const meta::api_key_info& key);

} // namespace cairn::net
