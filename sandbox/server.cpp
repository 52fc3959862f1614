#include "sandbox/server.h"

#include "sandbox/http_request.h"

#include <Poco/Net/HTTPResponse.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <iostream>
#include <optional>
#include <memory>
#include <stdexcept>
#include <string_view>
#include <system_error>
#include <thread>
#include <unordered_map>
#include <vector>

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

namespace payrecon::sandbox {
namespace {

using http::kMaxBody;
using http::kMaxHead;
using http::ParseRequest;
using http::Parsed;
using http::ParseState;

using SteadyClock = std::chrono::steady_clock;

// How long a connection may stay silent (between requests, or in the middle of one, or while its answer cannot be
// written) before the server drops it.
constexpr std::chrono::seconds kIdle{60};
// How long a loop stops accepting after accept(2) failed for want of descriptors or memory.
constexpr std::chrono::milliseconds kAcceptPause{100};

std::string Reason(int status) {
  return Poco::Net::HTTPResponse::getReasonForStatus(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(status));
}

// The status line, headers and body (or only the first `body_bytes` of it) in one buffer: one write per answer.
std::string Render(const HttpReply& reply, bool keep_alive, std::size_t body_bytes) {
  std::string out;
  out.reserve(320 + reply.body.size());
  out += "HTTP/1.1 ";
  out += std::to_string(reply.status);
  out += ' ';
  out += Reason(reply.status);
  out += "\r\nContent-Type: ";
  out += reply.content_type;
  out += "\r\nContent-Length: ";
  out += std::to_string(reply.body.size());
  out += keep_alive ? "\r\nConnection: Keep-Alive" : "\r\nConnection: close";
  for (const auto& [name, value] : reply.headers) {
    out += "\r\n";
    out += name;
    out += ": ";
    out += value;
  }
  out += "\r\n\r\n";
  out.append(reply.body, 0, body_bytes);
  return out;
}

std::string ErrorAnswer(int status) {
  return "HTTP/1.1 " + std::to_string(status) + " " + Reason(status) +
         "\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
}

// ---- Connections ----

struct Connection {
  enum class State {
    kHandshake,  // TLS handshake
    kReading,    // reading a request
    kDelayed,    // the answer waits for its delay (then `after_delay`)
    kWriting,    // writing `out`
    kHanging,    // saying nothing until the deadline, then closing
  };
  enum class AfterDelay { kWrite, kReset, kHang };

  int fd = -1;
  SSL* ssl = nullptr;
  State state = State::kReading;
  std::uint32_t interest = 0;
  std::string in;
  std::string out;
  std::size_t written = 0;
  bool close_after_write = false;
  bool continue_sent = false;  // "100 Continue" went out for the request being read
  AfterDelay after_delay = AfterDelay::kWrite;
  std::chrono::milliseconds hang_after_delay{0};
  SteadyClock::time_point deadline;
  std::int64_t last_arrived_ns = 0;   // when the bytes of the latest read reached the socket (steady ns; 0: unknown)
  std::int64_t front_arrived_ns = 0;  // when the first byte of the request at the front of `in` did
  bool closed = false;  // marked by Loop::Close: removed, and its socket closed, at the end of the loop's round

  ~Connection() {
    if (ssl != nullptr) SSL_free(ssl);
    if (fd >= 0) ::close(fd);
  }
};

}  // namespace

class Server::Impl {
 public:
  Impl(Sandbox& sandbox, ServerOptions options) : sandbox_(sandbox), options_(std::move(options)) {}

  ~Impl() {
    Stop();
    if (listen_fd_ >= 0) ::close(listen_fd_);
    if (stop_fd_ >= 0) ::close(stop_fd_);
    if (tls_ != nullptr) SSL_CTX_free(tls_);
  }

  std::uint16_t Start() {
    const std::string where = "\"" + options_.bind + ":" + std::to_string(options_.port) + "\"";
    if (!options_.tls_cert.empty() || !options_.tls_key.empty()) {
      if (options_.tls_cert.empty() || options_.tls_key.empty()) {
        throw std::runtime_error("TLS needs both --tls-cert and --tls-key");
      }
      LoadTls();
    }
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE;
    addrinfo* found = nullptr;
    const std::string port = std::to_string(options_.port);
    if (const int rc = getaddrinfo(options_.bind.c_str(), port.c_str(), &hints, &found); rc != 0) {
      throw std::runtime_error("cannot start the server on " + where + ": " + gai_strerror(rc));
    }
    std::string error = "no address";
    for (addrinfo* a = found; a != nullptr && listen_fd_ < 0; a = a->ai_next) {
      const int fd = ::socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, a->ai_protocol);
      if (fd < 0) {
        error = std::strerror(errno);
        continue;
      }
      const int one = 1;
      ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
      if (::bind(fd, a->ai_addr, a->ai_addrlen) != 0 || ::listen(fd, 1024) != 0) {
        error = std::strerror(errno);
        ::close(fd);
        continue;
      }
      listen_fd_ = fd;
    }
    freeaddrinfo(found);
    if (listen_fd_ < 0) throw std::runtime_error("cannot start the server on " + where + ": " + error);
    sockaddr_storage bound{};
    socklen_t len = sizeof bound;
    ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&bound), &len);
    const std::uint16_t bound_port = ntohs(bound.ss_family == AF_INET6
                                               ? reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port
                                               : reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
    stop_fd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (stop_fd_ < 0) throw std::system_error(errno, std::generic_category(), "eventfd");
    // The cap is shared out exactly (3 over 2 loops: 2 and 1), and no loop is left with none: a loop that stops
    // listening when its share is full leaves the next connection to the others.
    const int loops = std::clamp(options_.io_threads, 1, std::max(1, options_.max_connections));
    for (int i = 0; i < loops; ++i) {
      const int share = options_.max_connections / loops + (i < options_.max_connections % loops ? 1 : 0);
      loops_.emplace_back(std::make_unique<Loop>(*this, share));
    }
    for (auto& loop : loops_) loop->Begin();
    return bound_port;
  }

  void Stop() {
    if (loops_.empty()) return;
    const std::uint64_t one = 1;
    [[maybe_unused]] const auto n = ::write(stop_fd_, &one, sizeof one);
    for (auto& loop : loops_) loop->Join();
    loops_.clear();
  }

 private:
  void LoadTls() {
    tls_ = SSL_CTX_new(TLS_server_method());
    if (tls_ == nullptr) throw std::runtime_error("cannot set up TLS: " + TlsError());
    SSL_CTX_set_min_proto_version(tls_, TLS1_2_VERSION);
    SSL_CTX_set_mode(tls_, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    if (SSL_CTX_use_certificate_chain_file(tls_, options_.tls_cert.c_str()) != 1) {
      throw std::runtime_error("cannot load the TLS certificate \"" + options_.tls_cert + "\": " + TlsError());
    }
    if (SSL_CTX_use_PrivateKey_file(tls_, options_.tls_key.c_str(), SSL_FILETYPE_PEM) != 1 ||
        SSL_CTX_check_private_key(tls_) != 1) {
      throw std::runtime_error("cannot load the TLS key \"" + options_.tls_key + "\": " + TlsError());
    }
  }

  static std::string TlsError() {
    const unsigned long e = ERR_get_error();
    ERR_clear_error();
    if (e == 0) return "unknown error";
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    return buf;
  }

  // One event-loop thread: its own epoll set, the listening socket (shared, woken one loop at a time) and the
  // connections it accepted.
  class Loop {
   public:
    Loop(Impl& server, int max_connections) : server_(server), max_connections_(max_connections) {
      epoll_ = epoll_create1(EPOLL_CLOEXEC);
      if (epoll_ < 0) throw std::system_error(errno, std::generic_category(), "epoll_create1");
      Add(server_.stop_fd_, EPOLLIN, kStopTag);
      Listen(true);
    }
    ~Loop() {
      Join();
      connections_.clear();
      if (epoll_ >= 0) ::close(epoll_);
    }
    void Begin() { thread_ = std::thread([this] { Run(); }); }
    void Join() {
      if (thread_.joinable()) thread_.join();
    }

   private:
    static constexpr std::uint64_t kStopTag = 0;
    static constexpr std::uint64_t kListenTag = 2;  // connections' tags are odd: fd << 1 | 1

    void Add(int fd, std::uint32_t events, std::uint64_t tag) {
      epoll_event e{};
      e.events = events;
      e.data.u64 = tag;
      if (epoll_ctl(epoll_, EPOLL_CTL_ADD, fd, &e) != 0) {
        throw std::system_error(errno, std::generic_category(), "epoll_ctl");
      }
    }

    // Stops accepting while this loop holds its share of connections; the rest wait in the listen queue.
    void Listen(bool on) {
      if (on == listening_) return;
      if (on) {
        Add(server_.listen_fd_, EPOLLIN | EPOLLEXCLUSIVE, kListenTag);
      } else {
        epoll_ctl(epoll_, EPOLL_CTL_DEL, server_.listen_fd_, nullptr);
      }
      listening_ = on;
    }

    void Run() {
      std::vector<epoll_event> events(64);
      for (;;) {
        const int n = epoll_wait(epoll_, events.data(), static_cast<int>(events.size()), WaitMs());
        if (n < 0 && errno != EINTR) return;  // cannot wait any more: the connections close with the loop
        for (int i = 0; i < n; ++i) {
          const std::uint64_t tag = events[static_cast<std::size_t>(i)].data.u64;
          if (tag == kStopTag) return;
          if (tag == kListenTag) {
            Accept();
            continue;
          }
          const auto it = connections_.find(static_cast<int>(tag >> 1));
          if (it == connections_.end()) continue;
          Connection& c = *it->second;
          if (c.closed) continue;
          if ((events[static_cast<std::size_t>(i)].events & (EPOLLERR | EPOLLHUP)) != 0 &&
              c.state != Connection::State::kReading && c.state != Connection::State::kWriting &&
              c.state != Connection::State::kHandshake) {
            Close(c);  // the peer went away while its answer was delayed or hung
            continue;
          }
          Drive(c);
        }
        Expire();
        Sweep();
        ResumeAccepting();
      }
    }

    // Until the nearest deadline (at most a second, so a stop is never missed for long).
    int WaitMs() const {
      auto wait = std::chrono::milliseconds(1000);
      const auto now = SteadyClock::now();
      if (accept_again_at_) {
        wait = std::clamp(std::chrono::ceil<std::chrono::milliseconds>(*accept_again_at_ - now),
                          std::chrono::milliseconds(0), wait);
      }
      for (const auto& [fd, c] : connections_) {
        if (c->closed) continue;
        const auto left = std::chrono::ceil<std::chrono::milliseconds>(c->deadline - now);
        wait = std::clamp(left, std::chrono::milliseconds(0), wait);
      }
      return static_cast<int>(wait.count());
    }

    // One connection per wake-up, so that a burst of new connections (a client opening its pool) is spread over
    // the loops instead of all landing on the one woken first.
    void Accept() {
      const int fd = ::accept4(server_.listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd < 0) {
        // Out of descriptors or memory: the connection stays in the listen queue and the socket stays readable, so
        // the loop would wake at once and fail again, spinning. It stops watching the socket for a while instead.
        // EAGAIN (another loop took it) and a connection that failed before its accept need nothing.
        if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) PauseAccepting(errno);
        return;
      }
      const int one = 1;
      ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      if (server_.tls_ == nullptr) ::setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof one);  // arrival times
      auto c = std::make_unique<Connection>();
      c->fd = fd;
      c->deadline = SteadyClock::now() + kIdle;
      if (server_.tls_ != nullptr) {
        c->ssl = SSL_new(server_.tls_);
        if (c->ssl == nullptr || SSL_set_fd(c->ssl, fd) != 1) {
          ERR_clear_error();
          return;  // c closes the socket
        }
        SSL_set_accept_state(c->ssl);
        c->state = Connection::State::kHandshake;
      }
      epoll_event e{};
      e.events = EPOLLIN;
      e.data.u64 = static_cast<std::uint64_t>(fd) << 1 | 1;
      if (epoll_ctl(epoll_, EPOLL_CTL_ADD, fd, &e) != 0) return;
      c->interest = EPOLLIN;
      connections_.emplace(fd, std::move(c));
      if (static_cast<int>(connections_.size()) >= max_connections_) Listen(false);
    }

    void PauseAccepting(int error) {
      Listen(false);
      accept_again_at_ = SteadyClock::now() + kAcceptPause;
      std::cerr << "payrecon-sandbox: cannot accept a connection (" << std::strerror(error) << "): accepting again in "
                << kAcceptPause.count() << " ms or when a connection closes\n";
    }

    // After a pause, when the time has come (a connection closing ends it earlier: Sweep).
    void ResumeAccepting() {
      if (!accept_again_at_ || SteadyClock::now() < *accept_again_at_) return;
      accept_again_at_.reset();
      if (static_cast<int>(connections_.size()) < max_connections_) Listen(true);
    }

    void Want(Connection& c, std::uint32_t events) {
      if (c.interest == events) return;
      epoll_event e{};
      e.events = events;
      e.data.u64 = static_cast<std::uint64_t>(c.fd) << 1 | 1;
      epoll_ctl(epoll_, EPOLL_CTL_MOD, c.fd, &e);
      c.interest = events;
    }

    // Marks c to be closed at the end of this round (its entry may still be in the events being handled).
    void Close(Connection& c) {
      if (c.closed) return;
      c.closed = true;
      epoll_ctl(epoll_, EPOLL_CTL_DEL, c.fd, nullptr);
      closing_.push_back(c.fd);
    }

    // A TLS close_notify when the session is up, then the socket is shut and closed.
    void CloseGracefully(Connection& c) {
      if (c.ssl != nullptr && SSL_is_init_finished(c.ssl)) {
        SSL_shutdown(c.ssl);
        ERR_clear_error();
      }
      ::shutdown(c.fd, SHUT_RDWR);
      Close(c);
    }

    // Closes with RST instead of FIN (linger 0): the reset fault.
    void CloseWithReset(Connection& c) {
      const linger l{1, 0};
      ::setsockopt(c.fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
      Close(c);
    }

    void Sweep() {
      for (const int fd : closing_) connections_.erase(fd);
      if (!closing_.empty() && static_cast<int>(connections_.size()) < max_connections_) {
        accept_again_at_.reset();  // a descriptor was freed
        Listen(true);
      }
      closing_.clear();
    }

    void Expire() {
      const auto now = SteadyClock::now();
      for (auto& [fd, c] : connections_) {
        if (c->closed || now < c->deadline) continue;
        switch (c->state) {
          case Connection::State::kDelayed:
            AfterDelay(*c, now);
            Serve(*c);  // requests sent behind the delayed one
            break;
          case Connection::State::kHanging:
            CloseGracefully(*c);
            break;
          default:
            Close(*c);  // silent too long
        }
      }
    }

    void AfterDelay(Connection& c, SteadyClock::time_point now) {
      switch (c.after_delay) {
        case Connection::AfterDelay::kReset:
          CloseWithReset(c);
          return;
        case Connection::AfterDelay::kHang:
          c.state = Connection::State::kHanging;
          c.deadline = now + c.hang_after_delay;
          Want(c, 0);
          return;
        case Connection::AfterDelay::kWrite:
          c.state = Connection::State::kWriting;
          c.deadline = now + kIdle;
          Write(c);
          return;
      }
    }

    void Drive(Connection& c) {
      switch (c.state) {
        case Connection::State::kHandshake: return Handshake(c);
        case Connection::State::kReading: return Read(c);
        case Connection::State::kWriting:
          Write(c);
          return Serve(c);  // the next request, or the body after "100 Continue", may be here already
        case Connection::State::kDelayed:
        case Connection::State::kHanging: return;
      }
    }

    // Whether an SSL call that returned r can go on when the socket is ready (and for what); false: a failure.
    bool TlsWait(Connection& c, int r) {
      const int e = SSL_get_error(c.ssl, r);
      ERR_clear_error();
      if (e == SSL_ERROR_WANT_READ) {
        Want(c, EPOLLIN);
        return true;
      }
      if (e == SSL_ERROR_WANT_WRITE) {
        Want(c, EPOLLOUT);
        return true;
      }
      return false;
    }

    void Handshake(Connection& c) {
      const int r = SSL_do_handshake(c.ssl);
      if (r == 1) {
        c.state = Connection::State::kReading;
        Want(c, EPOLLIN);
        return Read(c);
      }
      if (!TlsWait(c, r)) Close(c);
    }

    void Read(Connection& c) {
      char buf[16384];
      for (;;) {
        ssize_t n = 0;
        if (c.ssl != nullptr) {
          const int r = SSL_read(c.ssl, buf, sizeof buf);
          if (r <= 0) {
            if (TlsWait(c, r)) break;
            return Close(c);  // closed (close_notify or not) or failed
          }
          n = r;
        } else {
          n = ReceiveStamped(c, buf, sizeof buf);
          if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
          if (n < 0 && errno == EINTR) continue;
          if (n <= 0) return Close(c);  // the client closed, or reset
        }
        if (c.in.empty()) c.front_arrived_ns = c.last_arrived_ns;
        c.in.append(buf, static_cast<std::size_t>(n));
        if (c.in.size() > kMaxHead + kMaxBody + 64 * 1024) break;  // enough to decide on
      }
      c.deadline = SteadyClock::now() + kIdle;
      Serve(c);
    }

    // recv(2) with the kernel's receive time of the bytes (SO_TIMESTAMPNS), as a steady_clock time in
    // c.last_arrived_ns (0 when the kernel gave none: TLS reads, whose records OpenSSL receives).
    static ssize_t ReceiveStamped(Connection& c, char* buf, std::size_t size) {
      iovec iov{buf, size};
      alignas(cmsghdr) char control[CMSG_SPACE(sizeof(timespec))];
      msghdr msg{};
      msg.msg_iov = &iov;
      msg.msg_iovlen = 1;
      msg.msg_control = control;
      msg.msg_controllen = sizeof control;
      const ssize_t n = ::recvmsg(c.fd, &msg, 0);
      if (n <= 0) return n;
      c.last_arrived_ns = 0;
      for (cmsghdr* m = CMSG_FIRSTHDR(&msg); m != nullptr; m = CMSG_NXTHDR(&msg, m)) {
        if (m->cmsg_level != SOL_SOCKET || m->cmsg_type != SCM_TIMESTAMPNS) continue;
        timespec received{};
        std::memcpy(&received, CMSG_DATA(m), sizeof received);
        timespec real_now{};
        clock_gettime(CLOCK_REALTIME, &real_now);
        const std::int64_t waited = (real_now.tv_sec - received.tv_sec) * 1'000'000'000LL +
                                    (real_now.tv_nsec - received.tv_nsec);
        const std::int64_t steady_now =
            std::chrono::duration_cast<std::chrono::nanoseconds>(SteadyClock::now().time_since_epoch()).count();
        c.last_arrived_ns = steady_now - std::clamp<std::int64_t>(waited, 0, 1'000'000'000);
      }
      return n;
    }

    // Answers the requests at the front of `in`, one after another, for as long as each answer goes out at once
    // (a loop, not a recursion: a client may send thousands of requests in one go).
    void Serve(Connection& c) {
      while (!c.closed && c.state == Connection::State::kReading) {
        if (c.in.empty()) return Want(c, EPOLLIN);
        if (!ServeOne(c)) return;
      }
    }

    // The request at the front of `in`, if complete: answered (or its delay begun). False when nothing could be
    // done without more bytes.
    bool ServeOne(Connection& c) {
      HttpRequest req;
      const Parsed p = ParseRequest(c.in, req);
      switch (p.state) {
        case ParseState::kNeedMore:
          if (p.head_done && p.expect_continue && !c.continue_sent) {
            c.continue_sent = true;
            c.out = "HTTP/1.1 100 Continue\r\n\r\n";
            c.close_after_write = false;
            StartWrite(c);
            return true;
          }
          Want(c, EPOLLIN);
          return false;
        case ParseState::kBad:
          c.out = ErrorAnswer(400);
          c.close_after_write = true;
          StartWrite(c);
          return true;
        case ParseState::kTooLarge:
          c.out = ErrorAnswer(p.head_done ? 413 : 431);
          c.close_after_write = true;
          StartWrite(c);
          return true;
        case ParseState::kDone:
          break;
      }
      c.in.erase(0, p.consumed);
      c.continue_sent = false;
      req.arrived_ns = c.front_arrived_ns;
      c.front_arrived_ns = c.last_arrived_ns;  // what is left came with the latest read, or later
      HttpReply reply;
      try {
        reply = server_.sandbox_.Handle(req);
      } catch (const std::exception&) {
        c.out = ErrorAnswer(500);
        c.close_after_write = true;
        StartWrite(c);
        return true;
      }
      const auto now = SteadyClock::now();
      c.close_after_write = !p.keep_alive;
      switch (reply.delivery) {
        case Delivery::kReset:
          c.after_delay = Connection::AfterDelay::kReset;
          break;
        case Delivery::kHang:
          c.after_delay = Connection::AfterDelay::kHang;
          c.hang_after_delay = std::chrono::milliseconds(std::max<std::int64_t>(0, reply.hang_ms));
          break;
        case Delivery::kTruncate:
          c.after_delay = Connection::AfterDelay::kWrite;
          c.out = Render(reply, false, reply.body.size() / 2);
          c.close_after_write = true;
          break;
        case Delivery::kNormal:
          c.after_delay = Connection::AfterDelay::kWrite;
          c.out = Render(reply, p.keep_alive, reply.body.size());
          break;
      }
      c.written = 0;
      if (reply.delay_ms > 0) {
        c.state = Connection::State::kDelayed;
        c.deadline = now + std::chrono::milliseconds(reply.delay_ms);
        Want(c, 0);
        return true;
      }
      AfterDelay(c, now);
      return true;
    }

    void StartWrite(Connection& c) {
      c.written = 0;
      c.state = Connection::State::kWriting;
      c.deadline = SteadyClock::now() + kIdle;
      Write(c);
    }

    void Write(Connection& c) {
      while (c.written < c.out.size()) {
        const char* data = c.out.data() + c.written;
        const std::size_t left = c.out.size() - c.written;
        if (c.ssl != nullptr) {
          const int r = SSL_write(c.ssl, data, static_cast<int>(std::min<std::size_t>(left, 1 << 30)));
          if (r <= 0) {
            if (!TlsWait(c, r)) Close(c);
            return;
          }
          c.written += static_cast<std::size_t>(r);
        } else {
          const ssize_t n = ::send(c.fd, data, left, MSG_NOSIGNAL);
          if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return Want(c, EPOLLOUT);
          if (n < 0 && errno == EINTR) continue;
          if (n <= 0) return Close(c);
          c.written += static_cast<std::size_t>(n);
        }
      }
      c.out.clear();
      c.written = 0;
      if (c.close_after_write) return CloseGracefully(c);
      c.state = Connection::State::kReading;  // the caller serves what is already here (Serve)
      c.deadline = SteadyClock::now() + kIdle;
      Want(c, EPOLLIN);
    }

    Impl& server_;
    const int max_connections_;
    int epoll_ = -1;
    bool listening_ = false;
    std::optional<SteadyClock::time_point> accept_again_at_;  // not accepting until then (out of descriptors)
    std::thread thread_;
    std::unordered_map<int, std::unique_ptr<Connection>> connections_;
    std::vector<int> closing_;
  };

  Sandbox& sandbox_;
  ServerOptions options_;
  SSL_CTX* tls_ = nullptr;
  int listen_fd_ = -1;
  int stop_fd_ = -1;
  std::vector<std::unique_ptr<Loop>> loops_;
};

Server::Server(Sandbox& sandbox, ServerOptions options) : impl_(std::make_unique<Impl>(sandbox, std::move(options))) {}
Server::~Server() = default;
std::uint16_t Server::Start() { return impl_->Start(); }
void Server::Stop() { impl_->Stop(); }

}  // namespace payrecon::sandbox
