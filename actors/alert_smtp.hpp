#pragma once
/// One blocking SMTP submission through libcurl (its SMTP client handles
/// EHLO, STARTTLS, AUTH and dot-stuffing), bounded by a timeout: the
/// built-in email output of alerts. Like the webhook (alert_webhook.hpp),
/// retries and backoff are the alert actor's, one attempt per round.
#include "actors/alert_email.hpp"
#include "actors/alert_webhook.hpp"

#include <chrono>
#include <string>

namespace cairn {

/// Sends `message` (a complete RFC 5322 text with CRLF line ends) from
/// o.from to every address of o.to through o.host:o.port; `password` is
/// used with o.username when the latter is set. error is empty on success
/// (the server accepted the message for every recipient).
webhook_result send_mail(const email_output& o, const std::string& password,
                         const std::string& message, std::chrono::milliseconds timeout);

} // namespace cairn
