// Cairn's own notifications: which conditions hold, which transitions become
// events, the event's CLEF shape and the stored active set.
#include "actors/notification_checks.hpp"

#include <doctest/doctest.h>
#include <simdjson.h>

using namespace cairn;

namespace {

struct checks_fixture {
  notification_thresholds t{60, 90};
  notification_inputs in;

  checks_fixture() {
    in.node = "n1";
    in.configured_peers = 2;
    in.followers = {{"n2", 1.5}, {"n3", 0}};
    in.disk_used_percent = 40.0;
  }

  std::vector<notification> eval(const std::vector<notification>& before = {},
                                 int64_t now_ms = 1000) {
    return evaluate_notifications(in, t, before, now_ms).active;
  }
};

simdjson::dom::element parse(simdjson::dom::parser& p, const std::string& text) {
  return p.parse(text);
}

} // namespace

TEST_SUITE("actors.notification_checks") {

TEST_CASE_FIXTURE(checks_fixture, "a healthy cluster raises nothing") {
  CHECK(eval().empty());
}

TEST_CASE_FIXTURE(checks_fixture, "a disk above the threshold raises DiskUsage for this node") {
  in.disk_used_percent = 93.26;
  auto now = eval();
  REQUIRE(now.size() == 1);
  CHECK(now[0].kind == notification_kind::disk_usage);
  CHECK(now[0].subject == "n1");
  CHECK(now[0].value == doctest::Approx(93.3));
  CHECK(now[0].threshold == 90);
  CHECK(now[0].since_ms == 1000);
  in.disk_used_percent = 90.0; // not above: equal is fine
  CHECK(eval().empty());
}

TEST_CASE_FIXTURE(checks_fixture, "a lagging follower raises ReplicationLag but another keeps the leader covered") {
  in.followers[0].lag_seconds = 75;
  auto now = eval();
  REQUIRE(now.size() == 1);
  CHECK(now[0].kind == notification_kind::replication_lag);
  CHECK(now[0].subject == "n2");
  CHECK(now[0].value == 75);
}

TEST_CASE_FIXTURE(checks_fixture, "no follower within the lag threshold raises NoUpToDateFollower") {
  in.followers = {{"n2", 61}};
  auto now = eval();
  REQUIRE(now.size() == 2);
  CHECK(now[1].kind == notification_kind::no_up_to_date_follower);
  CHECK(now[1].subject == "n1");
  SUBCASE("no follower connected at all") {
    in.followers.clear();
    auto none = eval();
    REQUIRE(none.size() == 1);
    CHECK(none[0].kind == notification_kind::no_up_to_date_follower);
  }
  SUBCASE("a follower within the threshold again clears both with current figures") {
    in.followers = {{"n2", 0.5}};
    auto check = evaluate_notifications(in, t, now, 2000);
    CHECK(check.active.empty());
    auto d = diff_notifications(now, check.active, check.measured);
    REQUIRE(d.size() == 2);
    for (const auto& x : d) {
      CHECK_FALSE(x.active);
      if (x.n.kind == notification_kind::no_up_to_date_follower)
        CHECK(x.n.value == 1); // one up-to-date follower now
      else
        CHECK(x.n.value == 0.5); // its current lag, not the 61 s it was raised with
    }
  }
  SUBCASE("a single node without peers misses no follower") {
    in.followers.clear();
    in.configured_peers = 0;
    CHECK(eval().empty());
  }
}

TEST_CASE_FIXTURE(checks_fixture, "unmeasured kinds keep their previous state") {
  std::vector<notification> before{{notification_kind::disk_usage, "n1", 95, 90, 10},
                                   {notification_kind::replication_lag, "n2", 70, 60, 20}};
  in.disk_used_percent.reset();
  in.check_followers = false;
  auto now = eval(before, 5000);
  REQUIRE(now.size() == 2);
  CHECK(diff_notifications(before, now).empty());
  // Measured again: both are fine now, both clear.
  in.disk_used_percent = 50.0;
  in.check_followers = true;
  CHECK(eval(before, 6000).empty());
}

TEST_CASE_FIXTURE(checks_fixture, "a condition that keeps holding keeps its start time and is no transition") {
  in.disk_used_percent = 95.0;
  auto first = eval({}, 1000);
  in.disk_used_percent = 96.0;
  auto second = eval(first, 2000);
  REQUIRE(second.size() == 1);
  CHECK(second[0].since_ms == 1000);
  CHECK(second[0].value == 96);
  CHECK(diff_notifications(first, second).empty());
}

TEST_CASE_FIXTURE(checks_fixture, "a clear reports the figure and threshold measured now") {
  std::vector<notification> before{{notification_kind::disk_usage, "n1", 23.2, 1, 10}};
  t.disk_percent = 100;
  in.disk_used_percent = 23.4;
  auto check = evaluate_notifications(in, t, before, 2000);
  auto d = diff_notifications(before, check.active, check.measured);
  REQUIRE(d.size() == 1);
  CHECK_FALSE(d[0].active);
  CHECK(d[0].n.value == doctest::Approx(23.4));
  CHECK(d[0].n.threshold == 100);
  // Not measured (another node's disk): the values it was raised with.
  auto unmeasured = diff_notifications(before, {}, {});
  REQUIRE(unmeasured.size() == 1);
  CHECK(unmeasured[0].n.threshold == 1);
}

TEST_CASE("transitions are the starts and the clears") {
  std::vector<notification> before{{notification_kind::disk_usage, "n1", 95, 90, 10},
                                   {notification_kind::replication_lag, "n2", 70, 60, 20}};
  std::vector<notification> now{{notification_kind::replication_lag, "n2", 80, 60, 20},
                                {notification_kind::replication_lag, "n3", 65, 60, 30}};
  auto d = diff_notifications(before, now);
  REQUIRE(d.size() == 2);
  CHECK(d[0].active);
  CHECK(d[0].n.subject == "n3");
  CHECK_FALSE(d[1].active);
  CHECK(d[1].n.kind == notification_kind::disk_usage);
}

TEST_CASE("a start is a Warning event and a clear an Information event with the properties") {
  simdjson::dom::parser p;
  notification n{notification_kind::replication_lag, "n2", 72.5, 60, 1};
  auto start = notification_clef({n, true}, "n1", "2024-05-01T10:00:00.000Z");
  auto e = parse(p, start);
  CHECK(std::string_view{e["@l"]} == "Warning");
  CHECK(std::string_view{e["@t"]} == "2024-05-01T10:00:00.000Z");
  CHECK(std::string_view{e["NotificationKind"]} == "ReplicationLag");
  CHECK(std::string_view{e["Node"]} == "n1");
  CHECK(std::string_view{e["Follower"]} == "n2");
  CHECK(double(e["Value"]) == 72.5);
  CHECK(int64_t(e["Threshold"]) == 60);
  CHECK(bool(e["Active"]));
  CHECK(std::string_view{e["@mt"]}.find("{Follower}") != std::string_view::npos);
  auto clear = notification_clef({n, false}, "n1", "2024-05-01T10:01:00.000Z");
  auto c = parse(p, clear);
  CHECK(std::string_view{c["@l"]} == "Information");
  CHECK_FALSE(bool(c["Active"]));
  CHECK(std::string_view{c["@mt"]}.find("cleared") != std::string_view::npos);
  // Disk notifications name no follower.
  notification disk{notification_kind::disk_usage, "n1", 93.3, 90, 1};
  auto d = parse(p, notification_clef({disk, true}, "n1", "2024-05-01T10:00:00.000Z"));
  CHECK(d["Follower"].error() == simdjson::NO_SUCH_FIELD);
  CHECK(std::string_view{d["@mt"]} ==
        "Cairn notification: disk usage {Value}% above {Threshold}% on {Node}");
}

TEST_CASE("the stored active set reads back, and malformed lines are skipped") {
  std::vector<notification> set{{notification_kind::disk_usage, "n1", 93.3, 90, 1714557600000},
                                {notification_kind::replication_lag, "n\t2", 70, 60, 5},
                                {notification_kind::no_up_to_date_follower, "n1", 0, 60, 7}};
  auto text = serialize_notifications(set);
  auto back = parse_notifications(text + "Bogus\tx\t1\t2\t3\nDiskUsage\tn1\tnan?\t1\t2\n\n");
  REQUIRE(back.size() == 3);
  CHECK(back[0].same_as(set[0]));
  CHECK(back[0].value == doctest::Approx(93.3));
  CHECK(back[0].since_ms == 1714557600000);
  CHECK(back[1].subject == "n 2"); // tabs cannot split the line
  CHECK(back[2].kind == notification_kind::no_up_to_date_follower);
  CHECK(parse_notifications("").empty());
}

TEST_CASE("disk usage of an existing path is a percentage; a missing path has none") {
  auto used = disk_used_percent(CAIRN_BINARY_DIR);
  REQUIRE(used.has_value());
  CHECK(*used > 0);
  CHECK(*used <= 100);
  CHECK_FALSE(disk_used_percent("/nonexistent/cairn/path").has_value());
}

}
