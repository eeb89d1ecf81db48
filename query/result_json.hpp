#pragma once
/// Seq's QueryResultPart JSON (seq-compat.md §4) for a query_result:
/// - `{"Columns":[..],"Rows":[[..]]}` for ungrouped or key-grouped queries;
/// - `{"Columns":[values],"Slices":[{"Time":..,"Rows":[[..]]}]}` for
///   `group by time()` alone, one slice per interval over the range (empty
///   slices have `"Rows":[]`);
/// - `{"Columns":[keys..,values..],"Series":[{"Key":[..],"Slices":[..]}]}`
///   for time plus other keys.
/// Timestamps in cells are 100 ns ticks (as Seq returns @Timestamp), slice
/// times ISO-8601 strings, durations ticks. Adds TimeColumnMetadata and
/// Statistics.
#include "query/query_result.hpp"

#include <string>

namespace cairn::query {

std::string to_seq_json(const query_result& r);

/// Appends one cell the way Seq renders it.
void append_cell_json(std::string& out, const value& v);

} // namespace cairn::query
