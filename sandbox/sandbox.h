#pragma once
// The sandbox's behaviour without sockets: a request in, a reply out. Checks requests the way Amazon Pay India does
// (docs/amazon-pay-protocol.md §1, §5), serves the API endpoints from the Store, signs replies (§2), decides faults,
// and answers the /sandbox/* control endpoints. The Poco server (server.h) only moves bytes and carries out the reply's
// delivery instructions (delay, hang, reset, truncation). Thread-safe.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <istream>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/status.h"
#include "sandbox/fault.h"
#include "sandbox/merchants.h"
#include "sandbox/stats.h"
#include "sandbox/store.h"

namespace payrecon::sandbox {

struct HttpRequest {
  std::string method;                                        // "GET", "POST"
  std::string path;                                          // "/v1/payments/charge"
  std::string query;                                         // raw, without '?'
  std::vector<std::pair<std::string, std::string>> headers;  // names lowercase
  std::string body;
  std::string host;  // the Host header without its port
  // When its first byte reached the server's socket, in steady_clock nanoseconds (0: unknown, count it as now):
  // the request rate in GET /sandbox/stats is one of arrivals, not of when a busy thread got to them.
  std::int64_t arrived_ns = 0;
  const std::string* Header(std::string_view lowercase_name) const;
};

enum class Delivery {
  kNormal,    // send the reply
  kHang,      // send nothing for hang_ms, then close the connection
  kReset,     // close the connection with a TCP reset, send nothing
  kTruncate,  // send headers with the full Content-Length but only the first half of the body, then close
};

struct HttpReply {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::string content_type = "application/json";
  Delivery delivery = Delivery::kNormal;
  std::int64_t delay_ms = 0;  // wait this long before answering
  std::int64_t hang_ms = 0;
};

// How transactions created by the POST endpoints live (the scenario file sets each loaded one's own truth).
struct Lifecycle {
  core::Status charge_status = core::Status::kCapturePending;     // or CaptureApproved: approved at once
  core::Status charge_settle_to = core::Status::kCaptureApproved;  // or Failed
  core::Status refund_status = core::Status::kPending;            // or Approved / Declined at once
  core::Status refund_settle_to = core::Status::kApproved;         // or Declined
  std::int64_t settle_ms = 5000;  // sandbox milliseconds from creation to settling
};

struct SandboxOptions {
  std::uint64_t seed = 1;
  // Host written on line 2 of the canonical request and response. Empty: the request's Host header without port.
  std::string signing_host;
  // Allowed difference between x-amz-date and the sandbox's real clock, both ways.
  std::int64_t clock_skew_s = 300;
  // Largest x-amz-expires accepted.
  std::int64_t max_expires_s = 3600;
  // Refund bodies carry amount and refundedFee as JSON numbers (0.01, like Amazon's refund sample:
  // docs/amazon-pay-protocol.md §3) unless this is set.
  bool refund_amounts_as_strings = false;
  Lifecycle lifecycle;
};

// How far the sandbox clock may run ahead of the real one (100 years, like a scenario's settle_after_ms): times
// computed from it stay far from overflowing.
inline constexpr std::int64_t kMaxClockOffsetMs = 100LL * 365 * 24 * 3600 * 1000;

// Sandbox time: the real clock plus an offset that POST /sandbox/clock advances. Lifecycles follow it; signature
// ages are judged by the real clock (the client signs with real time).
class SandboxClock {
 public:
  static std::int64_t RealNowMs();
  std::int64_t NowMs() const { return RealNowMs() + offset_ms_.load(); }
  // Advances by `ms` (>= 0) unless the offset would pass kMaxClockOffsetMs; returns whether it did.
  bool Advance(std::int64_t ms) {
    std::int64_t offset = offset_ms_.load();
    do {
      if (ms < 0 || ms > kMaxClockOffsetMs - offset) return false;
    } while (!offset_ms_.compare_exchange_weak(offset, offset + ms));
    return true;
  }
  std::int64_t offset_ms() const { return offset_ms_.load(); }

 private:
  std::atomic<std::int64_t> offset_ms_{0};
};

class Sandbox {
 public:
  Sandbox(MerchantDirectory merchants, SandboxOptions options);

  HttpReply Handle(const HttpRequest& request);

  // Loads a scenario (scenario.h) at the current sandbox time. Throws ScenarioError.
  std::size_t LoadScenario(std::istream& in);

  Store& store() { return store_; }
  FaultPlan& faults() { return faults_; }
  SandboxClock& clock() { return clock_; }
  Stats& stats() { return stats_; }
  const MerchantDirectory& merchants() const { return merchants_; }

 private:
  struct Call;  // one API request while it is handled
  HttpReply HandleApi(const HttpRequest& request, Endpoint endpoint);
  HttpReply HandleControl(const HttpRequest& request);
  HttpReply Status(Call& call);
  HttpReply Charge(Call& call, bool topup);
  HttpReply Refund(Call& call);
  HttpReply Instruments(Call& call);
  core::JsonValue TxnBody(const Txn& txn, std::int64_t now_ms, const FaultSpec& fault, std::string_view host,
                          bool with_pay_url) const;
  void SignReply(HttpReply& reply, const core::JsonValue* body, const Call& call, const FaultSpec& fault);
  std::string NewRequestId();
  core::JsonValue StatsJson();
  Lifecycle GetLifecycle() const;

  MerchantDirectory merchants_;
  SandboxOptions options_;
  Store store_;
  FaultPlan faults_;
  SandboxClock clock_;
  Stats stats_;
  std::atomic<std::uint64_t> request_counter_{0};
  std::mutex load_mu_;
  mutable std::mutex lifecycle_mu_;
};

}  // namespace payrecon::sandbox
