#include "sandbox/server.h"

#include <Poco/Exception.h>
#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerRequestImpl.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/HTTPServerResponseImpl.h>
#include <Poco/Net/HTTPServerSession.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/SSLManager.h>
#include <Poco/Net/SecureServerSocket.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/Net/StreamSocket.h>
#include <Poco/Net/TCPServer.h>
#include <Poco/Net/TCPServerConnection.h>
#include <Poco/Net/TCPServerConnectionFactory.h>
#include <Poco/Net/TCPServerParams.h>
#include <Poco/StreamCopier.h>
#include <Poco/ThreadPool.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <stdexcept>

#include <sys/socket.h>

namespace payrecon::sandbox {
namespace {

// Wakes delayed and hanging handlers when the server stops.
class StopSignal {
 public:
  // Waits up to ms; false when the server is stopping.
  bool WaitFor(std::int64_t ms) {
    std::unique_lock lock(mu_);
    return !cv_.wait_for(lock, std::chrono::milliseconds(ms), [&] { return stopping_; });
  }
  void Trigger() {
    {
      std::lock_guard lock(mu_);
      stopping_ = true;
    }
    cv_.notify_all();
  }
  bool Stopping() {
    std::lock_guard lock(mu_);
    return stopping_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
};

std::string HostWithoutPort(const std::string& host) {
  if (!host.empty() && host[0] == '[') {  // [::1]:8080
    const auto close = host.find(']');
    return close == std::string::npos ? host : host.substr(1, close - 1);
  }
  const auto colon = host.find(':');
  if (colon != std::string::npos && host.find(':', colon + 1) == std::string::npos) return host.substr(0, colon);
  return host;
}

// The open connections, so that Stop() can end every read at once. It shuts their raw file descriptors with
// ::shutdown, which touches no Poco or TLS state another thread is using (a TLS read in progress just sees the
// connection end). Entries are keyed by connection, and a descriptor leaves the set before it is closed, under
// the same lock, so a number the kernel hands out again is never shut, nor a newer connection's entry removed.
class Connections {
 public:
  // false once stopping: the connection should end at once.
  bool Add(const void* connection, poco_socket_t fd) {
    std::lock_guard lock(mu_);
    if (stopping_) return false;
    fds_[connection] = fd;
    return true;
  }
  // Before the socket is closed.
  void Remove(const void* connection) {
    std::lock_guard lock(mu_);
    fds_.erase(connection);
  }
  // Closes with RST instead of FIN (linger 0): the reset fault.
  void CloseWithReset(const void* connection, Poco::Net::StreamSocket& socket) {
    std::lock_guard lock(mu_);
    fds_.erase(connection);
    socket.setLinger(true, 0);
    socket.close();
  }
  void ShutdownAll() {
    std::lock_guard lock(mu_);
    stopping_ = true;
    for (const auto& [connection, fd] : fds_) ::shutdown(fd, SHUT_RDWR);  // an error: the peer is gone already
  }

 private:
  std::mutex mu_;
  std::map<const void*, poco_socket_t> fds_;
  bool stopping_ = false;
};

class Handler : public Poco::Net::HTTPRequestHandler {
 public:
  // `connection`: the key of this connection in `connections`.
  Handler(Sandbox& sandbox, StopSignal& stop, Connections& connections, const void* connection)
      : sandbox_(sandbox), stop_(stop), connections_(connections), connection_(connection) {}

  void handleRequest(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response) override {
    HttpRequest req;
    req.method = request.getMethod();
    const std::string& uri = request.getURI();
    const auto q = uri.find('?');
    req.path = uri.substr(0, q);
    if (q != std::string::npos) req.query = uri.substr(q + 1);
    for (const auto& [name, value] : request) {
      std::string lower = name;
      std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
      req.headers.emplace_back(std::move(lower), value);
    }
    req.host = request.has("Host") ? HostWithoutPort(request.get("Host")) : std::string();
    // A request has a body only when it says so (a length or chunks): without either, Poco's stream would wait
    // for the client to close, and a body-less POST (`curl -X POST …/sandbox/clock?advance_ms=…`) hung until the
    // idle timeout.
    if ((request.hasContentLength() && request.getContentLength64() > 0) || request.getChunkedTransferEncoding()) {
      Poco::StreamCopier::copyToString(request.stream(), req.body);
    }

    const HttpReply reply = sandbox_.Handle(req);
    if (reply.delay_ms > 0 && !stop_.WaitFor(reply.delay_ms)) {
      response.setKeepAlive(false);
      return;
    }
    auto& socket = static_cast<Poco::Net::HTTPServerRequestImpl&>(request).socket();
    switch (reply.delivery) {
      case Delivery::kHang:
        stop_.WaitFor(reply.hang_ms);
        response.setKeepAlive(false);
        socket.shutdown();
        return;
      case Delivery::kReset:
        response.setKeepAlive(false);
        connections_.CloseWithReset(connection_, socket);
        return;
      default:
        break;
    }
    response.setStatus(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(reply.status));
    response.setContentType(reply.content_type);
    for (const auto& [name, value] : reply.headers) response.set(name, value);
    response.setContentLength(static_cast<std::streamsize>(reply.body.size()));
    if (reply.delivery == Delivery::kTruncate) {
      response.setKeepAlive(false);
      std::ostream& out = response.send();
      out.write(reply.body.data(), static_cast<std::streamsize>(reply.body.size() / 2));
      out.flush();
      socket.shutdown();
      return;
    }
    // Head and body in one write: one syscall and one segment per answer instead of Poco's two.
    std::string out;
    out.reserve(320 + reply.body.size());
    out += "HTTP/1.1 ";
    out += std::to_string(reply.status);
    out += ' ';
    out += Poco::Net::HTTPResponse::getReasonForStatus(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(reply.status));
    out += "\r\nContent-Type: ";
    out += reply.content_type;
    out += "\r\nContent-Length: ";
    out += std::to_string(reply.body.size());
    out += response.getKeepAlive() ? "\r\nConnection: Keep-Alive" : "\r\nConnection: close";
    for (const auto& [name, value] : reply.headers) {
      out += "\r\n";
      out += name;
      out += ": ";
      out += value;
    }
    out += "\r\n\r\n";
    out += reply.body;
    std::size_t sent = 0;
    while (sent < out.size()) {
      const int n = socket.sendBytes(out.data() + sent, static_cast<int>(out.size() - sent));
      if (n <= 0) {
        response.setKeepAlive(false);
        return;
      }
      sent += static_cast<std::size_t>(n);
    }
  }

 private:
  Sandbox& sandbox_;
  StopSignal& stop_;
  Connections& connections_;
  const void* connection_;
};

// The connections being served, so Stop() can end them: a read blocked on a shut-down socket returns.

// How long a kept-alive connection may stay silent before the server drops it.
constexpr long kIdleSeconds = 60;

// One kept-alive connection: Poco reads each request and its body, Handler answers. This is Poco's own
// HTTPServerConnection loop without its poll() before every request, which on Linux set up an epoll instance each
// time (four system calls, a quarter of the sandbox's CPU per request); a blocking read with the socket's timeout
// waits the same way.
class Connection : public Poco::Net::TCPServerConnection {
 public:
  Connection(const Poco::Net::StreamSocket& socket, Sandbox& sandbox, StopSignal& stop, Connections& connections,
             Poco::Net::HTTPServerParams::Ptr params)
      : TCPServerConnection(socket), sandbox_(sandbox), stop_(stop), connections_(connections), params_(params) {}

  void run() override {
    Poco::Net::StreamSocket& s = socket();
    try {
      s.setReceiveTimeout(Poco::Timespan(kIdleSeconds, 0));
      s.setNoDelay(true);
      Poco::Net::HTTPServerSession session(s, params_);  // closes the socket when it goes
      if (!connections_.Add(this, s.impl()->sockfd())) return;
      struct Leave {  // declared after the session, so it leaves the set before the session closes the socket
        Connections& connections;
        const void* connection;
        ~Leave() { connections.Remove(connection); }
      } leave{connections_, this};
      Handler handler(sandbox_, stop_, connections_, this);
      while (!stop_.Stopping() && s.impl()->initialized()) {
        Poco::Net::HTTPServerResponseImpl response(session);
        try {
          Poco::Net::HTTPServerRequestImpl request(response, session, params_);
          response.setVersion(request.getVersion());
          response.setKeepAlive(request.getKeepAlive());
          if (request.getExpectContinue()) response.sendContinue();
          handler.handleRequest(request, response);
        } catch (const Poco::Net::NoMessageException&) {
          return;  // the client closed between requests
        } catch (const Poco::Net::MessageException&) {
          SendError(response, Poco::Net::HTTPResponse::HTTP_BAD_REQUEST);
          return;
        } catch (const Poco::TimeoutException&) {
          return;  // idle too long
        } catch (const std::exception&) {
          if (!response.sent()) SendError(response, Poco::Net::HTTPResponse::HTTP_INTERNAL_SERVER_ERROR);
          return;
        }
        if (!response.getKeepAlive()) return;
      }
    } catch (const Poco::Exception&) {
      // The peer reset, or Stop() shut the socket: the connection is over either way.
    }
  }

 private:
  static void SendError(Poco::Net::HTTPServerResponseImpl& response, Poco::Net::HTTPResponse::HTTPStatus status) {
    try {
      response.setStatusAndReason(status);
      response.setKeepAlive(false);
      response.send();
    } catch (...) {
      // The client is gone: nobody to tell.
    }
  }

  Sandbox& sandbox_;
  StopSignal& stop_;
  Connections& connections_;
  Poco::Net::HTTPServerParams::Ptr params_;
};

class Factory : public Poco::Net::TCPServerConnectionFactory {
 public:
  Factory(Sandbox& sandbox, StopSignal& stop, Connections& connections, Poco::Net::HTTPServerParams::Ptr params)
      : sandbox_(sandbox), stop_(stop), connections_(connections), params_(params) {}
  Poco::Net::TCPServerConnection* createConnection(const Poco::Net::StreamSocket& socket) override {
    return new Connection(socket, sandbox_, stop_, connections_, params_);
  }

 private:
  Sandbox& sandbox_;
  StopSignal& stop_;
  Connections& connections_;
  Poco::Net::HTTPServerParams::Ptr params_;
};

}  // namespace

class Server::Impl {
 public:
  Impl(Sandbox& sandbox, ServerOptions options) : sandbox_(sandbox), options_(std::move(options)) {}

  std::uint16_t Start() {
    try {
      const Poco::Net::SocketAddress address(options_.bind, options_.port);
      if (!options_.tls_cert.empty() || !options_.tls_key.empty()) {
        if (options_.tls_cert.empty() || options_.tls_key.empty()) {
          throw std::runtime_error("TLS needs both --tls-cert and --tls-key");
        }
        Poco::Net::initializeSSL();
        ssl_initialized_ = true;
        Poco::Net::Context::Ptr context = new Poco::Net::Context(
            Poco::Net::Context::TLS_SERVER_USE, options_.tls_key, options_.tls_cert, "",
            Poco::Net::Context::VERIFY_NONE, 9, false, "ALL:!ADH:!LOW:!EXP:!MD5:@STRENGTH");
        socket_ = std::make_unique<Poco::Net::SecureServerSocket>(address, 256, context);
      } else {
        socket_ = std::make_unique<Poco::Net::ServerSocket>(address, 256);
      }
      Poco::Net::HTTPServerParams::Ptr params = new Poco::Net::HTTPServerParams;
      params->setMaxThreads(options_.max_threads);
      params->setMaxQueued(4096);
      params->setKeepAlive(true);
      params->setKeepAliveTimeout(Poco::Timespan(kIdleSeconds, 0));
      params->setTimeout(Poco::Timespan(kIdleSeconds, 0));
      pool_ = std::make_unique<Poco::ThreadPool>(2, options_.max_threads + 4, 60);
      server_ = std::make_unique<Poco::Net::TCPServer>(new Factory(sandbox_, stop_, connections_, params), *pool_,
                                                       *socket_, params);
      server_->start();
      return socket_->address().port();
    } catch (const Poco::Exception& e) {
      throw std::runtime_error("cannot start the server on \"" + options_.bind + ":" + std::to_string(options_.port) +
                               "\": " + e.displayText());
    }
  }

  void Stop() {
    if (!server_) return;
    stop_.Trigger();
    server_->stop();
    connections_.ShutdownAll();
    pool_->joinAll();
    server_.reset();
  }

  ~Impl() {
    Stop();
    if (ssl_initialized_) Poco::Net::uninitializeSSL();
  }

 private:
  Sandbox& sandbox_;
  ServerOptions options_;
  StopSignal stop_;
  Connections connections_;
  std::unique_ptr<Poco::Net::ServerSocket> socket_;
  std::unique_ptr<Poco::ThreadPool> pool_;
  std::unique_ptr<Poco::Net::TCPServer> server_;
  bool ssl_initialized_ = false;
};

Server::Server(Sandbox& sandbox, ServerOptions options) : impl_(std::make_unique<Impl>(sandbox, std::move(options))) {}
Server::~Server() = default;
std::uint16_t Server::Start() { return impl_->Start(); }
void Server::Stop() { impl_->Stop(); }

}  // namespace payrecon::sandbox
