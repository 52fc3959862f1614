#pragma once
// The HTTP(S) front of the sandbox: a Poco TCPServer whose connections read requests with Poco's HTTP server
// classes, turn them into sandbox::HttpRequest, ask the Sandbox, and carry out the reply's delivery (delay, hang,
// reset, truncation). One thread per keep-alive connection, so max_threads bounds the number of concurrent clients.
#include <cstdint>
#include <memory>
#include <string>

#include "sandbox/sandbox.h"

namespace payrecon::sandbox {

struct ServerOptions {
  std::string bind = "127.0.0.1";
  std::uint16_t port = 0;   // 0: a free port
  int max_threads = 256;    // concurrent connections served
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
  // Stops accepting, wakes handlers that delay or hang, closes connections and waits for their threads.
  void Stop();

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace payrecon::sandbox
