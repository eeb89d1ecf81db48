#include "actors/consensus_actor.hpp"

#include "actors/metrics.hpp"
#include "actors/replication_lag.hpp"

#include <spdlog/spdlog.h>

namespace cairn {

namespace {

using self_ptr = caf::stateful_actor<consensus_state>*;

int64_t unix_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
           std::chrono::system_clock::now().time_since_epoch())
    .count();
}

int64_t steady_ns(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}

void report_lost(self_ptr self, std::string reason) {
  metrics::instance().lease_renewal_failures++;
  lease_status ls;
  ls.kind = lease_status::lost;
  ls.reason = std::move(reason);
  self->state.holding = false;
  self->send(self->state.node, lease_atom::value, ls);
}

/// Opens the metastore if it is not open (first tick, or after an error).
bool ensure_store(self_ptr self) {
  auto& st = self->state;
  if (st.store)
    return true;
  auto opened = meta::metastore::open(st.options.metastore_uri);
  if (!opened) {
    spdlog::warn("consensus: metastore unavailable: {}", opened.error().message);
    return false;
  }
  st.store.emplace(std::move(*opened));
  return true;
}

/// Membership: register once, then heartbeat every tick; keep the list for
/// leader lookup and /api/cluster.
void membership_round(self_ptr self, int64_t now) {
  auto& st = self->state;
  auto& me = st.options.self;
  if (!st.registered) {
    me.last_heartbeat_ms = now;
    if (auto r = st.store->upsert_node(me); !r) {
      spdlog::warn("consensus: cannot register node: {}", r.error().message);
      return;
    }
    st.registered = true;
  }
  auto beat = st.store->heartbeat(me.id, now, me.generation, st.holding ? "leader" : "follower",
                                  st.epoch);
  if (beat && !*beat)
    st.registered = false; // removed by an operator: register again next tick
  if (auto nodes = st.store->list_nodes()) {
    st.nodes = std::move(*nodes);
    std::map<std::string, std::string> names; // lag metrics label nodes by name
    for (const auto& n : st.nodes)
      names[n.id] = n.name;
    replication_lag::instance().set_names(std::move(names));
  }
}

std::string api_uri_of(const consensus_state& st, const std::string& node_id) {
  for (const auto& n : st.nodes)
    if (n.id == node_id)
      return n.internal_uri;
  return {};
}

void lease_round(self_ptr self) {
  auto& st = self->state;
  auto& o = st.options;
  auto sent_at = std::chrono::steady_clock::now();
  if (!ensure_store(self))
    return report_lost(self, "metastore unavailable");
  auto now = unix_ms();
  if (st.retiring) {
    // Stopping: report the successor so requests still arriving here are
    // forwarded to it until the listener closes.
    auto current = st.store->current_lease(o.lease_name);
    if (current && *current && (*current)->holder != o.node_id && (*current)->valid_at(now)) {
      lease_status ls;
      ls.kind = lease_status::held_elsewhere;
      ls.holder = (*current)->holder;
      ls.epoch = (*current)->epoch;
      if (auto nodes = st.store->list_nodes())
        st.nodes = std::move(*nodes);
      ls.leader_api_uri = api_uri_of(st, ls.holder);
      self->send(st.node, lease_atom::value, ls);
    }
    return;
  }
  meta::expected<std::optional<meta::lease>> result =
    o.manual_leader ? [&]() -> meta::expected<std::optional<meta::lease>> {
      auto current = st.store->current_lease(o.lease_name);
      if (current && *current && (*current)->holder == o.node_id && (*current)->manual)
        return *current;
      auto set = st.store->set_manual_leader(o.lease_name, o.node_id, now);
      if (!set)
        return meta::unexpected{set.error()};
      return std::optional<meta::lease>{*set};
    }()
                    : st.store->try_acquire_or_renew(o.lease_name, o.node_id, now,
                                                     o.lease.count());
  if (!result) {
    spdlog::warn("consensus: lease round failed: {}", result.error().message);
    st.store.reset(); // reconnect next tick
    return report_lost(self, "lease round failed: " + result.error().message);
  }
  lease_status ls;
  if (auto& lease = *result) {
    if (!st.holding) {
      metrics::instance().lease_acquisitions++;
      spdlog::info("consensus: acquired lease '{}' with epoch {}", o.lease_name, lease->epoch);
    }
    st.holding = true;
    ls.kind = lease_status::acquired;
    ls.epoch = lease->epoch;
    st.epoch = lease->epoch;
    ls.holder = o.node_id;
    ls.valid_until_steady_ns =
      o.manual_leader ? INT64_MAX : steady_ns(sent_at + o.lease - lease_safety_margin(o));
    // The window in wall-clock terms, for the fencing checks of the tests.
    spdlog::debug("lease window: node={} epoch={} from_ms={} to_ms={}", o.node_id, lease->epoch,
                  now, o.manual_leader ? INT64_MAX
                                       : now + (o.lease - lease_safety_margin(o)).count());
  } else {
    st.holding = false;
    ls.kind = lease_status::held_elsewhere;
    auto current = st.store->current_lease(o.lease_name);
    if (current && *current) {
      ls.holder = (*current)->holder;
      ls.epoch = (*current)->epoch;
      st.epoch = std::max(st.epoch, ls.epoch);
    }
  }
  membership_round(self, now);
  ls.leader_api_uri = api_uri_of(st, ls.holder);
  self->send(st.node, lease_atom::value, ls);
}

} // namespace

std::chrono::milliseconds lease_safety_margin(const consensus_options& o) {
  // At least one tick plus a fifth of the lease: renewals may be a tick late
  // and clocks drift; stepping down early only costs a short fail-over.
  return o.tick + o.lease / 5;
}

caf::behavior consensus_actor(self_ptr self, consensus_options options, caf::actor node) {
  self->state.options = std::move(options);
  self->state.node = std::move(node);
  return {
    [=](tick_atom) { lease_round(self); },
    [=](nodes_atom) { return self->state.nodes; },
    [=](release_atom) {
      auto& st = self->state;
      if (st.store && st.holding && !st.options.manual_leader) {
        auto r = st.store->release(st.options.lease_name, st.options.node_id);
        if (!r)
          spdlog::warn("consensus: releasing the lease failed: {}", r.error().message);
        else
          spdlog::info("consensus: released lease '{}'", st.options.lease_name);
      }
      st.holding = false;
      st.retiring = true;
      return true;
    },
  };
}

} // namespace cairn
