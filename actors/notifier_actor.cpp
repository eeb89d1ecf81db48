#include "actors/notifier_actor.hpp"

#include "actors/internal_ingest.hpp"
#include "actors/messages.hpp"
#include "actors/notification_board.hpp"
#include "actors/replication_lag.hpp"
#include "storage/meta/metastore.hpp"

#include <spdlog/spdlog.h>


namespace cairn {

namespace {

using self_ptr = caf::stateful_actor<notifier_state>*;

int64_t unix_ns_now() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
           std::chrono::system_clock::now().time_since_epoch())
    .count();
}

/// Opens the metastore and reads the stored active set once per activation.
/// Returns false (retry next check) while either fails.
bool ensure_loaded(notifier_state& st) {
  if (!st.meta) {
    auto opened = meta::metastore::open(st.opts.metastore_uri);
    if (!opened) {
      spdlog::warn("notifications: cannot open the metastore: {}", opened.error().message);
      return false;
    }
    st.meta = std::make_shared<meta::metastore>(std::move(*opened));
  }
  if (st.loaded)
    return true;
  auto stored = st.meta->get_setting(notifications_setting);
  if (!stored) {
    spdlog::warn("notifications: cannot read the active set: {}", stored.error().message);
    st.meta.reset();
    return false;
  }
  st.current = *stored ? parse_notifications(**stored) : std::vector<notification>{};
  st.loaded = true;
  return true;
}

/// The followers the committer tracks, by name (id if the membership
/// table does not know it).
std::vector<follower_status> followers(notifier_state& st, int64_t now_ns) {
  // Names from the last membership read that worked: a metastore hiccup
  // must not rename a follower (a clear and a start of the same lag).
  if (auto nodes = st.meta->list_nodes())
    for (const auto& n : *nodes)
      st.names[n.id] = n.name;
  const auto& names = st.names;
  std::vector<follower_status> out;
  for (const auto& row : replication_lag::instance().rows()) {
    if (row.node_id == st.opts.node_id)
      continue;
    auto it = names.find(row.node_id);
    out.push_back({it == names.end() || it->second.empty() ? row.node_id : it->second,
                   row.seconds(now_ns)});
  }
  return out;
}

/// Stores the active set for the next leader; retried next check if it fails
/// (the events are out: a successor taking over meanwhile repeats them).
void save(notifier_state& st) {
  auto stored = st.meta->set_setting(notifications_setting, serialize_notifications(st.current));
  st.unsaved = !stored;
  if (!stored) {
    spdlog::warn("notifications: cannot store the active set: {}", stored.error().message);
    st.meta.reset();
  }
}

void check(self_ptr self) {
  auto& st = self->state;
  if (!ensure_loaded(st))
    return;
  // 1. Measure.
  auto now_ns = unix_ns_now();
  notification_inputs in;
  in.node = st.opts.node_name;
  in.configured_peers = st.opts.configured_peers;
  in.disk_used_percent = disk_used_percent(st.opts.storage_root);
  in.check_followers =
    std::chrono::steady_clock::now() - st.activated_at >= st.opts.follower_grace;
  if (in.check_followers && st.opts.configured_peers > 0)
    in.followers = followers(st, now_ns);
  // 2. Decide.
  auto decided = evaluate_notifications(in, st.opts.thresholds, st.current, now_ns / 1000000);
  auto& now = decided.active;
  auto transitions = diff_notifications(st.current, now, decided.measured);
  if (transitions.empty()) {
    // Values move while a condition holds: show the latest on /api/cluster.
    st.current = std::move(now);
    notification_board::instance().set(st.current);
    if (st.unsaved)
      save(st);
    return;
  }
  // 3. One event per transition, then the new set for the next leader.
  std::vector<std::string> lines;
  auto at = clef_now();
  for (const auto& t : transitions) {
    lines.push_back(notification_clef(t, st.opts.node_name, at));
    if (t.active)
      spdlog::warn("notifications: {} started ({}: {} over {})", kind_name(t.n.kind),
                   t.n.subject, t.n.value, t.n.threshold);
    else
      spdlog::info("notifications: {} cleared ({})", kind_name(t.n.kind), t.n.subject);
  }
  storage::record_batch batch;
  clef_lines_to_batch(lines, "NotificationSource", "cairn", batch);
  auto before = std::move(st.current);
  st.current = std::move(now);
  notification_board::instance().set(st.current);
  save(st);
  // If the events are not stored (not leading yet, no quorum), go back to
  // the previous set so the next check finds the same transitions again,
  // unless a later check has moved on meanwhile.
  auto rollback = [self, activation = st.activation, before = std::move(before),
                   after = serialize_notifications(st.current)](const std::string& why) {
    auto& st = self->state;
    spdlog::warn("notifications: events not stored ({}); retrying next check", why);
    if (!st.active || st.activation != activation || serialize_notifications(st.current) != after)
      return;
    st.current = before;
    notification_board::instance().set(st.current);
    st.unsaved = true;
  };
  self->request(st.opts.committer, std::chrono::seconds(30), ingest_atom::value, std::move(batch))
    .then(
      [rollback](const commit_result& r) {
        if (!r.ok)
          rollback(r.error);
      },
      [rollback](caf::error& err) { rollback(to_string(err)); });
}

} // namespace

caf::behavior notifier_actor(caf::stateful_actor<notifier_state>* self, notifier_options opts) {
  self->state.opts = std::move(opts);
  return {
    [=](activate_atom, int64_t) {
      auto& st = self->state;
      st.active = true;
      ++st.activation;
      st.activated_at = std::chrono::steady_clock::now();
      st.loaded = false;
      st.current.clear();
      st.unsaved = false;
      // The first check runs at once (the disk needs no grace).
      self->send(self, tick_atom::value, st.activation);
      return true;
    },
    [=](deactivate_atom) {
      auto& st = self->state;
      st.active = false;
      st.meta.reset();
      st.loaded = false;
      st.current.clear();
      notification_board::instance().set({});
      return true;
    },
    [=](tick_atom, uint64_t activation) {
      auto& st = self->state;
      if (!st.active || activation != st.activation)
        return;
      try {
        check(self);
      } catch (const std::exception& e) {
        // Reconnect next check: the session may be broken.
        spdlog::warn("notifications: check failed: {}", e.what());
        st.meta.reset();
      }
      self->delayed_send(self, st.opts.interval, tick_atom::value, activation);
    },
  };
}

} // namespace cairn
