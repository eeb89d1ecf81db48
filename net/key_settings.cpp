#include "net/key_settings.hpp"

#include "net/http_types.hpp"
#include "storage/levels.hpp"

#include <simdjson.h>

namespace cairn::net {

int level_rank(std::string_view level) noexcept {
  using storage::level_class;
  switch (storage::classify_level(level)) {
    case level_class::trace:
    case level_class::verbose: return 0;
    case level_class::debug: return 1;
    case level_class::information:
    case level_class::notice:
    case level_class::other: return 2;
    case level_class::warning: return 3;
    case level_class::error: return 4;
    case level_class::critical:
    case level_class::alert: return 5;
    case level_class::fatal:
    case level_class::emergency:
    case level_class::panic: return 6;
  }
  return 2;
}

namespace {

/// Merges `applied` over `props` (both JSON object texts) into `out`.
void merge_properties(std::string_view props, const simdjson::dom::object& applied,
                      simdjson::dom::parser& parser, std::string& out) {
  out = "{";
  bool first = true;
  auto emit = [&](std::string_view key, const simdjson::dom::element& value) {
    out += first ? "\"" : ",\"";
    first = false;
    json_escape_into(out, key); // simdjson hands keys back unescaped
    out += "\":";
    out += simdjson::minify(value);
  };
  if (!props.empty()) {
    simdjson::padded_string padded{props};
    simdjson::dom::object obj;
    if (!parser.parse(padded).get_object().get(obj))
      for (auto [k, v] : obj) {
        simdjson::dom::element ignored;
        if (applied.at_key(k).get(ignored) != simdjson::SUCCESS)
          emit(k, v);
      }
  }
  for (auto [k, v] : applied)
    emit(k, v);
  out += "}";
}

} // namespace

void apply_key_settings(storage::record_batch& batch, const meta::api_key_info& key) {
  bool has_minimum = !key.minimum_level.empty();
  bool has_applied = !key.applied_properties_json.empty() && key.applied_properties_json != "{}";
  if (!has_minimum && !has_applied)
    return;
  int minimum = has_minimum ? level_rank(key.minimum_level) : 0;
  simdjson::dom::parser applied_parser, parser;
  simdjson::dom::object applied;
  if (has_applied) {
    if (applied_parser.parse(key.applied_properties_json).get_object().get(applied))
      has_applied = false; // validated at key creation; never fail ingest over it
  }
  storage::record_batch out;
  std::string merged;
  for (size_t i = 0; i < batch.size(); ++i) {
    storage::record_view v;
    auto bytes = batch.record(i);
    if (!v.parse(bytes.data(), bytes.size()))
      continue;
    if (has_minimum && level_rank(v.get(storage::field::level)) < minimum)
      continue;
    out.offsets.push_back(static_cast<uint32_t>(out.bytes.size()));
    if (!has_applied) {
      out.bytes.append(bytes);
      continue;
    }
    storage::record_builder b{out.bytes};
    b.timestamp(v.timestamp());
    b.start(v.start());
    b.event_type(v.event_type());
    b.flags(v.flags());
    for (size_t f = 0; f < storage::field_count; ++f) {
      auto which = static_cast<storage::field>(f);
      if (which == storage::field::properties) {
        merge_properties(v.get(which), applied, parser, merged);
        b.add(merged);
      } else {
        b.add(v.get(which));
      }
    }
  }
  batch = std::move(out);
}

} // namespace cairn::net
