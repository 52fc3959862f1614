#pragma once
// Test support for end-to-end tests: a temporary directory, the real payrecon-sandbox binary started on a free
// port (the port read from its first stdout line, no sleeps), plain HTTP calls to its control endpoints, and a
// throwaway TLS certificate authority. Reused by the job's end-to-end tests.
#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace payrecon::testing {

// A fresh directory under /tmp, removed with everything in it on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  // Writes `text` to path()/name and returns the full path. Throws std::runtime_error on failure.
  std::string Write(const std::string& name, std::string_view text) const;

 private:
  std::string path_;
};

// Reads a whole file; throws std::runtime_error when it cannot.
std::string ReadFile(const std::string& path);

// Waits until the child `pid` exits, at most `timeout`, and reaps it: true with its wait status in *status,
// false when it is still running at the timeout (or is not this process's child: then *status is untouched).
// Blocks in poll(2) on a pidfd, so the wait ends when the child exits, not at a polling tick. Throws
// std::runtime_error when pidfd_open fails (a kernel before Linux 5.3, or `pid` is not a process).
bool WaitForChildExit(pid_t pid, std::chrono::milliseconds timeout, int* status);

struct HttpResult {
  int status = 0;
  std::string body;
};

struct SandboxProcessOptions {
  std::string binary;                  // path of payrecon-sandbox (tests get it from a compile definition)
  std::vector<std::string> args;       // e.g. {"--merchants", file, "--scenario", file}; "--port 0" is added
  std::chrono::milliseconds start_timeout{15000};  // for the port line (a large scenario loads first)
  bool tls = false;                    // the server speaks HTTPS (args carry --tls-cert/--tls-key); Control*
                                       // helpers then trust any certificate
};

// The running sandbox. Starting throws std::runtime_error (with the process's stderr) when the binary fails to
// print its port in time. The destructor stops it (SIGTERM, then SIGKILL after 10 s).
class SandboxProcess {
 public:
  explicit SandboxProcess(SandboxProcessOptions options);
  ~SandboxProcess();
  SandboxProcess(const SandboxProcess&) = delete;
  SandboxProcess& operator=(const SandboxProcess&) = delete;

  std::uint16_t port() const { return port_; }
  pid_t pid() const { return pid_; }
  // "http://127.0.0.1:<port>" (https with tls).
  std::string endpoint() const;
  // Everything the process wrote to stderr so far, and the file it goes to.
  std::string Stderr() const;
  const std::string& stderr_path() const { return stderr_file_; }

  // Plain requests to the sandbox (control endpoints, or raw API requests). Throw std::runtime_error on network
  // failure; any HTTP status is a result.
  HttpResult Get(const std::string& target) const;
  HttpResult Post(const std::string& target, std::string_view body) const;

  // SIGTERM, then waits up to `timeout` (SIGKILL after it). Returns the exit code, or 128 + signal number when
  // the process was killed by a signal. Idempotent: later calls return the first result.
  int Stop(std::chrono::milliseconds timeout = std::chrono::milliseconds(10000));

 private:
  HttpResult Request(const std::string& method, const std::string& target, std::string_view body) const;

  SandboxProcessOptions options_;
  TempDir dir_;
  std::string stderr_file_;
  pid_t pid_ = -1;
  int stdout_fd_ = -1;
  std::uint16_t port_ = 0;
  int exit_code_ = -1;
};

// A certificate authority and a server certificate for IP:127.0.0.1 and DNS:localhost, made with the openssl
// command in a TempDir. Throws std::runtime_error when openssl fails.
class TestTls {
 public:
  TestTls();
  const std::string& ca_file() const { return ca_file_; }
  const std::string& cert_file() const { return cert_file_; }
  const std::string& key_file() const { return key_file_; }

 private:
  TempDir dir_;
  std::string ca_file_;
  std::string cert_file_;
  std::string key_file_;
};

}  // namespace payrecon::testing
