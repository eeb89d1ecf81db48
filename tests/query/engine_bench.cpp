// Engine-only timings of the bench/query queries over in-memory blocks (no
// LMDB, no HTTP, no decompression), single-threaded. Skipped by default:
//   CAIRN_BENCH_EVENTS=2000000 query_tests -ts="query.engine_bench" --no-skip
// Events resemble tests/differential/dataset.mjs: HTTP logs with
// RequestPath/StatusCode/Elapsed, sign-ins, failures with exceptions.
#include "query/executor.hpp"
#include "tests/query/test_events.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <cstdlib>
#include <ctime>
#include <string>

namespace cairn::query::testing {

namespace {

struct bench_fixture {
  memory_source source;
  int64_t now = 0;
  size_t events = 0;

  bench_fixture() {
    const char* env = std::getenv("CAIRN_BENCH_EVENTS");
    events = env ? std::strtoull(env, nullptr, 10) : 200000;
    parse_iso8601("2024-01-16T00:00:00Z", now);
    const char* levels[] = {"Information", "Information", "Information", "Information", "Information",
                            "Information", "Debug", "Warning", "Error", "Information"};
    const char* paths[] = {"/", "/api/orders", "/api/cart", "/api/checkout", "/api/users/me", "/login",
                           "/api/products/search", "/admin", "/api/payments", "/health"};
    const char* exceptions[] = {
      "System.InvalidOperationException: Sequence contains no elements\\n   at Orders.Api.OrderService.GetLatest()",
      "System.TimeoutException: The operation has timed out.\\n   at Gateway.Proxy.SendAsync()",
      "Npgsql.PostgresException: 40P01: deadlock detected\\n   at Npgsql.NpgsqlConnector.ReadMessage()",
      "Unhandled failure in worker thread without a type prefix",
    };
    uint64_t x = 88172645463325252ULL;
    auto rnd = [&] {
      x ^= x << 13;
      x ^= x >> 7;
      x ^= x << 17;
      return x;
    };
    std::string err, line;
    int64_t base;
    parse_iso8601("2024-01-15T06:00:00Z", base);
    for (size_t i = 0; i < events; ++i) {
      if (i % 4096 == 0)
        source.new_block();
      int64_t ts = base + int64_t(i) * (6 * 3600 * 1000LL / int64_t(events)) * 1000000;
      const char* level = levels[rnd() % 10];
      std::string path = paths[rnd() % 10];
      int status = (rnd() % 10 == 0) ? 500 : 200;
      double elapsed = double(rnd() % 100000) / 1000.0;
      line.assign("{\"@t\":\"");
      line += format_iso8601(ts);
      line += "\",\"@mt\":\"HTTP {RequestMethod} {RequestPath} responded {StatusCode} in {Elapsed} ms\",\"@m\":\"HTTP GET ";
      line += path + " responded " + std::to_string(status) + " in " + std::to_string(elapsed) + " ms\",\"@l\":\"";
      line += level;
      line += "\"";
      if (std::string_view(level) == "Error" && rnd() % 5 != 0) {
        line += ",\"@x\":\"";
        line += exceptions[rnd() % 4];
        line += "\"";
      }
      line += ",\"Application\":\"Gateway\",\"RequestMethod\":\"GET\",\"RequestPath\":\"" + path +
              "\",\"StatusCode\":" + std::to_string(status) + ",\"Elapsed\":" + std::to_string(elapsed) +
              ",\"UserId\":\"u-" + std::to_string(rnd() % 500) + "\"}";
      REQUIRE(append_clef(source.current(), line, i + 1, err));
    }
  }

  void time(const char* name, const std::string& q) {
    // Thread CPU time as well as wall time: the build machine is shared, and
    // CPU time does not count the time spent waiting for a core.
    auto cpu_ms = [] {
      timespec t;
      clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
      return double(t.tv_sec) * 1e3 + double(t.tv_nsec) / 1e6;
    };
    double best = 1e18, best_cpu = 1e18;
    size_t rows = 0;
    for (int run = 0; run < 5; ++run) {
      auto t0 = std::chrono::steady_clock::now();
      double c0 = cpu_ms();
      auto r = run_query(q, source, {}, now);
      best_cpu = std::min(best_cpu, cpu_ms() - c0);
      double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
      best = std::min(best, ms);
      rows = r.rows.size();
    }
    MESSAGE(std::string(name) << ": " << best << " ms wall, " << best_cpu << " ms CPU (best of 5, " << events
                              << " events, " << rows << " rows)");
  }
};

} // namespace

TEST_SUITE("query.engine_bench") {

TEST_CASE("bench queries over in-memory blocks (benchmark)" * doctest::skip()) {
  bench_fixture f;
  f.time("count where level", "select count(*) from stream where @Level = 'Error'");
  f.time("count by level", "select count(*) from stream group by @Level");
  f.time("seed", "select count(*) from stream group by Substring(@Exception, 0, IndexOf(@Exception, ':'))");
  f.time("time(1m)", "select count(*) from stream group by time(1m)");
  f.time("free text", "select count(*) from stream where \"timed out\"");
  f.time("p95 by path", "select percentile(Elapsed, 95) from stream group by RequestPath");
}
}

} // namespace cairn::query::testing
