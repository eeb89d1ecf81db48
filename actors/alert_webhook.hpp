#pragma once
/// One blocking JSON POST to an http:// URL, bounded by a timeout: the
/// built-in webhook output of alerts. Retries and backoff are the caller's
/// (actors/alert_actor.cpp) so that a slow receiver never blocks the
/// alert actor past one attempt.
#include <chrono>
#include <string>

namespace cairn {

/// The outcome of one attempt; `error` is empty on a 2xx answer.
struct webhook_result {
  int status = 0;
  std::string error;
  bool ok() const { return error.empty(); }
};

/// POSTs `json` to `url` (http://host[:port]/path) with Content-Type
/// application/json; the whole exchange is bounded by `timeout`.
webhook_result post_json(const std::string& url, const std::string& json,
                         std::chrono::milliseconds timeout);

} // namespace cairn
