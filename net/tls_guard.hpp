#pragma once
// Guards around the OpenSSL calls CAF 0.17.6's caf_openssl makes on the
// middleman's multiplexer thread (the TLS cluster port).
//
// Caveats:
// - The guard works by symbol interposition: this translation unit defines
//   SSL_read, SSL_write, SSL_accept and SSL_connect, which the dynamic linker
//   binds ahead of libssl's for every shared library in the process
//   (libcaf_openssl, but also Asio's and libpq's TLS). Each wrapper only adds
//   what OpenSSL's own documentation asks of callers and then calls libssl's
//   function (found with dlsym(RTLD_NEXT)), so the other callers, which
//   already clear the queue themselves, see no change.
// - The object file must be linked into the executable: call
//   tls_guard_active() somewhere (the server logs it at start).
//
// Why (tests/integration/cluster_tls.sh, last step):
// 1. Stale error queue. OpenSSL's SSL_get_error() reads the calling thread's
//    error queue first: "The current thread's error queue must be empty
//    before the TLS/SSL I/O operation is attempted, or SSL_get_error() will
//    not work reliably" (SSL_get_error(3)). caf_openssl never clears it; it
//    drains it only inside CAF_LOG_INFO, which Debian's build compiles out.
//    So after ONE failed handshake or unclean close on the cluster port (a
//    silent client that hangs up, a client sending garbage, a killed peer),
//    the error stays queued on the multiplexer thread and the next
//    SSL_read() on any healthy peer that merely would block (WANT_READ) is
//    reported as SSL_ERROR_SSL: CAF closes that peer, then the next, until a
//    new handshake happens to clear the queue. strace showed it: read(26)=0
//    (the silent client leaves), then on peer fd 25 one 54-byte record read,
//    read()=EAGAIN, and at once close(25); every node lost every peer for
//    ~0.1-0.2 s. Fix: clear the queue before each SSL I/O call.
// 2. Endless handshake. A connection that never completes SSL_accept keeps
//    its BASP greeting queued, so the multiplexer polls it for writing and
//    calls SSL_accept() in a loop (read()=EAGAIN every ~0.3 ms under strace)
//    for as long as the client stays: the connection has no BASP context yet,
//    so middleman.connection-timeout never closes it. Fix: an accept that has
//    not completed within handshake_deadline of its first call fails (only
//    that connection is closed).
#include <chrono>

namespace cairn::net {

/// How long a server-side TLS handshake may take from its first SSL_accept()
/// call by default; past it the handshake fails and only that connection is
/// closed. Peers on a LAN finish in milliseconds, a 1 s RTT link in ~3 s.
inline constexpr std::chrono::milliseconds default_handshake_deadline{5000};

/// The deadline in force (default_handshake_deadline unless set).
std::chrono::milliseconds handshake_deadline();

/// Sets the deadline for handshakes started from now on (tests use ~100 ms).
/// @pre `d` > 0.
void set_handshake_deadline(std::chrono::milliseconds d);

/// True when this process's SSL_read/SSL_write/SSL_accept/SSL_connect resolve
/// to the guards in tls_guard.cpp (and links them into the executable).
bool tls_guard_active();

} // namespace cairn::net
