#pragma once
/// Events Cairn writes itself (app output lines, its own notifications)
/// enter the store through the committer like ingested batches, but never
/// through HTTP: no listener address, no API key, so they keep working once
/// keys are required.
///
/// Threading: call from the owning actor's handler; the commit reply comes
/// back to that actor asynchronously (nothing blocks on the committer).
#include "storage/event_record.hpp"

#include <caf/actor.hpp>
#include <caf/event_based_actor.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace cairn {

/// Appends one event per line to `out`, oldest first: a line that is a
/// valid CLEF object is taken as is; any other line becomes an event with
/// `@m` = the line and property `source_property` = `source` (so a
/// malformed line never loses the others). Returns the number appended.
size_t clef_lines_to_batch(const std::vector<std::string>& lines, std::string_view source_property,
                           std::string_view source, storage::record_batch& out);

/// Hands `batch` to the committer; a failure (not leading, no quorum) is
/// logged as "`what`: ..." and the events are dropped.
void commit_internal(caf::event_based_actor* self, const caf::actor& committer,
                     storage::record_batch batch, std::string what);

/// The current time as CLEF `@t` text (UTC, milliseconds).
std::string clef_now();

} // namespace cairn
