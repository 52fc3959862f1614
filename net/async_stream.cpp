#include "net/async_stream.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace payrecon::net {
namespace {

std::string SystemError(int error) { return std::strerror(error); }

// OpenSSL's reasons queued on this thread, oldest first, joined; the queue is left empty.
std::string OpenSslErrors() {
  std::string out;
  while (const unsigned long e = ERR_get_error()) {
    char buffer[256];
    ERR_error_string_n(e, buffer, sizeof buffer);
    if (!out.empty()) out += "; ";
    out += buffer;
  }
  return out;
}

bool IsIpLiteral(const std::string& host) {
  unsigned char buffer[sizeof(in6_addr)];
  return inet_pton(AF_INET, host.c_str(), buffer) == 1 || inet_pton(AF_INET6, host.c_str(), buffer) == 1;
}

}  // namespace

AsyncTlsContext::AsyncTlsContext(const std::string& ca_file) {
  ctx_ = SSL_CTX_new(TLS_client_method());
  if (ctx_ == nullptr) throw std::runtime_error("cannot create a TLS context: " + OpenSslErrors());
  SSL_CTX_set_min_proto_version(ctx_, TLS1_2_VERSION);
  SSL_CTX_set_verify(ctx_, SSL_VERIFY_PEER, nullptr);
  SSL_CTX_set_verify_depth(ctx_, 9);
  // A peer that closes without close_notify reads as a close: the HTTP framing, not TLS, tells a cut response.
  SSL_CTX_set_options(ctx_, SSL_OP_IGNORE_UNEXPECTED_EOF);
  SSL_CTX_set_mode(ctx_, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  const int loaded = ca_file.empty() ? SSL_CTX_set_default_verify_paths(ctx_)
                                     : SSL_CTX_load_verify_locations(ctx_, ca_file.c_str(), nullptr);
  if (loaded != 1) {
    const std::string why = OpenSslErrors();
    SSL_CTX_free(ctx_);
    throw std::runtime_error(ca_file.empty() ? "cannot load the system's CA certificates: " + why
                                             : "cannot load CA file '" + ca_file + "': " + why);
  }
}

AsyncTlsContext::~AsyncTlsContext() { SSL_CTX_free(ctx_); }

std::unique_ptr<AsyncStream> AsyncStream::Open(const Target& target, const AsyncTlsContext* tls, std::string& error) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV;
  addrinfo* found = nullptr;
  const std::string port = std::to_string(target.port);
  if (const int rc = getaddrinfo(target.host.c_str(), port.c_str(), &hints, &found); rc != 0) {
    error = "cannot resolve '" + target.host + "': " + gai_strerror(rc);
    return nullptr;
  }
  // An IPv4 address first, as Poco's sessions prefer: a host whose name also has an IPv6 address (::1 localhost)
  // may not be listening there, or have no IPv6 route.
  const addrinfo* chosen = found;
  for (const addrinfo* p = found; p != nullptr; p = p->ai_next) {
    if (p->ai_family == AF_INET) {
      chosen = p;
      break;
    }
  }
  const addrinfo& a = *chosen;
  const int fd = socket(a.ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    error = "cannot create a socket: " + SystemError(errno);
    freeaddrinfo(found);
    return nullptr;
  }
  const int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  const int rc = connect(fd, a.ai_addr, a.ai_addrlen);
  const int connect_error = errno;
  freeaddrinfo(found);
  if (rc != 0 && connect_error != EINPROGRESS) {
    error = SystemError(connect_error) + ": " + target.host + ":" + port;
    close(fd);
    return nullptr;
  }
  return std::unique_ptr<AsyncStream>(new AsyncStream(fd, target.https ? target.host : std::string(),
                                                      target.https ? tls : nullptr));
}

AsyncStream::AsyncStream(int fd, std::string host, const AsyncTlsContext* tls)
    : fd_(fd), host_(std::move(host)), tls_(tls) {}

AsyncStream::~AsyncStream() {
  if (ssl_ != nullptr) SSL_free(ssl_);
  if (fd_ >= 0) close(fd_);
}

AsyncStream::Io AsyncStream::Fail(std::string message, bool tls) {
  state_ = State::kFailed;
  error_ = std::move(message);
  tls_failure_ = tls;
  return Io::kError;
}

AsyncStream::Io AsyncStream::Connect() {
  if (state_ == State::kTcp) {
    pollfd p{fd_, POLLOUT, 0};
    if (poll(&p, 1, 0) == 0) return Io::kWantWrite;
    int error = 0;
    socklen_t size = sizeof error;
    if (getsockopt(fd_, SOL_SOCKET, SO_ERROR, &error, &size) != 0) error = errno;
    if (error != 0) return Fail(SystemError(error), false);
    if (tls_ == nullptr) {
      state_ = State::kOpen;
      return Io::kDone;
    }
    ERR_clear_error();
    ssl_ = SSL_new(tls_->get());
    if (ssl_ == nullptr || SSL_set_fd(ssl_, fd_) != 1) return Fail("cannot set up TLS: " + OpenSslErrors(), true);
    if (IsIpLiteral(host_)) {
      if (X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl_), host_.c_str()) != 1) {
        return Fail("cannot set the address to verify: " + OpenSslErrors(), true);
      }
    } else if (SSL_set1_host(ssl_, host_.c_str()) != 1 || SSL_set_tlsext_host_name(ssl_, host_.c_str()) != 1) {
      return Fail("cannot set the host name to verify: " + OpenSslErrors(), true);
    }
    SSL_set_connect_state(ssl_);
    state_ = State::kHandshake;
  }
  if (state_ == State::kHandshake) {
    ERR_clear_error();
    errno = 0;
    const int ret = SSL_do_handshake(ssl_);
    if (ret == 1) {
      state_ = State::kOpen;
      return Io::kDone;
    }
    return TlsResult(ret, "handshake");
  }
  if (state_ == State::kOpen) return Io::kDone;
  return Io::kError;
}

AsyncStream::Io AsyncStream::TlsResult(int ret, const char* what) {
  const int code = SSL_get_error(ssl_, ret);
  switch (code) {
    case SSL_ERROR_WANT_READ: return Io::kWantRead;
    case SSL_ERROR_WANT_WRITE: return Io::kWantWrite;
    case SSL_ERROR_ZERO_RETURN:
      // A close before the handshake finished (SSL_OP_IGNORE_UNEXPECTED_EOF reports a bare EOF this way too).
      if (state_ != State::kOpen) return Fail(std::string(what) + ": connection closed by the peer", false);
      return Io::kClosed;
    case SSL_ERROR_SYSCALL:
      if (ERR_peek_error() == 0) {
        const int e = errno;
        if (e == 0 && state_ == State::kOpen) return Io::kClosed;
        return Fail(std::string(what) + ": " + (e != 0 ? SystemError(e) : "connection closed"), false);
      }
      break;
    default: break;
  }
  const long verify = SSL_get_verify_result(ssl_);
  if (state_ == State::kHandshake && verify != X509_V_OK) {
    ERR_clear_error();
    return Fail(std::string("certificate verify failed: ") + X509_verify_cert_error_string(verify), true);
  }
  std::string why = OpenSslErrors();
  if (why.empty()) why = "error " + std::to_string(code);
  return Fail(std::string(what) + ": " + why, true);
}

AsyncStream::Io AsyncStream::Write(const char* data, std::size_t size, std::size_t& written) {
  written = 0;
  if (state_ != State::kOpen) return Io::kError;
  if (ssl_ == nullptr) {
    const ssize_t n = send(fd_, data, size, MSG_NOSIGNAL);
    if (n >= 0) {
      written = static_cast<std::size_t>(n);
      return Io::kDone;
    }
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return Io::kWantWrite;
    return Fail(SystemError(errno), false);
  }
  ERR_clear_error();
  errno = 0;
  const int ret = SSL_write_ex(ssl_, data, size, &written);
  if (ret == 1) return Io::kDone;
  const Io io = TlsResult(ret, "write");
  return io == Io::kClosed ? Fail("write: connection closed", false) : io;
}

AsyncStream::Io AsyncStream::Read(char* data, std::size_t size, std::size_t& got) {
  got = 0;
  if (state_ != State::kOpen) return Io::kError;
  if (ssl_ == nullptr) {
    const ssize_t n = recv(fd_, data, size, 0);
    if (n > 0) {
      got = static_cast<std::size_t>(n);
      return Io::kDone;
    }
    if (n == 0) return Io::kClosed;
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return Io::kWantRead;
    return Fail(SystemError(errno), false);
  }
  ERR_clear_error();
  errno = 0;
  const int ret = SSL_read_ex(ssl_, data, size, &got);
  if (ret == 1) return Io::kDone;
  return TlsResult(ret, "read");
}

}  // namespace payrecon::net
