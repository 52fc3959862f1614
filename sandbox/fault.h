#pragma once
// Injected faults: what the sandbox can do wrong on purpose, per transaction (scenario column `fault`) or for a
// share of all requests (global rules). Every random choice is a pure function of the seed and a key, so runs
// with the same --seed and the same request order fail the same way.
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/expected.h"
#include "core/json.h"

namespace payrecon::sandbox {

enum class FaultKind : std::uint8_t {
  kNone,
  kLatency,           // latency:MS      answer normally after MS more milliseconds
  kHttp500,           // http500         500 InternalServerError
  kHttp503,           // http503[:S]     503 ServiceUnavailable, Retry-After: S when given
  kHttp429,           // http429[:S]     429 TooManyRequests, Retry-After: S (default 1)
  kHang,              // hang[:MS]       say nothing for MS (default 30000), then close the connection
  kReset,             // reset           close the connection with a TCP reset, no answer
  kMalformedJson,     // malformed_json  a 200 whose body is not JSON (signed as the intact body would be)
  kTruncatedBody,     // truncated_body  Content-Length of the full body, half of it sent, then close
  kWrongSignature,    // wrong_signature x-amz-signature present but not the sandbox's
  kMissingSignature,  // missing_signature no x-amz-signature header
  kWrongAmount,       // wrong_amount    approvedAmount (charge, top-up) or amount (refund) off by 1.00
  kUnknownStatus,     // unknown_status  status word "Processing"
};

// "latency", "http500", … as in the table above.
std::string_view FaultKindName(FaultKind kind);

inline constexpr std::int64_t kDefaultHangMs = 30000;
inline constexpr std::int64_t kDefault429RetryAfterS = 1;
inline constexpr std::string_view kUnknownStatusWord = "Processing";
inline constexpr std::int64_t kWrongAmountDeltaPaise = 100;

// One fault with its parameter and, per transaction, how many checks it applies to (0: every check).
struct FaultSpec {
  FaultKind kind = FaultKind::kNone;
  std::int64_t param = -1;  // -1: the kind's default (or none for http503)
  std::uint32_t times = 0;
  bool operator==(const FaultSpec&) const = default;
};

// "http500", "http429:5", "hang:2000", "latency:50", and with allow_times "http500*2" (the first two checks).
// Errors name the text and what is wrong.
core::Expected<FaultSpec> ParseFaultSpec(std::string_view text, bool allow_times);
std::string FormatFaultSpec(const FaultSpec& spec);

// The API endpoints a global rule can be limited to.
enum class Endpoint : std::uint8_t { kStatus, kCharge, kRefund, kTopup, kInstruments, kControl, kOther };
inline constexpr int kEndpointCount = 7;
std::string_view EndpointName(Endpoint e);  // "status", "charge", "refund", "topup", "instruments", "control", "other"
std::optional<Endpoint> EndpointFromName(std::string_view name);

// A global rule: a fault applied to a share of requests, by probability (parts per million, drawn from the seed)
// or to every Nth matching request.
struct FaultRule {
  FaultSpec spec;
  std::uint32_t ppm = 1000000;          // probability in millionths, when every == 0
  std::uint32_t every = 0;              // apply to requests N, 2N, 3N … that match
  std::optional<Endpoint> endpoint;     // nullopt: every API endpoint
};

struct GlobalFaults {
  std::int64_t latency_ms = 0;         // added to every API answer
  std::int64_t latency_spread_ms = 0;  // plus a uniform draw in [0, spread]
  std::vector<FaultRule> rules;        // the first rule that fires wins
};

// {"latency_ms": 5, "latency_spread_ms": 10, "rules": [{"fault": "http500", "probability": "0.25",
//  "endpoint": "status"}, {"fault": "reset", "every": 3}]}; unknown keys are rejected. probability is a decimal
// in [0, 1] (string or number, at most six decimals); without probability and every, a rule fires every time.
core::Expected<GlobalFaults> ParseGlobalFaults(std::string_view json);
core::JsonValue GlobalFaultsToJson(const GlobalFaults& faults);

// SplitMix64: a fast, well-mixed 64-bit function used for every seeded draw.
std::uint64_t Mix64(std::uint64_t x);
std::uint64_t HashText(std::uint64_t seed, std::string_view text);

// The global fault state shared by request threads.
class FaultPlan {
 public:
  explicit FaultPlan(std::uint64_t seed) : seed_(seed) {}
  void Set(GlobalFaults faults);
  GlobalFaults Get() const;
  // The fault for a request to `endpoint`; `key` identifies it (a transaction and its check number, or a
  // request counter). Returns kNone when no rule fires. Also returns the latency to add.
  struct Draw {
    FaultSpec spec;
    std::int64_t latency_ms = 0;
  };
  Draw Decide(Endpoint endpoint, std::uint64_t key) const;

 private:
  struct State {
    GlobalFaults faults;
    std::unique_ptr<std::atomic<std::uint64_t>[]> counters;  // one per rule, for `every`
  };
  std::uint64_t seed_;
  mutable std::mutex mu_;
  std::shared_ptr<const State> state_;
};

}  // namespace payrecon::sandbox
