#pragma once
// Amazon Pay India request and response signing: AWS4-HMAC-SHA384 (docs/amazon-pay-protocol.md §1-2), shared by the
// client (gateway/) and the local server (sandbox/) so that both sides sign with the same code. The time is always
// an argument; the signing key is derived once per (secret, day) and cached.
#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/json.h"
#include "core/secret.h"
#include "signing/canonical.h"

namespace payrecon::signing {

inline constexpr std::string_view kAlgorithm = "AWS4-HMAC-SHA384";
inline constexpr std::string_view kRegion = "eu-west-1";
inline constexpr std::string_view kService = "AmazonPay";
inline constexpr std::string_view kTerminator = "aws4_request";
// [inferred] docs/amazon-pay-protocol.md §1.4: the current docs print "AMZ+<key>:<sig>" (a URL-encoded space); the
// older guide, the Android SDK and production integrations send a literal space.
inline constexpr std::string_view kAuthorizationPrefix = "AMZ";
inline constexpr std::string_view kAuthorizationSeparator = " ";

// The names of the seven signed request headers, lowercase, in canonical (sorted) order.
inline constexpr std::array<std::string_view, 7> kSignedHeaderNames = {
    "x-amz-algorithm", "x-amz-client-id", "x-amz-date", "x-amz-expires", "x-amz-source", "x-amz-user-agent",
    "x-amz-user-ip"};

// The values of the seven signed request headers, sent on the wire exactly as signed
// (docs/amazon-pay-protocol.md §1.1).
struct RequestSigningHeaders {
  std::string client_id;   // x-amz-client-id: the merchant id
  std::string amz_date;    // x-amz-date: YYYYMMDDTHHMMSSZ
  std::string expires;     // x-amz-expires: seconds, e.g. "900"
  std::string source;      // x-amz-source: "Server" for this worker
  std::string user_agent;  // x-amz-user-agent
  std::string user_ip;     // x-amz-user-ip
};
// The seven (name, value) pairs in kSignedHeaderNames order, algorithm included.
std::vector<Pair> SignedHeaderPairs(const RequestSigningHeaders& h);

// The three signed response headers (docs/amazon-pay-protocol.md §2).
struct ResponseSigningHeaders {
  std::string amz_date;
  std::string request_id;
};
std::vector<Pair> SignedResponseHeaderPairs(const ResponseSigningHeaders& h);

// The canonical response text (docs/amazon-pay-protocol.md §2): the request's method, host+path, an empty line 3,
// the three response headers (`algorithm` as received), then the body's top-level pairs with number text kept.
std::string CanonicalResponseText(std::string_view method, std::string_view host_path,
                                  std::string_view algorithm, std::string_view amz_date,
                                  std::string_view request_id, const core::JsonValue& body);

// "AWS4-HMAC-SHA384\n<amz_date>\n<YYYYMMDD>/eu-west-1/AmazonPay/aws4_request\n<hex sha384(canonical)>".
// Requires amz_date to be at least 8 characters (the caller validates x-amz-date).
std::string StringToSign(std::string_view canonical, std::string_view amz_date);

// "AMZ <access key id>:<signature>".
std::string AuthorizationHeader(std::string_view access_key_id, std::string_view signature);

// The two parts of an Authorization value, as views into it.
struct AuthorizationParts {
  std::string_view access_key_id;
  std::string_view signature;
};
// Reads "AMZ <key>:<signature>", and also "AMZ+<key>:<signature>" (the form Amazon's current pages print), so a
// client built from either reading can be checked. nullopt when the prefix, the separator, the ':' or the key is
// missing; the signature may be empty (it then fails verification).
std::optional<AuthorizationParts> ParseAuthorization(std::string_view value);

std::string Sha384Hex(std::string_view data);
std::string Sha256Hex(std::string_view data);
std::string Base64UrlNoPad(const unsigned char* data, std::size_t size);
// Compares without branching on the content (the time depends on the lengths only).
bool ConstantTimeEquals(std::string_view a, std::string_view b);

// Signs canonical texts with one merchant's secret. Thread-safe.
class Signer {
 public:
  explicit Signer(core::Secret secret);
  // base64url(HMAC-SHA384(kSigning(day of amz_date), StringToSign)), unpadded, 64 characters.
  std::string Sign(std::string_view canonical, std::string_view amz_date) const;
  // Whether `signature` is this signer's signature of the canonical text, in constant time.
  bool Verify(std::string_view canonical, std::string_view amz_date, std::string_view signature) const;

 private:
  // The derived signing key of one day (YYYYMMDD).
  struct DayKey {
    std::string day;
    std::string key;
  };
  // The key of `day`, derived once per day and then shared read-only by every thread: the latest one is read with
  // one atomic load, no lock (every worker signs and verifies with it on every call). Keys live as long as the
  // signer, one per day it was asked for, so a reference stays valid while another thread publishes a newer one.
  // (Not std::atomic<std::shared_ptr>: libstdc++ 12 releases its internal lock after a load with a relaxed store,
  // which ThreadSanitizer rightly reports as a race with the next store.)
  const DayKey& KeyFor(std::string_view day) const;

  core::Secret secret_;
  mutable std::atomic<const DayKey*> key_{nullptr};
  mutable std::mutex keys_mu_;
  mutable std::vector<std::unique_ptr<const DayKey>> keys_;  // every key derived, under keys_mu_
};

}  // namespace payrecon::signing
