// Tests for the OpenSSL call guards (net/tls_guard.*): over real TLS
// sessions on non-blocking socket pairs, one failed handshake no longer makes
// a healthy session's "would block" look like a fatal error, and a server
// handshake that never completes fails at its deadline.
#include <doctest/doctest.h>

#include <chrono>
#include <thread>

#include <fcntl.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <sys/socket.h>
#include <unistd.h>

#include "net/tls_guard.hpp"

using namespace cairn::net;

namespace {

/// Two connected non-blocking stream sockets, closed on destruction.
struct socket_pair {
  int fd[2] = {-1, -1};
  socket_pair() {
    REQUIRE(socketpair(AF_UNIX, SOCK_STREAM, 0, fd) == 0);
    for (int f : fd)
      fcntl(f, F_SETFL, fcntl(f, F_GETFL) | O_NONBLOCK);
  }
  ~socket_pair() {
    for (int f : fd)
      if (f >= 0)
        close(f);
  }
};

/// A server and a client session over one socket pair (not handshaken yet),
/// freed before the sockets close.
struct tls_session {
  socket_pair sockets;
  SSL* server;
  SSL* client;
  tls_session(SSL_CTX* server_ctx, SSL_CTX* client_ctx)
    : server(SSL_new(server_ctx)), client(SSL_new(client_ctx)) {
    SSL_set_fd(server, sockets.fd[0]);
    SSL_set_fd(client, sockets.fd[1]);
  }
  ~tls_session() {
    SSL_free(server);
    SSL_free(client);
  }
  tls_session(const tls_session&) = delete;
  tls_session& operator=(const tls_session&) = delete;
};

/// A server context with a fresh self-signed EC certificate, and a client
/// context that does not verify it: what matters here is the I/O, not trust.
struct tls_guard_fixture {
  SSL_CTX* server_ctx = SSL_CTX_new(TLS_server_method());
  SSL_CTX* client_ctx = SSL_CTX_new(TLS_client_method());

  tls_guard_fixture() {
    auto* key = EVP_EC_gen("P-256");
    REQUIRE(key != nullptr);
    auto* cert = X509_new();
    ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
    X509_gmtime_adj(X509_getm_notBefore(cert), 0);
    X509_gmtime_adj(X509_getm_notAfter(cert), 3600);
    X509_set_pubkey(cert, key);
    auto* name = X509_get_subject_name(cert);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                               reinterpret_cast<const unsigned char*>("tls guard test"), -1, -1,
                               0);
    X509_set_issuer_name(cert, name);
    REQUIRE(X509_sign(cert, key, EVP_sha256()) > 0);
    REQUIRE(SSL_CTX_use_certificate(server_ctx, cert) == 1);
    REQUIRE(SSL_CTX_use_PrivateKey(server_ctx, key) == 1);
    X509_free(cert);
    EVP_PKEY_free(key);
    SSL_CTX_set_verify(client_ctx, SSL_VERIFY_NONE, nullptr);
  }

  ~tls_guard_fixture() {
    SSL_CTX_free(server_ctx);
    SSL_CTX_free(client_ctx);
    set_handshake_deadline(default_handshake_deadline);
  }

  /// Runs both handshakes of `s` to completion (bounded).
  void handshake(tls_session& s) {
    int server_done = 0, client_done = 0;
    for (int i = 0; i < 1000 && (server_done != 1 || client_done != 1); ++i) {
      if (client_done != 1)
        client_done = SSL_connect(s.client);
      if (server_done != 1)
        server_done = SSL_accept(s.server);
    }
    REQUIRE(server_done == 1);
    REQUIRE(client_done == 1);
  }
};

} // namespace

TEST_SUITE("net.tls_guard") {

TEST_CASE_FIXTURE(tls_guard_fixture, "the guards are what this executable's SSL calls bind to") {
  CHECK(tls_guard_active());
}

TEST_CASE_FIXTURE(tls_guard_fixture,
                  "a failed handshake on this thread leaves a healthy session's would-block a "
                  "would-block") {
  // A healthy session, idle: reading finds nothing.
  tls_session healthy{server_ctx, client_ctx};
  handshake(healthy);
  SSL* server = healthy.server;

  // Another connection sends garbage instead of a ClientHello: its accept
  // fails and OpenSSL queues the reason on this thread (as caf_openssl,
  // which never drains the queue, leaves it on the multiplexer thread).
  socket_pair bad;
  const char garbage[] = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
  REQUIRE(write(bad.fd[1], garbage, sizeof garbage - 1) > 0);
  auto* victim = SSL_new(server_ctx);
  SSL_set_fd(victim, bad.fd[0]);
  CHECK(SSL_accept(victim) == -1);
  CHECK(SSL_get_error(victim, -1) == SSL_ERROR_SSL);
  REQUIRE(ERR_peek_error() != 0); // still queued, as in the node

  // The healthy session's read would block: it must say so, not report the
  // other connection's error (which made CAF close every peer).
  char buf[64];
  auto n = SSL_read(server, buf, sizeof buf);
  CHECK(n == -1);
  CHECK(SSL_get_error(server, n) == SSL_ERROR_WANT_READ);

  // And it still carries data both ways.
  REQUIRE(SSL_write(healthy.client, "ping", 4) == 4);
  CHECK(SSL_read(server, buf, sizeof buf) == 4);
  SSL_free(victim);
}

TEST_CASE_FIXTURE(tls_guard_fixture, "a server handshake that never completes fails at its deadline") {
  set_handshake_deadline(std::chrono::milliseconds{100});
  socket_pair silent; // the client connects and sends nothing
  auto* server = SSL_new(server_ctx);
  SSL_set_fd(server, silent.fd[0]);
  auto ret = SSL_accept(server);
  CHECK(ret == -1);
  CHECK(SSL_get_error(server, ret) == SSL_ERROR_WANT_READ); // before the deadline: wait
  std::this_thread::sleep_for(std::chrono::milliseconds{150});
  ret = SSL_accept(server);
  CHECK(ret == -1);
  CHECK(SSL_get_error(server, ret) == SSL_ERROR_SSL); // past it: this connection fails
  SSL_free(server);
}

TEST_CASE_FIXTURE(tls_guard_fixture, "a handshake completed within the deadline is unaffected") {
  set_handshake_deadline(std::chrono::milliseconds{100});
  tls_session session{server_ctx, client_ctx};
  handshake(session);
  // Long after the deadline, the established session reads and writes.
  std::this_thread::sleep_for(std::chrono::milliseconds{150});
  char buf[8];
  REQUIRE(SSL_write(session.client, "pong", 4) == 4);
  CHECK(SSL_read(session.server, buf, sizeof buf) == 4);
  REQUIRE(SSL_write(session.server, "ok", 2) == 2);
  CHECK(SSL_read(session.client, buf, sizeof buf) == 2);
}

} // TEST_SUITE
