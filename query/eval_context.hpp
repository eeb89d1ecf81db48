#pragma once
/// Per-thread evaluation state: the current event, its lazily scanned
/// properties, scratch memory for computed strings, wildcard bindings, and
/// (after aggregation) the group's key and aggregate values.
///
/// Lifecycle: one context per executing thread and compiled query; call
/// begin_event() for every event. Values returned by evaluation stay valid
/// until the next begin_event() (they may point into the record, which the
/// caller keeps alive, or into scratch()).
#include "query/arena.hpp"
#include "query/json_text.hpp"
#include "query/value.hpp"
#include "storage/event_record.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace cairn::query {

/// The top-level property names a compiled query reads; built by the
/// compiler so an event's properties object is scanned once, and only for
/// these keys.
struct property_names {
  std::vector<std::string> names;

  /// Index of `name`, adding it if new.
  uint32_t intern(std::string_view name) {
    for (uint32_t i = 0; i < names.size(); ++i)
      if (names[i] == name)
        return i;
    names.emplace_back(name);
    return static_cast<uint32_t>(names.size() - 1);
  }
};

class eval_context {
public:
  /// Maximum nesting of `[?]`/`[*]` wildcards.
  static constexpr size_t max_slots = 8;

  eval_context(const property_names& props, int64_t now_ns)
    : props_(&props), now_ns_(now_ns), raw_(props.names.size()), found_(props.names.size()) {}

  /// Points the context at a new event and forgets cached properties. The
  /// view (not only its text) must outlive the event's evaluation.
  void begin_event(const storage::record_view& rec) noexcept {
    rec_ = &rec;
    scanned_ = false;
    scratch_.reset();
  }

  const storage::record_view& record() const noexcept { return *rec_; }
  arena& scratch() noexcept { return scratch_; }
  int64_t now_ns() const noexcept { return now_ns_; }

  /// Raw JSON text of top-level property `id` (see property_names), scanning
  /// the event's properties object on first use.
  bool property_raw(uint32_t id, std::string_view& raw) noexcept {
    if (!scanned_)
      scan();
    if (!found_[id])
      return false;
    raw = raw_[id];
    return true;
  }

  /// Sets the current event's properties to just property `id` with JSON
  /// text `raw` (empty: absent), as if scanned: the columnar path
  /// (query/column_scan.hpp) evaluates expressions on one value at a time.
  void set_property(uint32_t id, std::string_view raw) noexcept {
    scanned_ = true;
    for (auto& f : found_)
      f = 0;
    found_[id] = !raw.empty();
    raw_[id] = raw;
  }

  value slots[max_slots];

  /// Set while evaluating post-aggregation expressions (select, having).
  const value* group_keys = nullptr;
  const value* aggregates = nullptr;
  const value* columns = nullptr; ///< output columns, for `having` on an alias
  int64_t bucket_ns = 0;

private:
  void scan() noexcept {
    scanned_ = true;
    size_t n = raw_.size();
    for (size_t i = 0; i < n; ++i)
      found_[i] = 0;
    auto text = rec_->get(storage::field::properties);
    if (text.empty() || n == 0)
      return;
    size_t remaining = n;
    const auto& names = props_->names;
    json::for_each_member(text, [&](std::string_view key, std::string_view raw) {
      for (size_t i = 0; i < n; ++i) {
        if (!found_[i] && json::key_equals(key, names[i])) {
          raw_[i] = raw;
          found_[i] = 1;
          --remaining;
          break;
        }
      }
      return remaining > 0;
    });
  }

  const property_names* props_;
  int64_t now_ns_;
  const storage::record_view* rec_ = &empty_;
  storage::record_view empty_;
  bool scanned_ = false;
  std::vector<std::string_view> raw_;
  std::vector<uint8_t> found_;
  arena scratch_;
};

} // namespace cairn::query
