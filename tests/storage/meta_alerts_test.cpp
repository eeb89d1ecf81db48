// Alerts on SQLite: CRUD and the compare-and-set that decides a window once.

#include <doctest/doctest.h>

#include "tests/storage/meta_fixture.hpp"

using namespace cairn::meta;
using namespace cairn::meta::test;

namespace {

/// A fresh store with one alert checked every second.
struct alerts_fixture {
  temp_dir dir;
  metastore m = open_ok(dir.sqlite_uri());
  alert_info alert = [this] {
    alert_info a;
    a.title = "errors";
    a.query = "select count(*) as n from stream";
    a.window_ms = 2000;
    a.interval_ms = 1000;
    a.suppression_ms = 500;
    a.notification_json = R"({"webhook":"http://127.0.0.1:1/hook"})";
    return ok(m.create_alert(a));
  }();
};

} // namespace

TEST_SUITE("storage.meta.alerts") {

TEST_CASE_FIXTURE(alerts_fixture, "a created alert lists with its settings and no state") {
  CHECK(alert.id.rfind("alert-", 0) == 0);
  auto list = ok(m.list_alerts());
  REQUIRE(list.size() == 1);
  CHECK(list[0].id == alert.id);
  CHECK(list[0].window_ms == 2000);
  CHECK(list[0].interval_ms == 1000);
  CHECK(list[0].suppression_ms == 500);
  CHECK(list[0].notification_json == alert.notification_json);
  CHECK(list[0].last_window_end_ms == 0);
  CHECK(list[0].pending_json.empty());
  CHECK(list[0].created_ms > 0);
}

TEST_CASE_FIXTURE(alerts_fixture, "a window is decided once: a stale expectation loses") {
  CHECK(ok(m.decide_alert_window(alert.id, 0, 1000, 1000, 1500, "{\"n\":1}")));
  // A second evaluator that still believes nothing was decided.
  CHECK_FALSE(ok(m.decide_alert_window(alert.id, 0, 1000, 1000, 1500, "{\"n\":1}")));
  auto a = ok(m.list_alerts())[0];
  CHECK(a.last_window_end_ms == 1000);
  CHECK(a.last_fired_ms == 1000);
  CHECK(a.suppressed_until_ms == 1500);
  CHECK(a.pending_json == "{\"n\":1}");
  CHECK(ok(m.decide_alert_window(alert.id, 1000, 2000, 1000, 1500, "")));
  CHECK(ok(m.list_alerts())[0].last_window_end_ms == 2000);
}

TEST_CASE_FIXTURE(alerts_fixture, "clearing a pending notification needs its window") {
  CHECK(ok(m.decide_alert_window(alert.id, 0, 1000, 1000, 1500, "{\"n\":1}")));
  ok(m.clear_alert_pending(alert.id, 999));
  CHECK(ok(m.list_alerts())[0].pending_json == "{\"n\":1}");
  ok(m.clear_alert_pending(alert.id, 1000));
  CHECK(ok(m.list_alerts())[0].pending_json.empty());
}

TEST_CASE_FIXTURE(alerts_fixture, "removing an alert reports whether it existed") {
  CHECK(ok(m.remove_alert(alert.id)));
  CHECK_FALSE(ok(m.remove_alert(alert.id)));
  CHECK(ok(m.list_alerts()).empty());
}

} // TEST_SUITE
