#pragma once
/// A direct ingest request's answer channel (local-only): the HTTP route
/// sends `(ingest_atom, batch, commit_waiter_ptr)` to the committer with
/// `anon_send` and the committer calls `answer` on its own thread once the
/// batch's group is durably committed (and replicated as `ingest.ack` asks).
///
/// Why not a CAF request: from an I/O thread that needs a short-lived actor
/// to send it and receive the reply, and a request timeout on the clock
/// thread, so each request woke a scheduler worker twice and the clock
/// thread about three times (~8 of ~31 context switches per 1000-event CLEF
/// request, bench/ingest/README.md). Here the committer's thread answers and
/// the answer callback posts to the session's strand: I/O thread ->
/// committer -> I/O thread.
///
/// Lifetime: shared by the message and the committer's pending group; the
/// last holder destroys it. A waiter destroyed unanswered (the committer's
/// mailbox was dropped: the actor is gone, e.g. at shutdown) answers with a
/// 503, so every request gets exactly one answer. The commit deadline
/// (net/commit_deadline.hpp) may answer first with `expire`; the
/// committer's later `answer` then only marks the commit settled.
#include "actors/messages.hpp"

#include <atomic>
#include <functional>
#include <memory>

namespace cairn {

class commit_waiter {
public:
  using callback = std::function<void(const commit_result&)>;

  explicit commit_waiter(callback on_answer) : on_answer_(std::move(on_answer)) {
  }

  commit_waiter(const commit_waiter&) = delete;
  commit_waiter& operator=(const commit_waiter&) = delete;

  ~commit_waiter() {
    if (!answered_.exchange(true)) {
      commit_result r;
      r.http_status = 503;
      r.error = "the ingest committer did not answer (shutting down?)";
      on_answer_(r);
    }
  }

  /// The committer's answer: calls the callback with `r` unless the
  /// deadline answered already, and marks the commit settled either way.
  void answer(const commit_result& r) {
    settled_.store(true, std::memory_order_release);
    if (!answered_.exchange(true))
      on_answer_(r);
  }

  /// The deadline's answer: true if `r` was delivered (nothing had answered).
  bool expire(const commit_result& r) {
    if (answered_.exchange(true))
      return false;
    on_answer_(r);
    return true;
  }

  bool answered() const noexcept { return answered_.load(std::memory_order_acquire); }
  /// The committer got to this request (committed it or failed it).
  bool settled() const noexcept { return settled_.load(std::memory_order_acquire); }

private:
  callback on_answer_;
  std::atomic<bool> answered_{false};
  std::atomic<bool> settled_{false};
};

/// Copyable handle carried in the ingest message.
using commit_waiter_ptr = std::shared_ptr<commit_waiter>;

} // namespace cairn

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(cairn::commit_waiter_ptr)
