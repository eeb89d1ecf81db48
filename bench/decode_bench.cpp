// Micro benchmark of the ingest decoders: MB/s and records/s for CLEF and
// OTLP protobuf logs. Not built by default; build and run with:
//   g++ -std=c++20 -O2 -I. bench/decode_bench.cpp net/decode/*.cpp -lsimdjson -lz -o /tmp/decode_bench && /tmp/decode_bench
#include <chrono>
#include <cstdio>
#include <string>

#include "net/decode/clef_decoder.hpp"
#include "net/decode/otlp_proto_decoder.hpp"

using namespace cairn;

namespace {

std::string clef_body(int n) {
  std::string s;
  for (int i = 0; i < n; ++i)
    s += "{\"@t\":\"2024-01-02T03:04:05.678Z\",\"@mt\":\"Request {Method} {Path} responded {Status} in {Elapsed:0.00} ms\","
         "\"@l\":\"Information\",\"Method\":\"GET\",\"Path\":\"/api/items/" + std::to_string(i) +
         "\",\"Status\":200,\"Elapsed\":12.345,\"RequestId\":\"0HMV" + std::to_string(i) +
         "\",\"Application\":\"shop\",\"@tr\":\"5b8efff798038103d269b633813fc60c\",\"@sp\":\"eee19b7ec3c1b174\"}\n";
  return s;
}

// Minimal protobuf writer (as in the tests).
struct pb {
  std::string s;
  pb& v(uint64_t x) { do { uint8_t b = x & 0x7f; x >>= 7; s.push_back(char(x ? b | 0x80 : b)); } while (x); return *this; }
  pb& tag(uint32_t f, int t) { return v(uint64_t(f) << 3 | uint64_t(t)); }
  pb& varint(uint32_t f, uint64_t x) { return tag(f, 0).v(x); }
  pb& fixed64(uint32_t f, uint64_t x) { tag(f, 1); for (int i = 0; i < 8; ++i) s.push_back(char(x >> 8 * i)); return *this; }
  pb& bytes(uint32_t f, std::string_view x) { tag(f, 2).v(x.size()); s.append(x); return *this; }
  pb& msg(uint32_t f, const pb& m) { return bytes(f, m.s); }
};
pb kv(std::string_view k, const pb& val) { return pb{}.bytes(1, k).msg(2, val); }
pb str(std::string_view x) { return pb{}.bytes(1, x); }

std::string otlp_body(int n) {
  pb scope_logs;
  scope_logs.msg(1, pb{}.bytes(1, "io.opentelemetry.example").bytes(2, "1.2.3"));
  for (int i = 0; i < n; ++i)
    scope_logs.msg(2, pb{}
      .fixed64(1, 1700000000000000000ull + uint64_t(i)).varint(2, 9).bytes(3, "INFO")
      .msg(5, str("Request GET /api/items/" + std::to_string(i) + " responded 200"))
      .msg(6, kv("http.method", str("GET"))).msg(6, kv("http.status_code", pb{}.varint(3, 200)))
      .msg(6, kv("http.route", str("/api/items/{id}"))).msg(6, kv("elapsed", pb{}.fixed64(4, 0x4028b0a3d70a3d71ull)))
      .bytes(9, std::string(16, '\x5b')).bytes(10, std::string(8, '\xee')));
  pb resource = pb{}.msg(1, kv("service.name", str("shop"))).msg(1, kv("host.name", str("web-1")));
  return pb{}.msg(1, pb{}.msg(1, resource).msg(2, scope_logs)).s;
}

template <class Fn>
void run(const char* name, size_t bytes, size_t records, Fn&& fn) {
  fn(); // warm up: buffers reach their steady-state capacity
  int iterations = 0;
  auto start = std::chrono::steady_clock::now();
  double secs = 0;
  do {
    fn();
    ++iterations;
    secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  } while (secs < 2.0);
  std::printf("%-12s %8.1f MB/s %10.0f records/s\n", name, double(bytes) * iterations / secs / 1e6,
              double(records) * iterations / secs);
}

} // namespace

int main() {
  const int n = 20000;
  {
    std::string body = clef_body(n);
    decode::clef_decoder decoder;
    storage::record_batch batch;
    run("clef", body.size(), n, [&] {
      batch.clear();
      if (decoder.decode(body, batch) || batch.size() != size_t(n))
        std::abort();
    });
  }
  {
    std::string body = otlp_body(n);
    decode::otlp_proto_decoder decoder;
    storage::record_batch batch;
    run("otlp_proto", body.size(), n, [&] {
      batch.clear();
      if (decoder.decode_logs(body, batch) || batch.size() != size_t(n))
        std::abort();
    });
  }
}
