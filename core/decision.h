#pragma once
// What to do about one check of one transaction: the whole reconciliation policy as a pure function of the
// transaction, the check result, the time and a random draw. Covered by a table test of every status x outcome.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/check.h"
#include "core/ports.h"
#include "core/transaction.h"

namespace payrecon::core {

using Seconds = std::chrono::seconds;

// The knobs of the policy; config/ maps the `worker` section onto this.
struct Policy {
  std::vector<Millis> pending_ladder{Seconds{15}, Seconds{25}, Seconds{30}, Seconds{35},
                                     Seconds{40}, Seconds{45}, Seconds{50}, Seconds{55}};
  Millis pending_after_ladder = Seconds{300};  // then every 5 minutes
  Millis error_backoff_base = Seconds{30};     // doubled per consecutive error, with jitter
  Millis error_backoff_max = Seconds{1800};
  int error_limit = 5;                         // consecutive errors before CHECK_FAILING
  Millis failing_recheck = Seconds{3600};      // re-check interval once failing
  Millis not_found_grace = Seconds{1800};      // NOT_FOUND is retried while created_at + grace > now
  Millis charge_stuck_after = Seconds{900 + 900};  // created_at + 900 s charge timeout + 15 min grace
  Millis refund_stuck_after = Seconds{48 * 3600};
  Millis stuck_repeat = Seconds{24 * 3600};   // a resolved STUCK_PENDING comes back after this much more pending
};

struct DecisionInput {
  Transaction transaction;   // as claimed
  CheckResult check;
  Instant now{};
  std::uint32_t jitter = 0;  // a uniform random draw for back-off jitter
  bool merchant_configured = true;  // false: no credentials for the merchant (MERCHANT_CONFIG, no call made)
};

// The decision. `update` is what the store applies (compare-and-set on the claimed status).
struct Decision {
  TransactionUpdate update;
  std::optional<CheckOutcome> error;        // an errors.csv row: the check failed with this class
  bool counts_against_transaction = true;   // false for rate limiting and auth failures (attempts not spent)
  bool slow_down = false;                   // 429 / 503: the whole process slows down
  std::optional<std::int64_t> retry_after_seconds;
  bool auth_failure = false;                // 401 / 403: counts toward stopping the run (exit 4)
  bool stale = false;                       // an answer older than the update already applied: ignored
};

Decision Decide(const DecisionInput& input, const Policy& policy);

// A short, stable rendering for table tests, e.g.
// "CapturePending->CaptureApproved next=+0s checks=1 errors=0 [AMOUNT_MISMATCH]".
std::string RenderDecision(const Decision& decision, const DecisionInput& input);

}  // namespace payrecon::core
