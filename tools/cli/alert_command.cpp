/// `cairn alert add|list|remove` against the node's metastore (the shared
/// PostgreSQL one when configured, else the local SQLite file).
#include "query/parse_error.hpp"
#include "query/query_plan.hpp"
#include "storage/meta/metastore.hpp"
#include "tools/cli/commands.hpp"
#include "tools/cli/node_metastore.hpp"

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>

namespace cairn::cli {

namespace {

int64_t ms_arg(args& a, const char* name, int64_t fallback) {
  auto text = a.get_or(name, std::to_string(fallback));
  try {
    return std::stoll(text);
  } catch (const std::exception&) {
    throw usage_error{std::string{"--"} + name + ": '" + text + "' is not a number of ms"};
  }
}

std::string json_string(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\')
      out += '\\';
    out += c;
  }
  return out + "\"";
}

} // namespace

int alert_command(int argc, char** argv) {
  if (argc < 3)
    throw usage_error{"usage: cairn alert add --title T --query SQL [--window-ms N] "
                      "[--interval-ms N] [--suppression-ms N] [--webhook URL] [--app COMMAND] "
                      "[--events FILTER] "
                      "| list | remove ID"};
  std::string verb = argv[2];
  args a{argc, argv, 3,
         {"title", "query", "window-ms", "interval-ms", "suppression-ms", "webhook", "app", "events"}};
  auto root = a.storage_root();
  std::filesystem::create_directories(root);
  config cfg;
  try {
    cfg = config::load(root);
  } catch (const config_error& e) {
    std::cerr << "cairn alert: " << e.message << "\n";
    return usage;
  }
  auto uri = node_metastore_uri(root, cfg);
  if (!uri) {
    std::cerr << "cairn alert: cannot choose the metastore: " << uri.error().message << "\n";
    return failure;
  }
  auto store = meta::metastore::open(*uri);
  if (!store) {
    std::cerr << "cairn alert: cannot open the metastore: " << store.error().message << "\n";
    return failure;
  }
  if (verb == "add") {
    meta::alert_info al;
    al.title = a.require("title");
    al.query = a.require("query");
    al.window_ms = ms_arg(a, "window-ms", 60000);
    al.interval_ms = ms_arg(a, "interval-ms", al.window_ms);
    al.suppression_ms = ms_arg(a, "suppression-ms", 0);
    if (al.window_ms <= 0 || al.interval_ms <= 0 || al.suppression_ms < 0)
      throw usage_error{"--window-ms and --interval-ms must be positive"};
    try {
      (void)query::query_plan::compile(al.query, 0);
    } catch (const query::query_error& e) {
      throw usage_error{std::string{"--query: "} + e.what()};
    }
    std::string notify;
    if (auto w = a.get("webhook")) {
      if (w->rfind("http://", 0) != 0)
        throw usage_error{"--webhook must be an http:// URL"};
      notify += "\"webhook\":" + json_string(*w);
    }
    if (auto app = a.get("app"))
      notify += (notify.empty() ? "" : ",") + std::string{"\"app\":"} + json_string(*app);
    if (auto events = a.get("events")) {
      // A feed: the app gets each window's events matching this filter.
      if (!a.get("app"))
        throw usage_error{"--events needs --app"};
      try {
        (void)query::query_plan::compile_filter(*events, 0);
      } catch (const query::query_error& e) {
        throw usage_error{std::string{"--events: "} + e.what()};
      }
      notify += ",\"events\":" + json_string(*events);
    }
    al.notification_json = "{" + notify + "}";
    auto created = store->create_alert(al);
    if (!created) {
      std::cerr << "cairn alert: " << created.error().message << "\n";
      return failure;
    }
    std::cout << created->id << "\n";
    return ok;
  }
  if (verb == "list") {
    auto list = store->list_alerts();
    if (!list) {
      std::cerr << "cairn alert: " << list.error().message << "\n";
      return failure;
    }
    std::printf("%-24s %-10s %-10s %-16s %s\n", "ID", "WINDOW", "INTERVAL", "LAST WINDOW END",
                "TITLE");
    for (const auto& al : *list)
      std::printf("%-24s %-10lld %-10lld %-16lld %s\n", al.id.c_str(),
                  static_cast<long long>(al.window_ms), static_cast<long long>(al.interval_ms),
                  static_cast<long long>(al.last_window_end_ms), al.title.c_str());
    return ok;
  }
  if (verb == "remove") {
    if (a.positional().size() != 1)
      throw usage_error{"usage: cairn alert remove ID"};
    auto removed = store->remove_alert(a.positional()[0]);
    if (!removed) {
      std::cerr << "cairn alert: " << removed.error().message << "\n";
      return failure;
    }
    if (!*removed) {
      std::cerr << "cairn alert: no alert " << a.positional()[0] << "\n";
      return failure;
    }
    return ok;
  }
  throw usage_error{"cairn alert: unknown verb '" + verb + "'"};
}

} // namespace cairn::cli
