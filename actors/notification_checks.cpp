#include "actors/notification_checks.hpp"

#include "storage/json_escape.hpp"

#include <fmt/format.h>
#include <sys/statvfs.h>

#include <algorithm>
#include <charconv>
#include <cmath>

namespace cairn {

namespace {

constexpr std::string_view kind_names[] = {"DiskUsage", "ReplicationLag", "NoUpToDateFollower"};

/// One decimal is plenty for percentages and seconds and keeps messages short.
double round1(double v) {
  return std::round(v * 10.0) / 10.0;
}

bool follower_kind(notification_kind k) {
  return k != notification_kind::disk_usage;
}

/// Names go into a tab-separated line: no tabs or line breaks inside.
std::string flat(std::string_view s) {
  std::string out{s};
  for (auto& c : out)
    if (c == '\t' || c == '\n' || c == '\r')
      c = ' ';
  return out;
}

/// The message template of a start or a clear.
std::string_view message_template(notification_kind k, bool active) {
  switch (k) {
    case notification_kind::disk_usage:
      return active ? "Cairn notification: disk usage {Value}% above {Threshold}% on {Node}"
                    : "Cairn notification cleared: disk usage {Value}% within {Threshold}% on "
                      "{Node}";
    case notification_kind::replication_lag:
      return active ? "Cairn notification: follower {Follower} is {Value} s behind leader {Node} "
                      "(over {Threshold} s)"
                    : "Cairn notification cleared: follower {Follower} is {Value} s behind "
                      "leader {Node} (within {Threshold} s)";
    case notification_kind::no_up_to_date_follower:
      return active ? "Cairn notification: no up-to-date follower of leader {Node} (lag under "
                      "{Threshold} s)"
                    : "Cairn notification cleared: {Value} up-to-date follower(s) of leader "
                      "{Node}";
  }
  return {};
}

} // namespace

std::string_view kind_name(notification_kind k) {
  return kind_names[static_cast<size_t>(k)];
}

std::optional<notification_kind> parse_kind(std::string_view name) {
  for (size_t i = 0; i < std::size(kind_names); ++i)
    if (kind_names[i] == name)
      return static_cast<notification_kind>(i);
  return std::nullopt;
}

notification_check evaluate_notifications(const notification_inputs& in,
                                          const notification_thresholds& t,
                                          const std::vector<notification>& before,
                                          int64_t now_ms) {
  notification_check out;
  auto& now = out.active;
  // Records a measurement; adds it to the active set if it holds, keeping
  // the start time of a condition that already held.
  auto measure = [&](notification n, bool holds) {
    n.since_ms = now_ms;
    for (const auto& b : before)
      if (b.same_as(n))
        n.since_ms = b.since_ms;
    out.measured.push_back(n);
    if (holds)
      now.push_back(std::move(n));
  };
  // 1. Disk of this node; carried over when it could not be measured.
  if (in.disk_used_percent) {
    measure({notification_kind::disk_usage, in.node, round1(*in.disk_used_percent), t.disk_percent},
            *in.disk_used_percent > t.disk_percent);
  } else {
    for (const auto& b : before)
      if (b.kind == notification_kind::disk_usage && b.subject == in.node)
        now.push_back(b);
  }
  // 2. Followers; carried over during the grace after activation, when
  // peers may not have connected yet.
  if (!in.check_followers) {
    for (const auto& b : before)
      if (follower_kind(b.kind))
        now.push_back(b);
    return out;
  }
  size_t up_to_date = 0;
  for (const auto& f : in.followers) {
    bool lagging = f.lag_seconds > t.lag_seconds;
    measure({notification_kind::replication_lag, f.name, round1(f.lag_seconds), t.lag_seconds},
            lagging);
    if (!lagging)
      ++up_to_date;
  }
  if (in.configured_peers > 0)
    measure({notification_kind::no_up_to_date_follower, in.node, static_cast<double>(up_to_date),
             t.lag_seconds},
            up_to_date == 0);
  return out;
}

std::vector<notification_transition>
diff_notifications(const std::vector<notification>& before, const std::vector<notification>& now,
                   const std::vector<notification>& measured) {
  std::vector<notification_transition> out;
  for (const auto& n : now)
    if (std::none_of(before.begin(), before.end(), [&](const auto& b) { return b.same_as(n); }))
      out.push_back({n, true});
  for (const auto& b : before) {
    if (std::any_of(now.begin(), now.end(), [&](const auto& n) { return n.same_as(b); }))
      continue;
    auto m = std::find_if(measured.begin(), measured.end(),
                          [&](const auto& x) { return x.same_as(b); });
    out.push_back({m == measured.end() ? b : *m, false});
  }
  return out;
}

std::string notification_clef(const notification_transition& t, std::string_view node,
                              std::string_view at_iso) {
  const auto& n = t.n;
  std::string out = "{\"@t\":";
  append_json_string(out, at_iso);
  out += t.active ? ",\"@l\":\"Warning\",\"@mt\":" : ",\"@l\":\"Information\",\"@mt\":";
  append_json_string(out, message_template(n.kind, t.active));
  out += ",\"NotificationKind\":";
  append_json_string(out, kind_name(n.kind));
  out += ",\"Node\":";
  append_json_string(out, node);
  if (n.kind == notification_kind::replication_lag) {
    out += ",\"Follower\":";
    append_json_string(out, n.subject);
  }
  fmt::format_to(std::back_inserter(out), ",\"Value\":{},\"Threshold\":{},\"Active\":{}}}",
                 n.value, n.threshold, t.active ? "true" : "false");
  return out;
}

std::string serialize_notifications(const std::vector<notification>& active) {
  std::string out;
  for (const auto& n : active)
    fmt::format_to(std::back_inserter(out), "{}\t{}\t{}\t{}\t{}\n", kind_name(n.kind),
                   flat(n.subject), n.value, n.threshold, n.since_ms);
  return out;
}

std::vector<notification> parse_notifications(std::string_view text) {
  std::vector<notification> out;
  while (!text.empty()) {
    auto eol = text.find('\n');
    auto line = text.substr(0, eol);
    text = eol == std::string_view::npos ? std::string_view{} : text.substr(eol + 1);
    std::string_view fields[5];
    size_t count = 0;
    while (count < 5) {
      auto tab = line.find('\t');
      fields[count++] = line.substr(0, tab);
      if (tab == std::string_view::npos)
        break;
      line.remove_prefix(tab + 1);
    }
    if (count != 5)
      continue;
    auto kind = parse_kind(fields[0]);
    notification n;
    auto num = [](std::string_view s, auto& v) {
      auto r = std::from_chars(s.data(), s.data() + s.size(), v);
      return r.ec == std::errc{} && r.ptr == s.data() + s.size();
    };
    if (!kind || !num(fields[2], n.value) || !num(fields[3], n.threshold) ||
        !num(fields[4], n.since_ms))
      continue;
    n.kind = *kind;
    n.subject = fields[1];
    out.push_back(std::move(n));
  }
  return out;
}

std::optional<double> disk_used_percent(const std::string& path) {
  struct statvfs vfs {};
  if (::statvfs(path.c_str(), &vfs) != 0)
    return std::nullopt;
  // As df: blocks reserved for root count neither as used nor available.
  double used = static_cast<double>(vfs.f_blocks - vfs.f_bfree);
  double avail = static_cast<double>(vfs.f_bavail);
  if (used + avail <= 0)
    return std::nullopt;
  return 100.0 * used / (used + avail);
}

} // namespace cairn
