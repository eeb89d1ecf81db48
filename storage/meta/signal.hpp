#pragma once

// Signals and retention policies as stored in the `signals` and
// `retention_policies` tables (storage/meta/migrations.cpp).
//
// A signal is a saved, named filter (Seq: Title, Description, Filters,
// Columns); the web UI shows signals as one-click filters on the Events page.
// A retention policy says which events to delete once they are older than
// `retention_ms`: an empty filter and signal mean "every event". Policies are
// stored only: nothing evaluates them yet (see README.md).

#include <cstdint>
#include <string>

namespace cairn::meta {

/// One saved filter.
struct signal_info {
  /// Stable identifier, "signal-" plus 16 hex characters.
  std::string id;
  std::string title;
  std::string description;
  /// The filter expression in the query language (empty = all events).
  std::string filter;
  /// Seq's Filters array as JSON ([{"Filter":..,"Description":..}]).
  std::string filters_json = "[]";
  /// Seq's Columns array as JSON ([{"Expression":..}]).
  std::string columns_json = "[]";
  bool is_protected = false;
  int64_t created_ms = 0;
  int64_t updated_ms = 0;
};

/// One retention policy.
struct retention_policy_info {
  /// Stable identifier, "retentionpolicy-" plus 16 hex characters.
  std::string id;
  /// Events older than this (by event timestamp) are removed. > 0.
  int64_t retention_ms = 0;
  /// Only events matching this filter are removed (empty = all).
  std::string filter;
  /// Or only events matching this signal (empty = none named).
  std::string signal_id;
  /// "Stream" or "Series", as Seq names the data sources.
  std::string data_source = "Stream";
  int64_t created_ms = 0;
};

} // namespace cairn::meta
