/// `cairn ingest [FILE|-]...`: bulk-loads CLEF/NDJSON into a running node over
/// HTTP in batches of whole lines, with a progress bar and a final rate.
#include "tools/cli/commands.hpp"

#include "tools/cli/http_client.hpp"

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <thread>
#include <unistd.h>

namespace cairn::cli {

namespace {

/// Posts batches, retrying 503s (the node may be electing a leader).
class uploader {
public:
  uploader(const std::string& server, std::string api_key) : client_(server, std::move(api_key)) {}

  /// Returns "" or an error message.
  std::string post(const std::string& body) {
    for (int attempt = 0;; ++attempt) {
      try {
        auto r = client_.send("POST", "/ingest/clef", body, "application/vnd.serilog.clef");
        if (r.status == 201 || r.status == 200)
          return {};
        if (r.status == 503 && attempt < 30) {
          std::this_thread::sleep_for(std::chrono::seconds(1));
          continue;
        }
        return "HTTP " + std::to_string(r.status) + ": " + r.body;
      } catch (const std::exception& e) {
        if (attempt >= 5)
          return e.what();
        std::this_thread::sleep_for(std::chrono::milliseconds(500));
      }
    }
  }

private:
  http_client client_;
};

void draw_progress(uint64_t bytes, uint64_t total, uint64_t events, double secs, bool tty) {
  double rate = secs > 0 ? events / secs : 0;
  if (total > 0) {
    int width = 30;
    int filled = static_cast<int>(width * std::min(1.0, double(bytes) / double(total)));
    std::fprintf(stderr, "%s[%.*s%*s] %5.1f%%  %llu events  %.0f events/s",
                 tty ? "\r" : "", filled, "##############################", width - filled, "",
                 100.0 * bytes / total, static_cast<unsigned long long>(events), rate);
  } else {
    std::fprintf(stderr, "%s%llu events  %.0f events/s", tty ? "\r" : "",
                 static_cast<unsigned long long>(events), rate);
  }
  if (!tty)
    std::fputc('\n', stderr);
  std::fflush(stderr);
}

} // namespace

int ingest_command(int argc, char** argv) {
  args a{argc, argv, 2, {"server", "api-key", "batch-bytes"}};
  size_t batch_bytes = std::stoul(a.get_or("batch-bytes", "4194304"));
  auto files = a.positional();
  if (files.empty())
    files.push_back("-");
  uint64_t total = 0;
  for (auto& f : files)
    if (f != "-") {
      std::error_code ec;
      auto sz = std::filesystem::file_size(f, ec);
      if (ec) {
        std::cerr << "cairn ingest: cannot read " << f << ": " << ec.message() << "\n";
        return failure;
      }
      total += sz;
    }
  bool tty = ::isatty(2);
  uploader up{a.get_or("server", "http://127.0.0.1:5341"), a.get_or("api-key", "")};
  auto started = std::chrono::steady_clock::now();
  uint64_t bytes_done = 0, events = 0;
  auto last_draw = started;
  for (auto& f : files) {
    std::ifstream file;
    std::istream* in = &std::cin;
    if (f != "-") {
      file.open(f, std::ios::binary);
      in = &file;
    }
    std::string batch, line;
    size_t line_no = 0, batch_first_line = 1, batch_events = 0;
    auto flush = [&]() -> bool {
      if (batch.empty())
        return true;
      if (auto err = up.post(batch); !err.empty()) {
        std::fprintf(stderr, "\ncairn ingest: %s (batch starting at %s line %zu) rejected: %s\n",
                     f.c_str(), f.c_str(), batch_first_line, err.c_str());
        return false;
      }
      events += batch_events;
      batch.clear();
      batch_events = 0;
      batch_first_line = line_no + 1;
      auto now = std::chrono::steady_clock::now();
      if (now - last_draw > std::chrono::milliseconds(tty ? 100 : 2000)) {
        draw_progress(bytes_done, total, events,
                      std::chrono::duration<double>(now - started).count(), tty);
        last_draw = now;
      }
      return true;
    };
    while (std::getline(*in, line)) {
      ++line_no;
      bytes_done += line.size() + 1;
      if (line.find_first_not_of(" \t\r") == std::string::npos)
        continue;
      batch += line;
      batch += '\n';
      ++batch_events;
      if (batch.size() >= batch_bytes && !flush())
        return failure;
    }
    if (!flush())
      return failure;
  }
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  draw_progress(bytes_done, total, events, secs, tty);
  std::fprintf(stderr, "%singested %llu events in %.2f s (%.0f events/s, %.1f MB/s)\n",
               tty ? "\n" : "", static_cast<unsigned long long>(events), secs,
               secs > 0 ? events / secs : 0, secs > 0 ? bytes_done / secs / 1e6 : 0);
  return ok;
}

} // namespace cairn::cli
