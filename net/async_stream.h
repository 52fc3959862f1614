#pragma once
// A non-blocking client connection: TCP, or TLS over it, for a thread that waits on many connections at once
// (the gateway's concurrent status checker). Nothing here blocks except resolving the host name when opening.
//
// TLS is OpenSSL's own, set up like ClientTlsContext (http_session.h) sets up Poco's: TLS 1.2 or later, the peer's
// chain verified against the CA bundle (or the system store), and its name (or IP address) checked during the
// handshake; a failed check ends the handshake, it is never prompted for or accepted.
#include <cstddef>
#include <memory>
#include <string>

#include "net/http_session.h"

typedef struct ssl_st SSL;
typedef struct ssl_ctx_st SSL_CTX;

namespace payrecon::net {

// The TLS settings every AsyncStream to one endpoint shares. Thread-safe once made.
class AsyncTlsContext {
 public:
  // Trusts the PEM bundle `ca_file`, or the system store when it is empty. Throws std::runtime_error naming the
  // file when it cannot be used.
  explicit AsyncTlsContext(const std::string& ca_file);
  ~AsyncTlsContext();
  AsyncTlsContext(const AsyncTlsContext&) = delete;
  AsyncTlsContext& operator=(const AsyncTlsContext&) = delete;
  SSL_CTX* get() const { return ctx_; }

 private:
  SSL_CTX* ctx_ = nullptr;
};

class AsyncStream {
 public:
  // What an operation came to: done, wait until the socket is readable or writable and call it again, the peer
  // closed the connection (reads only), or failed (see error()).
  enum class Io { kDone, kWantRead, kWantWrite, kClosed, kError };

  // Resolves `target` and begins connecting to it (TLS with `tls` for https; it must then be set and outlive the
  // stream). On failure returns null and says why in `error`.
  static std::unique_ptr<AsyncStream> Open(const Target& target, const AsyncTlsContext* tls, std::string& error);
  ~AsyncStream();
  AsyncStream(const AsyncStream&) = delete;
  AsyncStream& operator=(const AsyncStream&) = delete;

  int fd() const { return fd_; }
  // Moves the TCP connect and then the TLS handshake on; kDone once both are complete.
  Io Connect();
  bool connected() const { return state_ == State::kOpen; }
  // Writes up to `size` bytes; `written` says how many were taken (kDone only).
  Io Write(const char* data, std::size_t size, std::size_t& written);
  // Reads up to `size` bytes; `got` says how many arrived (kDone only).
  Io Read(char* data, std::size_t size, std::size_t& got);
  // Why the last operation gave kError; no secrets (addresses and OpenSSL's reasons only).
  const std::string& error() const { return error_; }
  // The failure was in TLS (handshake, certificate, record layer) rather than in TCP.
  bool tls_failure() const { return tls_failure_; }

 private:
  enum class State { kTcp, kHandshake, kOpen, kFailed };
  AsyncStream(int fd, std::string host, const AsyncTlsContext* tls);
  Io Fail(std::string message, bool tls);
  Io TlsResult(int ret, const char* what);

  int fd_ = -1;
  std::string host_;
  const AsyncTlsContext* tls_ = nullptr;
  SSL* ssl_ = nullptr;
  State state_ = State::kTcp;
  std::string error_;
  bool tls_failure_ = false;
};

}  // namespace payrecon::net
