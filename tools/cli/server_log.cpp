#include "tools/cli/server_log.hpp"

#include <spdlog/async.h>
#include <spdlog/sinks/rotating_file_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <filesystem>

namespace cairn::cli {

void setup_server_log(const std::string& storage_root, const std::string& level) {
  auto dir = std::filesystem::path{storage_root} / "logs";
  std::filesystem::create_directories(dir);
  auto console = std::make_shared<spdlog::sinks::stderr_color_sink_mt>();
  auto file = std::make_shared<spdlog::sinks::rotating_file_sink_mt>(
    (dir / "cairn.log").string(), 10 * 1024 * 1024, 5);
  // Asynchronous, and never blocking the caller: the file lives on the
  // storage disk, and when that disk stalls (hung fsync, frozen filesystem)
  // a synchronous write would park whichever thread logged (an I/O thread
  // answering the stalled requests' 503s, an actor) until it recovers. When
  // the queue is full, the oldest lines are dropped instead.
  spdlog::init_thread_pool(8192, 1);
  auto logger = std::make_shared<spdlog::async_logger>(
    "cairn", spdlog::sinks_init_list{console, file}, spdlog::thread_pool(),
    spdlog::async_overflow_policy::overrun_oldest);
  logger->set_level(spdlog::level::from_str(level));
  // At debug level the log is a test/diagnosis trace: flush every line so a
  // SIGKILLed node leaves its last decisions on disk (the queue drains in
  // microseconds).
  logger->flush_on(std::min(spdlog::level::warn, spdlog::level::from_str(level)));
  spdlog::set_default_logger(logger);
  spdlog::flush_every(std::chrono::seconds(1));
}

} // namespace cairn::cli
