/// Event store benchmark: append rate (durable batches of 1000), index pass
/// rate, and indexed size against `zstd -3` of the same events as CLEF text.
///
/// Build (from the repository root, after the cairn_storage library is built
/// in BUILD):
///   g++ -std=c++20 -O2 -I. bench/storage_bench.cpp BUILD/storage/libcairn_storage.a
///       -llmdb -lzstd -lsimdjson -o /tmp/storage_bench   (one line)
/// Run: /tmp/storage_bench [events=1000000] [dir=/tmp/cairn-bench]
#include "storage/block_codec.hpp"
#include "storage/event_store.hpp"

#include <zstd.h>

#include <charconv>
#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <algorithm>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <random>
#include <string>

using namespace cairn::storage;

namespace {

using clock_type = std::chrono::steady_clock;

double seconds_since(clock_type::time_point t) {
  return std::chrono::duration<double>(clock_type::now() - t).count();
}

/// CPU seconds of this process: steadier than wall time on a shared VM.
double cpu_seconds() {
  timespec t;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return double(t.tv_sec) + double(t.tv_nsec) / 1e9;
}

/// Produces events typical of a web service: request logs, database calls,
/// warnings, occasional exceptions, and spans with random trace ids.
struct generator {
  std::mt19937_64 rng{42};
  int64_t ts = 1'700'000'000'000'000'000;
  std::string props, clef, msg, hex;

  const char* paths[8] = {"/api/orders", "/api/orders/{id}", "/api/customers", "/health",
                          "/api/cart/items", "/login", "/api/products/search", "/api/invoices"};
  const char* methods[4] = {"GET", "POST", "PUT", "DELETE"};
  const char* contexts[5] = {"Shop.Api.OrdersController", "Shop.Api.CartController", "Shop.Data.OrderRepository",
                             "Microsoft.AspNetCore.Hosting.Diagnostics", "Shop.Auth.LoginHandler"};
  const char* users[6] = {"alice", "bob", "carol", "dave", "erin", "frank"};

  uint64_t pick(uint64_t n) { return rng() % n; }

  void random_hex(size_t n) {
    static const char digits[] = "0123456789abcdef";
    hex.clear();
    for (size_t i = 0; i < n; ++i)
      hex.push_back(digits[rng() & 15]);
  }

  static void iso8601(int64_t ns, std::string& out) {
    time_t s = ns / 1'000'000'000;
    struct tm tm;
    gmtime_r(&s, &tm);
    char buf[64];
    snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%07" PRId64 "Z", tm.tm_year + 1900, tm.tm_mon + 1,
             tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (ns % 1'000'000'000) / 100);
    out += buf;
  }

  /// Appends one event as a record to `batch` and as a CLEF line to `text`.
  void next(record_batch& batch, std::string& text) {
    // ~280 events/s, in 100 ns ticks: what CLEF's seven fraction digits carry.
    ts += 1'000'000 + pick(60'000) * 100;
    uint64_t kind = pick(100);
    const char* level = "Information";
    const char* mt;
    std::string exception;
    std::string trace_id, span_id;
    int64_t start = no_start;
    const char* path = paths[pick(8)];
    const char* method = methods[pick(4)];
    int status = kind < 90 ? 200 : (kind < 97 ? 404 : 500);
    // Elapsed milliseconds as a Stopwatch gives them (100 ns ticks), written
    // the way Serilog's JSON formatter writes doubles: shortest round-trip.
    double elapsed = double(5'000 + pick(2'000'000)) / 10'000.0;
    char elapsed_json[32], elapsed_db_json[32];
    *std::to_chars(elapsed_json, elapsed_json + 31, elapsed).ptr = 0;
    *std::to_chars(elapsed_db_json, elapsed_db_json + 31, elapsed / 10).ptr = 0;
    const char* user = users[pick(6)];
    const char* ctx = contexts[pick(5)];
    random_hex(16);
    std::string request_id = "0HN" + hex.substr(0, 10);
    props.clear();
    if (kind < 60) {
      mt = "HTTP {RequestMethod} {RequestPath} responded {StatusCode} in {Elapsed:0.0000} ms";
      char buf[512];
      snprintf(buf, sizeof buf, "HTTP %s %s responded %d in %.4f ms", method, path, status, elapsed);
      msg = buf;
      snprintf(buf, sizeof buf,
               "{\"RequestMethod\":\"%s\",\"RequestPath\":\"%s\",\"StatusCode\":%d,\"Elapsed\":%s,"
               "\"RequestId\":\"%s\",\"SourceContext\":\"%s\",\"Application\":\"Shop\",\"MachineName\":\"web-0%d\"}",
               method, path, status, elapsed_json, request_id.c_str(), ctx, int(pick(3)) + 1);
      props = buf;
      if (status == 500)
        level = "Error";
    } else if (kind < 85) {
      mt = "Loaded {Count} orders for customer {CustomerId} from {Table} in {Elapsed} ms";
      uint64_t count = pick(50), customer = 1000 + pick(5000);
      char buf[512];
      // Rendered by the server (CLEF without @m): strings without quotes.
      snprintf(buf, sizeof buf, "Loaded %" PRIu64 " orders for customer %" PRIu64 " from orders in %s ms", count,
               customer, elapsed_db_json);
      msg = buf;
      snprintf(buf, sizeof buf,
               "{\"Count\":%" PRIu64 ",\"CustomerId\":%" PRIu64 ",\"Table\":\"orders\",\"Elapsed\":%s,"
               "\"SourceContext\":\"Shop.Data.OrderRepository\",\"Application\":\"Shop\"}",
               count, customer, elapsed_db_json);
      props = buf;
      level = "Debug";
      random_hex(32);
      trace_id = hex;
      random_hex(16);
      span_id = hex;
      start = ts - static_cast<int64_t>(elapsed * 100'000);
    } else if (kind < 97) {
      mt = "User {User} signed in from {ClientIp}";
      char buf[512];
      // Sent by a client that renders itself (@m present), Serilog style:
      // strings in quotes.
      char ip[32];
      snprintf(ip, sizeof ip, "10.1.%d.%d", int(pick(255)), int(pick(255)));
      snprintf(buf, sizeof buf, "User \"%s\" signed in from \"%s\"", user, ip);
      msg = buf;
      snprintf(buf, sizeof buf,
               "{\"User\":\"%s\",\"ClientIp\":\"%s\",\"Session\":{\"Id\":\"%s\",\"Persistent\":%s},"
               "\"SourceContext\":\"Shop.Auth.LoginHandler\",\"Application\":\"Shop\"}",
               user, ip, request_id.c_str(), pick(2) ? "true" : "false");
      props = buf;
      level = kind < 93 ? "Information" : "Warning";
    } else {
      mt = "Failed to process order {OrderId}";
      uint64_t order = 100000 + pick(900000);
      msg = "Failed to process order " + std::to_string(order);
      exception = "System.InvalidOperationException: Order " + std::to_string(order) +
                  " is locked\n   at Shop.Orders.OrderService.Process(Int64 id) in /src/Shop/Orders/OrderService.cs:line 88\n"
                  "   at Shop.Api.OrdersController.Post(OrderDto dto) in /src/Shop/Api/OrdersController.cs:line 41\n"
                  "   at lambda_method12(Closure, Object, Object[])";
      props = "{\"OrderId\":" + std::to_string(order) + ",\"SourceContext\":\"Shop.Orders.OrderService\",\"Application\":\"Shop\"}";
      level = "Error";
    }
    // The record.
    batch.offsets.push_back(static_cast<uint32_t>(batch.bytes.size()));
    record_builder b{batch.bytes};
    b.timestamp(ts);
    b.start(start);
    b.event_type(static_cast<uint32_t>(std::hash<std::string_view>{}(mt)));
    b.add(level);
    b.add(mt);
    b.add(msg);
    b.add(exception);
    b.add(trace_id);
    b.add(span_id);
    b.add({});
    b.add(start != no_start ? "Internal" : "");
    b.add(props);
    b.add({});
    b.add({});
    // The same event as CLEF (as a Serilog client would send it).
    text += "{\"@t\":\"";
    iso8601(ts, text);
    text += "\",\"@mt\":\"";
    text += mt;
    text += "\"";
    if (kind >= 85 && kind < 97) {
      text += ",\"@m\":\"";
      for (char c : msg)
        text += c == '"' ? std::string{"\\\""} : std::string(1, c);
      text += "\"";
    }
    if (std::string_view{level} != "Information") {
      text += ",\"@l\":\"";
      text += level;
      text += "\"";
    }
    if (!exception.empty()) {
      text += ",\"@x\":\"";
      for (char c : exception)
        text += c == '\n' ? std::string{"\\n"} : std::string(1, c);
      text += "\"";
    }
    if (!trace_id.empty()) {
      text += ",\"@tr\":\"" + trace_id + "\",\"@sp\":\"" + span_id + "\",\"@st\":\"";
      iso8601(start, text);
      text += "\"";
    }
    text += ",";
    text.append(props, 1); // the properties object without its '{'
    text += "\n";
  }
};

} // namespace

int main(int argc, char** argv) {
  size_t total = argc > 1 ? std::stoul(argv[1]) : 1'000'000;
  std::filesystem::path dir = argc > 2 ? argv[2] : "/tmp/cairn-bench";
  std::filesystem::remove_all(dir);
  store_options opts;
  if (const char* level = getenv("ZSTD_LEVEL"))
    opts.zstd_level = std::atoi(level);
  if (const char* mb = getenv("BLOCK_MB")) {
    opts.block_max_bytes = size_t(std::atoi(mb)) << 20;
    opts.block_max_events = 1u << 20;
  }
  auto opened = event_store::open(dir, opts);
  if (!opened) {
    std::fprintf(stderr, "open: %s\n", opened.error().to_string().c_str());
    return 1;
  }
  auto& store = *opened;
  generator gen;
  std::string clef;
  clef.reserve(total * 400);
  record_batch batch;
  std::string all_records;

  // 1. Append, 1000 events per durable batch.
  double append_s = 0;
  size_t done = 0;
  while (done < total) {
    batch.clear();
    size_t n = std::min<size_t>(1000, total - done);
    for (size_t i = 0; i < n; ++i)
      gen.next(batch, clef);
    all_records += batch.bytes;
    auto t = clock_type::now();
    auto r = store->append_batch(batch);
    append_s += seconds_since(t);
    if (!r) {
      std::fprintf(stderr, "append: %s\n", r.error().to_string().c_str());
      return 1;
    }
    done += n;
  }
  std::printf("events                 %zu\n", total);
  std::printf("append                 %.0f events/s, %.0f batches/s (%.1f MB/s of records)\n", total / append_s,
              (total / 1000.0) / append_s, all_records.size() / append_s / 1e6);

  // 2. Index everything.
  auto t = clock_type::now();
  double cpu = cpu_seconds();
  auto g = store->flush();
  double index_s = seconds_since(t);
  double index_cpu = cpu_seconds() - cpu;
  if (!g) {
    std::fprintf(stderr, "flush: %s\n", g.error().to_string().c_str());
    return 1;
  }
  auto st = store->stats();
  auto blocks = store->list_blocks(INT64_MIN, INT64_MAX);
  uint64_t bloom_bytes = 0;
  for (auto& b : *blocks)
    bloom_bytes += b.summary.names.byte_size() + b.summary.tokens.byte_size() + 64;
  std::printf("index                  %.0f events/s (%.1f MB/s of records), %" PRIu64 " blocks; CPU time: %.0f events/s\n",
              total / index_s, all_records.size() / index_s / 1e6, st->block_count, total / index_cpu);

  // 3. Read back.
  t = clock_type::now();
  cpu = cpu_seconds();
  record_batch out;
  uint64_t read_events = 0;
  // READ_REPEAT=n reads every block n times (for profiling the decoder).
  int repeat = getenv("READ_REPEAT") ? std::atoi(getenv("READ_REPEAT")) : 1;
  double best_pass = 1e30; // the fastest pass: least disturbed by other load
  for (int k = 0; k < repeat; ++k) {
    double pass_cpu = cpu_seconds();
    for (auto& b : *blocks) {
      if (!store->read_block(b.key, out))
        return 1;
      read_events += out.size();
    }
    best_pass = std::min(best_pass, cpu_seconds() - pass_cpu);
  }
  double read_s = seconds_since(t);
  double read_cpu = cpu_seconds() - cpu;
  std::printf("read_block             %.0f events/s (%.1f MB/s of records); CPU time: %.0f events/s\n",
              read_events / read_s, repeat * all_records.size() / read_s / 1e6, read_events / read_cpu);
  std::printf("read_block best pass   %.0f events/s (CPU time)\n", total / best_pass);

  // 4. Sizes: blocks (+ summaries) against zstd -3 of the CLEF text, and
  //    against row-wise zstd -3 of the same records in the same block sizes.
  size_t bound = ZSTD_compressBound(clef.size());
  std::string z(bound, '\0');
  size_t clef_z = ZSTD_compress(z.data(), bound, clef.data(), clef.size(), 3);
  size_t row_z = 0;
  {
    std::string chunk(ZSTD_compressBound(2 << 20), '\0');
    size_t pos = 0;
    for (auto& b : *blocks) {
      row_z += ZSTD_compress(chunk.data(), chunk.size(), all_records.data() + pos, b.raw_bytes, 3);
      pos += b.raw_bytes;
    }
  }
  double blocks_mb = st->indexed_stored_bytes / 1e6;
  std::printf("CLEF text              %.1f MB, zstd -3: %.1f MB\n", clef.size() / 1e6, clef_z / 1e6);
  std::printf("records (raw)          %.1f MB, row-wise zstd -3 per block: %.1f MB\n", all_records.size() / 1e6,
              row_z / 1e6);
  std::printf("blocks (columnar)      %.2f MB = %.3fx of CLEF zstd -3 (%.2fx of row-wise)\n", blocks_mb,
              double(st->indexed_stored_bytes) / clef_z, double(st->indexed_stored_bytes) / row_z);
  std::printf("blocks + summaries     %.1f MB = %.2fx of CLEF zstd -3\n", (st->indexed_stored_bytes + bloom_bytes) / 1e6,
              double(st->indexed_stored_bytes + bloom_bytes) / clef_z);
  // 5. Where the bytes go: each field column of each block compressed alone.
  {
    static const char* names[field_count] = {"level", "template", "message", "exception", "trace_id", "span_id",
                                             "parent_id", "span_kind", "properties", "resource", "scope"};
    std::string col[field_count], header, chunk;
    size_t zsize[field_count + 1] = {}, raw[field_count + 1] = {};
    size_t pos = 0;
    for (auto& b : *blocks) {
      for (auto& c : col)
        c.clear();
      header.clear();
      size_t end = pos + b.raw_bytes;
      while (pos < end) {
        record_view r;
        size_t n = end - pos;
        // Records are back to back: find this one's size by parsing growing prefixes is slow, so
        // walk the fields directly.
        size_t q = pos + record_header_size;
        for (size_t f = 0; f < field_count; ++f) {
          uint64_t len = 0;
          int shift = 0;
          uint8_t byte;
          do {
            byte = static_cast<uint8_t>(all_records[q++]);
            len |= uint64_t(byte & 0x7f) << shift;
            shift += 7;
          } while (byte & 0x80);
          q += len;
        }
        n = q - pos;
        r.parse(all_records.data() + pos, n);
        header.append(all_records.data() + pos, record_header_size);
        for (size_t f = 0; f < field_count; ++f)
          col[f].append(r.get(static_cast<field>(f)));
        pos += n;
      }
      auto z = [&](const std::string& s) {
        chunk.resize(ZSTD_compressBound(s.size()));
        return ZSTD_compress(chunk.data(), chunk.size(), s.data(), s.size(), 3);
      };
      for (size_t f = 0; f < field_count; ++f) {
        raw[f] += col[f].size();
        zsize[f] += z(col[f]);
      }
      raw[field_count] += header.size();
      zsize[field_count] += z(header);
    }
    std::printf("field columns alone    (raw MB -> zstd -3 MB, bytes/event)\n");
    for (size_t f = 0; f <= field_count; ++f)
      if (raw[f])
        std::printf("  %-20s %8.2f -> %6.2f  %6.2f\n", f < field_count ? names[f] : "record headers", raw[f] / 1e6,
                    zsize[f] / 1e6, double(zsize[f]) / total);
  }
  std::printf("LMDB file in use       %.1f MB\n", st->file_bytes / 1e6);
  std::printf("generation             %s\n", st->gen.to_string().c_str());
  std::filesystem::remove_all(dir);
  return 0;
}
