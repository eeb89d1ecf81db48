#include "actors/committer_actor.hpp"

#include "actors/metrics.hpp"

#include <caf/event_based_actor.hpp>
#include <spdlog/spdlog.h>

namespace cairn {

namespace {

int64_t unix_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
           std::chrono::system_clock::now().time_since_epoch())
    .count();
}

void publish_generation(const storage::generation& g) {
  metrics::instance().generation_model = g.model;
  metrics::instance().generation_write = g.write;
}

} // namespace

caf::behavior committer_actor(caf::stateful_actor<committer_state>* self,
                              std::shared_ptr<storage::event_store> store) {
  self->state.store = std::move(store);
  publish_generation(self->state.store->current_generation());
  return {
    [=](ingest_atom, storage::record_batch& batch) {
      auto& st = self->state;
      commit_result r;
      if (!st.active) {
        r.http_status = 503;
        r.error = "this node is not acting as leader; retry shortly";
        return r;
      }
      auto now_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                      std::chrono::steady_clock::now().time_since_epoch())
                      .count();
      if (now_ns > st.lease_valid_until_steady_ns) {
        r.http_status = 503;
        r.error = "this node's leader lease has lapsed; retry shortly";
        return r;
      }
      if (batch.empty()) {
        r.ok = true;
        return r;
      }
      auto started = std::chrono::steady_clock::now();
      auto appended = st.store->append_batch(batch);
      if (!appended) {
        const auto& err = appended.error();
        r.http_status = err.code == storage::errc::store_full ? 503 : 500;
        r.error = err.to_string();
        spdlog::error("committer: batch of {} events not stored: {}", batch.size(), r.error);
        return r;
      }
      auto& m = metrics::instance();
      m.ingest_events += batch.size();
      m.ingest_commit_microseconds += std::chrono::duration_cast<std::chrono::microseconds>(
                                        std::chrono::steady_clock::now() - started)
                                        .count();
      publish_generation(appended->gen);
      r.ok = true;
      r.first_id = appended->first_id;
      r.model = appended->gen.model;
      r.write = appended->gen.write;
      return r;
    },
    [=](activate_atom, int64_t epoch) {
      self->state.active = true;
      self->state.epoch = epoch;
      spdlog::info("committer: accepting ingest (epoch {})", epoch);
      return true;
    },
    [=](lease_atom, int64_t epoch, int64_t valid_until_steady_ns) {
      auto& st = self->state;
      if (epoch >= st.epoch) {
        st.epoch = epoch;
        st.lease_valid_until_steady_ns = valid_until_steady_ns;
      }
    },
    [=](deactivate_atom) {
      self->state.active = false;
      spdlog::info("committer: no longer accepting ingest");
      return true;
    },
    [=](index_atom) {
      auto& st = self->state;
      // Bounded: at most a few blocks per message so commits interleave.
      for (int i = 0; i < 8; ++i) {
        auto r = st.store->index_pass(unix_ns());
        if (!r) {
          spdlog::error("indexer: index pass failed: {}", r.error().to_string());
          return;
        }
        if (r->events) {
          metrics::instance().indexed_blocks++;
          metrics::instance().indexed_events += r->events;
          publish_generation(r->gen);
        }
        if (!r->more)
          return;
      }
      self->send(self, index_atom::value); // more is ready: continue after pending commits
    },
  };
}

caf::behavior indexer_actor(caf::event_based_actor* self, caf::actor committer,
                            std::chrono::milliseconds period) {
  self->send(self, tick_atom::value);
  return {
    [=](tick_atom) {
      self->send(committer, index_atom::value);
      self->delayed_send(self, period, tick_atom::value);
    },
  };
}

} // namespace cairn
