#pragma once
// The signed HTTP(S) client for Amazon Pay India: one keep-alive connection to the configured endpoint, TLS peer
// verification on by default, connect and read timeouts. Not thread-safe: one instance per thread.
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "env/clock.h"
#include "gateway/merchants.h"
#include "gateway/options.h"
#include "gateway/response.h"
#include "signing/canonical.h"

namespace payrecon::gateway {

// One API call before signing. Values are raw (unencoded); the client encodes the query and writes the body as a
// JSON object whose members are all strings, in the order given.
struct Request {
  std::string_view method = "GET";   // "GET" or "POST"
  std::string path;                  // "/v1/payments/charge"
  std::vector<signing::Pair> query;  // GET only
  std::vector<signing::Pair> body;   // POST only
};

// What the client put on the wire, for tests and diagnostics (the Authorization value carries no secret).
struct SentRequest {
  std::string target;          // path and encoded query, e.g. "/v1/payments/charge?merchantId=M&..."
  std::string canonical;       // the canonical request text that was signed
  std::string authorization;   // "AMZ <access key id>:<signature>"
  std::string amz_date;
  std::string body;            // JSON text (POST) or empty
};

class Client {
 public:
  // Throws InvalidOptions (see ValidateOptions). `clock` gives x-amz-date; default env::WallNow.
  // `steady` times kept-alive and opened-ahead connections (tests move it by hand).
  using SteadyNow = std::function<std::chrono::steady_clock::time_point()>;
  explicit Client(GatewayOptions options, Clock clock = env::WallNow, SteadyNow steady = std::chrono::steady_clock::now);
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;
  Client(Client&&) noexcept;
  Client& operator=(Client&&) noexcept;

  // Signs `request` for `merchant`, sends it on the kept-alive connection (reconnecting when needed), reads the
  // whole response and inspects it (JSON, signature). Transport failures are values in the Exchange; never throws
  // for network or HTTP problems. A GET that fails on a reused connection before any response byte is retried
  // once on a fresh connection; a POST never is (it may have been processed).
  Exchange Call(const Merchant& merchant, const Request& request);
  // Opens a connection now when the next Call would have to (none yet, or idle too long), so that Call sends at
  // once. Never throws: a failure is kept and becomes the next Call's transport failure (no second attempt);
  // a later PrepareConnection tries again. A connection that then waits more than a second for its request is
  // treated like a kept-alive one (a GET failing on it before any response byte is resent once), and one that
  // waits 8 s or more is opened again by Call.
  void PrepareConnection();

  // The last request sent (empty before the first call).
  const SentRequest& last_sent() const;
  // How many TCP connections this client has opened for requests so far (one opened ahead by PrepareConnection
  // counts once a request uses it).
  int connections_opened() const;
  const GatewayOptions& options() const;
  // The host written into canonical texts: signing_host, or the endpoint's host.
  const std::string& signing_host() const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace payrecon::gateway
