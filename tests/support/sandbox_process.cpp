#include "tests/support/sandbox_process.h"

#include <Poco/Exception.h>
#include <Poco/Net/AcceptCertificateHandler.h>
#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPSClientSession.h>
#include <Poco/StreamCopier.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <stdexcept>

namespace payrecon::testing {

TempDir::TempDir() {
  char tmpl[] = "/tmp/payrecon-test.XXXXXX";
  if (::mkdtemp(tmpl) == nullptr) throw std::runtime_error("mkdtemp failed");
  path_ = tmpl;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

std::string TempDir::Write(const std::string& name, std::string_view text) const {
  const std::string file = path_ + "/" + name;
  std::ofstream out(file, std::ios::binary);
  out.write(text.data(), static_cast<std::streamsize>(text.size()));
  if (!out) throw std::runtime_error("cannot write \"" + file + "\"");
  return file;
}

bool WaitForChildExit(pid_t pid, std::chrono::milliseconds timeout, int* status) {
  const int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
  if (pidfd < 0) throw std::runtime_error("pidfd_open(" + std::to_string(pid) + "): " + std::strerror(errno));
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{pidfd};
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    int st = 0;
    const pid_t r = ::waitpid(pid, &st, WNOHANG);
    if (r == pid) {
      *status = st;
      return true;
    }
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if ((r < 0 && errno != EINTR) || left.count() <= 0) return false;
    // Readable once the child has exited; EINTR or a spurious wake-up just goes round again.
    pollfd p{pidfd, POLLIN, 0};
    ::poll(&p, 1, static_cast<int>(std::min<std::int64_t>(left.count(), 60000)));
  }
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read \"" + path + "\"");
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

SandboxProcess::SandboxProcess(SandboxProcessOptions options) : options_(std::move(options)) {
  stderr_file_ = dir_.path() + "/stderr.txt";
  int pipe_fds[2];
  if (::pipe(pipe_fds) != 0) throw std::runtime_error("pipe failed");
  std::vector<std::string> args = {options_.binary};
  args.insert(args.end(), options_.args.begin(), options_.args.end());
  args.insert(args.end(), {"--port", "0"});
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_ = ::fork();
  if (pid_ < 0) throw std::runtime_error("fork failed");
  if (pid_ == 0) {
    ::dup2(pipe_fds[1], 1);
    const int err = ::open(stderr_file_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (err >= 0) ::dup2(err, 2);
    ::close(pipe_fds[0]);
    ::close(pipe_fds[1]);
    ::execv(argv[0], argv.data());
    _exit(127);
  }
  ::close(pipe_fds[1]);
  stdout_fd_ = pipe_fds[0];

  // The first line of stdout is the port; poll until it arrives, the process exits, or the time is up.
  std::string line;
  const auto deadline = std::chrono::steady_clock::now() + options_.start_timeout;
  while (line.find('\n') == std::string::npos) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()).count();
    pollfd p{stdout_fd_, POLLIN, 0};
    if (left <= 0 || ::poll(&p, 1, static_cast<int>(left)) <= 0) {
      Stop();
      throw std::runtime_error("payrecon-sandbox printed no port in time; stderr: " + Stderr());
    }
    char buf[64];
    const ssize_t n = ::read(stdout_fd_, buf, sizeof buf);
    if (n <= 0) {
      const int code = Stop();
      throw std::runtime_error("payrecon-sandbox exited (" + std::to_string(code) + ") before printing its port; stderr: " +
                               Stderr());
    }
    line.append(buf, static_cast<std::size_t>(n));
  }
  const int port = std::atoi(line.substr(0, line.find('\n')).c_str());
  if (port <= 0 || port > 65535) {
    Stop();
    throw std::runtime_error("payrecon-sandbox printed \"" + line + "\" instead of a port");
  }
  port_ = static_cast<std::uint16_t>(port);
}

SandboxProcess::~SandboxProcess() {
  Stop();
  if (stdout_fd_ >= 0) ::close(stdout_fd_);
}

std::string SandboxProcess::endpoint() const {
  return std::string(options_.tls ? "https" : "http") + "://127.0.0.1:" + std::to_string(port_);
}

std::string SandboxProcess::Stderr() const {
  try {
    return ReadFile(stderr_file_);
  } catch (const std::exception&) {
    return {};
  }
}

int SandboxProcess::Stop(std::chrono::milliseconds timeout) {
  if (pid_ <= 0 || exit_code_ >= 0) return exit_code_;
  ::kill(pid_, SIGTERM);
  int status = 0;
  if (!WaitForChildExit(pid_, timeout, &status)) {
    ::kill(pid_, SIGKILL);
    if (::waitpid(pid_, &status, 0) != pid_) return exit_code_ = 255;
  }
  exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return exit_code_;
}

HttpResult SandboxProcess::Get(const std::string& target) const { return Request("GET", target, {}); }
HttpResult SandboxProcess::Post(const std::string& target, std::string_view body) const {
  return Request("POST", target, body);
}

HttpResult SandboxProcess::Request(const std::string& method, const std::string& target, std::string_view body) const {
  try {
    std::unique_ptr<Poco::Net::HTTPClientSession> session;
    if (options_.tls) {
      Poco::Net::Context::Ptr context =
          new Poco::Net::Context(Poco::Net::Context::TLS_CLIENT_USE, "", Poco::Net::Context::VERIFY_NONE);
      session = std::make_unique<Poco::Net::HTTPSClientSession>("127.0.0.1", port_, context);
    } else {
      session = std::make_unique<Poco::Net::HTTPClientSession>("127.0.0.1", port_);
    }
    session->setTimeout(Poco::Timespan(30, 0));
    Poco::Net::HTTPRequest request(method, target, Poco::Net::HTTPMessage::HTTP_1_1);
    request.setContentLength(static_cast<std::streamsize>(body.size()));
    if (method == "POST") request.setContentType("application/json");
    session->sendRequest(request).write(body.data(), static_cast<std::streamsize>(body.size()));
    Poco::Net::HTTPResponse response;
    std::istream& in = session->receiveResponse(response);
    HttpResult result;
    result.status = static_cast<int>(response.getStatus());
    Poco::StreamCopier::copyToString(in, result.body);
    return result;
  } catch (const Poco::Exception& e) {
    throw std::runtime_error(method + " " + target + " to the sandbox failed: " + e.displayText());
  }
}

namespace {

void Run(const std::string& command) {
  const std::string quiet = command + " >/dev/null 2>&1";
  if (std::system(quiet.c_str()) != 0) throw std::runtime_error("command failed: " + command);
}

}  // namespace

TestTls::TestTls() {
  const std::string d = dir_.path();
  ca_file_ = d + "/ca.pem";
  cert_file_ = d + "/server.pem";
  key_file_ = d + "/server.key";
  const std::string ca_key = d + "/ca.key";
  Run("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 -subj "
      "'/CN=payrecon sandbox test CA' -keyout " + ca_key + " -out " + ca_file_);
  dir_.Write("ext.cnf", "subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\n");
  Run("openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj '/CN=localhost' -keyout " +
      key_file_ + " -out " + d + "/server.csr");
  Run("openssl x509 -req -in " + d + "/server.csr -CA " + ca_file_ + " -CAkey " + ca_key +
      " -CAcreateserial -days 2 -extfile " + d + "/ext.cnf -out " + cert_file_);
}

}  // namespace payrecon::testing
