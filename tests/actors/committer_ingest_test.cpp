// The committer's direct ingest path (actors/commit_waiter.hpp), as the HTTP
// routes use it: a batch sent with anon_send is answered through its waiter
// only after it is stored (ids in order across requests), a node that is not
// leading answers 503 through it, and a waiter whose message is dropped
// (the committer is gone) still answers, with a 503.
#include "actors/commit_waiter.hpp"
#include "actors/committer_actor.hpp"

#include "actors/messages.hpp"
#include "net/decode/clef_decoder.hpp"
#include "storage/event_store.hpp"
#include "tests/storage/store_fixture.hpp"

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/scoped_actor.hpp>
#include <doctest/doctest.h>

#include <chrono>
#include <future>

using namespace cairn;

namespace {

struct committer_fixture {
  storage::test::temp_dir dir; ///< first member: removed after everything using it
  caf::actor_system_config cfg;
  std::unique_ptr<caf::actor_system> sys;
  std::shared_ptr<storage::event_store> store;
  caf::actor committer;

  committer_fixture() {
    store = storage::test::open_store(dir.path / "events");
    sys = std::make_unique<caf::actor_system>(cfg);
    committer = sys->spawn<caf::detached>(committer_actor, store, committer_options{});
  }

  ~committer_fixture() {
    caf::anon_send_exit(committer, caf::exit_reason::user_shutdown);
    committer = nullptr; // a detached actor's thread waits for the last handle
    sys.reset();
    store.reset();
  }

  /// Makes the committer the leader of epoch 1 with a lease valid for a minute.
  void activate() {
    caf::scoped_actor self{*sys};
    auto valid_until = std::chrono::duration_cast<std::chrono::nanoseconds>(
                         (std::chrono::steady_clock::now() + std::chrono::minutes(1))
                           .time_since_epoch())
                         .count();
    self->send(committer, lease_atom::value, int64_t{1}, int64_t{valid_until});
    bool ok = false;
    self->request(committer, std::chrono::seconds(10), activate_atom::value, int64_t{1})
      .receive([&](bool b) { ok = b; }, [](caf::error&) {});
    REQUIRE(ok);
  }

  static storage::record_batch clef(int events) {
    std::string body;
    for (int i = 0; i < events; ++i)
      body += R"({"@t":"2024-05-06T07:08:09.123Z","@mt":"Hello {N}","N":)" + std::to_string(i) +
              "}\n";
    storage::record_batch batch;
    decode::clef_decoder decoder;
    REQUIRE_FALSE(decoder.decode(body, batch));
    REQUIRE(batch.size() == static_cast<size_t>(events));
    return batch;
  }

  /// Sends a batch the way the HTTP routes do; the future gets the answer.
  std::future<commit_result> send(storage::record_batch batch) {
    auto answer = std::make_shared<std::promise<commit_result>>();
    auto got = answer->get_future();
    auto waiter =
      std::make_shared<commit_waiter>([answer](const commit_result& r) { answer->set_value(r); });
    caf::anon_send(committer, ingest_atom::value, std::move(batch), std::move(waiter));
    return got;
  }
};

commit_result wait_for(std::future<commit_result>& f) {
  REQUIRE(f.wait_for(std::chrono::seconds(30)) == std::future_status::ready);
  return f.get();
}

} // namespace

TEST_SUITE("actors.committer_ingest") {

TEST_CASE_FIXTURE(committer_fixture, "direct ingest is answered after the batch is stored") {
  activate();
  auto first = send(clef(3));
  auto second = send(clef(2));
  auto a = wait_for(first);
  auto b = wait_for(second);
  REQUIRE(a.ok);
  REQUIRE(b.ok);
  CHECK(a.http_status == 201);
  CHECK(b.first_id == a.first_id + 3); // the second request's events follow the first's
  auto stats = store->stats();
  REQUIRE(stats);
  CHECK(stats->buffered_events + stats->indexed_events == 5);
}

TEST_CASE_FIXTURE(committer_fixture, "a node that is not leading answers 503 through the waiter") {
  auto f = send(clef(1));
  auto r = wait_for(f);
  CHECK_FALSE(r.ok);
  CHECK(r.http_status == 503);
  auto stats = store->stats();
  REQUIRE(stats);
  CHECK(stats->buffered_events == 0);
}

TEST_CASE_FIXTURE(committer_fixture, "an empty batch is answered as a commit would be") {
  auto idle = send(storage::record_batch{});
  CHECK(wait_for(idle).http_status == 503);
  activate();
  auto leading = send(storage::record_batch{});
  CHECK(wait_for(leading).ok);
}

TEST_CASE_FIXTURE(committer_fixture, "a waiter whose message is dropped answers 503") {
  activate();
  caf::scoped_actor self{*sys};
  self->monitor(committer);
  caf::anon_send_exit(committer, caf::exit_reason::user_shutdown);
  self->receive([](caf::down_msg&) {});
  auto f = send(clef(1));
  auto r = wait_for(f);
  CHECK_FALSE(r.ok);
  CHECK(r.http_status == 503);
  CHECK(r.error.find("did not answer") != std::string::npos);
}

TEST_CASE("a waiter answers once") {
  int calls = 0;
  {
    commit_waiter w{[&](const commit_result&) { ++calls; }};
    commit_result ok;
    ok.ok = true;
    w.answer(ok);
    w.answer(ok);
  }
  CHECK(calls == 1);
}

} // TEST_SUITE
