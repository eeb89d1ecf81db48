// The notifier actor end to end on one node: a condition raised once (one
// Warning event to the committer, none while it holds), the active set kept
// in the metastore so a later activation with a relaxed threshold clears it
// (one Information event), and a refused commit sent again.
#include "actors/notifier_actor.hpp"

#include "actors/messages.hpp"
#include "actors/notification_board.hpp"
#include "storage/event_record.hpp"
#include "storage/meta/metastore.hpp"

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/scoped_actor.hpp>
#include <doctest/doctest.h>

#include <atomic>
#include <filesystem>
#include <mutex>
#include <thread>

using namespace cairn;

namespace {

/// What the fake committer received; it refuses the first `refuse` batches.
struct committed {
  std::mutex mutex;
  std::vector<std::string> levels;
  std::atomic<int> refuse{0};
  std::atomic<int> batches{0};
};

caf::behavior fake_committer(caf::event_based_actor*, std::shared_ptr<committed> out) {
  return {
    [out](ingest_atom, const storage::record_batch& batch) {
      commit_result r;
      ++out->batches;
      if (out->refuse > 0) {
        --out->refuse;
        r.error = "not leading";
        return r;
      }
      std::lock_guard guard{out->mutex};
      for (size_t i = 0; i < batch.size(); ++i) {
        storage::record_view v;
        auto bytes = batch.record(i);
        // An unreadable record shows up as a level the test does not expect.
        out->levels.emplace_back(v.parse(bytes.data(), bytes.size())
                                   ? std::string{v.get(storage::field::level)}
                                   : std::string{"unreadable"});
      }
      r.ok = true;
      return r;
    },
  };
}

struct notifier_fixture {
  std::filesystem::path dir;
  caf::actor_system_config cfg;
  std::unique_ptr<caf::actor_system> sys;
  std::shared_ptr<committed> got = std::make_shared<committed>();
  caf::actor committer;

  notifier_fixture() {
    dir = std::filesystem::temp_directory_path() /
          ("cairn-notifier-test-" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    sys = std::make_unique<caf::actor_system>(cfg);
    committer = sys->spawn(fake_committer, got);
  }

  ~notifier_fixture() {
    // The system's destructor waits for every actor.
    caf::anon_send_exit(committer, caf::exit_reason::user_shutdown);
    sys.reset();
    std::filesystem::remove_all(dir);
  }

  notifier_options options(double disk_percent) {
    notifier_options o;
    o.metastore_uri = "sqlite:" + (dir / "meta.db").string();
    o.node_name = "n1";
    o.node_id = "id-1";
    o.storage_root = dir.string();
    o.thresholds.disk_percent = disk_percent;
    o.interval = std::chrono::milliseconds(20);
    o.committer = committer;
    return o;
  }

  void call(const caf::actor& a, caf::message msg) {
    caf::scoped_actor self{*sys};
    bool answered = false;
    self->request(a, std::chrono::seconds(5), std::move(msg))
      .receive([&](bool) { answered = true; }, [&](caf::error&) {});
    REQUIRE(answered);
  }

  /// How many events arrived so far.
  size_t received() {
    std::lock_guard guard{got->mutex};
    return got->levels.size();
  }

  /// Waits (bounded) until `n` events arrived; returns their levels.
  std::vector<std::string> wait_events(size_t n) {
    for (int i = 0; i < 250; ++i) {
      {
        std::lock_guard guard{got->mutex};
        if (got->levels.size() >= n)
          return got->levels;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    std::lock_guard guard{got->mutex};
    return got->levels;
  }
};

} // namespace

TEST_SUITE("actors.notifier_actor") {

TEST_CASE_FIXTURE(notifier_fixture, "a full disk is raised once and cleared by a later leader") {
  // 1. Threshold 0: any used disk is above it.
  auto n = sys->spawn(notifier_actor, options(0));
  call(n, caf::make_message(activate_atom::value, int64_t{1}));
  auto levels = wait_events(1);
  REQUIRE(levels.size() == 1);
  CHECK(levels[0] == "Warning");
  REQUIRE(notification_board::instance().active().size() == 1);
  CHECK(notification_board::instance().active()[0].kind == notification_kind::disk_usage);
  // Held for many more checks: nothing new.
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  CHECK(received() == 1);
  call(n, caf::make_message(deactivate_atom::value));
  CHECK(notification_board::instance().active().empty());
  caf::anon_send_exit(n, caf::exit_reason::user_shutdown);
  // 2. The stored set names it; a new notifier with threshold 100 clears it.
  {
    auto m = meta::metastore::open(options(0).metastore_uri);
    REQUIRE(m);
    auto stored = m->get_setting(notifications_setting);
    REQUIRE(stored);
    REQUIRE(stored->has_value());
    CHECK(parse_notifications(**stored).size() == 1);
  }
  auto next = sys->spawn(notifier_actor, options(100));
  call(next, caf::make_message(activate_atom::value, int64_t{2}));
  levels = wait_events(2);
  REQUIRE(levels.size() == 2);
  CHECK(levels[1] == "Information");
  CHECK(notification_board::instance().active().empty());
  call(next, caf::make_message(deactivate_atom::value));
  caf::anon_send_exit(next, caf::exit_reason::user_shutdown);
}

TEST_CASE_FIXTURE(notifier_fixture, "an event the committer refused is sent again") {
  got->refuse = 1;
  auto n = sys->spawn(notifier_actor, options(0));
  call(n, caf::make_message(activate_atom::value, int64_t{1}));
  auto levels = wait_events(1);
  REQUIRE(levels.size() == 1);
  CHECK(levels[0] == "Warning");
  CHECK(got->batches >= 2);
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  CHECK(received() == 1);
  call(n, caf::make_message(deactivate_atom::value));
  caf::anon_send_exit(n, caf::exit_reason::user_shutdown);
}

}
