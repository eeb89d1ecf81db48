/// The bench queries (bench/query/bench.mjs) run in-process over an event
/// store on disk, single-threaded, timed in CPU time: the engine plus the
/// block path (LMDB read, zstd, decode) without HTTP or the actor system.
/// Each query runs with the plan's field projection ("proj": record views
/// assembled over the decoded columns, only the projected column groups
/// decompressed from CBK3 blocks) and with whole records ("full").
///
/// Build (from the repository root, after cairn_query and cairn_storage are
/// built in BUILD):
///   g++ -std=c++20 -O2 -I. bench/query/store_query_bench.cpp BUILD/query/libcairn_query.a
///       BUILD/storage/libcairn_storage.a -llmdb -lzstd -lsimdjson -lspdlog -lfmt
///       -o /tmp/store_query_bench   (one line)
/// Run: /tmp/store_query_bench <storage root, e.g. /tmp/cairn-bench> [repeat=3] [proj] [label filter]
/// (the store must not be open in a running node: LMDB locks are per process
/// but the node may be writing; stop it first).
#include "query/executor.hpp"
#include "query/field_usage.hpp"
#include "query/result_json.hpp"
#include "storage/event_store.hpp"

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <optional>
#include <string>
#include <vector>

using namespace cairn;

namespace {

double cpu_ms() {
  timespec t;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return double(t.tv_sec) * 1e3 + double(t.tv_nsec) / 1e6;
}

/// Blocks then buffer, like actors/store_source.cpp's scan for aggregations.
class disk_source final : public query::event_source {
public:
  disk_source(storage::event_store& store, bool use_projection) : store_(store), use_projection_(use_projection) {}

  void scan(const query::scan_request& req, const query::chunk_callback& chunk) override {
    auto blocks = store_.list_blocks(req.from_ns, req.to_ns);
    if (!blocks) {
      std::fprintf(stderr, "list_blocks: %s\n", blocks.error().to_string().c_str());
      return;
    }
    if (getenv("DEBUG_BENCH"))
      std::fprintf(stderr, "listed %zu blocks in [%lld, %lld)\n", blocks->size(), (long long)req.from_ns, (long long)req.to_ns);
    for (const auto& b : *blocks) {
      if (req.filter && !req.filter->may_match(b.summary))
        continue;
      if (use_projection_ && req.columns && req.column_chunk) {
        if (auto st = store_.read_block_columns(b.key, query::block_selection(req, b.summary), columns_); !st) {
          std::fprintf(stderr, "read_block_columns: %s\n", st.error().to_string().c_str());
          continue;
        }
        if (columns_.complete()) {
          ++blocks_read;
          if (!req.column_chunk(b.summary, columns_))
            return;
          continue;
        }
      }
      const bool project = use_projection_ && req.projection;
      auto st = project ? store_.read_block(b.key, *req.projection, views_) : store_.read_block(b.key, batch_);
      if (!st) {
        std::fprintf(stderr, "read_block: %s\n", st.error().to_string().c_str());
        continue;
      }
      if (!project)
        views_.assign(batch_);
      ++blocks_read;
      if (!chunk(&b.summary, views_.views()))
        return;
    }
    batch_.clear();
    (void)store_.scan_buffer(req.from_ns, req.to_ns, [&](const storage::record_view& r) {
      batch_.offsets.push_back(static_cast<uint32_t>(batch_.bytes.size()));
      batch_.bytes.append(r.bytes());
      return true;
    });
    if (!batch_.empty()) {
      views_.assign(batch_);
      chunk(nullptr, views_.views());
    }
  }

  uint64_t blocks_read = 0;

private:
  storage::event_store& store_;
  bool use_projection_;
  storage::record_batch batch_;
  storage::block_views views_;
  storage::block_columns columns_;
};

} // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s <storage root> [repeat]\n", argv[0]);
    return 2;
  }
  int repeat = argc > 2 ? std::atoi(argv[2]) : 3;
  const bool only_proj = argc > 3 && std::string_view(argv[3]) == "proj"; // for profiling
  auto store = storage::event_store::open(argv[1]);
  if (!store) {
    std::fprintf(stderr, "open: %s\n", store.error().to_string().c_str());
    return 1;
  }
  const char* queries[][2] = {
    {"count where level", "select count(*) from stream where @Level = 'Error'"},
    {"count by level", "select count(*) from stream group by @Level"},
    {"seed: group by exception type",
     "select count(*) from stream group by Substring(@Exception, 0, IndexOf(@Exception, ':'))"},
    {"group by time(1m)", "select count(*) from stream group by time(1m)"},
    {"free text \"timed out\"", "select count(*) from stream where \"timed out\""},
    {"p95(Elapsed) by RequestPath",
     "select percentile(Elapsed, 95) as p95 from stream group by RequestPath"},
  };
  std::printf("%-32s %10s %10s %8s %10s %7s\n", "query (cpu ms, median)", "full", "proj", "rows", "events", "blocks");
  // Optional 4th argument: run only the queries whose label contains it.
  const std::string_view only = argc > 4 ? std::string_view(argv[4]) : std::string_view{};
  for (auto& q : queries) {
    if (!only.empty() && std::string_view(q[0]).find(only) == std::string_view::npos)
      continue;
    auto plan = query::query_plan::compile(q[1], 0);
    double med[2];
    size_t rows = 0;
    std::string json[2];
    uint64_t events = 0, blocks = 0;
    for (int mode = 0; mode < 2; ++mode) {
      std::vector<double> t;
      if (only_proj && mode == 0) {
        med[0] = 0;
        continue;
      }
      for (int i = 0; i < repeat; ++i) {
        disk_source src(**store, mode == 1);
        query::query_options opts;
        double t0 = cpu_ms();
        query::query_stats st;
        auto p = query::execute_partial(plan, src, opts, &st);
        events = st.events_scanned;
        blocks = src.blocks_read;
        auto r = p.finish(INT64_MIN, INT64_MAX);
        t.push_back(cpu_ms() - t0);
        rows = r.rows.size();
        json[mode] = query::to_seq_json(r);
      }
      std::sort(t.begin(), t.end());
      med[mode] = t[t.size() / 2];
    }
    std::printf("%-32s %10.1f %10.1f %8zu %10llu %7llu%s\n", q[0], med[0], med[1], rows,
                static_cast<unsigned long long>(events), static_cast<unsigned long long>(blocks),
                only_proj || json[0] == json[1] ? "" : "  RESULTS DIFFER");
  }
}
