#include "actors/distributed_search.hpp"

#include "actors/replication.hpp"
#include "actors/store_source.hpp"
#include "query/parse_error.hpp"

#include <caf/scoped_actor.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <tuple>

namespace cairn {

namespace {

/// Newest first: (timestamp, id) descending.
bool newer(const query::search_hit& a, const query::search_hit& b) {
  return a.timestamp != b.timestamp ? a.timestamp > b.timestamp : a.id > b.id;
}

/// Connected peers by node id.
std::map<std::string, caf::actor> connected_peers(const query_cluster& cluster) {
  auto peers = cluster.peers();
  auto ids = cluster.peer_ids();
  std::map<std::string, caf::actor> out;
  for (size_t i = 0; i < peers.size(); ++i)
    if (!ids[i].empty())
      out[ids[i]] = peers[i];
  return out;
}

/// The holders of each shard that are connected right now.
std::vector<std::vector<std::string>> live_holders(const search_layout& layout,
                                                   const std::map<std::string, caf::actor>& peers) {
  std::vector<std::vector<std::string>> live(layout.shard_count);
  for (unsigned s = 0; s < layout.shard_count && s < layout.holders.size(); ++s)
    for (const auto& h : layout.holders[s])
      if (peers.count(h))
        live[s].push_back(h);
  return live;
}

query::query_error unreadable(shard_mask mask, unsigned shard_count) {
  return query::query_error(
    query::query_error::kind::cancelled,
    shard_names(mask, shard_count) + " cannot be read: no live replica holding them answered "
    "and this node does not hold their older events; the result would be incomplete, retry "
    "when a holder is back");
}

/// This node's share of a distributed search: its own shards below `cut`,
/// every shard from `cut` on.
std::vector<query::search_hit> search_here(const std::shared_ptr<storage::event_store>& store,
                                           const query::query_plan& plan,
                                           const query::query_options& opts,
                                           const query::search_options& so,
                                           const search_layout& layout) {
  std::vector<query::search_hit> hits;
  if (layout.held != 0) {
    store_source own{store};
    own.set_id_range(0, layout.cut);
    own.set_shard_mask(layout.held, layout.shard_count);
    hits = query::search(plan, own, opts, so);
  }
  store_source recent{store};
  recent.set_id_range(layout.cut, UINT64_MAX);
  merge_newest(hits, query::search(plan, recent, opts, so), so.count);
  return hits;
}

} // namespace

search_layout make_search_layout(const shard_routing& routing, uint64_t full_from) {
  search_layout out;
  if (full_from == 0)
    return out; // led from the start, or a full copy: everything is here
  if (routing.shard_count == 0) {
    out.unknown = true;
    return out;
  }
  out.cut = full_from;
  out.shard_count = std::min(routing.shard_count, max_shards);
  out.holders.resize(out.shard_count);
  for (unsigned s = 0; s < out.shard_count && s < routing.holders.size(); ++s)
    for (const auto& h : routing.holders[s]) {
      if (h == routing.self_id)
        out.held |= shard_mask{1} << s;
      else
        out.holders[s].push_back(h);
    }
  return out;
}

search_layout current_search_layout(const query_cluster& cluster) {
  const uint64_t full_from = full_copy_from().load();
  if (full_from == 0)
    return {};
  return make_search_layout(cluster.routing(), full_from);
}

holder_assignment assign_holders(shard_mask mask, unsigned shard_count,
                                 const std::vector<std::vector<std::string>>& holders,
                                 const std::vector<std::set<std::string>>& failed) {
  holder_assignment out;
  std::map<std::string, size_t> load;
  for (unsigned s = 0; s < shard_count; ++s) {
    if (!((mask >> s) & 1))
      continue;
    const std::string* best = nullptr;
    if (s < holders.size())
      for (const auto& h : holders[s]) {
        if (s < failed.size() && failed[s].count(h))
          continue;
        if (!best || std::tie(load[h], h) < std::tie(load[*best], *best))
          best = &h;
      }
    if (!best) {
      out.unanswered |= shard_mask{1} << s;
      continue;
    }
    ++load[*best];
    out.by_node[*best] |= shard_mask{1} << s;
  }
  return out;
}

std::string shard_names(shard_mask mask, unsigned shard_count) {
  std::string names;
  size_t n = 0;
  for (unsigned s = 0; s < shard_count && s < max_shards; ++s)
    if ((mask >> s) & 1) {
      names += (names.empty() ? "" : ", ") + std::to_string(s);
      ++n;
    }
  return (n == 1 ? "shard " : "shards ") + names;
}

void merge_newest(std::vector<query::search_hit>& into, std::vector<query::search_hit>&& more,
                  size_t count) {
  if (more.empty())
    return;
  const size_t mid = into.size();
  into.insert(into.end(), std::make_move_iterator(more.begin()), std::make_move_iterator(more.end()));
  std::inplace_merge(into.begin(), into.begin() + static_cast<std::ptrdiff_t>(mid), into.end(), newer);
  if (into.size() > count)
    into.resize(count);
}

std::string pack_hits(const std::vector<query::search_hit>& hits) {
  size_t total = 0;
  for (const auto& h : hits)
    total += h.record.size();
  std::string out;
  out.reserve(total);
  for (const auto& h : hits)
    out += h.record;
  return out;
}

std::optional<std::vector<query::search_hit>> unpack_hits(std::string bytes) {
  storage::record_batch batch;
  batch.bytes = std::move(bytes);
  if (!index_records(batch))
    return std::nullopt;
  std::vector<query::search_hit> hits;
  hits.reserve(batch.size());
  for (size_t i = 0; i < batch.size(); ++i) {
    auto rec = batch.record(i);
    storage::record_view view;
    if (!view.parse(rec.data(), rec.size()))
      return std::nullopt;
    hits.push_back({view.timestamp(), view.id(), std::string{rec}});
  }
  // Holders answer newest first; sort anyway so a merge never relies on it.
  if (!std::is_sorted(hits.begin(), hits.end(), newer))
    std::sort(hits.begin(), hits.end(), newer);
  return hits;
}

std::vector<query::search_hit> search_cluster(const query_cluster& cluster,
                                              const std::shared_ptr<storage::event_store>& store,
                                              const search_request& request,
                                              const query::query_options& opts, int64_t epoch,
                                              const search_layout& layout) {
  auto plan = query::query_plan::compile_filter(request.filter, request.now_ns);
  query::search_options so;
  so.count = request.count;
  so.before = request.before;
  if (layout.unknown)
    throw query::query_error(query::query_error::kind::cancelled,
                             "this node does not hold every shard and the shard placement is "
                             "not known yet; retry shortly");
  if (layout.local_only()) {
    store_source source{store};
    return query::search(*plan, source, opts, so);
  }
  if (request.count == 0)
    return {};
  const unsigned n = layout.shard_count;
  const auto peers = connected_peers(cluster);
  const auto live = live_holders(layout, peers);
  std::vector<std::set<std::string>> failed(n);

  // 1. Ask a live holder for each missing shard's newest matches below cut.
  caf::scoped_actor io{cluster.system()};
  const bool has_before = request.before.has_value();
  const int64_t before_ts = has_before ? request.before->first : 0;
  const uint64_t before_id = has_before ? request.before->second : 0;
  auto ask = [&](const std::string& node, shard_mask mask) {
    return io->request(peers.at(node), cluster.share_timeout(), search_atom::value, epoch,
                       request.filter, request.now_ns, opts.from_ns, opts.to_ns,
                       uint64_t{request.count}, has_before, before_ts, before_id, layout.cut,
                       uint64_t{mask}, uint32_t{n});
  };
  struct sent_part {
    std::string node;
    shard_mask mask;
  };
  using handle_t = decltype(ask(std::string{}, shard_mask{}));
  std::vector<sent_part> sent;
  std::vector<handle_t> pending;
  auto send_all = [&](shard_mask mask) {
    auto plan_parts = assign_holders(mask, n, live, failed);
    if (plan_parts.unanswered)
      throw unreadable(plan_parts.unanswered, n);
    for (const auto& [node, m] : plan_parts.by_node) {
      sent.push_back({node, m});
      pending.push_back(ask(node, m));
    }
  };
  send_all(layout.missing());

  // 2. This node's own part while the holders search theirs.
  auto hits = search_here(store, *plan, opts, so, layout);

  // 3. Collect and merge; what failed goes to another holder (each round
  // drops the failed node for its shards: bounded by the replica count).
  for (size_t done = 0; done < pending.size();) {
    shard_mask retry = 0;
    for (size_t end = pending.size(); done < end; ++done) {
      std::string failure;
      pending[done].receive(
        [&](std::string& bytes, std::string& node, uint64_t their_next) {
          if (their_next < layout.cut) {
            failure = node + " is behind (next id " + std::to_string(their_next) + ")";
            return;
          }
          auto theirs = unpack_hits(std::move(bytes));
          if (!theirs) {
            failure = node + " sent records that do not parse";
            return;
          }
          merge_newest(hits, std::move(*theirs), request.count);
        },
        [&](caf::error& e) { failure = to_string(e); });
      if (failure.empty())
        continue;
      spdlog::warn("search: {} on {} failed ({}); asking another holder",
                   shard_names(sent[done].mask, n), sent[done].node, failure);
      for (unsigned s = 0; s < n; ++s)
        if ((sent[done].mask >> s) & 1)
          failed[s].insert(sent[done].node);
      retry |= sent[done].mask;
    }
    if (!retry)
      break;
    if (opts.cancel && opts.cancel->load())
      throw query::query_error(query::query_error::kind::cancelled, "the search was cancelled");
    send_all(retry);
  }
  return hits;
}

fetched_event fetch_event(const query_cluster& cluster,
                          const std::shared_ptr<storage::event_store>& store, uint64_t id,
                          int64_t epoch, const search_layout& layout) {
  fetched_event out;
  auto local = store->get_by_id(id);
  if (local) {
    out.kind = fetched_event::found;
    out.record = std::move(*local);
    return out;
  }
  if (local.error().code != storage::errc::not_found) {
    out.kind = fetched_event::unavailable;
    out.detail = local.error().to_string();
    return out;
  }
  if (layout.unknown) {
    out.kind = fetched_event::unavailable;
    out.detail = "this node does not hold every shard and the shard placement is not known "
                 "yet; retry shortly";
    return out;
  }
  if (!layout.elsewhere(id))
    return out; // not_found: its shard is stored here
  const unsigned s = shard_of(id, layout.shard_count);
  const auto peers = connected_peers(cluster);
  caf::scoped_actor io{cluster.system()};
  std::string failures;
  const auto live = live_holders(layout, peers);
  for (const auto& node : live[s]) {
    std::string failure;
    bool answered = false;
    io->request(peers.at(node), cluster.share_timeout(), fetch_event_atom::value, epoch, id)
      .receive(
        [&](bool found, std::string& record, std::string& name, uint64_t their_next) {
          if (their_next < layout.cut) {
            failure = name + " is behind (next id " + std::to_string(their_next) + ")";
            return;
          }
          answered = true;
          if (found) {
            out.kind = fetched_event::found;
            out.record = std::move(record);
          }
        },
        [&](caf::error& e) { failure = to_string(e); });
    if (answered)
      return out;
    spdlog::warn("search: event {} of shard {} on {} failed ({}); asking another holder", id, s,
                 node, failure);
    failures += (failures.empty() ? "" : "; ") + node + ": " + failure;
  }
  out.kind = fetched_event::unavailable;
  out.detail = unreadable(shard_mask{1} << s, layout.shard_count).what();
  if (!failures.empty())
    out.detail += " (" + failures + ")";
  return out;
}

namespace {

using search_reply = caf::result<std::string, std::string, uint64_t>;
using fetch_reply = caf::result<bool, std::string, std::string, uint64_t>;

caf::error stale(const share_executor& exec, int64_t epoch) {
  return caf::make_error(caf::sec::runtime_error,
                         "stale epoch " + std::to_string(epoch) + " < " +
                           std::to_string(exec.max_epoch->load()));
}

} // namespace

caf::behavior search_worker_actor(caf::event_based_actor* self,
                                  std::shared_ptr<const share_executor> exec) {
  return {
    [=](search_atom, int64_t epoch, const std::string& filter, int64_t now_ns, int64_t from_ns,
        int64_t to_ns, uint64_t count, bool has_before, int64_t before_ts, uint64_t before_id,
        uint64_t id_hi, uint64_t mask, uint32_t shard_count) -> search_reply {
      self->quit();
      if (!exec->admit_epoch(epoch))
        return stale(*exec, epoch);
      const uint64_t next_id = exec->log_position();
      if (next_id < id_hi)
        // Not replicated this far yet: the leader asks another holder.
        return search_reply{std::string{}, exec->node_name, next_id};
      try {
        auto plan = query::query_plan::compile_filter(filter, now_ns);
        query::query_options opts;
        opts.from_ns = from_ns;
        opts.to_ns = to_ns;
        opts.max_memory_bytes = exec->max_memory_bytes;
        query::search_options so;
        so.count = static_cast<size_t>(count);
        if (has_before)
          so.before = std::make_pair(before_ts, before_id);
        store_source source{exec->store};
        source.set_id_range(0, id_hi);
        source.set_shard_mask(mask, std::min<unsigned>(shard_count, max_shards));
        auto hits = query::search(*plan, source, opts, so);
        return search_reply{pack_hits(hits), exec->node_name, next_id};
      } catch (const query::query_error& e) {
        return caf::make_error(caf::sec::runtime_error, std::string{"search: "} + e.what());
      }
    },
    [=](fetch_event_atom, int64_t epoch, uint64_t id) -> fetch_reply {
      self->quit();
      if (!exec->admit_epoch(epoch))
        return stale(*exec, epoch);
      const uint64_t next_id = exec->log_position();
      auto rec = exec->store->get_by_id(id);
      if (rec)
        return fetch_reply{true, std::move(*rec), exec->node_name, next_id};
      if (rec.error().code != storage::errc::not_found)
        return caf::make_error(caf::sec::runtime_error, rec.error().to_string());
      return fetch_reply{false, std::string{}, exec->node_name, next_id};
    },
  };
}

} // namespace cairn
