#include "actors/internal_ingest.hpp"

#include "actors/messages.hpp"
#include "net/decode/clef_decoder.hpp"
#include "storage/json_escape.hpp"

#include <spdlog/spdlog.h>

#include <chrono>
#include <ctime>

namespace cairn {

std::string clef_now() {
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
              std::chrono::system_clock::now().time_since_epoch())
              .count();
  std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[96];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<int>(ms % 1000));
  return buf;
}

size_t clef_lines_to_batch(const std::vector<std::string>& lines, std::string_view source_property,
                           std::string_view source, storage::record_batch& out) {
  // One decoder per thread: it owns a simdjson parser worth reusing.
  thread_local decode::clef_decoder decoder;
  size_t added = 0;
  std::string text;
  for (const auto& line : lines) {
    if (line.find_first_not_of(" \t\r") == std::string::npos)
      continue;
    if (line.front() == '{') {
      text = line;
      if (!decoder.decode(text, out)) {
        ++added;
        continue;
      }
    }
    text = "{\"@t\":\"" + clef_now() + "\",\"@m\":";
    append_json_string(text, line);
    text += ",";
    append_json_string(text, source_property);
    text += ':';
    append_json_string(text, source);
    text += '}';
    if (!decoder.decode(text, out))
      ++added;
  }
  return added;
}

void commit_internal(caf::event_based_actor* self, const caf::actor& committer,
                     storage::record_batch batch, std::string what) {
  if (batch.empty())
    return;
  auto count = batch.size();
  self->request(committer, std::chrono::seconds(30), ingest_atom::value, std::move(batch))
    .then(
      [what, count](const commit_result& r) {
        if (!r.ok)
          spdlog::warn("{}: {} event(s) not stored: {}", what, count, r.error);
      },
      [what, count](caf::error& err) {
        spdlog::warn("{}: {} event(s) not stored: {}", what, count, to_string(err));
      });
}

} // namespace cairn
