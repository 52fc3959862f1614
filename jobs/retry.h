#pragma once
// Retrying store work across a lost database: the one back-off loop behind ReconnectingStore and Database.
#include <algorithm>
#include <chrono>
#include <functional>
#include <optional>
#include <string>

#include "core/ports.h"
#include "jobs/exit_code.h"
#include "jobs/log.h"
#include "jobs/signals.h"

namespace payrecon::jobs {

using SteadyTime = std::chrono::steady_clock::time_point;

struct RetryPolicy {
  // Until when to keep trying, given the time of the first failure.
  std::function<SteadyTime(SteadyTime first_failure)> give_up_at;
  // Whether a failure may pass by reconnecting (null: every StoreUnavailable).
  std::function<bool(const core::StoreUnavailable&)> transient;
  // A stop request (SIGTERM, SIGINT, SIGHUP): waiting for the database ends at once (null: never asked).
  const std::atomic<bool>* interrupt = nullptr;
};

// Runs `attempt()`; when it throws a transient StoreUnavailable, calls `on_failure(e)` and tries again after a
// back-off of 0.1 s doubling to 2 s, until policy.give_up_at(first failure); then the last failure propagates.
// A stop request seen after a failure or during a back-off ends the wait with JobError(kInterrupted) at once:
// a supervisor's SIGTERM must not wait for the database to come back.
template <class Attempt>
auto RetryWhileUnavailable(const char* what, const RetryPolicy& policy,
                           const std::function<void(const core::StoreUnavailable&)>& on_failure,
                           Attempt&& attempt) {
  using Clock = std::chrono::steady_clock;
  std::optional<SteadyTime> give_up;
  std::chrono::milliseconds backoff{100};
  for (;;) {
    try {
      return attempt();
    } catch (const core::StoreUnavailable& e) {
      if (policy.transient && !policy.transient(e)) throw;
      if (on_failure) on_failure(e);
      const auto interrupted = [&] {
        return JobError(ExitCode::kInterrupted, std::string("interrupted by a signal while the database was "
                                                            "unavailable during '") + what + "': " + e.what());
      };
      if (policy.interrupt && policy.interrupt->load()) throw interrupted();
      const auto now = Clock::now();
      if (!give_up) give_up = policy.give_up_at ? policy.give_up_at(now) : now;
      if (now + backoff > *give_up) throw;
      LogWarn(std::string("database unavailable during '") + what + "', retrying in " +
              std::to_string(backoff.count()) + " ms: " + e.what());
      if (WaitForStop(policy.interrupt, backoff)) throw interrupted();
      backoff = std::min<std::chrono::milliseconds>(backoff * 2, std::chrono::seconds(2));
    }
  }
}

}  // namespace payrecon::jobs
