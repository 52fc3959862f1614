#pragma once
// Request counters for GET /sandbox/stats: requests by endpoint and outcome, and signature failures.
#include <array>
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
};

}  // namespace payrecon::sandbox
