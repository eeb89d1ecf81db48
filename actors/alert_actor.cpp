#include "actors/alert_actor.hpp"

#include "actors/alert_schedule.hpp"
#include "actors/alert_smtp.hpp"
#include "actors/internal_ingest.hpp"
#include "actors/alert_webhook.hpp"
#include "actors/messages.hpp"
#include "actors/store_source.hpp"
#include "query/executor.hpp"
#include "storage/json_escape.hpp"
#include "query/parse_error.hpp"
#include "query/result_json.hpp"
#include "storage/event_record.hpp"
#include "storage/meta/metastore.hpp"
#include "query/query_plan.hpp"

#include <simdjson.h>
#include <spdlog/spdlog.h>

#include <ctime>

namespace cairn {

namespace {

int64_t unix_ms_now() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
           std::chrono::system_clock::now().time_since_epoch())
    .count();
}


std::string iso_ms(int64_t ms) {
  std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[96]; // sized for any int fields: no truncation warning
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<int>(ms % 1000));
  return buf;
}

/// The webhook URL of an alert's notification settings ("" = none).
std::string webhook_of(const meta::alert_info& a) {
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  std::string_view url;
  if (parser.parse(a.notification_json).get(root) || root["webhook"].get(url))
    return {};
  return std::string{url};
}

/// The app command of an alert's notification settings ("" = none).
std::string app_of(const meta::alert_info& a) {
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  std::string_view cmd;
  if (parser.parse(a.notification_json).get(root) || root["app"].get(cmd))
    return {};
  return std::string{cmd};
}

/// The filter of a feed alert (Notify.events): its app receives the
/// matching events of every window instead of notifications. nullopt: not
/// a feed alert.
std::optional<std::string> feed_filter_of(const meta::alert_info& a) {
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  std::string_view filter;
  if (parser.parse(a.notification_json).get(root) || root["events"].get(filter))
    return std::nullopt;
  return std::string{filter};
}

/// Marks a decided feed window whose events are not yet handed to the app.
constexpr std::string_view feed_marker = "feed";

/// One stored event as a CLEF line.
std::string clef_event(const storage::record_view& e) {
  using storage::field;
  std::string out = "{\"@t\":\"" + iso_ms(e.timestamp() / 1000000) + "\"";
  auto add = [&](const char* name, field f) {
    auto v = e.get(f);
    if (v.empty())
      return;
    out += ",\"";
    out += name;
    out += "\":\"";
    json_escape_into(out, v);
    out += '"';
  };
  add("@mt", field::message_template);
  add("@m", field::message);
  add("@l", field::level);
  add("@x", field::exception);
  add("@tr", field::trace_id);
  add("@sp", field::span_id);
  auto props = e.get(field::properties);
  // Properties are stored as one JSON object: splice its members in.
  if (props.size() > 2 && props.front() == '{' && props.back() == '}') {
    out += ',';
    out.append(props.substr(1, props.size() - 2));
  }
  out += '}';
  return out;
}

/// Writes the events of feed window (end - interval, end] matching
/// `filter` to `app`, oldest first; false if the app is gone.
bool feed_window(const alert_state& st, const meta::alert_info& a, const std::string& filter,
                 app_process& app) {
  auto end = a.last_window_end_ms;
  auto plan = query::query_plan::compile_filter(filter.empty() ? "true" : filter, end * 1000000);
  store_source source{st.opts.store};
  query::query_options opts;
  // Slices of one interval tile the time line, so no event is fed twice
  // even when the alert's window is longer than its interval.
  opts.from_ns = (end - a.interval_ms) * 1000000;
  opts.to_ns = end * 1000000;
  opts.max_memory_bytes = st.opts.max_query_memory;
  query::search_options so;
  so.count = 1000000;
  auto hits = query::search(*plan, source, opts, so);
  for (auto it = hits.rbegin(); it != hits.rend(); ++it) {
    storage::record_view view;
    if (!view.parse(it->record.data(), it->record.size()))
      continue;
    if (!app.write_line(clef_event(view)))
      return false;
  }
  return true;
}

/// The CLEF line an app receives for a notification.
std::string clef_notification(const meta::alert_info& a) {
  // pending_json is an object starting with "{\"AlertId\"": prepend the
  // CLEF properties.
  return "{\"@t\":\"" + iso_ms(a.last_window_end_ms) +
         "\",\"@mt\":\"Alert {Title} fired\",\"@l\":\"Warning\"," + a.pending_json.substr(1);
}

/// Stores what the apps printed as events, through the committer.
void forward_app_output(caf::stateful_actor<alert_state>* self) {
  auto& st = self->state;
  for (auto& [command, app] : st.apps) {
    auto lines = app->read_lines();
    if (lines.empty())
      continue;
    if (!st.opts.committer) {
      spdlog::info("apps: '{}' printed {} line(s) (no committer)", command, lines.size());
      continue;
    }
    storage::record_batch batch;
    clef_lines_to_batch(lines, "App", command, batch);
    commit_internal(self, st.opts.committer, std::move(batch), "apps: output of '" + command + "'");
  }
}

/// The notification body of a fired window.
std::string notification(const meta::alert_info& a, int64_t end_ms, const std::string& result) {
  std::string out = "{\"AlertId\":\"";
  json_escape_into(out, a.id);
  out += "\",\"Title\":\"";
  json_escape_into(out, a.title);
  out += "\",\"Query\":\"";
  json_escape_into(out, a.query);
  out += "\",\"WindowStart\":\"" + iso_ms(end_ms - a.window_ms) + "\",\"WindowEnd\":\"" +
         iso_ms(end_ms) + "\",\"WindowEndMs\":" + std::to_string(end_ms) +
         ",\"Result\":" + result + "}";
  return out;
}

/// Runs the alert query over window [end - window, end); the result JSON
/// if any row matched, nullopt otherwise.
std::optional<std::string> evaluate(const alert_state& st, const meta::alert_info& a,
                                    int64_t end_ms) {
  store_source source{st.opts.store};
  query::query_options opts;
  opts.from_ns = (end_ms - a.window_ms) * 1000000;
  opts.to_ns = end_ms * 1000000;
  opts.max_memory_bytes = st.opts.max_query_memory;
  auto result = query::run_query(a.query, source, opts, opts.to_ns);
  if (result.rows.empty())
    return std::nullopt;
  return query::to_seq_json(result);
}

/// Mails the notification of `a` through `mail`.
webhook_result send_email(const alert_state& st, const meta::alert_info& a,
                          const email_output& mail) {
  std::string password;
  if (!mail.password_secret.empty()) {
    auto secret = st.opts.read_secret ? st.opts.read_secret(mail.password_secret) : std::nullopt;
    if (!secret)
      return {0, "smtp: secret '" + mail.password_secret + "' is not set on this node"};
    password = std::move(*secret);
  }
  return send_mail(mail, password, compose_alert_mail(mail, a.pending_json, unix_ms_now()),
                   st.opts.smtp_timeout);
}

/// Sends the pending notification of `a` to every output that has not taken
/// it yet, if its backoff allows; returns whether nothing is pending
/// afterwards.
bool deliver_pending(alert_state& st, const meta::alert_info& a) {
  auto now = std::chrono::steady_clock::now();
  auto& d = st.deliveries[a.id];
  if (now < d.next_at)
    return false;
  bool feed = a.pending_json == feed_marker;
  std::string errors;
  auto failed = [&](const std::string& e) { errors += (errors.empty() ? "" : "; ") + e; };
  std::string outputs;
  auto used = [&](const char* name) { outputs += (outputs.empty() ? "" : ",") + std::string{name}; };
  if (auto cmd = app_of(a); !cmd.empty()) {
    used("app");
    if (!d.app_done) {
      auto& app = st.apps[cmd];
      if (!app)
        app = std::make_unique<app_process>(cmd);
      bool written = false;
      try {
        written = feed ? feed_window(st, a, feed_filter_of(a).value_or(""), *app)
                       : app->write_line(clef_notification(a));
      } catch (const query::query_error& e) {
        spdlog::error("alerts: {}: feed filter failed: {}", a.id, e.what());
        written = true; // retrying cannot fix the filter
      }
      if (written)
        d.app_done = true;
      else
        failed("app '" + cmd + "' is not running");
    }
  }
  // Feeds go to apps only.
  if (auto url = webhook_of(a); !url.empty() && !feed) {
    used("webhook");
    if (!d.webhook_done) {
      auto r = post_json(url, a.pending_json, st.opts.webhook_timeout);
      if (r.ok())
        d.webhook_done = true;
      else
        failed("webhook: " + r.error);
    }
  }
  std::optional<email_output> mail;
  if (auto err = parse_email_output(a.notification_json, mail); err && !feed)
    failed("email: " + *err); // stored before validation existed: give up below
  if (mail && !feed) {
    used("email");
    if (!d.email_done) {
      auto r = send_email(st, a, *mail);
      if (r.ok())
        d.email_done = true;
      else
        failed(r.error);
    }
  }
  auto finish = [&](std::string error) {
    if (!feed)
      st.opts.board->add_sent({a.id, a.title, a.last_window_end_ms, unix_ms_now(), outputs,
                               std::move(error)});
    st.deliveries.erase(a.id);
  };
  if (errors.empty()) {
    if (auto cleared = st.meta->clear_alert_pending(a.id, a.last_window_end_ms); !cleared) {
      spdlog::warn("alerts: {}: cannot clear the delivered notification: {}", a.id,
                   cleared.error().message);
      return false;
    }
    if (!feed)
      spdlog::info("alerts: {} ({}) window {} notified ({})", a.id, a.title,
                   iso_ms(a.last_window_end_ms), outputs.empty() ? "no outputs" : outputs);
    st.opts.board->clear_error(a.id);
    finish({});
    return true;
  }
  ++d.attempts;
  st.opts.board->set_error(a.id, {errors, unix_ms_now(), d.attempts});
  if (d.attempts >= st.opts.max_attempts) {
    spdlog::error("alerts: {}: giving up the notification of window {} after {} attempts: {}",
                  a.id, iso_ms(a.last_window_end_ms), d.attempts, errors);
    (void)st.meta->clear_alert_pending(a.id, a.last_window_end_ms);
    finish("gave up after " + std::to_string(d.attempts) + " attempts: " + errors);
    return true;
  }
  auto delay = retry_delay_ms(d.attempts, 200, 30000);
  d.next_at = now + std::chrono::milliseconds(delay);
  spdlog::warn("alerts: {}: delivery attempt {} failed ({}); retrying in {} ms", a.id, d.attempts,
               errors, delay);
  return false;
}

/// Decides the due windows of one alert, in order (see the header).
void run_alert(alert_state& st, meta::alert_info a, int64_t now_ms) {
  if (!a.pending_json.empty() && !deliver_pending(st, a))
    return;
  a.pending_json.clear();
  for (auto end : due_windows(a.last_window_end_ms, a.created_ms, a.interval_ms, now_ms,
                              st.opts.settle_ms, 32)) {
    std::optional<std::string> hit;
    try {
      hit = evaluate(st, a, end);
    } catch (const query::query_error& e) {
      // A broken query would otherwise stall the schedule forever: the
      // window counts as not fired and the error is logged each time.
      spdlog::error("alerts: {} ({}): query failed for window {}: {}", a.id, a.title,
                    iso_ms(end), e.what());
    }
    auto o = decide_window(hit.has_value(), end, a.last_fired_ms, a.suppressed_until_ms,
                           a.suppression_ms);
    std::string pending = o.fire ? notification(a, end, *hit) : std::string{};
    if (feed_filter_of(a))
      pending = feed_marker; // every window of a feed goes to its app
    auto decided = st.meta->decide_alert_window(a.id, a.last_window_end_ms, end,
                                                o.last_fired_ms, o.suppressed_until_ms, pending);
    if (!decided || !*decided) {
      // Another evaluator moved on (or the row is gone): re-read next round.
      if (!decided)
        throw std::runtime_error(decided.error().message);
      return;
    }
    a.last_window_end_ms = end;
    a.last_fired_ms = o.last_fired_ms;
    a.suppressed_until_ms = o.suppressed_until_ms;
    if (!pending.empty()) {
      if (o.fire)
        spdlog::info("alerts: {} ({}) fired for window {}", a.id, a.title, iso_ms(end));
      a.pending_json = std::move(pending);
      if (!deliver_pending(st, a))
        return;
      a.pending_json.clear();
    }
  }
}

/// One round over every enabled alert.
void run_round(caf::stateful_actor<alert_state>* self) {
  auto& st = self->state;
  try {
    if (!st.meta) {
      auto opened = meta::metastore::open(st.opts.metastore_uri);
      if (!opened) {
        spdlog::warn("alerts: cannot open the metastore: {}", opened.error().message);
        return;
      }
      st.meta = std::make_shared<meta::metastore>(std::move(*opened));
    }
    auto alerts = st.meta->list_alerts();
    if (!alerts)
      throw std::runtime_error(alerts.error().message);
    auto now = unix_ms_now();
    // Deactivation waits for the round (one thread): bound it, the alerts
    // not reached run next round, still in window order.
    auto deadline = std::chrono::steady_clock::now() + st.opts.round_budget;
    for (auto& a : *alerts) {
      if (std::chrono::steady_clock::now() > deadline)
        break;
      if (!a.is_disabled && a.interval_ms > 0 && a.window_ms > 0)
        run_alert(st, std::move(a), now);
    }
    forward_app_output(self);
  } catch (const std::exception& e) {
    // Reconnect next round: the session may be broken.
    spdlog::warn("alerts: round failed: {}", e.what());
    st.meta.reset();
  }
}

} // namespace

caf::behavior alert_actor(caf::stateful_actor<alert_state>* self, alert_options opts) {
  self->state.opts = std::move(opts);
  return {
    [=](activate_atom, int64_t epoch) {
      auto& st = self->state;
      st.active = true;
      ++st.activation;
      st.deliveries.clear();
      spdlog::info("alerts: evaluating alerts (epoch {})", epoch);
      self->send(self, tick_atom::value, st.activation);
      return true;
    },
    [=](deactivate_atom) {
      auto& st = self->state;
      st.active = false;
      st.meta.reset();
      st.apps.clear(); // stops them: only the leader runs apps
      return true;
    },
    [=](tick_atom, uint64_t activation) {
      auto& st = self->state;
      if (!st.active || activation != st.activation)
        return;
      run_round(self);
      self->delayed_send(self, st.opts.poll, tick_atom::value, activation);
    },
  };
}

} // namespace cairn
