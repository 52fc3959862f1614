#pragma once
// Retrying store work across a lost database: the one back-off loop behind ReconnectingStore and Database.
#include <algorithm>
#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <thread>

#include "core/ports.h"
#include "jobs/log.h"

namespace payrecon::jobs {

using SteadyTime = std::chrono::steady_clock::time_point;

struct RetryPolicy {
  // Until when to keep trying, given the time of the first failure.
  std::function<SteadyTime(SteadyTime first_failure)> give_up_at;
  // Whether a failure may pass by reconnecting (null: every StoreUnavailable).
  std::function<bool(const core::StoreUnavailable&)> transient;
};

// Runs `attempt()`; when it throws a transient StoreUnavailable, calls `on_failure()` and tries again after a
// back-off of 0.1 s doubling to 2 s, until policy.give_up_at(first failure); then the last failure propagates.
template <class Attempt>
auto RetryWhileUnavailable(const char* what, const RetryPolicy& policy, const std::function<void()>& on_failure,
                           Attempt&& attempt) {
  using Clock = std::chrono::steady_clock;
  std::optional<SteadyTime> give_up;
  std::chrono::milliseconds backoff{100};
  for (;;) {
    try {
      return attempt();
    } catch (const core::StoreUnavailable& e) {
      if (policy.transient && !policy.transient(e)) throw;
      if (on_failure) on_failure();
      const auto now = Clock::now();
      if (!give_up) give_up = policy.give_up_at ? policy.give_up_at(now) : now;
      if (now + backoff > *give_up) throw;
      LogWarn(std::string("database unavailable during '") + what + "', retrying in " +
              std::to_string(backoff.count()) + " ms: " + e.what());
      std::this_thread::sleep_for(backoff);
      backoff = std::min<std::chrono::milliseconds>(backoff * 2, std::chrono::seconds(2));
    }
  }
}

}  // namespace payrecon::jobs
