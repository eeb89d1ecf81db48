#pragma once
/// The email output of alerts: its settings (the `email` object of an
/// alert's Notify JSON) and the RFC 5322 message a fired window becomes.
/// Sending is actors/alert_smtp.hpp; this part is pure so it is tested
/// without a server.
///
/// Notify.email keys:
///   host (required), port (default 25, 465 with tls=implicit),
///   from (required), to (required: a string or a list of addresses),
///   subject (template, default "[Cairn] {Title}"; placeholders {Title},
///            {AlertId}, {WindowStart}, {WindowEnd}, {Query}),
///   tls: "none" (default) | "starttls" (required, fails if the server does
///        not offer it) | "implicit" (smtps),
///   caFile (PEM bundle that verifies the server; default: the system's),
///   username, passwordSecret (name of a secret set with
///        `cairn secret set -k NAME -v PASSWORD` on every node that can
///        lead: the password is never stored in the alert definition).
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cairn {

/// How the SMTP connection is protected.
enum class smtp_tls : uint8_t { none, starttls, implicit };

/// Where and how an alert's notification is mailed.
struct email_output {
  std::string host;
  int port = 25;
  std::string from;
  std::vector<std::string> to;
  std::string subject = "[Cairn] {Title}";
  smtp_tls tls = smtp_tls::none;
  std::string ca_file;
  std::string username;
  std::string password_secret;
};

/// Reads the `email` member of an alert's Notify JSON. nullopt in `out`
/// (and no error) when there is none; an error text when it is invalid.
std::optional<std::string> parse_email_output(std::string_view notify_json,
                                              std::optional<email_output>& out);

/// Replaces {Name} placeholders of `tmpl` with the notification's fields
/// (unknown ones stay as written); CR and LF become spaces so a title can
/// never inject a header.
std::string render_subject(std::string_view tmpl, std::string_view notification_json);

/// The plain-text body: what fired, the window, the query and the result
/// rows as an aligned table (time-grouped results: one table per slice).
std::string render_mail_body(std::string_view notification_json);

/// The whole message (headers, CRLF line ends, UTF-8 body) for one fired
/// window. `date_ms` is the Date header; the Message-ID is derived from the
/// alert id and window end, so a re-sent notification can be recognised.
std::string compose_alert_mail(const email_output& o, std::string_view notification_json,
                               int64_t date_ms);

} // namespace cairn
