/// Ingest CPU per stage, in process: the same CLEF and OTLP protobuf bodies
/// as ingest_load (payloads.hpp) decoded into record batches, then the
/// index-time work on blocks of 4096 events (summary, block encoder, both as
/// event_store does them), then the whole store path (durable append_batch
/// per request + index passes) on a scratch LMDB store. Prints CPU seconds
/// per million events for each stage: steadier than the end-to-end figure
/// on a shared machine, and quick to rerun after a change.
///
/// Build (from the repository root, after cairn_storage and cairn_decode are
/// built in BUILD):
///   g++ -std=c++20 -O2 -march=native -DSIMDJSON_THREADS_ENABLED=1 -I. bench/ingest/index_bench.cpp bench/ingest/payloads.cpp
///       BUILD/net/libcairn_decode.a BUILD/storage/libcairn_storage.a
///       -llmdb -lzstd -lsimdjson -lz -o /tmp/index_bench   (one line)
/// Run: /tmp/index_bench [rounds=20] [dir=/tmp/cairn-index-bench] [zstd level=3]
/// It also prints the input's size compressed whole by `zstd -3` per body,
/// the yardstick for the blocks' stored size (storage/README.md).
#include "bench/ingest/payloads.hpp"
#include "net/decode/clef_decoder.hpp"
#include "net/decode/otlp_proto_decoder.hpp"
#include "storage/block_codec.hpp"
#include "storage/block_summary_codec.hpp"
#include "storage/event_store.hpp"

#include <zstd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <string>
#include <vector>

using namespace cairn;

namespace {

/// CPU seconds of this thread: the benchmark is single-threaded.
double cpu_seconds() {
  timespec t;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return double(t.tv_sec) + double(t.tv_nsec) / 1e9;
}

constexpr int bodies = 16;
constexpr int events_per_body = 1000;
constexpr size_t block_events = 4096;

void report(const char* format, const char* stage, double cpu, size_t events) {
  std::printf("%-5s %-22s %6.3f cpu-s per million events\n", format, stage, cpu * 1e6 / double(events));
}

/// Decodes every body `rounds` times; keeps the last decode of each.
template <class Decode>
double decode_all(std::vector<std::string>& in, std::vector<storage::record_batch>& out, int rounds, Decode&& decode) {
  out.resize(in.size());
  double t0 = cpu_seconds();
  for (int r = 0; r < rounds; ++r)
    for (size_t i = 0; i < in.size(); ++i) {
      out[i].clear();
      if (!decode(in[i], out[i])) {
        std::fprintf(stderr, "decode failed\n");
        std::exit(1);
      }
    }
  return cpu_seconds() - t0;
}

/// Views over all decoded records with distinct ids, in blocks of block_events.
std::vector<std::vector<storage::record_view>> blocks_of(std::vector<storage::record_batch>& batches) {
  std::vector<std::vector<storage::record_view>> out(1);
  uint64_t id = 1;
  for (auto& b : batches)
    for (size_t i = 0; i < b.size(); ++i) {
      std::memcpy(b.bytes.data() + b.offsets[i] + storage::record_id_offset, &id, 8);
      ++id;
      auto r = b.record(i);
      storage::record_view v;
      v.parse(r.data(), r.size());
      if (out.back().size() == block_events)
        out.emplace_back();
      out.back().push_back(v);
    }
  return out;
}

/// Bytes per event of the bodies compressed one by one at zstd level 3.
double zstd3_bytes_per_event(const std::vector<std::string>& in) {
  size_t total = 0;
  std::string out;
  for (const auto& body : in) {
    out.resize(ZSTD_compressBound(body.size()));
    total += ZSTD_compress(out.data(), out.size(), body.data(), body.size(), 3);
  }
  return double(total) / double(in.size() * events_per_body);
}

void run(const char* format, std::vector<std::string> in, int rounds, const std::filesystem::path& dir,
         int zstd_level, bool (*decode)(std::string&, storage::record_batch&)) {
  std::printf("%-5s %-22s %6.1f bytes per event (zstd -3 of the bodies %.1f)\n", format, "input",
              double(in[0].size()) / events_per_body, zstd3_bytes_per_event(in));
  std::vector<storage::record_batch> batches;
  size_t events = size_t(bodies) * events_per_body * size_t(rounds);
  report(format, "decode", decode_all(in, batches, rounds, decode), events);
  auto blocks = blocks_of(batches);
  size_t block_total = 0;
  for (auto& b : blocks)
    block_total += b.size();
  size_t index_events = block_total * size_t(rounds);
  // Index-time stages on their own and together.
  storage::summary_builder summary;
  storage::block_encoder encoder{zstd_level};
  std::string value;
  size_t stored = 0;
  double t0 = cpu_seconds();
  for (int r = 0; r < rounds; ++r)
    for (auto& b : blocks) {
      summary.reset();
      for (auto& v : b)
        summary.add(v);
      (void)summary.finish();
    }
  report(format, "summary", cpu_seconds() - t0, index_events);
  t0 = cpu_seconds();
  for (int r = 0; r < rounds; ++r)
    for (auto& b : blocks) {
      if (!encoder.encode(b, value)) {
        std::fprintf(stderr, "encode failed\n");
        std::exit(1);
      }
      stored += value.size();
    }
  report(format, "block encode", cpu_seconds() - t0, index_events);
  std::printf("%-5s %-22s %6.1f bytes per event\n", format, "stored", double(stored) / double(index_events));
  // As event_store indexes: the encoder feeds the summary from its own split.
  t0 = cpu_seconds();
  for (int r = 0; r < rounds; ++r)
    for (auto& b : blocks) {
      summary.reset();
      if (!encoder.encode(b, value, &summary)) {
        std::fprintf(stderr, "encode failed\n");
        std::exit(1);
      }
      (void)summary.finish();
    }
  report(format, "summary + encode", cpu_seconds() - t0, index_events);
  // The store: one durable append per request, index passes as the indexer runs them.
  std::filesystem::remove_all(dir);
  storage::store_options store_opts;
  store_opts.zstd_level = zstd_level;
  auto store = storage::event_store::open(dir, store_opts);
  if (!store) {
    std::fprintf(stderr, "open: %s\n", store.error().to_string().c_str());
    std::exit(1);
  }
  int store_rounds = std::max(1, rounds / 4);
  t0 = cpu_seconds();
  for (int r = 0; r < store_rounds; ++r)
    for (auto& b : batches) {
      auto copy = b;
      if (auto a = (*store)->append_batch(copy); !a) {
        std::fprintf(stderr, "append: %s\n", a.error().to_string().c_str());
        std::exit(1);
      }
      for (;;) {
        auto ip = (*store)->index_pass(INT64_MAX);
        if (!ip || !ip->more)
          break;
      }
    }
  if (auto f = (*store)->flush(); !f)
    std::exit(1);
  report(format, "store (append+index)", cpu_seconds() - t0,
         size_t(bodies) * events_per_body * size_t(store_rounds));
  store->reset();
  std::filesystem::remove_all(dir);
}

} // namespace

int main(int argc, char** argv) {
  int rounds = argc > 1 ? std::atoi(argv[1]) : 20;
  std::filesystem::path dir = argc > 2 ? argv[2] : "/tmp/cairn-index-bench";
  int zstd_level = argc > 3 ? std::atoi(argv[3]) : 3;
  int64_t base = 1'763'800'000'000'000'000;
  std::vector<std::string> clef, otlp;
  for (int i = 0; i < bodies; ++i) {
    clef.push_back(bench::clef_batch(events_per_body, uint64_t(i), base + int64_t(i) * 1'000'000'000));
    otlp.push_back(bench::otlp_logs_batch(events_per_body, uint64_t(i), base + int64_t(i) * 1'000'000'000));
  }
  static decode::clef_decoder clef_dec;
  static decode::otlp_proto_decoder otlp_dec;
  run("clef", clef, rounds, dir, zstd_level,
      [](std::string& body, storage::record_batch& out) { return !clef_dec.decode(body, out).has_value(); });
  run("otlp", otlp, rounds, dir, zstd_level,
      [](std::string& body, storage::record_batch& out) { return !otlp_dec.decode_logs(body, out).has_value(); });
}
