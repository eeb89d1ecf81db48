/// `cairn retention add|list|remove` against a running node's
/// /api/retentionpolicies (the leader enforces the policies on every replica:
/// actors/retention_actor.hpp).
#include "tools/cli/commands.hpp"
#include "tools/cli/http_client.hpp"

#include <simdjson.h>

#include <charconv>
#include <cstdio>
#include <iostream>

namespace cairn::cli {

namespace {

/// "90s", "15m", "2h", "30d", "500ms" or plain milliseconds.
std::optional<int64_t> parse_age_ms(std::string_view t) {
  int64_t n = 0;
  auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), n);
  if (ec != std::errc{} || n <= 0)
    return std::nullopt;
  std::string_view unit{end, static_cast<size_t>(t.data() + t.size() - end)};
  if (unit.empty() || unit == "ms")
    return n;
  if (unit == "s")
    return n * 1000;
  if (unit == "m")
    return n * 60'000;
  if (unit == "h")
    return n * 3'600'000;
  if (unit == "d")
    return n * 86'400'000;
  return std::nullopt;
}

std::string json_string(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      out += buf;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

int fail(const http_reply& r) {
  std::cerr << "cairn retention: HTTP " << r.status << ": " << r.body << "\n";
  return failure;
}

} // namespace

int retention_command(int argc, char** argv) {
  if (argc < 3)
    throw usage_error{"usage: cairn retention add --after AGE [--filter F] [--signal ID] | list | "
                      "remove ID   [--server URL] [--api-key K]   (AGE: 90s, 15m, 2h, 30d)"};
  std::string verb = argv[2];
  args a{argc, argv, 3, {"server", "api-key", "after", "filter", "signal"}};
  http_client client{a.get_or("server", "http://127.0.0.1:5341"), a.get_or("api-key", "")};
  if (verb == "add") {
    auto age_text = a.require("after");
    auto age = parse_age_ms(age_text);
    if (!age)
      throw usage_error{"--after: '" + age_text + "' is not an age such as 90s, 15m, 2h or 30d"};
    std::string body = "{\"RetentionMilliseconds\":" + std::to_string(*age) +
                       ",\"Filter\":" + json_string(a.get_or("filter", "")) +
                       ",\"SignalId\":" + json_string(a.get_or("signal", "")) + "}";
    auto r = client.send("POST", "/api/retentionpolicies", body, "application/json");
    if (r.status != 201)
      return fail(r);
    simdjson::dom::parser parser;
    std::string_view id;
    if (parser.parse(r.body)["Id"].get(id) == simdjson::SUCCESS)
      std::cout << id << "\n";
    return ok;
  }
  if (verb == "list") {
    auto r = client.send("GET", "/api/retentionpolicies", "");
    if (r.status != 200)
      return fail(r);
    simdjson::dom::parser parser;
    simdjson::dom::array list;
    if (parser.parse(r.body).get(list) != simdjson::SUCCESS) {
      std::cerr << "cairn retention: unexpected answer: " << r.body << "\n";
      return failure;
    }
    std::printf("%-34s %-14s %-22s %s\n", "ID", "AFTER (ms)", "SIGNAL", "FILTER");
    for (auto p : list) {
      std::string_view id, filter, signal;
      int64_t ms = 0;
      // Missing fields print empty: the listing stays readable.
      if (p["Id"].get(id) || p["Filter"].get(filter) || p["SignalId"].get(signal) ||
          p["RetentionMilliseconds"].get(ms)) {
      }
      std::printf("%-34.*s %-14lld %-22.*s %.*s\n", static_cast<int>(id.size()), id.data(),
                  static_cast<long long>(ms), static_cast<int>(signal.size()), signal.data(),
                  static_cast<int>(filter.size()), filter.data());
    }
    return ok;
  }
  if (verb == "remove") {
    if (a.positional().size() != 1)
      throw usage_error{"usage: cairn retention remove ID"};
    auto r = client.send("DELETE", "/api/retentionpolicies/" + url_encode(a.positional()[0]), "");
    if (r.status != 200)
      return fail(r);
    return ok;
  }
  throw usage_error{"unknown retention verb '" + verb + "' (add|list|remove)"};
}

} // namespace cairn::cli
