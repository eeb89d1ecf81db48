#include "actors/retention_actor.hpp"

#include "actors/cluster_view.hpp"
#include "actors/messages.hpp"
#include "query/executor.hpp"
#include "query/parse_error.hpp"
#include "storage/meta/metastore.hpp"

#include <caf/scoped_actor.hpp>
#include <spdlog/spdlog.h>

namespace cairn {

namespace {

int64_t unix_ns_now() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
           std::chrono::system_clock::now().time_since_epoch())
    .count();
}

/// One deletion every replica applies.
struct deletion {
  int64_t cutoff_ns;
  std::string filter;
  std::string policy_id;
};

/// The policies as deletions, all cut off from the same clock reading.
std::vector<deletion> load_deletions(const std::string& metastore_uri, std::string& error) {
  auto m = meta::metastore::open(metastore_uri);
  if (!m) {
    error = m.error().message;
    return {};
  }
  auto policies = m->list_retention_policies();
  if (!policies) {
    error = policies.error().message;
    return {};
  }
  std::vector<meta::signal_info> signals;
  bool signals_loaded = false;
  const int64_t now = unix_ns_now();
  std::vector<deletion> out;
  for (const auto& p : *policies) {
    deletion d{now - p.retention_ms * 1000000, p.filter, p.id};
    if (!p.signal_id.empty()) {
      if (!signals_loaded) {
        if (auto s = m->list_signals())
          signals = std::move(*s);
        signals_loaded = true;
      }
      auto it = std::find_if(signals.begin(), signals.end(),
                             [&](const meta::signal_info& s) { return s.id == p.signal_id; });
      if (it == signals.end()) {
        spdlog::warn("retention: policy {} names unknown signal {}; skipped", p.id, p.signal_id);
        continue;
      }
      if (d.filter.empty())
        d.filter = it->filter;
      else if (!it->filter.empty())
        d.filter = "(" + d.filter + ") and (" + it->filter + ")";
    }
    out.push_back(std::move(d));
  }
  return out;
}

} // namespace

uint64_t apply_retention(storage::event_store& store, int64_t cutoff_ns,
                         const std::string& filter, std::string& error) {
  if (filter.empty()) {
    auto r = store.delete_before(cutoff_ns);
    if (!r) {
      error = r.error().to_string();
      return 0;
    }
    return r->deleted_events;
  }
  std::shared_ptr<const query::query_plan> plan;
  try {
    plan = query::query_plan::compile_filter(filter, unix_ns_now());
  } catch (const query::query_error& e) {
    error = std::string{"filter: "} + e.what();
    return 0;
  }
  query::query_options opts;
  opts.to_ns = cutoff_ns;
  auto blocks = query::plan_blocks(*plan, opts);
  query::filter_matcher matcher{plan};
  auto r = store.delete_matching([&](const storage::record_view& rec) { return matcher.matches(rec); },
                                 cutoff_ns,
                                 [&](const storage::block_summary& s) { return blocks.may_match(s); });
  if (!r) {
    error = r.error().to_string();
    return 0;
  }
  return r->deleted_events;
}

caf::behavior retention_handlers(std::shared_ptr<storage::event_store> store,
                                 std::shared_ptr<const share_executor> fence) {
  return {
    [=](retention_atom, int64_t epoch, int64_t cutoff_ns,
        const std::string& filter) -> caf::result<uint64_t, uint64_t> {
      if (fence && !fence->admit_epoch(epoch))
        return caf::make_error(caf::sec::runtime_error,
                               "stale epoch " + std::to_string(epoch));
      std::string error;
      auto deleted = apply_retention(*store, cutoff_ns, filter, error);
      if (!error.empty()) {
        spdlog::error("retention: deleting before {} ({}) failed: {}", cutoff_ns, filter, error);
        return caf::make_error(caf::sec::runtime_error, error);
      }
      if (deleted)
        spdlog::info("retention: deleted {} events older than {} matching '{}'", deleted,
                     cutoff_ns, filter);
      return caf::result<uint64_t, uint64_t>{deleted, uint64_t{store->current_generation().model}};
    },
  };
}

caf::behavior retention_actor(caf::event_based_actor* self, retention_options options,
                              std::shared_ptr<cluster_view> view, caf::actor committer,
                              std::shared_ptr<query_cluster> peers) {
  self->delayed_send(self, options.interval, tick_atom::value);
  return {
    [=](tick_atom) {
      self->delayed_send(self, options.interval, tick_atom::value);
      auto role = view->get();
      if (!role.acting_leader || options.metastore_uri.empty())
        return;
      std::string error;
      auto deletions = load_deletions(options.metastore_uri, error);
      if (!error.empty()) {
        spdlog::warn("retention: cannot read the policies: {}", error);
        return;
      }
      if (deletions.empty())
        return;
      caf::scoped_actor io{self->system()};
      std::vector<caf::actor> targets{committer};
      if (peers)
        for (auto& p : peers->peers())
          targets.push_back(p);
      for (const auto& d : deletions) {
        uint64_t total = 0;
        size_t applied = 0;
        // All replicas at once; answers are awaited in order.
        std::vector<decltype(io->request(committer, options.peer_timeout, retention_atom::value,
                                         role.epoch, d.cutoff_ns, d.filter))>
          pending;
        for (auto& t : targets)
          pending.push_back(io->request(t, options.peer_timeout, retention_atom::value,
                                        role.epoch, d.cutoff_ns, d.filter));
        for (size_t i = 0; i < pending.size(); ++i)
          pending[i].receive(
            [&](uint64_t deleted, uint64_t) {
              total += deleted;
              ++applied;
            },
            [&](caf::error& e) {
              spdlog::warn("retention: policy {} not applied on replica {}: {}", d.policy_id, i,
                           to_string(e));
            });
        if (total)
          spdlog::info("retention: policy {} deleted {} events on {} of {} replicas",
                       d.policy_id, total, applied, targets.size());
      }
    },
  };
}

} // namespace cairn
