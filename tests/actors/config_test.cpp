#include "actors/config.hpp"

#include <doctest/doctest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

using namespace cairn;

namespace {

struct fixture {
  std::string root;
  fixture() {
    char tmpl[] = "/tmp/cairn-config-XXXXXX";
    root = mkdtemp(tmpl);
  }
  ~fixture() { std::filesystem::remove_all(root); }
  void write(const std::string& text) { std::ofstream{config::file_path(root)} << text; }
};

} // namespace

TEST_SUITE("actors.config") {

TEST_CASE_FIXTURE(fixture, "defaults apply when there is no file") {
  auto cfg = config::load(root, false);
  CHECK(cfg.get("api.listenUris") == "http://127.0.0.1:5341");
  CHECK(cfg.get_int("ingest.maxBodyBytes") == 10 * 1024 * 1024);
  CHECK(cfg.get("ingest.ack") == "leader");
}

TEST_CASE_FIXTURE(fixture, "set values survive a save and reload") {
  auto cfg = config::load(root, false);
  cfg.set("api.listenUris", "http://127.0.0.1:9000, http://127.0.0.1:9001");
  cfg.set("cluster.leaseMs", "5000");
  cfg.set("node.manualLeader", "true");
  cfg.save(root);
  auto again = config::load(root, false);
  CHECK(again.get_list("api.listenUris") ==
        std::vector<std::string>{"http://127.0.0.1:9000", "http://127.0.0.1:9001"});
  CHECK(again.get_int("cluster.leaseMs") == 5000);
  CHECK(again.get_bool("node.manualLeader"));
  CHECK(again.is_set_in_file("cluster.leaseMs"));
  CHECK_FALSE(again.is_set_in_file("query.timeoutMs"));
}

TEST_CASE_FIXTURE(fixture, "unknown keys and bad values are refused with a clear message") {
  auto cfg = config::load(root, false);
  auto message_of = [&](const char* k, const char* v) {
    try {
      cfg.set(k, v);
    } catch (const config_error& e) {
      return e.message;
    }
    return std::string{"no error"};
  };
  CHECK(message_of("api.nope", "1").find("unknown configuration key 'api.nope'") !=
        std::string::npos);
  CHECK(message_of("cluster.leaseMs", "soon").find("not an integer") != std::string::npos);
  CHECK(message_of("cluster.leaseMs", "1").find("out of range") != std::string::npos);
  CHECK(message_of("ingest.ack", "all").find("not one of leader|quorum") != std::string::npos);
  CHECK(message_of("api.listenUris", "ftp://x").find("not an http") != std::string::npos);
  CHECK(message_of("node.manualLeader", "yes").find("not true or false") != std::string::npos);
}

TEST_CASE_FIXTURE(fixture, "a malformed or mistyped file is refused at load") {
  write("{not json");
  CHECK_THROWS_AS(config::load(root, false), config_error);
  write(R"({"api": {"listenUris": [1]}})");
  CHECK_THROWS_AS(config::load(root, false), config_error);
  write(R"({"storage": {"bogus": "x"}})");
  CHECK_THROWS_AS(config::load(root, false), config_error);
}

TEST_CASE_FIXTURE(fixture, "environment variables override the file") {
  write(R"({"query": {"timeoutMs": 1000}})");
  setenv("CAIRN_QUERY_TIMEOUTMS", "2000", 1);
  auto cfg = config::load(root);
  CHECK(cfg.get_int("query.timeoutMs") == 2000);
  setenv("CAIRN_QUERY_TIMEOUTMS", "fast", 1);
  CHECK_THROWS_AS(config::load(root), config_error);
  unsetenv("CAIRN_QUERY_TIMEOUTMS");
  CHECK(config::load(root).get_int("query.timeoutMs") == 1000);
}

}
