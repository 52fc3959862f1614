#pragma once
// Local servers for the gateway client's tests, started by the test on an ephemeral loopback port:
// SignedServer (Poco HTTPServer, optionally TLS) answers like Amazon Pay and signs its responses; RawServer runs
// a function per accepted socket for resets, truncation and silence; TestCa writes a throwaway CA and server
// certificates with the openssl command.
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

namespace payrecon::testing {

struct ServerRequest {
  std::string method;
  std::string uri;   // path and query as received
  std::string path;  // without the query
  std::map<std::string, std::string> headers;  // names lowercased
  std::string body;
};

struct ServerReply {
  enum class Sign { kValid, kWrongKey, kNone };
  int status = 200;
  std::string body;
  Sign sign = Sign::kValid;
  std::string amz_date = "20260920T010203Z";
  std::string request_id = "11111111-2222-3333-4444-555555555555";
  std::vector<std::pair<std::string, std::string>> extra_headers;  // e.g. Retry-After, a fixed x-amz-signature
  bool close = false;  // answer with Connection: close
};

using Handler = std::function<ServerReply(const ServerRequest&)>;

struct TlsFiles {
  std::string cert_file;
  std::string key_file;
};

class SignedServer {
 public:
  // Signs replies with `secret` over the canonical response of (request method, signing_host + path).
  SignedServer(std::string secret, std::string signing_host, Handler handler,
               std::optional<TlsFiles> tls = std::nullopt);
  ~SignedServer();
  std::uint16_t port() const;
  int connections() const;  // TCP connections accepted so far
  std::vector<ServerRequest> requests() const;

  class Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

// Accepts connections one at a time and runs `on_connection(fd, request_head)` after reading one request head
// (up to the blank line). The function owns nothing: the server closes the socket afterwards unless the function
// returns true (it closed or reset it itself).
class RawServer {
 public:
  using OnConnection = std::function<bool(int fd, const std::string& request_head)>;
  explicit RawServer(OnConnection on_connection);
  ~RawServer();
  std::uint16_t port() const { return port_; }
  int connections() const { return connections_.load(); }
  // Releases functions blocked in WaitForRelease (used to hold a connection silent until the test is done).
  void Release();
  bool WaitForRelease();

 private:
  void Loop();

  OnConnection on_connection_;
  int listen_fd_ = -1;
  std::uint16_t port_ = 0;
  std::atomic<int> connections_{0};
  std::atomic<bool> stopping_{false};
  std::mutex mu_;
  std::condition_variable released_cv_;
  bool released_ = false;
  std::thread thread_;
};

// Writes raw bytes; false on error.
bool WriteAll(int fd, std::string_view data);
// Closes with a TCP RST (SO_LINGER 0).
void ResetConnection(int fd);
// Reads more of the next request head on a kept-alive raw connection; empty on EOF.
std::string ReadRequestHead(int fd);

// A throwaway certificate authority in a temporary directory (removed on destruction).
class TestCa {
 public:
  TestCa();
  ~TestCa();
  const std::string& ca_file() const { return ca_file_; }
  // A server certificate signed by this CA for the given subjectAltName, e.g. "IP:127.0.0.1,DNS:localhost".
  TlsFiles Issue(const std::string& name, const std::string& subject_alt_names) const;

 private:
  std::string dir_;
  std::string ca_file_;
  std::string ca_key_;
};

// A loopback port with nothing listening on it (bound, then closed).
std::uint16_t UnusedPort();

}  // namespace payrecon::testing
