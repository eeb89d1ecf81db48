#include "net/tls_guard.hpp"

#include <atomic>
#include <cstdint>
#include <cstdlib>

#include <dlfcn.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

namespace {

std::atomic<int64_t> deadline_ms{cairn::net::default_handshake_deadline.count()};

using io_fn = int (*)(SSL*, void*, int);
using write_fn = int (*)(SSL*, const void*, int);
using handshake_fn = int (*)(SSL*);

/// libssl's own definition of `name`, the one these guards shadow.
template <class F>
F next_symbol(const char* name) {
  auto f = reinterpret_cast<F>(dlsym(RTLD_NEXT, name));
  // Without libssl's function there is nothing to forward to: the process
  // could not do TLS at all, so stop at once rather than misbehave later.
  if (f == nullptr)
    std::abort();
  return f;
}

/// The SSL ex_data slot holding when a server handshake is due to end (steady
/// clock milliseconds + 1, so that 0 means "not started"); freed with the SSL.
int start_slot() {
  static const int slot = SSL_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
  return slot;
}

int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
           std::chrono::steady_clock::now().time_since_epoch())
    .count();
}

/// True once the server handshake on `ssl` has run past the deadline; the
/// first call starts its clock.
bool handshake_overdue(SSL* ssl) {
  auto slot = start_slot();
  if (slot < 0)
    return false;
  auto due = reinterpret_cast<uintptr_t>(SSL_get_ex_data(ssl, slot));
  auto now = now_ms();
  if (due == 0) {
    auto end = now + deadline_ms.load(std::memory_order_relaxed);
    SSL_set_ex_data(ssl, slot, reinterpret_cast<void*>(static_cast<uintptr_t>(end) + 1));
    return false;
  }
  return now > static_cast<int64_t>(due - 1);
}

} // namespace

// The guards. extern "C" with default visibility so the executable exports
// them and the dynamic linker binds libcaf_openssl's calls here.
extern "C" {

__attribute__((visibility("default"))) int SSL_read(SSL* ssl, void* buf, int num) {
  static const auto next = next_symbol<io_fn>("SSL_read");
  ERR_clear_error();
  return next(ssl, buf, num);
}

__attribute__((visibility("default"))) int SSL_write(SSL* ssl, const void* buf, int num) {
  static const auto next = next_symbol<write_fn>("SSL_write");
  ERR_clear_error();
  return next(ssl, buf, num);
}

__attribute__((visibility("default"))) int SSL_connect(SSL* ssl) {
  static const auto next = next_symbol<handshake_fn>("SSL_connect");
  ERR_clear_error();
  return next(ssl);
}

__attribute__((visibility("default"))) int SSL_accept(SSL* ssl) {
  static const auto next = next_symbol<handshake_fn>("SSL_accept");
  ERR_clear_error();
  if (!SSL_is_init_finished(ssl) && handshake_overdue(ssl)) {
    // Fail the way a protocol error does: -1 with an SSL-library error queued,
    // so SSL_get_error() says SSL_ERROR_SSL and the caller closes this
    // connection (and only it: the next guarded call clears the queue).
    ERR_raise_data(ERR_LIB_SSL, ERR_R_OPERATION_FAIL, "TLS handshake not completed within %lld ms",
                   static_cast<long long>(cairn::net::handshake_deadline().count()));
    return -1;
  }
  return next(ssl);
}

} // extern "C"

namespace cairn::net {

std::chrono::milliseconds handshake_deadline() {
  return std::chrono::milliseconds{deadline_ms.load(std::memory_order_relaxed)};
}

void set_handshake_deadline(std::chrono::milliseconds d) {
  deadline_ms.store(d.count(), std::memory_order_relaxed);
}

bool tls_guard_active() {
  // What a shared library's call to SSL_read binds to: the global lookup
  // scope, executable first.
  return dlsym(RTLD_DEFAULT, "SSL_read") == reinterpret_cast<void*>(&SSL_read);
}

} // namespace cairn::net
