#pragma once
// The parts of one exchange that do not depend on how its bytes move: the signed request written as bytes, and
// the bytes read back made into an inspected Exchange. Shared by the blocking Client (client.h) and the
// ConcurrentGatewayChecker (concurrent_checker.h), so both sign, frame and verify alike. Internal to gateway/.
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/time.h"
#include "gateway/client.h"
#include "gateway/merchants.h"
#include "gateway/options.h"
#include "gateway/response.h"
#include "net/http_wire.h"

namespace payrecon::gateway::detail {

// A kept-alive connection idle this long is closed and opened again before the next request, rather than risk a
// server or proxy having dropped it meanwhile (Poco's own default keep-alive timeout).
inline constexpr std::chrono::seconds kKeepAliveIdle{8};
// A connection opened ahead of its request that waited longer than this for it counts as kept alive: a gateway or
// proxy may drop unused connections, so a GET that fails on it before any response byte is resent once on a new
// connection, as on any kept-alive connection.
inline constexpr std::chrono::seconds kOpenedAheadMayBeStale{1};

// Throws InvalidOptions for options ValidateOptions refuses; the endpoint they name otherwise.
Endpoint ValidatedEndpoint(const GatewayOptions& options);

// Why an exchange did not complete.
struct Failure {
  Transport transport;
  std::string message;
  bool before_response;  // nothing of the response arrived: a reused connection may just have been stale
};

// Signs requests for one endpoint and writes them as HTTP/1.1 bytes. Keeps its buffers from call to call.
class RequestWriter {
 public:
  // `options` must have passed ValidateOptions.
  RequestWriter(const GatewayOptions& options, const Endpoint& endpoint);

  // Signs `request` for `merchant` at `now` into `sent` and writes the bytes to send into `bytes`. A request that
  // cannot be written (a header value holding CR or LF) gives its failure instead.
  std::optional<Failure> Write(const Merchant& merchant, const Request& request, core::Instant now, SentRequest& sent,
                               std::string& bytes);
  // The host and path the last Write signed: what the response's canonical text is checked over.
  const std::string& host_path() const { return host_path_; }
  const std::string& signing_host() const { return signing_host_; }

 private:
  const GatewayOptions& options_;
  std::string signing_host_;
  std::string expires_;
  std::string host_header_;
  std::string host_path_;
  std::vector<signing::Pair> header_pairs_;
  std::vector<std::pair<std::string_view, std::string_view>> wire_headers_;
};

// What a refused response means for the exchange.
Failure ReaderFailure(const net::wire::ResponseReader& reader);

// Moves what `reader` read (status, the headers that matter, the body) into `exchange`.
void TakeResponse(net::wire::ResponseReader& reader, Exchange& exchange);

// Ends an exchange: its transport (completed, or the failure's), then the body's JSON and signature when a
// response arrived whole or cut short. `exchange.received_at` must be set.
void Conclude(Exchange& exchange, std::optional<Failure> failure, std::string_view method, std::string_view host_path,
              const signing::Signer& signer, core::Millis max_skew);

}  // namespace payrecon::gateway::detail
