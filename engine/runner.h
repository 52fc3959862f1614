#pragma once
// The reconciliation loop shared by `run` and `backfill`: one coordinating thread claims batches from a
// WorkSource and applies decided results in batches; worker threads keep `in_flight` checks going under a
// process-wide rate limit: one thread per check with a blocking StatusChecker, or a few event-loop threads sharing
// them with a ConcurrentStatusChecker (non-blocking connections: no thread parked, and woken, per request). No
// database work happens on a worker thread and no database transaction is open across a check. When the source
// allows it (WorkSource::ApplyOffThread), each batch's apply runs on an apply thread, over its own connection,
// while the coordinator claims the next batch. Memory is bounded by the number of claimed, unapplied transactions
// (2 x batch_size + in_flight, or 3 x batch_size + in_flight with the apply thread), whatever the backlog.
#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#include "core/check.h"
#include "core/decision.h"
#include "core/metrics.h"
#include "core/ports.h"
#include "core/run_counts.h"
#include "core/transaction.h"

namespace payrecon::engine {

// Where the runner's transactions come from and where its results go. Called from the coordinating thread only.
// Implementations translate store failures into core::StoreUnavailable (the run ends with exit 3).
class WorkSource {
 public:
  virtual ~WorkSource() = default;
  // The next at most `max` transactions to check (`now` is the wall clock); empty when there are no more.
  virtual std::vector<core::Transaction> Next(int max, core::Instant now) = 0;
  // Applies decided updates in one batch; one outcome per update, same order.
  virtual core::ApplyResult Apply(std::vector<core::TransactionUpdate> updates, core::Instant now) = 0;
  // Whether Apply may be called from the runner's apply thread (one call at a time) while the coordinating thread
  // goes on calling the other methods: true when the source writes applies over a database connection of its own.
  // The runner then claims and hands out the next batch while the last one is being written.
  virtual bool ApplyOffThread() const { return false; }
  // Gives claimed transactions back unchanged (interrupted before or during their check).
  virtual void Release(std::vector<std::int64_t> ids) = 0;
  // Every transaction handed out with an id <= `id` is done (applied or found conflicting): backfill progress.
  virtual void Progress(std::int64_t id) { (void)id; }
  // Extends the leases of claims still waiting for their check; returns the ids extended. Sources without
  // leases (dry runs) have nothing to extend and return them all.
  virtual std::vector<std::int64_t> Renew(std::vector<std::int64_t> ids, core::Instant now) {
    (void)now;
    return ids;
  }
};

// One checked transaction, as the reports see it.
struct CheckRecord {
  core::Transaction transaction;  // as claimed
  core::CheckResult check;        // empty (outcome kInvalidRequest, no HTTP status) when no call was made
  core::Decision decision;
  core::Instant checked_at{};
};

// Receives each checked transaction once its update is applied (or found conflicting), on the coordinating
// thread, in apply order. May throw (for example when the reports are not writable); the run then stops.
class RunObserver {
 public:
  virtual ~RunObserver() = default;
  virtual void OnChecked(const CheckRecord& record, const core::UpdateOutcome& outcome) = 0;
};

enum class StopReason {
  kDone,         // nothing left to claim
  kLimit,        // --limit reached
  kDeadline,     // --deadline reached
  kInterrupted,  // SIGTERM / SIGINT
  kAuth,         // every configured merchant's credentials refused (exit 4)
};
std::string_view StopReasonName(StopReason reason);

// The number of core::CheckOutcome values (kObserved .. kMalformed).
inline constexpr std::size_t kCheckOutcomeCount = static_cast<std::size_t>(core::CheckOutcome::kMalformed) + 1;

// Worker threads for a concurrent checker unless RunnerOptions::io_threads says otherwise.
inline constexpr int kDefaultIoThreads = 2;

struct RunnerOptions {
  int batch_size = 250;                 // transactions per claim and per apply (worker.batch_size's default)
  int in_flight = 16;                   // status calls in flight at once
  // Worker threads sharing in_flight when the checker is concurrent (RunnerDeps::make_concurrent_checker);
  // 0: kDefaultIoThreads. A blocking checker always gets one thread per call in flight.
  int io_threads = 0;
  double max_rps = 0;                   // process-wide calls per second; 0: unlimited
  std::optional<std::int64_t> limit;    // at most this many transactions handed out
  std::optional<std::chrono::steady_clock::time_point> deadline;  // stop claiming then
  // Consecutive 401/403 answers for one merchant after which its credentials count as refused for the rest of
  // the run: its transactions are given back unchecked, their attempts not spent.
  int auth_failures_to_stop = 3;
  // Configured merchants. The run stops early (exit 4) once every one of them is refused; 0: once any is.
  int merchant_count = 0;
  // A claim is checked only within this time of being claimed; after that its lease may have expired and another
  // run may hold it, so it is given back unchecked. nullopt: no limit (dry runs hold no leases).
  std::optional<std::chrono::milliseconds> claim_valid_for;
  std::chrono::milliseconds apply_interval{200};  // results wait at most this long before being applied
  // The longest a gateway's Retry-After holds every worker back (engine/rate_limiter.h); the deadline caps it too.
  std::chrono::milliseconds retry_after_max{60'000};
  core::Policy policy;
};

struct RunStats;

struct RunnerDeps {
  WorkSource* source = nullptr;
  // Makes one status checker per worker thread (in_flight threads, one call each).
  std::function<std::unique_ptr<core::StatusChecker>()> make_checker;
  // When set, used instead: makes one concurrent checker per worker thread with the capacity given (io_threads
  // threads share in_flight calls).
  std::function<std::unique_ptr<core::ConcurrentStatusChecker>(int capacity)> make_concurrent_checker;
  // Whether credentials exist for a merchant; a merchant without them is not called (MERCHANT_CONFIG).
  std::function<bool(std::string_view merchant_id)> merchant_configured;
  std::function<core::Instant()> now;   // the wall clock, passed into the decision
  // The monotonic clock that times claim validity, lease renewal and the deadline (options.deadline is a point
  // on it). Null: std::chrono::steady_clock. Tests drive it by hand instead of waiting for real time to pass.
  std::function<std::chrono::steady_clock::time_point()> monotonic_now;
  std::uint64_t seed = 0;               // jitter: worker i draws from mt19937_64(seed + i)
  RunObserver* observer = nullptr;      // may be null
  const std::atomic<bool>* interrupt = nullptr;  // set by the signal handler; may be null
  // Called about once a second, and once at the end, with the counts so far (progress lines).
  std::function<void(const RunStats& so_far)> on_progress;
};

struct RunStats {
  // The run's counts as the runs row, summary.json and the stdout line carry them (checks, calls, their latency,
  // conflicts, releases, claim and apply timings, the stop reason), kept here from the first check on: what the
  // caller records is this object, not a copy made field by field. cpu_us is the caller's to add.
  core::RunCounts counts;
  std::int64_t claimed = 0;
  std::int64_t transitions = 0;
  std::int64_t discrepancies = 0;  // newly raised
  std::int64_t errors = 0;         // checks that failed (errors.csv rows)
  std::int64_t stale = 0;          // answers older than what was already applied
  std::map<std::pair<core::Status, core::Status>, std::int64_t> by_transition;
  std::map<core::DiscrepancyCode, std::int64_t> by_discrepancy;
  std::map<core::CheckOutcome, std::int64_t> by_error;
  std::vector<std::string> auth_refused;  // merchants whose credentials the gateway refused (exit 4 at the end)
  std::int64_t expired_claims = 0;        // given back unchecked because their lease was about to run out
  std::int64_t renewed = 0;               // claim leases extended while they waited
  std::int64_t throttled = 0;             // 429/503 answers
  std::chrono::milliseconds throttle_paused{0};  // how long every worker was held back by them
  // Checked transactions by kind and check outcome (a merchant without credentials counts as INVALID_REQUEST):
  // a fixed table, so the count per check is one increment.
  std::array<std::array<std::int64_t, kCheckOutcomeCount>, std::size(core::kAllKinds)> by_kind_outcome{};
  std::map<std::tuple<core::Kind, core::Status, core::Status>, std::int64_t> by_kind_transition;
  StopReason stop = StopReason::kDone;
  std::chrono::milliseconds elapsed{0};
  // Wall time of each WorkSource::Next (a claim) and each Apply that returned, in microseconds, in call order:
  // one entry per batch, so a few thousand per run at most.
  std::vector<std::int64_t> claim_us;
  std::vector<std::int64_t> apply_us;
};

// The nearest-rank percentile (1-100) of `samples` (any order); 0 when empty.
std::int64_t Percentile(std::vector<std::int64_t> samples, int percent);

class Runner {
 public:
  Runner(RunnerOptions options, RunnerDeps deps);
  // Runs to completion (see StopReason). Throws core::StoreUnavailable when the source fails and what
  // the observer or the source throw (a stop request while the database is away); in every case the workers are
  // stopped and joined first and nothing in flight is applied.
  RunStats Run();
  // The counts of the last Run, also after it threw: what was applied before the failure.
  const RunStats& stats() const { return stats_; }

 private:
  RunnerOptions options_;
  RunnerDeps deps_;
  RunStats stats_;
};

}  // namespace payrecon::engine
