#pragma once
// Request counters for GET /sandbox/stats: requests by endpoint and outcome, signature failures, and the API
// request rate: how many API requests arrived, over how long, and the most that arrived within any 1 s (a sliding
// window over the arrival times, so a burst straddling a second boundary is seen whole). Times come from one
// monotonic clock (injectable for tests), never the sandbox clock that POST /sandbox/clock moves.
#include <array>
#include <deque>
#include <functional>
#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>

#include "core/json.h"
#include "sandbox/fault.h"

namespace payrecon::sandbox {

class Stats {
 public:
  // Nanoseconds of a monotonic clock; default std::chrono::steady_clock.
  using Clock = std::function<std::int64_t()>;
  Stats();
  explicit Stats(Clock clock);

  // One API request arrived at `at_ns` (the clock's nanoseconds; 0: now). Arrivals may be reported a little out of
  // order (up to a second late).
  void Arrived(std::int64_t at_ns = 0);
  // {"requests": n, "first_ms": t, "last_ms": t, "busiest_1s": n, "busiest_1s_from_ms": t}: times in ms of the
  // monotonic clock; busiest_1s_from_ms is when the busiest window's first request arrived.
  core::JsonValue RateJson() const;
  // outcome: "200", "400 InvalidChargeId", "fault http500" …
  void Count(Endpoint endpoint, std::string_view outcome);
  void SignatureFailure() { signature_failures_.fetch_add(1); }
  std::uint64_t signature_failures() const { return signature_failures_.load(); }
  // {"status": {"200": 10, "fault http500": 1}, "charge": {…}, …}: endpoints without requests are omitted.
  core::JsonValue RequestsJson() const;

 private:
  struct PerEndpoint {
    mutable std::mutex mu;
    std::map<std::string, std::uint64_t, std::less<>> by_outcome;
  };
  std::array<PerEndpoint, kEndpointCount> endpoints_;
  std::atomic<std::uint64_t> signature_failures_{0};

  Clock clock_;
  mutable std::mutex rate_mu_;
  std::deque<std::int64_t> window_;  // arrival times of the last two seconds, oldest first
  std::uint64_t arrived_ = 0;
  std::int64_t first_ns_ = 0;
  std::int64_t last_ns_ = 0;
  std::uint64_t busiest_ = 0;
  std::int64_t busiest_from_ns_ = 0;
};

}  // namespace payrecon::sandbox
