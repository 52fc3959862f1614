#pragma once
// What the gateway adapter needs to reach Amazon Pay India: where to connect, how to sign, how long to wait,
// and each merchant's credentials. Plain values; the job's configuration maps onto them.
#include <chrono>
#include <cstdint>
#include <functional>
#include <stdexcept>
#include <string>

#include "core/secret.h"
#include "core/time.h"

namespace payrecon::gateway {

inline constexpr std::string_view kProductionEndpoint = "https://amazonpay.amazon.in";
inline constexpr std::string_view kSandboxEndpoint = "https://amazonpay-sandbox.amazon.in";

// How far a verified answer's x-amz-date may be from our clock, either way, before it is not trusted.
inline constexpr std::chrono::milliseconds kDefaultResponseMaxSkew{5 * 60 * 1000};

struct GatewayOptions {
  // Base URL dialled, scheme and host with an optional port and no path: "https://amazonpay.amazon.in",
  // "http://127.0.0.1:8080". http:// is refused unless allow_insecure_http.
  std::string endpoint = std::string(kProductionEndpoint);
  // Host written on line 2 of the canonical request (docs/amazon-pay-protocol.md §1.1). Empty: the endpoint's host.
  std::string signing_host;
  // Permits an http:// endpoint (the local sandbox only). Default false.
  bool allow_insecure_http = false;
  // PEM file of trusted CA certificates. Empty: the system's default CAs. When set, only this file is trusted.
  std::string ca_file;
  // TCP connect (and TLS handshake) timeout; default 5 s, must be > 0.
  std::chrono::milliseconds connect_timeout{5000};
  // Time allowed for each read of the response (and each send); default 10 s, must be > 0.
  std::chrono::milliseconds read_timeout{10000};
  // x-amz-user-ip: the originating IP as Amazon should see it. Default "127.0.0.1".
  std::string user_ip = "127.0.0.1";
  // x-amz-user-agent. Keep it to unreserved characters (docs/amazon-pay-protocol.md §1.1). Default "payrecon".
  std::string user_agent = "payrecon";
  // x-amz-expires: seconds the request signature stays valid; default 900, range 1..3600.
  int expires_seconds = 900;
  // x-amz-source. Default "Server" (docs/amazon-pay-protocol.md §1.4).
  std::string source = "Server";
  // A verified answer dated further than this from our clock is BAD_SIGNATURE (see CheckResponseDate).
  std::chrono::milliseconds response_max_skew = kDefaultResponseMaxSkew;
};

// One merchant account's credentials (docs/amazon-pay-protocol.md §1.4). The secret never prints.
struct MerchantCredentials {
  std::string merchant_id;     // the MID, sent as merchantId and x-amz-client-id
  std::string access_key_id;   // the UUID-like key id in Authorization
  core::Secret secret_key;
};

// The wall clock, injected so tests can pin x-amz-date; env::WallNow outside tests.
using Clock = std::function<core::Instant()>;

// Thrown by constructors given unusable options or credentials (a configuration error: the run cannot start).
// The message names the field, e.g. "gateway option 'endpoint': http:// needs allow_insecure_http".
class InvalidOptions : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

// The parts of an endpoint URL. Throws InvalidOptions for anything but scheme://host[:port] with an optional
// trailing '/'.
struct Endpoint {
  bool https = true;
  std::string host;       // "amazonpay.amazon.in", "127.0.0.1", "::1" (no brackets)
  std::uint16_t port = 443;
};
Endpoint ParseEndpoint(const std::string& url);

// Checks every field; throws InvalidOptions naming the first bad one.
void ValidateOptions(const GatewayOptions& options);

}  // namespace payrecon::gateway
