// End-to-end HTTP ingest benchmark: several keep-alive connections post
// pre-generated CLEF or OTLP protobuf batches to a running cairn node for a
// fixed time, then report events/s, MB/s, request latency and the server's
// CPU seconds per million events (from /proc/<pid>/stat). Build and run:
// see bench/ingest/README.md.
#include "bench/ingest/payloads.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <unistd.h>
#include <vector>

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;
using clock_type = std::chrono::steady_clock;

namespace {

struct options {
  std::string host = "127.0.0.1";
  std::string port = "5341";
  std::string format = "clef"; // clef | otlp
  int connections = 4;
  int events_per_request = 1000;
  double seconds = 10;
  int pool = 16; // distinct bodies, cycled
  long pid = 0;  // server pid for CPU accounting (0: none)
};

[[noreturn]] void usage() {
  std::fprintf(stderr,
               "usage: ingest_load --url http://HOST:PORT [--format clef|otlp] [--connections N]\n"
               "                   [--events N] [--seconds S] [--pid SERVER_PID]\n");
  std::exit(2);
}

options parse(int argc, char** argv) {
  options o;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc)
        usage();
      return argv[++i];
    };
    if (a == "--url") {
      std::string u = value();
      if (u.rfind("http://", 0) != 0)
        usage();
      u = u.substr(7);
      if (auto slash = u.find('/'); slash != std::string::npos)
        u.resize(slash);
      auto colon = u.rfind(':');
      if (colon == std::string::npos)
        usage();
      o.host = u.substr(0, colon);
      o.port = u.substr(colon + 1);
    } else if (a == "--format") {
      o.format = value();
      if (o.format != "clef" && o.format != "otlp")
        usage();
    } else if (a == "--connections") {
      o.connections = std::max(1, std::atoi(value().c_str()));
    } else if (a == "--events") {
      o.events_per_request = std::max(1, std::atoi(value().c_str()));
    } else if (a == "--seconds") {
      o.seconds = std::atof(value().c_str());
    } else if (a == "--pid") {
      o.pid = std::atol(value().c_str());
    } else {
      usage();
    }
  }
  return o;
}

/// utime + stime of `pid` in seconds, or -1 when unreadable.
double cpu_seconds(long pid) {
  if (pid <= 0)
    return -1;
  std::ifstream f("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(f, line))
    return -1;
  // Fields after the ")" closing the command name: state is field 3, utime 14, stime 15.
  std::istringstream rest(line.substr(line.rfind(')') + 2));
  std::string field;
  unsigned long utime = 0, stime = 0;
  for (int n = 3; n <= 15 && rest >> field; ++n) {
    if (n == 14)
      utime = std::stoul(field);
    if (n == 15)
      stime = std::stoul(field);
  }
  return double(utime + stime) / double(sysconf(_SC_CLK_TCK));
}

struct worker_result {
  uint64_t requests = 0;
  uint64_t events = 0;
  uint64_t bytes = 0;
  uint64_t errors = 0;
  std::string first_error;
  std::vector<double> latency_ms;
};

void run_connection(const options& o, const std::vector<std::string>& bodies, size_t first,
                    clock_type::time_point deadline, worker_result& out) {
  const char* target = o.format == "clef" ? "/ingest/clef" : "/ingest/otlp/v1/logs";
  const char* type = o.format == "clef" ? "application/vnd.serilog.clef" : "application/x-protobuf";
  try {
    net::io_context ioc;
    tcp::resolver resolver{ioc};
    beast::tcp_stream stream{ioc};
    stream.connect(resolver.resolve(o.host, o.port));
    beast::flat_buffer buffer;
    for (size_t k = first; clock_type::now() < deadline; ++k) {
      const std::string& body = bodies[k % bodies.size()];
      http::request<http::span_body<const char>> req{http::verb::post, target, 11};
      req.set(http::field::host, o.host);
      req.set(http::field::content_type, type);
      req.keep_alive(true);
      req.body() = http::span_body<const char>::value_type{body.data(), body.size()};
      req.prepare_payload();
      auto start = clock_type::now();
      http::write(stream, req);
      http::response<http::string_body> res;
      http::read(stream, buffer, res);
      out.latency_ms.push_back(std::chrono::duration<double, std::milli>(clock_type::now() - start).count());
      if (res.result_int() != 201) {
        if (!out.errors++)
          out.first_error = std::to_string(res.result_int()) + " " + res.body();
        continue;
      }
      ++out.requests;
      out.events += uint64_t(o.events_per_request);
      out.bytes += body.size();
    }
    beast::error_code ec;
    stream.socket().shutdown(tcp::socket::shutdown_both, ec);
  } catch (const std::exception& e) {
    if (!out.errors++)
      out.first_error = e.what();
  }
}

} // namespace

int main(int argc, char** argv) {
  options o = parse(argc, argv);

  // 1. Generate the bodies up front (not measured).
  const int64_t now_ns =
    std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
  std::vector<std::string> bodies;
  size_t body_bytes = 0;
  for (int i = 0; i < o.pool; ++i) {
    int64_t base = now_ns - int64_t(o.pool - i) * o.events_per_request * 1'000'000LL;
    bodies.push_back(o.format == "clef" ? cairn::bench::clef_batch(o.events_per_request, uint64_t(i), base)
                                        : cairn::bench::otlp_logs_batch(o.events_per_request, uint64_t(i), base));
    body_bytes += bodies.back().size();
  }
  std::printf("format %s, %d connections, %d events/request, %.0f bytes/request (%.0f bytes/event), %.1f s\n",
              o.format.c_str(), o.connections, o.events_per_request, double(body_bytes) / o.pool,
              double(body_bytes) / o.pool / o.events_per_request, o.seconds);

  // 2. Run the connections until the deadline.
  std::vector<worker_result> results(size_t(o.connections));
  std::vector<std::thread> threads;
  const double cpu_before = cpu_seconds(o.pid);
  const auto start = clock_type::now();
  const auto deadline = start + std::chrono::duration_cast<clock_type::duration>(std::chrono::duration<double>(o.seconds));
  for (int c = 0; c < o.connections; ++c)
    threads.emplace_back(run_connection, std::cref(o), std::cref(bodies), size_t(c) * 3, deadline,
                         std::ref(results[size_t(c)]));
  for (auto& t : threads)
    t.join();
  const double elapsed = std::chrono::duration<double>(clock_type::now() - start).count();
  const double cpu_after = cpu_seconds(o.pid);

  // 3. Report.
  worker_result total;
  for (auto& r : results) {
    total.requests += r.requests;
    total.events += r.events;
    total.bytes += r.bytes;
    total.errors += r.errors;
    if (total.first_error.empty())
      total.first_error = r.first_error;
    total.latency_ms.insert(total.latency_ms.end(), r.latency_ms.begin(), r.latency_ms.end());
  }
  std::sort(total.latency_ms.begin(), total.latency_ms.end());
  auto pct = [&](double p) {
    return total.latency_ms.empty() ? 0.0 : total.latency_ms[size_t(p * double(total.latency_ms.size() - 1))];
  };
  std::printf("requests %llu (errors %llu), events %llu in %.2f s\n", (unsigned long long)total.requests,
              (unsigned long long)total.errors, (unsigned long long)total.events, elapsed);
  std::printf("throughput %.0f events/s, %.1f MB/s, %.1f requests/s\n", double(total.events) / elapsed,
              double(total.bytes) / elapsed / 1e6, double(total.requests) / elapsed);
  std::printf("latency ms p50 %.1f, p90 %.1f, p99 %.1f, max %.1f\n", pct(0.5), pct(0.9), pct(0.99),
              total.latency_ms.empty() ? 0.0 : total.latency_ms.back());
  if (cpu_before >= 0 && cpu_after >= 0 && total.events)
    std::printf("server cpu %.2f s (%.0f%% of one core), %.2f cpu-s per million events\n", cpu_after - cpu_before,
                100.0 * (cpu_after - cpu_before) / elapsed, (cpu_after - cpu_before) / (double(total.events) / 1e6));
  if (total.errors)
    std::printf("first error: %s\n", total.first_error.c_str());
  return total.errors || !total.events ? 1 : 0;
}
