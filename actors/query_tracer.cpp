#include "actors/query_tracer.hpp"

#include "storage/json_escape.hpp"

#include <algorithm>
#include <cstdio>
#include <random>

namespace cairn {

namespace {

/// Random ids: a per-thread generator seeded once, never all zero (an
/// all-zero id is invalid in OTLP).
template <size_t N>
std::array<uint8_t, N> random_id() {
  thread_local std::mt19937_64 gen{std::random_device{}()};
  std::array<uint8_t, N> id{};
  do {
    for (size_t i = 0; i < N; i += 8) {
      uint64_t r = gen();
      for (size_t j = 0; j < 8 && i + j < N; ++j)
        id[i + j] = static_cast<uint8_t>(r >> (8 * j));
    }
  } while (id == std::array<uint8_t, N>{});
  return id;
}


void append_attribute(std::string& out, const std::string& key, const span_value& v) {
  out += "{\"key\":";
  append_json_string(out, key);
  out += ",\"value\":{";
  if (auto s = std::get_if<std::string>(&v)) {
    out += "\"stringValue\":";
    append_json_string(out, *s);
  } else if (auto i = std::get_if<int64_t>(&v)) {
    out += "\"intValue\":\"" + std::to_string(*i) + "\"";
  } else {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.17g", std::get<double>(v));
    out += "\"doubleValue\":";
    out += buf;
  }
  out += "}}";
}

} // namespace

std::string to_hex(const uint8_t* bytes, size_t n) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out(n * 2, '0');
  for (size_t i = 0; i < n; ++i) {
    out[2 * i] = digits[bytes[i] >> 4];
    out[2 * i + 1] = digits[bytes[i] & 15];
  }
  return out;
}

query_trace::query_trace() : trace_id_(random_id<16>()) {
  span_record root;
  root.name = "query";
  root.span_id = random_id<8>();
  spans_.push_back(std::move(root));
}

span_record& query_trace::add_child(std::string name, int64_t start_ns, int64_t end_ns) {
  span_record s;
  s.name = std::move(name);
  s.span_id = random_id<8>();
  s.parent_id = spans_.front().span_id;
  s.start_ns = start_ns;
  s.end_ns = end_ns;
  spans_.push_back(std::move(s));
  return spans_.back();
}

void query_trace::append_otlp_spans(std::string& out) const {
  const std::string trace = to_hex(trace_id_.data(), trace_id_.size());
  bool first = true;
  for (const auto& s : spans_) {
    if (!first)
      out.push_back(',');
    first = false;
    out += "{\"traceId\":\"" + trace + "\",\"spanId\":\"" + to_hex(s.span_id.data(), 8) + "\"";
    if (s.parent_id != std::array<uint8_t, 8>{})
      out += ",\"parentSpanId\":\"" + to_hex(s.parent_id.data(), 8) + "\"";
    out += ",\"name\":";
    append_json_string(out, s.name);
    // SPAN_KIND_INTERNAL for children, SERVER for the root (it answers a request).
    out += s.parent_id == std::array<uint8_t, 8>{} ? ",\"kind\":2" : ",\"kind\":1";
    out += ",\"startTimeUnixNano\":\"" + std::to_string(s.start_ns) + "\"";
    out += ",\"endTimeUnixNano\":\"" + std::to_string(std::max(s.end_ns, s.start_ns)) + "\"";
    out += ",\"attributes\":[";
    for (size_t i = 0; i < s.attributes.size(); ++i) {
      if (i)
        out.push_back(',');
      append_attribute(out, s.attributes[i].first, s.attributes[i].second);
    }
    out += "]";
    if (s.error) {
      out += ",\"status\":{\"code\":2,\"message\":";
      append_json_string(out, s.status_message);
      out += "}";
    }
    out += "}";
  }
}

} // namespace cairn
