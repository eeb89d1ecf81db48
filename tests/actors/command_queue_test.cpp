#include "actors/command_queue.hpp"

#include <doctest/doctest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <string>
#include <vector>

using namespace cairn;
using namespace std::chrono_literals;

namespace {

struct fixture {
  std::vector<std::string> reasons;
  command_queue::terminator record = [this](const std::string& r) { reasons.push_back(r); };
  steady_time t0 = std::chrono::steady_clock::now();
};

/// Runs `body` in a child process and returns its exit status.
template <class F>
int exit_code_of_child(F body) {
  pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    body();
    _exit(0);
  }
  int status = 0;
  REQUIRE(waitpid(pid, &status, 0) == pid);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

} // namespace

TEST_SUITE("actors.command_queue") {

TEST_CASE_FIXTURE(fixture, "commands run one at a time in order") {
  command_queue q{4, 1000ms, record};
  q.push(node_command::activate_leader, t0);
  q.push(node_command::deactivate_leader, t0);
  CHECK(q.start_next(t0) == node_command::activate_leader);
  CHECK_FALSE(q.start_next(t0).has_value());
  q.complete(node_command::activate_leader);
  CHECK(q.start_next(t0) == node_command::deactivate_leader);
  CHECK(reasons.empty());
}

TEST_CASE_FIXTURE(fixture, "overflow terminates with a reason") {
  command_queue q{2, 1000ms, record};
  q.push(node_command::follow, t0);
  q.push(node_command::follow, t0);
  CHECK(reasons.empty());
  q.push(node_command::follow, t0);
  REQUIRE(reasons.size() == 1);
  CHECK(reasons[0].find("overflow") != std::string::npos);
}

TEST_CASE_FIXTURE(fixture, "a contradicting command terminates only past the deadline") {
  command_queue q{8, 1000ms, record};
  q.push(node_command::activate_leader, t0);
  q.start_next(t0);
  q.push(node_command::deactivate_leader, t0 + 10ms);
  q.check(t0 + 500ms);
  CHECK(reasons.empty());
  q.check(t0 + 1011ms);
  REQUIRE(reasons.size() == 1);
  CHECK(reasons[0].find("contradicts unfinished activate_leader") != std::string::npos);
}

TEST_CASE_FIXTURE(fixture, "a finished activation never triggers the monitor") {
  command_queue q{8, 1000ms, record};
  q.push(node_command::activate_leader, t0);
  q.start_next(t0);
  q.push(node_command::deactivate_leader, t0);
  q.complete(node_command::activate_leader);
  q.start_next(t0 + 1ms);
  q.complete(node_command::deactivate_leader);
  q.check(t0 + 10s);
  CHECK(reasons.empty());
}

TEST_CASE("the real monitor hard-terminates the process with exit code 70") {
  int overflow = exit_code_of_child([] {
    command_queue q{1, 1000ms};
    auto now = std::chrono::steady_clock::now();
    q.push(node_command::follow, now);
    q.push(node_command::follow, now); // overflow: never returns
  });
  CHECK(overflow == 70);
  int stuck = exit_code_of_child([] {
    command_queue q{4, 50ms};
    auto now = std::chrono::steady_clock::now();
    q.push(node_command::activate_leader, now);
    q.start_next(now);
    q.push(node_command::deactivate_leader, now);
    q.check(now + 100ms); // past the deadline: never returns
  });
  CHECK(stuck == 70);
  int healthy = exit_code_of_child([] {
    command_queue q{4, 50ms};
    q.push(node_command::follow, std::chrono::steady_clock::now());
  });
  CHECK(healthy == 0);
}

}
