#include "storage/event_store.hpp"

#include "tests/storage/store_fixture.hpp"

#include <csignal>
#include <map>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

using namespace cairn::storage;
using namespace cairn::storage::test;

namespace {

constexpr size_t batch_events = 50;

/// What the child reports after each durable commit.
struct report {
  uint64_t first_id;
  uint64_t count;
};

/// The child: append batches forever, indexing now and then, and report
/// each acknowledged batch through the pipe. Never returns.
[[noreturn]] void writer_child(const std::filesystem::path& root, int fd) {
  store_options o;
  o.map_size = size_t{1} << 30;
  o.block_max_events = 120;
  auto store = event_store::open(root, o);
  if (!store)
    _exit(2);
  for (int64_t i = 0;; ++i) {
    auto batch = make_batch(batch_events, 1'700'000'000'000'000'000 + i * 1'000'000'000);
    auto r = (*store)->append_batch(batch);
    if (!r)
      _exit(3);
    report rep{r->first_id, batch_events};
    if (::write(fd, &rep, sizeof rep) != sizeof rep)
      _exit(4);
    if (i % 3 == 2 && !(*store)->index_pass(INT64_MAX))
      _exit(5);
  }
}

struct crash_fixture {
  temp_dir dir;
};

} // namespace

TEST_SUITE("storage.crash") {

TEST_CASE_FIXTURE(crash_fixture, "every batch acknowledged before SIGKILL survives reopening") {
  for (int round = 0; round < 3; ++round) {
    int fds[2];
    REQUIRE(::pipe(fds) == 0);
    pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
      ::close(fds[0]);
      writer_child(dir.path, fds[1]);
    }
    ::close(fds[1]);
    // 1. Let the child commit a while (a number of reports that grows each
    //    round, so the kill lands at different points), then kill it.
    std::vector<report> acked;
    size_t want = 20 + 17 * round;
    report rep;
    while (acked.size() < want && ::read(fds[0], &rep, sizeof rep) == sizeof rep)
      acked.push_back(rep);
    ::kill(pid, SIGKILL);
    int status = 0;
    ::waitpid(pid, &status, 0);
    CHECK(WIFSIGNALED(status));
    // Reports written before the kill are acknowledgements too.
    while (::read(fds[0], &rep, sizeof rep) == sizeof rep)
      acked.push_back(rep);
    ::close(fds[0]);
    REQUIRE(acked.size() >= want);
    // 2. Reopen: each acknowledged id is there, once; batches are whole.
    auto store = open_store(dir.path);
    std::map<uint64_t, int> seen;
    auto n = store->scan_buffer(INT64_MIN, INT64_MAX, [&](const record_view& v) {
      ++seen[v.id()];
      return true;
    });
    REQUIRE(n);
    auto blocks = store->list_blocks(INT64_MIN, INT64_MAX);
    REQUIRE(blocks);
    record_batch b;
    for (auto& bi : *blocks) {
      REQUIRE(store->read_block(bi.key, b));
      for (size_t i = 0; i < b.size(); ++i) {
        record_view v;
        auto r = b.record(i);
        REQUIRE(v.parse(r.data(), r.size()));
        ++seen[v.id()];
      }
    }
    for (auto& a : acked)
      for (uint64_t id = a.first_id; id < a.first_id + a.count; ++id)
        REQUIRE_MESSAGE(seen.count(id) == 1, "acknowledged id " << id << " lost");
    for (auto& [id, times] : seen)
      CHECK_MESSAGE(times == 1, "id " << id << " stored " << times << " times");
    CHECK(seen.size() % batch_events == 0); // an unacknowledged batch is all or nothing
    auto s = store->stats();
    REQUIRE(s);
    CHECK(s->buffered_events + s->indexed_events == seen.size());
    CHECK(s->next_id == seen.size() + 1);
    CHECK(s->gen.write == seen.size() / batch_events);
  }
}

}
