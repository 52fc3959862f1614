#pragma once
// One signed exchange with Amazon Pay as data, its signature verification (docs/amazon-pay-protocol.md §2) and the
// single function that classifies it into a core::CheckResult. Pure: no sockets here, so tests and the fuzzer use it.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "core/check.h"
#include "core/json.h"
#include "core/time.h"
#include "signing/signer.h"

namespace payrecon::gateway {

// Response bodies longer than this are not read to the end; the exchange is malformed.
inline constexpr std::size_t kMaxResponseBytes = 1 << 20;

// How the transport ended.
enum class Transport {
  kCompleted,  // a whole HTTP response arrived (any status)
  kTimeout,    // connect, send or read timed out
  kNetwork,    // refused, reset, DNS, TLS handshake or certificate failure, closed before a response
  kTruncated,  // the response ended before its declared length, or exceeded kMaxResponseBytes
};

enum class SignatureCheck {
  kVerified,    // x-amz-signature matched the canonical response
  kMissing,     // no x-amz-signature header
  kWrong,       // present but not our signature (or its x-amz-date / algorithm header was unusable)
  kUnreadable,  // present, but the body is not JSON, so there is no canonical text to check
  kStale,       // it verified, but its x-amz-date is too far from our clock: an old answer replayed, or mis-dated
};

// The response headers that matter, by value.
struct ResponseHeaders {
  std::string algorithm;    // x-amz-algorithm
  std::string amz_date;     // x-amz-date
  std::string request_id;   // x-amz-request-id
  std::string signature;    // x-amz-signature
  std::string retry_after;  // Retry-After, raw
  bool has_signature = false;
  bool has_algorithm = false;
};

// What came back, plus what the adapter made of it before classification.
struct Exchange {
  Transport transport = Transport::kNetwork;
  std::string transport_error;  // why the transport failed, no secrets
  int http_status = 0;          // 0 when no response arrived
  ResponseHeaders headers;
  std::string body;
  std::optional<core::JsonValue> json;  // set when the body parsed as JSON
  std::string json_error;               // why it did not
  SignatureCheck signature = SignatureCheck::kMissing;
  std::string response_digest;          // hex SHA-256 of the canonical response text, set when kVerified
  std::string signature_detail;         // why kStale
  core::Instant received_at{};          // the injected clock when the response arrived (for Retry-After dates)
  std::int64_t latency_us = 0;
};

// Fills json / json_error from body, and signature / response_digest by verifying headers.signature with
// `signer` over the canonical response of (method, host_path). Requires transport == kCompleted.
// A missing x-amz-algorithm header is read as signing::kAlgorithm; any other algorithm, or an x-amz-date that is not
// YYYYMMDDTHHMMSSZ, makes the signature kWrong.
void InspectResponse(Exchange& exchange, std::string_view method, std::string_view host_path,
                     const signing::Signer& signer);

// A verified answer is only trusted when its x-amz-date is within `max_skew` of `exchange.received_at`, either
// way: the signature covers the date, so an old signed answer replayed later (or one from a server whose clock is
// far off) shows up here. Turns kVerified into kStale (with signature_detail) otherwise; anything else is left.
void CheckResponseDate(Exchange& exchange, core::Millis max_skew);

// Retry-After is unsigned on 429/503 (a proxy may send anything): longer waits are cut to this. [unknown]
inline constexpr std::int64_t kMaxRetryAfterSeconds = 3600;

// Retry-After as seconds from `now`: delta-seconds ("120") or an HTTP-date ("Wed, 21 Oct 2015 07:28:00 GMT",
// RFC 9110 IMF-fixdate); a date in the past gives 0, more than kMaxRetryAfterSeconds gives that. nullopt for
// anything else.
std::optional<std::int64_t> ParseRetryAfter(std::string_view value, core::Instant now);

// Reads a verified 2xx body. Returns an error message (the result becomes kMalformed) or nullopt when the
// body was accepted.
using BodyReader = std::function<std::optional<std::string>(const core::JsonValue& body)>;

// The one place outcomes are decided (docs/amazon-pay-protocol.md §5, core/check.h):
//   transport timeout -> kTimeout; refused/reset/TLS -> kNetwork; truncated -> kMalformed;
//   2xx: signature missing, wrong or stale (x-amz-date out of bounds) -> kBadSignature; body not JSON -> kMalformed; read_body's error -> kMalformed;
//        otherwise kObserved;
//   non-2xx carrying a signature that does not verify or is stale -> kBadSignature;
//   400 InvalidChargeId / InvalidRefundId -> kNotFound; other 400 -> kInvalidRequest (code and message);
//   400 without a JSON error body -> kMalformed; 401/403 -> kAuth; 429, 503 -> kRateLimited (Retry-After);
//   other 5xx -> kHttp5xx; 408 -> kTimeout; anything else -> kInvalidRequest.
// Fills http_status, gateway_code, message, retry_after_seconds, request_id, response_digest, latency_us;
// `observation` is left for read_body to fill.
core::CheckResult Classify(const Exchange& exchange, const BodyReader& read_body);

}  // namespace payrecon::gateway
