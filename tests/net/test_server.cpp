#include "tests/net/test_server.h"

#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/SecureServerSocket.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/SSLManager.h>
#include <Poco/StreamCopier.h>
#include <Poco/ThreadPool.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>

#include "core/json.h"
#include "gateway/response.h"
#include "signing/signer.h"

namespace payrecon::testing {

namespace {

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace

class SignedServer::Impl {
 public:
  Impl(std::string secret, std::string signing_host, Handler handler, std::optional<TlsFiles> tls)
      : signer_(core::Secret(std::move(secret))),
        wrong_signer_(core::Secret("not-the-merchant-secret")),
        signing_host_(std::move(signing_host)),
        handler_(std::move(handler)) {
    auto* params = new Poco::Net::HTTPServerParams;
    params->setKeepAlive(true);
    params->setMaxThreads(4);
    params->setMaxQueued(16);
    params->setTimeout(Poco::Timespan(5, 0));
    const Poco::Net::SocketAddress address("127.0.0.1", 0);
    if (tls) {
      Poco::Net::initializeSSL();
      context_ = new Poco::Net::Context(Poco::Net::Context::SERVER_USE, tls->key_file, tls->cert_file, "",
                                        Poco::Net::Context::VERIFY_NONE);
      socket_ = std::make_unique<Poco::Net::SecureServerSocket>(address, 16, context_);
    } else {
      socket_ = std::make_unique<Poco::Net::ServerSocket>(address, 16);
    }
    port_ = socket_->address().port();
    server_ = std::make_unique<Poco::Net::HTTPServer>(new Factory(this), *pool_, *socket_, params);
    server_->start();
  }
  // Waits for the connection threads too: one still finishing after the test would use this object, and at exit
  // Poco's buffer pool, after its statics are gone (ThreadSanitizer: use of a destroyed mutex).
  ~Impl() {
    server_->stopAll(true);
    pool_->joinAll();
    server_.reset();
  }

  std::uint16_t port() const { return port_; }
  int connections() const { return server_->totalConnections(); }
  std::vector<ServerRequest> requests() const {
    std::lock_guard lock(mu_);
    return requests_;
  }

  void Handle(Poco::Net::HTTPServerRequest& in, Poco::Net::HTTPServerResponse& out) {
    ServerRequest req;
    req.method = in.getMethod();
    req.uri = in.getURI();
    req.path = req.uri.substr(0, req.uri.find('?'));
    for (const auto& [name, value] : in) req.headers[Lower(name)] = value;
    Poco::StreamCopier::copyToString(in.stream(), req.body);
    {
      std::lock_guard lock(mu_);
      requests_.push_back(req);
    }
    const ServerReply reply = handler_(req);
    out.setStatus(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(reply.status));
    out.setContentType("application/json");
    out.set("x-amz-algorithm", "AWS4-HMAC-SHA384");
    out.set("x-amz-date", reply.amz_date);
    out.set("x-amz-request-id", reply.request_id);
    if (reply.sign != ServerReply::Sign::kNone) {
      const auto body = core::ParseJson(reply.body);
      if (!body.ok()) throw std::logic_error("a signed test reply needs a JSON body");
      const std::string canonical = signing::CanonicalResponseText(req.method, signing_host_ + req.path,
                                                                   "AWS4-HMAC-SHA384", reply.amz_date,
                                                                   reply.request_id, *body);
      const signing::Signer& s = reply.sign == ServerReply::Sign::kValid ? signer_ : wrong_signer_;
      out.set("x-amz-signature", s.Sign(canonical, reply.amz_date));
    }
    for (const auto& [name, value] : reply.extra_headers) out.set(name, value);
    if (reply.close) out.setKeepAlive(false);
    out.sendBuffer(reply.body.data(), reply.body.size());
  }

 private:
  class RequestHandler final : public Poco::Net::HTTPRequestHandler {
   public:
    explicit RequestHandler(Impl* impl) : impl_(impl) {}
    void handleRequest(Poco::Net::HTTPServerRequest& in, Poco::Net::HTTPServerResponse& out) override {
      impl_->Handle(in, out);
    }

   private:
    Impl* impl_;
  };
  class Factory final : public Poco::Net::HTTPRequestHandlerFactory {
   public:
    explicit Factory(Impl* impl) : impl_(impl) {}
    Poco::Net::HTTPRequestHandler* createRequestHandler(const Poco::Net::HTTPServerRequest&) override {
      return new RequestHandler(impl_);
    }

   private:
    Impl* impl_;
  };

  signing::Signer signer_;
  signing::Signer wrong_signer_;
  std::string signing_host_;
  Handler handler_;
  Poco::Net::Context::Ptr context_;
  std::unique_ptr<Poco::Net::ServerSocket> socket_;
  std::unique_ptr<Poco::ThreadPool> pool_ = std::make_unique<Poco::ThreadPool>(1, 8);  // the server's own
  std::unique_ptr<Poco::Net::HTTPServer> server_;
  std::uint16_t port_ = 0;
  mutable std::mutex mu_;
  std::vector<ServerRequest> requests_;
};

SignedServer::SignedServer(std::string secret, std::string signing_host, Handler handler,
                           std::optional<TlsFiles> tls)
    : impl_(std::make_unique<Impl>(std::move(secret), std::move(signing_host), std::move(handler), std::move(tls))) {}
SignedServer::~SignedServer() = default;
std::uint16_t SignedServer::port() const { return impl_->port(); }
int SignedServer::connections() const { return impl_->connections(); }
std::vector<ServerRequest> SignedServer::requests() const { return impl_->requests(); }

// ---- RawServer ----

bool WriteAll(int fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n <= 0) return false;
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

void ResetConnection(int fd) {
  const linger l{1, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
  ::close(fd);
}

std::string ReadRequestHead(int fd) {
  std::string head;
  char c = 0;
  while (head.size() < 65536) {
    const ssize_t n = ::recv(fd, &c, 1, 0);
    if (n <= 0) return {};
    head += c;
    if (head.size() >= 4 && head.compare(head.size() - 4, 4, "\r\n\r\n") == 0) return head;
  }
  return {};
}

RawServer::RawServer(OnConnection on_connection) : on_connection_(std::move(on_connection)) {
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
  if (listen_fd_ < 0) throw std::runtime_error("raw server: socket failed");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(listen_fd_, 16) != 0) {
    throw std::runtime_error("raw server: bind/listen failed");
  }
  socklen_t len = sizeof addr;
  ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
  port_ = ntohs(addr.sin_port);
  thread_ = std::thread([this] { Loop(); });
}

RawServer::~RawServer() {
  stopping_ = true;
  Release();
  ::shutdown(listen_fd_, SHUT_RDWR);  // wakes accept()
  thread_.join();
  ::close(listen_fd_);
}

void RawServer::Release() {
  std::lock_guard lock(mu_);
  released_ = true;
  released_cv_.notify_all();
}

bool RawServer::WaitForRelease() {
  std::unique_lock lock(mu_);
  // Bounded: a test that forgets to release still ends.
  return released_cv_.wait_for(lock, std::chrono::seconds(30), [this] { return released_; });
}

void RawServer::Loop() {
  while (!stopping_) {
    const int fd = ::accept(listen_fd_, nullptr, nullptr);
    if (fd < 0) return;
    ++connections_;
    const std::string head = ReadRequestHead(fd);
    const bool closed = head.empty() ? false : on_connection_(fd, head);
    if (!closed) ::close(fd);
  }
}

// ---- TestCa ----

namespace {

void Run(const std::string& command) {
  const std::string quiet = command + " >/dev/null 2>&1";
  if (std::system(quiet.c_str()) != 0) throw std::runtime_error("command failed: " + command);
}

}  // namespace

TestCa::TestCa() {
  char tmpl[] = "/tmp/payrecon-ca.XXXXXX";
  if (::mkdtemp(tmpl) == nullptr) throw std::runtime_error("mkdtemp failed");
  dir_ = tmpl;
  ca_file_ = dir_ + "/ca.pem";
  ca_key_ = dir_ + "/ca.key";
  Run("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 -subj "
      "'/CN=payrecon test CA' -keyout " + ca_key_ + " -out " + ca_file_);
}

TestCa::~TestCa() {
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

TlsFiles TestCa::Issue(const std::string& name, const std::string& subject_alt_names) const {
  const std::string key = dir_ + "/" + name + ".key";
  const std::string csr = dir_ + "/" + name + ".csr";
  const std::string cert = dir_ + "/" + name + ".pem";
  const std::string ext = dir_ + "/" + name + ".ext";
  Run("openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj '/CN=" + name + "' -keyout " +
      key + " -out " + csr);
  std::ofstream(ext) << "subjectAltName=" << subject_alt_names << "\nbasicConstraints=CA:FALSE\n";
  Run("openssl x509 -req -in " + csr + " -CA " + ca_file_ + " -CAkey " + ca_key_ +
      " -CAcreateserial -days 2 -extfile " + ext + " -out " + cert);
  return {cert, key};
}

std::uint16_t UnusedPort() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

}  // namespace payrecon::testing
