#pragma once
// The outcome of one check (one Get Status call), classified once by the gateway adapter into core's terms.
// The decision logic consumes exactly this.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/money.h"
#include "core/status.h"
#include "core/time.h"

namespace payrecon::core {

// What a check found. Error-like outcomes carry the report's error class name (errors.csv).
enum class CheckOutcome {
  kObserved,        // a 2xx answer whose signature verified and whose body parsed: see Observation
  kNotFound,        // 400 InvalidChargeId / InvalidRefundId: the gateway does not know the id
  kTimeout,         // connect or read timeout                               -> TIMEOUT
  kNetwork,         // refused, reset, DNS, TLS handshake failure            -> NETWORK
  kHttp5xx,         // 500, 502, 504 … (503 is rate limiting)                 -> HTTP_5XX
  kRateLimited,     // 429 or 503; retry_after_seconds when the server said  -> RATE_LIMITED
  kAuth,            // 401 AuthorizationFailed / AuthorizationExpired, 403    -> AUTH
  kInvalidRequest,  // any other 400, with the gateway's code and message     -> INVALID_REQUEST
  kBadSignature,    // response signature missing or wrong on a 2xx           -> BAD_SIGNATURE
  kMalformed,       // body not JSON, truncated, missing fields, bad amounts  -> MALFORMED
};

// "OBSERVED", "NOT_FOUND", "TIMEOUT", "NETWORK", "HTTP_5XX", "RATE_LIMITED", "AUTH", "INVALID_REQUEST",
// "BAD_SIGNATURE", "MALFORMED".
std::string_view CheckOutcomeName(CheckOutcome outcome);

// What the gateway said about one transaction, from a verified response.
struct Observation {
  std::string status_word;              // as sent, e.g. "CaptureApproved"
  std::optional<Status> status;         // nullopt when the word is unknown
  std::string merchant_txn_id;          // chargeId or refundId
  std::string amazon_txn_id;            // amazonChargeId or amazonRefundId
  std::optional<Paise> requested_amount;  // charge: requestedAmount
  std::optional<Paise> approved_amount;   // charge: approvedAmount
  std::optional<Paise> amount;            // refund: amount
  std::string currency;                 // currencyCode
  std::optional<Instant> create_time;
  std::optional<Instant> update_time;
};

struct CheckResult {
  CheckOutcome outcome = CheckOutcome::kNetwork;
  Observation observation;                 // set when outcome == kObserved
  int http_status = 0;                     // 0 when no HTTP answer arrived
  std::string gateway_code;                // the error body's "code", e.g. "InvalidChargeId"
  std::string message;                     // the error body's "message", or what went wrong locally
  std::optional<std::int64_t> retry_after_seconds;
  std::string request_id;                  // x-amz-request-id
  std::string response_digest;             // hex SHA-256 of the signed response text, for the audit trail
  std::int64_t latency_us = 0;             // wall time of the call
};

}  // namespace payrecon::core
