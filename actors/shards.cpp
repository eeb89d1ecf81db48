#include "actors/shards.hpp"

#include <algorithm>
#include <set>
#include <tuple>

namespace cairn {

std::vector<shard_copy_plan>
plan_missing_copies(unsigned shard_count, size_t replication,
                    const std::map<unsigned, std::vector<std::string>>& placement,
                    const std::vector<std::string>& live_holders) {
  std::map<std::string, size_t> load; // live holder -> shards held
  for (const auto& h : live_holders)
    load[h] = 0;
  for (const auto& [shard, holders] : placement)
    for (const auto& h : holders)
      if (auto it = load.find(h); it != load.end())
        ++it->second;
  std::vector<shard_copy_plan> plan;
  for (unsigned s = 0; s < shard_count; ++s) {
    std::set<std::string> have;
    if (auto it = placement.find(s); it != placement.end())
      have.insert(it->second.begin(), it->second.end());
    while (have.size() < replication) {
      const std::string* best = nullptr;
      for (const auto& [h, n] : load)
        if (!have.count(h) && (!best || n < load[*best]))
          best = &h; // map order: ties go to the smallest shard id
      if (!best)
        break; // fewer live nodes than replicas: stays under-replicated
      plan.push_back({s, *best});
      have.insert(*best);
      ++load[*best];
    }
  }
  return plan;
}

std::map<std::string, shard_mask>
assign_query_shards(unsigned shard_count, const std::vector<std::vector<std::string>>& holders,
                    const std::string& self) {
  std::map<std::string, shard_mask> out;
  std::map<std::string, size_t> load;
  // Shards with fewer candidates first, so flexible ones balance the rest.
  std::vector<unsigned> order(shard_count);
  for (unsigned s = 0; s < shard_count; ++s)
    order[s] = s;
  auto candidates = [&](unsigned s) {
    return s < holders.size() ? holders[s].size() : size_t{0};
  };
  std::stable_sort(order.begin(), order.end(),
                   [&](unsigned a, unsigned b) { return candidates(a) < candidates(b); });
  for (unsigned s : order) {
    // Least loaded wins; on a tie a peer beats the leader (it also scans the
    // unreplicated tail and retried shares), then the smaller id.
    auto rank = [&](const std::string& n) { return std::make_tuple(load[n], n == self, n); };
    std::string best;
    if (s < holders.size())
      for (const auto& h : holders[s])
        if (best.empty() || rank(h) < rank(best))
          best = h;
    if (best.empty())
      best = self; // no live holder: the leader, which holds what it committed
    ++load[best];
    out[best] |= shard_mask{1} << s;
  }
  return out;
}

shard_mask shards_of_range(uint64_t first, uint64_t end, unsigned shard_count) {
  if (end <= first || shard_count == 0)
    return 0;
  uint64_t first_chunk = first >> shard_chunk_bits;
  uint64_t last_chunk = (end - 1) >> shard_chunk_bits;
  if (last_chunk - first_chunk + 1 >= shard_count)
    return all_shards(shard_count);
  shard_mask out = 0;
  for (uint64_t c = first_chunk; c <= last_chunk; ++c)
    out |= shard_mask{1} << (c % shard_count);
  return out;
}

shard_quorum::shard_quorum(unsigned shard_count, std::vector<placed_node> nodes)
  : shard_count_(std::min(shard_count, max_shards)), nodes_(std::move(nodes)) {
  holders_.assign(shard_count_, 0);
  std::set<std::string> seen;
  for (const auto& n : nodes_) {
    if (!seen.insert(n.holder).second)
      continue; // a replacement carrying a holder name counts once
    for (unsigned s = 0; s < shard_count_; ++s)
      if ((n.mask >> s) & 1)
        ++holders_[s];
  }
  bool any = false;
  for (auto h : holders_)
    any = any || h != 0;
  if (!any)
    holders_.clear();
}

shard_mask shard_quorum::short_of(shard_mask touched,
                                  const std::vector<std::string>& confirmed) const {
  shard_mask missing = 0;
  std::set<std::string> holders; // distinct holder names that confirmed
  for (const auto& id : confirmed)
    for (const auto& n : nodes_)
      if (n.node_id == id)
        holders.insert(n.holder);
  for (unsigned s = 0; s < shard_count_; ++s) {
    if (!((touched >> s) & 1))
      continue;
    size_t have = 0;
    std::set<std::string> counted;
    for (const auto& n : nodes_)
      if (((n.mask >> s) & 1) && holders.count(n.holder) && counted.insert(n.holder).second)
        ++have;
    if (holders_.empty() || have < holders_[s] / 2 + 1)
      missing |= shard_mask{1} << s;
  }
  return missing;
}

shard_mask shard_quorum::mask_of(const std::string& node_id) const {
  for (const auto& n : nodes_)
    if (n.node_id == node_id)
      return n.mask;
  return 0;
}

std::vector<std::string> shard_quorum::holders_of(unsigned s) const {
  std::vector<std::string> out;
  for (const auto& n : nodes_)
    if (s < shard_count_ && ((n.mask >> s) & 1))
      out.push_back(n.node_id);
  return out;
}

std::atomic<uint64_t>& full_copy_from() {
  static std::atomic<uint64_t> value{0};
  return value;
}

void position_mask::change(uint64_t since, shard_mask mask) {
  while (steps_.size() > 1 && steps_.back().since >= since)
    steps_.pop_back();
  if (steps_.size() == 1 && since == 0)
    steps_.back().mask = mask;
  else if (steps_.back().mask != mask)
    steps_.push_back({since, mask});
}

shard_mask position_mask::at(uint64_t id) const {
  for (auto i = steps_.rbegin(); i != steps_.rend(); ++i)
    if (id >= i->since)
      return i->mask;
  return steps_.front().mask;
}

} // namespace cairn
