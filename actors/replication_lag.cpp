#include "actors/replication_lag.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <iterator>

namespace cairn {

void commit_log::add(uint64_t /*first_id*/, uint64_t end_id, int64_t unix_ns) {
  entries_.push_back({end_id, unix_ns});
  while (entries_.size() > capacity_)
    entries_.pop_front();
}

commit_log::behind commit_log::behind_of(uint64_t acked_next) const {
  // A batch is unacknowledged if its last id (end_id - 1) >= acked_next.
  auto first = std::upper_bound(entries_.begin(), entries_.end(), acked_next,
                                [](uint64_t v, const entry& e) { return v < e.end_id; });
  behind out;
  out.batches = static_cast<uint64_t>(std::distance(first, entries_.end()));
  if (first != entries_.end())
    out.oldest_unix_ns = first->unix_ns;
  return out;
}

void commit_log::trim_below(uint64_t min_acked_next) {
  while (!entries_.empty() && entries_.front().end_id <= min_acked_next)
    entries_.pop_front();
}

replication_lag& replication_lag::instance() {
  static replication_lag table;
  return table;
}

void replication_lag::set(const follower_lag& lag) {
  std::lock_guard guard{mutex_};
  rows_[lag.node_id] = lag;
}

void replication_lag::clear() {
  std::lock_guard guard{mutex_};
  rows_.clear();
}

void replication_lag::erase(const std::string& node_id) {
  std::lock_guard guard{mutex_};
  rows_.erase(node_id);
}

std::vector<follower_lag> replication_lag::rows() const {
  std::lock_guard guard{mutex_};
  std::vector<follower_lag> out;
  for (const auto& [id, row] : rows_)
    out.push_back(row);
  return out;
}

bool replication_lag::find(const std::string& node_id, follower_lag& out) const {
  std::lock_guard guard{mutex_};
  auto it = rows_.find(node_id);
  if (it == rows_.end())
    return false;
  out = it->second;
  return true;
}

void replication_lag::set_names(std::map<std::string, std::string> names) {
  std::lock_guard guard{mutex_};
  names_ = std::move(names);
}

namespace {

/// Prometheus label values escape backslash, quote and newline.
std::string label_value(std::string_view v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"')
      out += '\\';
    out += c == '\n' ? 'n' : c;
  }
  return out;
}

} // namespace

void replication_lag::render(std::string& out, int64_t now_unix_ns) const {
  std::lock_guard guard{mutex_};
  auto it = std::back_inserter(out);
  auto name_of = [&](const std::string& id) {
    auto n = names_.find(id);
    return label_value(n == names_.end() || n->second.empty() ? id : n->second);
  };
  fmt::format_to(it, "# HELP cairn_replication_lag_batches Committed batches a follower has not "
                     "acknowledged (leader only)\n# TYPE cairn_replication_lag_batches gauge\n");
  for (const auto& [id, row] : rows_)
    fmt::format_to(it, "cairn_replication_lag_batches{{node=\"{}\"}} {}\n", name_of(id),
                   row.batches);
  fmt::format_to(it, "# HELP cairn_replication_lag_seconds Age of the oldest batch a follower has "
                     "not acknowledged, 0 when caught up (leader only)\n"
                     "# TYPE cairn_replication_lag_seconds gauge\n");
  for (const auto& [id, row] : rows_)
    fmt::format_to(it, "cairn_replication_lag_seconds{{node=\"{}\"}} {:.3f}\n", name_of(id),
                   row.seconds(now_unix_ns));
}

} // namespace cairn
