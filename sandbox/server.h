#pragma once
// The HTTP(S) front of the sandbox: a few event-loop threads (io_threads), each with its own epoll set, accept
// connections, read requests into sandbox::HttpRequest, ask the Sandbox, and carry out the reply's delivery
// (delay, hang, reset, truncation) with timers instead of sleeping threads. TLS is OpenSSL's, over the same
// non-blocking sockets. Requests: HTTP/1.0 and 1.1, keep-alive, Content-Length or chunked bodies, "Expect:
// 100-continue"; a malformed request gets 400 and the connection is closed.
#include <cstdint>
#include <memory>
#include <string>

#include "sandbox/sandbox.h"

namespace payrecon::sandbox {

struct ServerOptions {
  std::string bind = "127.0.0.1";
  std::uint16_t port = 0;   // 0: a free port
  int max_connections = 256;  // served at once; more wait in the listen queue
  int io_threads = 2;          // event-loop threads
  std::string tls_cert;     // PEM files; both set: HTTPS, both empty: HTTP
  std::string tls_key;
};

class Server {
 public:
  Server(Sandbox& sandbox, ServerOptions options);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds and starts serving; returns the bound port. Throws std::runtime_error when it cannot bind or load TLS.
  std::uint16_t Start();
  // Stops accepting, closes every connection (also those whose answers are delayed or hung) and joins the threads.
  void Stop();

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace payrecon::sandbox
