#include "actors/placement_actor.hpp"

#include "actors/replication.hpp"
#include "actors/shards.hpp"
#include "storage/json_escape.hpp"

#include <caf/scoped_actor.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <map>
#include <set>

namespace cairn {

namespace {

using self_ptr = caf::stateful_actor<placement_state>*;

int64_t unix_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
           std::chrono::system_clock::now().time_since_epoch())
    .count();
}

/// A node's name in the placement: its shard id, else its node id.
std::string holder_of(const meta::node_info& n) {
  return n.shard_id.empty() ? n.id : n.shard_id;
}

/// New copies made by one round.
struct moved_copy {
  std::string node_name;
  std::string holder;
  shard_mask shards = 0;
  uint64_t events = 0;
  std::string failure;
};

struct round_report {
  std::vector<moved_copy> moved;
  std::vector<unsigned> under_replicated;
  bool ok = false;
};

bool ensure_store(self_ptr self) {
  auto& st = self->state;
  if (st.store)
    return true;
  auto opened = meta::metastore::open(st.options.metastore_uri);
  if (!opened) {
    spdlog::warn("placement: cannot open the metastore: {}", opened.error().message);
    return false;
  }
  st.store.emplace(std::move(*opened));
  return true;
}

/// Tells the committer the placement as recorded (every registered node,
/// dead ones too: they are still replicas for the quorum count).
void send_view(self_ptr self, const std::vector<meta::node_info>& nodes,
               const std::map<unsigned, std::vector<std::string>>& placement) {
  auto& st = self->state;
  std::vector<std::string> ids, holders;
  std::vector<uint64_t> masks;
  for (const auto& n : nodes) {
    shard_mask m = 0;
    for (const auto& [s, hs] : placement)
      if (std::find(hs.begin(), hs.end(), holder_of(n)) != hs.end())
        m |= shard_mask{1} << s;
    ids.push_back(n.id);
    holders.push_back(holder_of(n));
    masks.push_back(m);
  }
  self->send(st.committer, placeview_atom::value, static_cast<uint32_t>(st.options.shard_count),
             st.options.node_id, std::move(ids), std::move(holders), std::move(masks));
}

/// Placement rows as shard -> holder names (rows outside the layout dropped).
std::map<unsigned, std::vector<std::string>>
placement_of(const std::vector<meta::shard_replica>& rows, unsigned shard_count) {
  std::map<unsigned, std::vector<std::string>> out;
  for (const auto& r : rows)
    if (r.shard >= 0 && static_cast<unsigned>(r.shard) < shard_count)
      out[static_cast<unsigned>(r.shard)].push_back(r.holder);
  return out;
}

/// One placement round (see the header); the leader only.
round_report placement_round(self_ptr self) {
  auto& st = self->state;
  const auto& o = st.options;
  round_report report;
  if (!ensure_store(self))
    return report;
  auto nodes = st.store->list_nodes();
  if (!nodes) {
    spdlog::warn("placement: cannot read the membership: {}", nodes.error().message);
    st.store.reset();
    return report;
  }
  auto replicas = st.store->list_replicas();
  if (!replicas) {
    spdlog::warn("placement: cannot read the placement: {}", replicas.error().message);
    st.store.reset();
    return report;
  }
  auto now = unix_ms();
  auto placement = placement_of(*replicas, o.shard_count);
  const bool initial = placement.empty();
  if (initial) {
    size_t live_count = 0;
    for (const auto& n : *nodes)
      if (n.id == o.node_id || now - n.last_heartbeat_ms < o.heartbeat_stale.count())
        ++live_count;
    if (live_count < o.expected_nodes &&
        std::chrono::steady_clock::now() - st.leading_since < o.initial_wait) {
      send_view(self, *nodes, placement); // none yet: quorum is counted per batch
      return report; // first placement: let the configured nodes join first
    }
  }
  std::set<std::string> registered;
  std::vector<std::string> live;
  std::map<std::string, std::vector<const meta::node_info*>> live_nodes; // holder -> nodes
  for (const auto& n : *nodes) {
    registered.insert(holder_of(n));
    if (n.id == o.node_id || now - n.last_heartbeat_ms < o.heartbeat_stale.count()) {
      if (live_nodes[holder_of(n)].empty())
        live.push_back(holder_of(n));
      live_nodes[holder_of(n)].push_back(&n);
    }
  }
  auto mask_of_holder = [&](const std::string& h) {
    shard_mask m = 0;
    for (const auto& [s, holders] : placement)
      for (const auto& x : holders)
        if (x == h)
          m |= shard_mask{1} << s;
    return m;
  };
  const size_t replication = std::min(o.replication, registered.size());
  // 1. What each follower replicates (nothing before the first placement:
  // until then every follower is a full copy). A shard with fewer live
  // holders than `replication` (its holders died and were not removed)
  // also streams to every live node, unrecorded, so new events still have
  // copies beyond the leader.
  auto push_masks = [&] {
    if (placement.empty())
      return;
    // Dead, not merely slow: a heartbeat several times older than the
    // staleness bound (a loaded node's heartbeat may lag for a moment).
    std::set<std::string> alive;
    for (const auto& n : *nodes)
      if (n.id == o.node_id || now - n.last_heartbeat_ms < 4 * o.heartbeat_stale.count())
        alive.insert(holder_of(n));
    // Judged only once this leader has led for a heartbeat period: nodes
    // registered by `node setup` carry an old heartbeat until their first
    // tick, and a follower's mask only grows, so a shard wrongly judged
    // weak at start-up would stream every event to it for good.
    const bool judge_dead = std::chrono::steady_clock::now() - st.leading_since >= o.heartbeat_stale;
    shard_mask weak = 0;
    for (unsigned s = 0; s < o.shard_count && judge_dead; ++s) {
      size_t live_holders = 0;
      for (const auto& h : placement[s])
        if (alive.count(h))
          ++live_holders;
      if (live_holders < replication)
        weak |= shard_mask{1} << s;
    }
    std::vector<std::string> ids;
    std::vector<uint64_t> masks;
    for (const auto& n : *nodes)
      if (n.id != o.node_id) {
        ids.push_back(n.id);
        masks.push_back(mask_of_holder(holder_of(n)) | weak);
      }
    self->send(st.committer, shardmasks_atom::value, static_cast<uint32_t>(o.shard_count),
               std::move(ids), std::move(masks));
  };
  push_masks();
  if (placement.empty()) // the committer needs the shard count for the first copies
    self->send(st.committer, shardmasks_atom::value, static_cast<uint32_t>(o.shard_count),
               std::vector<std::string>{}, std::vector<uint64_t>{});
  // 2. Missing copies, on live nodes (the leader included).
  auto plan = plan_missing_copies(o.shard_count, replication, placement, live);
  std::map<std::string, shard_mask> per_holder;
  for (const auto& p : plan)
    per_holder[p.holder] |= shard_mask{1} << p.shard;
  caf::scoped_actor io{self->system()};
  for (const auto& [holder, mask] : per_holder) {
    moved_copy move{holder, holder, mask, 0, {}};
    if (holder == o.shard_id) {
      move.node_name = live_nodes[holder].front()->name;
      // At the first placement the leader holds every event (all nodes were
      // full copies); later it fetches the shards from their live holders.
      std::vector<std::string> from;
      for (unsigned s = 0; s < o.shard_count; ++s)
        if ((mask >> s) & 1)
          for (const auto& h : placement[s])
            for (const auto* n : live_nodes[h])
              if (n->id != o.node_id)
                from.push_back(n->id);
      if (!initial)
        io->request(st.committer, o.copy_timeout, selfcopy_atom::value, uint64_t{mask},
                    static_cast<uint32_t>(o.shard_count), from)
          .receive(
            [&](bool ok, uint64_t events, const std::string& error) {
              move.events = events;
              if (!ok)
                move.failure = error;
            },
            [&](caf::error& e) { move.failure = to_string(e); });
    } else {
      const auto* node = live_nodes[holder].front();
      move.node_name = node->name;
      io->request(st.committer, o.copy_timeout, addshards_atom::value, node->id, uint64_t{mask})
        .receive(
          [&](bool ok, uint64_t events, const std::string& error) {
            move.events = events;
            if (!ok)
              move.failure = error;
          },
          [&](caf::error& e) { move.failure = to_string(e); });
    }
    if (move.failure.empty()) {
      for (unsigned s = 0; s < o.shard_count; ++s)
        if ((mask >> s) & 1) {
          if (auto r = st.store->place_replica(static_cast<int>(s), holder, unix_ms()); !r) {
            move.failure = r.error().message;
            break;
          }
          placement[s].push_back(holder);
        }
    }
    if (!move.failure.empty())
      spdlog::warn("placement: copying shards {:#x} to {} failed: {}", mask, move.node_name,
                   move.failure);
    else if (!initial)
      spdlog::info("placement: {} now holds shards {:#x} ({} events copied)", move.node_name,
                   mask, move.events);
    report.moved.push_back(std::move(move));
  }
  if (initial && !per_holder.empty())
    spdlog::info("placement: {} shards placed on {} nodes, {} copies each", o.shard_count,
                 per_holder.size(), replication);
  if (!per_holder.empty())
    push_masks();
  send_view(self, *nodes, placement);
  for (unsigned s = 0; s < o.shard_count; ++s)
    if (placement[s].size() < replication)
      report.under_replicated.push_back(s);
  // 3. Query routing: live node ids per shard.
  if (st.queries) {
    shard_routing routing;
    routing.shard_count = o.shard_count;
    routing.self_id = o.node_id;
    routing.holders.resize(o.shard_count);
    for (const auto& [s, holders] : placement)
      for (const auto& h : holders)
        for (const auto* n : live_nodes[h])
          routing.holders[s].push_back(n->id);
    st.queries->set_routing(std::move(routing));
  }
  report.ok = true;
  return report;
}

std::string json_string(std::string_view v) {
  std::string out = "\"";
  json_escape_into(out, v);
  out += '"';
  return out;
}

std::string shard_list(shard_mask m, unsigned count) {
  std::string out = "[";
  for (unsigned s = 0; s < count; ++s)
    if ((m >> s) & 1)
      out += (out.size() > 1 ? "," : "") + std::to_string(s);
  return out + "]";
}

/// (HTTP status, JSON body) of a removal.
std::pair<int32_t, std::string> remove_node(self_ptr self, const std::string& name) {
  auto& st = self->state;
  const auto& o = st.options;
  auto error = [](int32_t status, const std::string& message) {
    return std::make_pair(status, "{\"Error\":" + json_string(message) + "}");
  };
  if (!st.view->get().acting_leader)
    return error(503, "this node is not the leader; retry");
  if (!ensure_store(self))
    return error(503, "the metastore is unavailable");
  auto nodes = st.store->list_nodes();
  if (!nodes)
    return error(503, nodes.error().message);
  auto now = unix_ms();
  std::vector<meta::node_info> gone;
  for (const auto& n : *nodes)
    if (n.name == name || n.id == name)
      gone.push_back(n);
  if (gone.empty())
    return error(404, "no node named " + name);
  for (const auto& n : gone) {
    if (n.id == o.node_id)
      return error(409, "node " + name + " is the leader; stop it first (another node takes "
                        "over), then remove it");
    auto age = now - n.last_heartbeat_ms;
    if (age < o.heartbeat_stale.count())
      return error(409, "node " + name + " is alive (heartbeat " + std::to_string(age) +
                          " ms ago); stop it first");
  }
  std::string removed = "[";
  size_t dropped = 0;
  for (const auto& n : gone) {
    if (auto r = st.store->remove_node(n.id); !r)
      return error(503, r.error().message);
    self->send(st.committer, forget_atom::value, n.id);
    auto holder = holder_of(n);
    bool carried = false; // a replacement node carries its shard id
    for (const auto& other : *nodes)
      if (other.id != n.id && holder_of(other) == holder &&
          std::none_of(gone.begin(), gone.end(),
                       [&](const meta::node_info& g) { return g.id == other.id; }))
        carried = true;
    if (!carried) {
      auto r = st.store->remove_holder(holder);
      if (!r)
        return error(503, r.error().message);
      dropped += *r;
    }
    removed += (removed.size() > 1 ? "," : "");
    removed += "{\"Id\":" + json_string(n.id) + ",\"Name\":" + json_string(n.name) +
               ",\"ShardId\":" + json_string(holder) +
               ",\"ShardIdCarriedByAnotherNode\":" + (carried ? "true" : "false") + "}";
    spdlog::info("placement: removed node {} ({}), {} placements dropped", n.name, n.id, dropped);
  }
  removed += "]";
  auto report = placement_round(self);
  std::string moved = "[";
  for (const auto& m : report.moved) {
    moved += (moved.size() > 1 ? "," : "");
    moved += "{\"To\":" + json_string(m.node_name) + ",\"Holder\":" + json_string(m.holder) +
             ",\"Shards\":" + shard_list(m.shards, o.shard_count) +
             ",\"EventsCopied\":" + std::to_string(m.events) +
             (m.failure.empty() ? "" : ",\"Error\":" + json_string(m.failure)) + "}";
  }
  moved += "]";
  std::string under = "[";
  for (auto s : report.under_replicated)
    under += (under.size() > 1 ? "," : "") + std::to_string(s);
  under += "]";
  return {200, "{\"Removed\":" + removed + ",\"PlacementsDropped\":" + std::to_string(dropped) +
                 ",\"Moved\":" + moved + ",\"UnderReplicated\":" + under + "}"};
}

/// A follower's round: tells the committer the placement (its catch-up
/// picks one holder per shard from it), and once that this node holds only
/// some shards (it then never pulls every shard from its peers on connect,
/// and waits for the leader's catch-up of its own shards instead). A node
/// placed on every shard keeps pulling: that is the fastest catch-up and
/// stores nothing it should not hold.
void follower_round(self_ptr self) {
  auto& st = self->state;
  if (!ensure_store(self))
    return;
  auto replicas = st.store->list_replicas();
  auto nodes = st.store->list_nodes();
  if (!replicas || !nodes) {
    st.store.reset();
    return;
  }
  send_view(self, *nodes, placement_of(*replicas, st.options.shard_count));
  if (st.told_sharded || replicas->empty())
    return;
  std::set<int> mine;
  for (const auto& r : *replicas)
    if (r.holder == st.options.shard_id)
      mine.insert(r.shard);
  if (mine.size() < st.options.shard_count) {
    st.told_sharded = true;
    self->send(st.committer, sharded_atom::value);
  }
}

} // namespace

bool holds_some_shards_only(const std::string& metastore_uri, const std::string& shard_id,
                            unsigned shard_count) {
  auto store = meta::metastore::open(metastore_uri);
  if (!store)
    return false;
  auto replicas = store->list_replicas();
  if (!replicas || replicas->empty())
    return false;
  std::set<int> mine;
  for (const auto& r : *replicas)
    if (r.holder == shard_id)
      mine.insert(r.shard);
  return mine.size() < shard_count;
}

caf::behavior placement_actor(self_ptr self, placement_options options, caf::actor committer,
                              std::shared_ptr<cluster_view> view,
                              std::shared_ptr<query_cluster> queries) {
  auto& st = self->state;
  st.options = std::move(options);
  if (st.options.shard_id.empty())
    st.options.shard_id = st.options.node_id;
  st.options.shard_count = std::clamp<unsigned>(st.options.shard_count, 1, max_shards);
  st.committer = std::move(committer);
  st.view = std::move(view);
  st.queries = std::move(queries);
  return {
    [=](tick_atom) {
      auto& st = self->state;
      bool leading = st.view->get().acting_leader;
      if (!leading) {
        follower_round(self);
        if (st.was_leading && st.queries)
          st.queries->set_routing({}); // a follower plans no queries
        st.was_leading = false;
        return;
      }
      if (!st.was_leading)
        st.leading_since = std::chrono::steady_clock::now();
      st.was_leading = true;
      placement_round(self);
    },
    [=](remove_atom, const std::string& name) -> caf::result<int32_t, std::string> {
      auto [status, body] = remove_node(self, name);
      return {status, std::move(body)};
    },
  };
}

} // namespace cairn
