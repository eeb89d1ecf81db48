#include "actors/config.hpp"

#include "storage/json_escape.hpp"

#include <simdjson.h>

#include <algorithm>
#include <array>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace cairn {

namespace {

constexpr std::array registry{
  setting_spec{"api.listenUris", setting_kind::string_list, "http://127.0.0.1:5341",
               "HTTP listen URIs (comma separated on the command line)"},
  setting_spec{"api.readTimeoutMs", setting_kind::integer, "30000",
               "Time a client may take to send a request's body (and to read the response)",
               100, 3600000},
  setting_spec{"api.maxConnections", setting_kind::integer, "1024",
               "Concurrent HTTP connections accepted per node", 1, 1000000},
  setting_spec{"api.maxConnectionsPerIp", setting_kind::integer, "256",
               "Concurrent HTTP connections from one client address (0 = no limit; raise it "
               "behind a reverse proxy)", 0, 1000000},
  setting_spec{"api.headerTimeoutMs", setting_kind::integer, "10000",
               "Time a client may take to send a request's line and headers (and to start "
               "its next keep-alive request)", 100, 3600000},
  setting_spec{"api.maxHeaderBytes", setting_kind::integer, "16384",
               "Largest request line plus headers; larger gets 431 (414 for the URL)", 1024,
               1 << 20},
  setting_spec{"api.maxUrlBytes", setting_kind::integer, "8192",
               "Largest request URL; longer gets 414", 256, 1 << 20},
  setting_spec{"api.certificatePath", setting_kind::string, "",
               "PEM certificate chain served on https:// listen URIs"},
  setting_spec{"api.privateKeyPath", setting_kind::string, "",
               "PEM private key of api.certificatePath"},
  setting_spec{"diagnostics.logLevel", setting_kind::enumeration, "info",
               "Server log level", 0, 0, "trace|debug|info|warn|error|critical|off", false},
  setting_spec{"diagnostics.otlpEndpoint", setting_kind::string, "",
               "OTLP/HTTP endpoint that receives Cairn's own query spans (empty = off)"},
  setting_spec{"storage.secretKey", setting_kind::string, "",
               "Base64 key that encrypts secrets at rest (cairn show-key --generate)"},
  setting_spec{"storage.mapSizeBytes", setting_kind::integer, "68719476736",
               "LMDB map size of the event store", 1 << 20, INT64_MAX},
  setting_spec{"storage.indexIntervalMs", setting_kind::integer, "2000",
               "How often indexers fold buffered events into blocks", 10, 3600000},
  setting_spec{"ingest.maxBodyBytes", setting_kind::integer, "10485760",
               "Largest accepted request body (after gzip decoding); larger gets 413", 1024,
               1LL << 32},
  setting_spec{"ingest.maxEventBytes", setting_kind::integer, "262144",
               "Largest accepted single event; larger gets 400", 256, 16 << 20},
  setting_spec{"ingest.commitTimeoutMs", setting_kind::integer, "15000",
               "How long an ingest request waits for its durable commit before a 503 (a stalled "
               "disk); new requests get 503 at once until the stalled commit finishes", 100, 3600000},
  setting_spec{"ingest.ack", setting_kind::enumeration, "leader",
               "When a batch is acknowledged: leader (local fsync) or quorum", 0, 0,
               "leader|quorum"},
  setting_spec{"query.timeoutMs", setting_kind::integer, "60000",
               "Longest time a query may run", 10, 86400000},
  setting_spec{"query.shareTimeoutMs", setting_kind::integer, "5000",
               "How long the leader waits for a node's share of a distributed query before "
               "running it itself", 100, 86400000},
  setting_spec{"query.distribute", setting_kind::boolean, "true",
               "Split queries across up-to-date replicas (the leader plans and merges)", 0, 0},
  setting_spec{"storage.retentionIntervalMs", setting_kind::integer, "60000",
               "How often the leader applies retention policies on every replica", 100,
               86400000},
  setting_spec{"query.maxMemoryBytes", setting_kind::integer, "1073741824",
               "Memory a single query may use for groups and distinct sets", 1 << 20,
               INT64_MAX},
  setting_spec{"query.memoBytes", setting_kind::integer, "67108864",
               "Memory for memoized per-block partial results of queries (0 = off)", 0,
               INT64_MAX},
  setting_spec{"cluster.leaseMs", setting_kind::integer, "10000",
               "Leader lease length", 500, 600000},
  setting_spec{"cluster.tickMs", setting_kind::integer, "1000",
               "Clock tick: lease renewal and heartbeat period", 50, 60000},
  setting_spec{"cluster.replication", setting_kind::integer, "3",
               "Replicas per shard (capped by the node count)", 1, 7},
  setting_spec{"cluster.shards", setting_kind::integer, "12",
               "Shards the stream is split into (ids in runs of 1024 go round-robin to them); "
               "placement is per shard. Fixed for the cluster's life", 1, 64},
  setting_spec{"cluster.commandDeadlineMs", setting_kind::integer, "30000",
               "Deadline after which a stuck role-change command terminates the node", 100,
               3600000},
  setting_spec{"cluster.commandQueueCapacity", setting_kind::integer, "64",
               "Bound of the node command queue", 2, 100000},
  setting_spec{"cluster.listenUri", setting_kind::string, "",
               "host:port of this node's cluster (CAF middleman) port; empty = single node"},
  setting_spec{"cluster.internalApiUri", setting_kind::string, "",
               "http:// URI peers use to reach this node's API (default: first api.listenUris)"},
  setting_spec{"cluster.peers", setting_kind::string_list, "",
               "host:port cluster ports of the other nodes"},
  setting_spec{"cluster.peerInternalApis", setting_kind::string_list, "",
               "http:// internal API URIs of the other nodes"},
  setting_spec{"cluster.certificatePath", setting_kind::string, "",
               "PEM certificate of this node for TLS on the cluster port (empty = plain TCP)"},
  setting_spec{"cluster.privateKeyPath", setting_kind::string, "",
               "PEM private key of cluster.certificatePath"},
  setting_spec{"cluster.caPath", setting_kind::string, "",
               "PEM CA certificate(s) that peers' cluster certificates must be signed by"},
  setting_spec{"node.name", setting_kind::string, "", "This node's name (default: host name)"},
  setting_spec{"node.shardId", setting_kind::string, "",
               "Shard identity; a replacement node takes over the shards of the node it replaces"},
  setting_spec{"node.manualLeader", setting_kind::boolean, "false",
               "Manual (DR) mode: hold the lease permanently until `cairn node demote`"},
  setting_spec{"notifications.checkIntervalMs", setting_kind::integer, "10000",
               "How often the leader checks its own health (disk, followers) for notifications",
               100, 3600000},
  setting_spec{"notifications.replicationLagSeconds", setting_kind::integer, "60",
               "A follower further behind than this raises a ReplicationLag notification; no "
               "follower within it raises NoUpToDateFollower", 1, 86400},
  setting_spec{"notifications.diskUsagePercent", setting_kind::integer, "90",
               "Storage file system usage above this raises a DiskUsage notification", 1, 100},
};

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

std::string env_name(std::string_view key) {
  std::string out = "CAIRN_";
  for (char c : key)
    out.push_back(c == '.' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
  return out;
}

std::vector<std::string> split_list(std::string_view text) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t comma = text.find(',', pos);
    if (comma == std::string_view::npos)
      comma = text.size();
    auto item = text.substr(pos, comma - pos);
    while (!item.empty() && item.front() == ' ')
      item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ')
      item.remove_suffix(1);
    if (!item.empty())
      out.emplace_back(item);
    pos = comma + 1;
  }
  return out;
}

std::string json_escape(std::string_view s) {
  std::string out;
  json_escape_into(out, s);
  return out;
}

const setting_spec& require_setting(std::string_view key) {
  if (auto* s = find_setting(key))
    return *s;
  throw config_error{"unknown configuration key '" + std::string{key} +
                     "' (see `cairn config list` for the known keys)"};
}

} // namespace

std::span<const setting_spec> settings_registry() {
  return registry;
}

const setting_spec* find_setting(std::string_view key) {
  for (const auto& s : registry)
    if (iequals(s.key, key))
      return &s;
  return nullptr;
}

std::optional<std::string> validate_setting(const setting_spec& spec, std::string_view value) {
  switch (spec.kind) {
    case setting_kind::integer: {
      if (value.empty())
        return std::string{"expected an integer"};
      char* end = nullptr;
      std::string text{value};
      errno = 0;
      long long v = std::strtoll(text.c_str(), &end, 10);
      if (errno || *end)
        return "'" + text + "' is not an integer";
      if (v < spec.min || v > spec.max)
        return "'" + text + "' is out of range [" + std::to_string(spec.min) + ", " +
               std::to_string(spec.max) + "]";
      return std::nullopt;
    }
    case setting_kind::boolean:
      if (value == "true" || value == "false")
        return std::nullopt;
      return "'" + std::string{value} + "' is not true or false";
    case setting_kind::enumeration:
      for (auto& choice : split_list([&] {
             std::string c = spec.choices;
             std::replace(c.begin(), c.end(), '|', ',');
             return c;
           }()))
        if (choice == value)
          return std::nullopt;
      return "'" + std::string{value} + "' is not one of " + spec.choices;
    case setting_kind::string_list:
      for (auto& item : split_list(value))
        if ((spec.key == std::string_view{"api.listenUris"} ||
             spec.key == std::string_view{"cluster.peerInternalApis"}) &&
            item.rfind("http://", 0) != 0 && item.rfind("https://", 0) != 0)
          return "'" + item + "' is not an http:// or https:// URI";
      return std::nullopt;
    case setting_kind::string:
      return std::nullopt;
  }
  return std::nullopt;
}

std::string config::file_path(const std::string& storage_root) {
  return (std::filesystem::path{storage_root} / "cairn.json").string();
}

config config::load(const std::string& storage_root, bool apply_env) {
  config cfg;
  auto path = file_path(storage_root);
  if (std::filesystem::exists(path)) {
    simdjson::dom::parser parser;
    simdjson::dom::element root;
    if (auto err = parser.load(path).get(root))
      throw config_error{path + ": not valid JSON (" + simdjson::error_message(err) + ")"};
    simdjson::dom::object sections;
    if (root.get_object().get(sections))
      throw config_error{path + ": the top level must be an object of sections"};
    for (auto [section, body] : sections) {
      simdjson::dom::object keys;
      if (body.get_object().get(keys))
        throw config_error{path + ": section '" + std::string{section} + "' must be an object"};
      for (auto [name, value] : keys) {
        std::string key = std::string{section} + "." + std::string{name};
        const auto& spec = require_setting(key);
        std::string text;
        if (value.is_string()) {
          text = std::string{value.get_string().value()};
        } else if (value.is_array()) {
          for (auto item : value.get_array()) {
            if (!item.is_string())
              throw config_error{path + ": " + key + " must be a list of strings"};
            if (!text.empty())
              text += ",";
            text += std::string{item.get_string().value()};
          }
        } else if (value.is_bool()) {
          text = value.get_bool().value() ? "true" : "false";
        } else if (value.is_int64()) {
          text = std::to_string(value.get_int64().value());
        } else {
          throw config_error{path + ": " + key + " has a value of the wrong type"};
        }
        if (auto err = validate_setting(spec, text))
          throw config_error{path + ": bad value for " + spec.key + ": " + *err};
        cfg.file_values_[spec.key] = text;
      }
    }
  }
  if (apply_env) {
    for (const auto& spec : registry) {
      if (const char* v = std::getenv(env_name(spec.key).c_str())) {
        if (auto err = validate_setting(spec, v))
          throw config_error{"bad value in " + env_name(spec.key) + ": " + *err};
        cfg.env_values_[spec.key] = v;
      }
    }
  }
  return cfg;
}

void config::save(const std::string& storage_root) const {
  std::map<std::string, std::vector<std::pair<std::string, const std::string*>>> sections;
  for (const auto& [key, value] : file_values_) {
    auto dot = key.find('.');
    sections[key.substr(0, dot)].emplace_back(key.substr(dot + 1), &value);
  }
  std::ostringstream out;
  out << "{\n";
  size_t si = 0;
  for (const auto& [section, entries] : sections) {
    out << "  \"" << section << "\": {\n";
    for (size_t i = 0; i < entries.size(); ++i) {
      const auto& [name, value] = entries[i];
      const auto& spec = require_setting(section + "." + name);
      out << "    \"" << name << "\": ";
      switch (spec.kind) {
        case setting_kind::integer:
        case setting_kind::boolean:
          out << *value;
          break;
        case setting_kind::string_list: {
          out << "[";
          auto items = split_list(*value);
          for (size_t j = 0; j < items.size(); ++j)
            out << (j ? ", " : "") << "\"" << json_escape(items[j]) << "\"";
          out << "]";
          break;
        }
        default:
          out << "\"" << json_escape(*value) << "\"";
      }
      out << (i + 1 < entries.size() ? ",\n" : "\n");
    }
    out << "  }" << (++si < sections.size() ? ",\n" : "\n");
  }
  out << "}\n";
  std::filesystem::create_directories(storage_root);
  // Write then rename so a crash never leaves a half-written config.
  auto path = file_path(storage_root);
  auto tmp = path + ".tmp";
  {
    std::ofstream f{tmp, std::ios::trunc};
    f << out.str();
    if (!f)
      throw config_error{"cannot write " + tmp};
  }
  std::filesystem::rename(tmp, path);
}

void config::set(std::string_view key, std::string_view value) {
  const auto& spec = require_setting(key);
  if (auto err = validate_setting(spec, value))
    throw config_error{"bad value for " + std::string{spec.key} + ": " + *err};
  file_values_[spec.key] = std::string{value};
}

std::string config::get(std::string_view key) const {
  const auto& spec = require_setting(key);
  if (auto i = env_values_.find(spec.key); i != env_values_.end())
    return i->second;
  if (auto i = file_values_.find(spec.key); i != file_values_.end())
    return i->second;
  return spec.default_value;
}

int64_t config::get_int(std::string_view key) const {
  return std::strtoll(get(key).c_str(), nullptr, 10);
}

bool config::get_bool(std::string_view key) const {
  return get(key) == "true";
}

std::vector<std::string> config::get_list(std::string_view key) const {
  return split_list(get(key));
}

bool config::is_set_in_file(std::string_view key) const {
  const auto& spec = require_setting(key);
  return file_values_.count(spec.key) > 0;
}

} // namespace cairn
