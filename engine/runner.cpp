#include "engine/runner.h"

#include <algorithm>
#include <cassert>
#include <condition_variable>
#include <deque>
#include <exception>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <stdexcept>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <memory>
#include <utility>

#include "core/status.h"
#include "engine/bounded_queue.h"
#include "engine/progress_tracker.h"
#include "engine/rate_limiter.h"

namespace payrecon::engine {

std::string_view StopReasonName(StopReason reason) {
  switch (reason) {
    case StopReason::kDone: return "done";
    case StopReason::kLimit: return "limit";
    case StopReason::kDeadline: return "deadline";
    case StopReason::kInterrupted: return "interrupted";
    case StopReason::kAuth: return "auth";
  }
  return "?";
}

namespace {

using SteadyClock = std::chrono::steady_clock;

// The gateway adapter's answer for a merchant it holds no credentials for (no call was made).
constexpr std::string_view kMerchantNotConfigured = "MerchantNotConfigured";
constexpr std::chrono::milliseconds kCoordinatorTick{50};

std::int64_t MicrosSince(SteadyClock::time_point start) {
  return std::chrono::duration_cast<std::chrono::microseconds>(SteadyClock::now() - start).count();
}

struct Result {
  CheckRecord record;
  bool checked = false;   // a decision exists (false: handed back before its check)
  bool release = false;   // give the claim back instead of applying (not checked, or authentication refused)
  // Authentication refused or the claim expired: kept until the run ends, so this run does not claim it again.
  bool hold = false;
};

// When the claims of one batch stop being valid (steady clock ticks), shared by its queue entries and moved
// later by each lease renewal.
using ValidUntil = std::shared_ptr<std::atomic<SteadyClock::rep>>;

// A claimed transaction and the time after which it must not be checked any more (its lease may be gone).
struct Claimed {
  core::Transaction transaction;
  ValidUntil valid_until;  // null: no limit
};

// The leases of one claimed batch, renewed while some of it still waits for its check.
struct BatchLease {
  ValidUntil valid_until;
  std::vector<std::int64_t> ids;
  SteadyClock::time_point renew_at;
};

// 401/403 streaks per merchant: one merchant's revoked key must not stop the others' reconciliation.
class AuthTracker {
 public:
  AuthTracker(int threshold, int merchant_count) : threshold_(threshold), merchant_count_(merchant_count) {}

  // Both asked on every check by every worker: while no merchant has been refused (the usual case) they read one
  // atomic each instead of taking the lock.
  bool Refused(const std::string& merchant_id) {
    if (!any_refused_.load(std::memory_order_acquire)) return false;
    std::lock_guard lock(mu_);
    return refused_.count(merchant_id) > 0;
  }
  // Counts a refusal; true when the whole run should stop.
  bool OnRefused(const std::string& merchant_id) {
    std::lock_guard lock(mu_);
    any_streak_.store(true, std::memory_order_release);
    if (++streak_[merchant_id] >= threshold_) {
      refused_.insert(merchant_id);
      any_refused_.store(true, std::memory_order_release);
    }
    return !refused_.empty() && (merchant_count_ <= 0 || static_cast<int>(refused_.size()) >= merchant_count_);
  }
  void OnAnswered(const std::string& merchant_id) {
    if (!any_streak_.load(std::memory_order_acquire)) return;
    std::lock_guard lock(mu_);
    streak_[merchant_id] = 0;
  }
  std::vector<std::string> RefusedMerchants() {
    std::lock_guard lock(mu_);
    return {refused_.begin(), refused_.end()};
  }

 private:
  const int threshold_;
  const int merchant_count_;
  std::mutex mu_;
  std::unordered_map<std::string, int> streak_;
  std::set<std::string> refused_;
  std::atomic<bool> any_streak_{false};   // some merchant was refused at least once (a streak may be running)
  std::atomic<bool> any_refused_{false};  // refused_ is not empty
};

// State shared by the coordinating thread and the workers.
struct Shared {
  Shared(std::size_t capacity, double max_rps, int burst, ThrottleOptions throttle, int auth_threshold,
         int merchant_count, std::function<SteadyClock::time_point()> clock)
      : work(capacity),
        limiter(max_rps, burst, throttle),
        auth(auth_threshold, merchant_count),
        clock_(clock ? std::move(clock) : std::function<SteadyClock::time_point()>(SteadyClock::now)) {}

  // RunnerDeps::monotonic_now, or the steady clock.
  SteadyClock::time_point monotonic_now() const { return clock_(); }

  BoundedQueue<Claimed> work;
  RateLimiter limiter;
  AuthTracker auth;
  std::atomic<bool> stop{false};
  std::atomic<bool> auth_stop{false};
  std::atomic<std::int64_t> calls{0};
  std::atomic<std::int64_t> expired{0};

  std::mutex mu;
  std::condition_variable results_ready;
  std::vector<Result> results;        // guarded by mu
  std::exception_ptr worker_error;    // guarded by mu
  // While the coordinator waits, how many results end its wait (guarded by mu; 0: it is not waiting). A worker
  // wakes it only then: waking it for every result cost two context switches and two futex calls per check.
  std::size_t wake_at = 0;

  // The apply thread's hand-off, guarded by mu: one batch at a time. The coordinator sets apply_job and waits on
  // results_ready for apply_done.
  struct ApplyJob {
    std::vector<core::TransactionUpdate> updates;
    core::Instant now{};
  };
  struct ApplyDone {
    core::ApplyResult result;
    core::Instant now{};  // the job's
    std::exception_ptr error;
    std::int64_t micros = 0;
  };
  std::condition_variable apply_wake;
  std::optional<ApplyJob> apply_job;
  std::optional<ApplyDone> apply_done;
  bool apply_stop = false;

  void Push(Result r) {
    bool wake = false;
    {
      std::lock_guard lock(mu);
      results.push_back(std::move(r));
      wake = wake_at != 0 && results.size() >= wake_at;
      if (wake) wake_at = 0;
    }
    if (wake) results_ready.notify_one();
  }

 private:
  std::function<SteadyClock::time_point()> clock_;
};

// Whether a claim's validity has passed. The limit is loaded before the clock is read: the coordinator may renew
// the lease in between, and a clock read first could pass as earlier than a renewal made after it.
bool Expired(const std::atomic<SteadyClock::rep>& valid_until, const Shared& shared) {
  const SteadyClock::time_point until(SteadyClock::duration(valid_until.load()));
  return shared.monotonic_now() > until;
}

// A StatusChecker as a ConcurrentStatusChecker of capacity one: Start makes the call at once, on the calling
// thread, and Poll hands its result over.
class OneAtATime final : public core::ConcurrentStatusChecker {
 public:
  explicit OneAtATime(std::unique_ptr<core::StatusChecker> checker) : checker_(std::move(checker)) {}
  int capacity() const override { return 1; }
  void PrepareConnection() override { checker_->PrepareConnection(); }
  void Start(std::uint64_t tag, const core::StatusQuery& query) override {
    done_.emplace(tag, checker_->StatusCheck(query));
  }
  void Poll(std::chrono::milliseconds timeout, std::vector<std::pair<std::uint64_t, core::CheckResult>>& done) override {
    if (!done_) {
      // Nothing in flight: the loop waits for the rate limiter's next slot, or looks at a stop request again.
      std::this_thread::sleep_for(timeout);
      return;
    }
    done.push_back(std::move(*done_));
    done_.reset();
  }

 private:
  std::unique_ptr<core::StatusChecker> checker_;
  std::optional<std::pair<std::uint64_t, core::CheckResult>> done_;
};

// The longest a worker waits before it looks at a stop request again.
constexpr std::chrono::milliseconds kWorkerTick{50};
// With calls in flight and room for more, how often a worker looks for new claims (a claim pushed meanwhile does
// not wake a worker waiting on its connections).
constexpr std::chrono::milliseconds kRefillTick{5};

// One worker thread: an event loop that keeps up to its checker's capacity of calls in flight. A claim is
// screened (stop requests, refused merchants, missing credentials), waits for the rate limiter's slot, is checked,
// then decided and handed to the coordinator.
class Worker {
 public:
  Worker(Shared& shared, const RunnerOptions& options, const RunnerDeps& deps, int index,
         std::unique_ptr<core::ConcurrentStatusChecker> checker)
      : shared_(shared),
        options_(options),
        deps_(deps),
        rng_(deps.seed + static_cast<std::uint64_t>(index)),
        checker_(std::move(checker)),
        capacity_(static_cast<std::size_t>(std::max(1, checker_->capacity()))) {}

  void Run() {
    bool finished = false;  // the queue is closed and empty
    for (;;) {
      while (!finished && busy() < capacity_) {
        std::optional<Claimed> claimed;
        if (busy() == 0) {
          claimed = shared_.work.Pop();
          finished = !claimed;
        } else {
          claimed = shared_.work.TryPop(finished);
        }
        if (!claimed) break;
        Take(std::move(*claimed));
      }
      Reserve();
      AdmitDue();
      if (finished && busy() == 0) return;
      std::chrono::milliseconds timeout = kWorkerTick;
      if (!admitting_.empty() && !waiting_for_connection_) {
        const auto until = std::chrono::ceil<std::chrono::milliseconds>(admitting_.front().start_at - SteadyClock::now());
        timeout = std::clamp(until, std::chrono::milliseconds{0}, timeout);
      }
      if ((!finished && !calling_.empty() && busy() < capacity_) || !unreserved_.empty()) {
        timeout = std::min(timeout, kRefillTick);
      }
      done_.clear();
      checker_->Poll(timeout, done_);
      for (auto& [tag, check] : done_) {
        auto it = calling_.find(tag);
        if (it == calling_.end()) throw std::logic_error("a status checker answered a call it was not given");
        Result r = std::move(it->second);
        calling_.erase(it);
        Answered(std::move(r), std::move(check));
      }
    }
  }

 private:
  // A claim waiting for its slot from the rate limiter (start_at: when the slot comes, once reserved).
  struct Admitting {
    Result result;
    ValidUntil valid_until;
    SteadyClock::time_point start_at;
  };

  std::size_t busy() const { return calling_.size() + admitting_.size() + unreserved_.size(); }

  bool Stopping() const {
    return shared_.stop.load() || shared_.auth_stop.load() || (deps_.interrupt && deps_.interrupt->load());
  }

  void Take(Claimed claimed) {
    Result r;
    r.record.transaction = std::move(claimed.transaction);
    const core::Transaction& t = r.record.transaction;
    if (Stopping()) {
      r.release = true;
      shared_.Push(std::move(r));
      return;
    }
    if (shared_.auth.Refused(t.merchant_id)) {
      // The merchant's credentials were refused: keep the claim until the run ends, spend nothing.
      r.release = true;
      r.hold = true;
      shared_.Push(std::move(r));
      return;
    }
    if (deps_.merchant_configured && !deps_.merchant_configured(t.merchant_id)) {
      r.record.check.outcome = core::CheckOutcome::kInvalidRequest;
      r.record.check.gateway_code = std::string(kMerchantNotConfigured);
      r.record.check.message = "no credentials configured for merchant '" + t.merchant_id + "'";
      Finish(std::move(r), false);
      return;
    }
    // Connected before admission: the request leaves when the limiter lets it go, not a handshake later.
    checker_->PrepareConnection();
    unreserved_.push_back(Admitting{std::move(r), std::move(claimed.valid_until), {}});
  }

  // Asks the rate limiter for the slots of the claims taken, once a call would leave at once (see
  // core::ConcurrentStatusChecker::ReadyToSend; without a limit there is nothing to keep evenly spaced).
  void Reserve() {
    if (unreserved_.empty()) return;
    if (options_.max_rps > 0 && !checker_->ReadyToSend()) {
      checker_->PrepareConnection();
      return;
    }
    const auto now = SteadyClock::now();
    for (Admitting& a : unreserved_) {
      a.start_at = shared_.limiter.Reserve(now);
      admitting_.push_back(std::move(a));
    }
    unreserved_.clear();
  }

  // Starts the calls whose rate-limiter slot has come, in the order they were taken. Under a limit each one waits
  // until the checker would send it at once: a claim reserved while a connection was free may find them all busy
  // when its slot comes, and a call that opened its own connection then would reach the gateway a handshake late,
  // bunched up with the calls after it. The limiter records a start when it happens (Admit), so waiting is safe.
  void AdmitDue() {
    waiting_for_connection_ = false;
    if (Stopping()) {
      for (std::deque<Admitting>* waiting : {&unreserved_, &admitting_}) {
        for (Admitting& a : *waiting) {
          a.result.release = true;
          shared_.Push(std::move(a.result));
        }
        waiting->clear();
      }
      return;
    }
    if (admitting_.empty()) return;
    auto now = SteadyClock::now();
    while (!admitting_.empty()) {
      Admitting& a = admitting_.front();
      if (a.start_at > now) return;
      if (options_.max_rps > 0 && !checker_->ReadyToSend()) {
        checker_->PrepareConnection();
        waiting_for_connection_ = true;  // Poll returns when a connection opens or a call ends
        return;
      }
      const auto next = shared_.limiter.Admit(now);
      if (next > now) {
        a.start_at = next;
        return;
      }
      Result r = std::move(a.result);
      const ValidUntil valid_until = std::move(a.valid_until);
      admitting_.pop_front();
      if (valid_until && Expired(*valid_until, shared_)) {
        // Waited too long (rate limiting, a slow gateway): another run may own it by now. Kept until the run
        // ends rather than released now: a released row is due again, and this run would claim it once more.
        shared_.expired.fetch_add(1);
        r.release = true;
        r.hold = true;
        shared_.Push(std::move(r));
        continue;
      }
      const std::uint64_t tag = next_tag_++;
      const core::Transaction& t = calling_.emplace(tag, std::move(r)).first->second.record.transaction;
      checker_->Start(tag, core::StatusQuery{t.merchant_id, t.kind, t.merchant_txn_id, false});
      now = SteadyClock::now();
    }
  }

  void Answered(Result r, core::CheckResult check) {
    r.record.check = std::move(check);
    shared_.calls.fetch_add(1);
    const core::CheckResult& c = r.record.check;
    std::optional<std::chrono::milliseconds> retry_after;
    if (c.retry_after_seconds) retry_after = std::chrono::seconds(std::max<std::int64_t>(0, *c.retry_after_seconds));
    shared_.limiter.Answered(c.outcome == core::CheckOutcome::kRateLimited, retry_after);
    const bool configured = !(c.outcome == core::CheckOutcome::kInvalidRequest && c.http_status == 0 &&
                              c.gateway_code == kMerchantNotConfigured);
    Finish(std::move(r), configured);
  }

  // Decides a checked claim and hands it to the coordinator.
  void Finish(Result r, bool configured) {
    const core::Transaction& t = r.record.transaction;
    const core::Instant now = deps_.now();
    core::DecisionInput input{t, r.record.check, now, static_cast<std::uint32_t>(rng_()), configured};
    r.record.decision = core::Decide(input, options_.policy);
    r.record.checked_at = now;
    r.checked = true;
    const core::Decision& d = r.record.decision;
    if (d.auth_failure) {
      // Not the transaction's fault: its attempts are not spent, its claim is given back when the run ends.
      r.release = true;
      r.hold = true;
      if (shared_.auth.OnRefused(t.merchant_id)) shared_.auth_stop = true;
    } else if (const int status = r.record.check.http_status; status != 0 && status != 401 && status != 403) {
      // An answer that is not a refusal shows the credentials work. A 401/403 that could not be read whole (a
      // malformed header section) is neither: it must not end a streak of refusals.
      shared_.auth.OnAnswered(t.merchant_id);
    }
    shared_.Push(std::move(r));
  }

  Shared& shared_;
  const RunnerOptions& options_;
  const RunnerDeps& deps_;
  std::mt19937_64 rng_;
  std::unique_ptr<core::ConcurrentStatusChecker> checker_;
  const std::size_t capacity_;
  std::deque<Admitting> unreserved_;  // taken, waiting for a connection that is still being opened
  std::deque<Admitting> admitting_;   // waiting for their slot
  bool waiting_for_connection_ = false;  // the first one's slot has come, but no connection is free
  std::unordered_map<std::uint64_t, Result> calling_;
  std::uint64_t next_tag_ = 0;
  std::vector<std::pair<std::uint64_t, core::CheckResult>> done_;
};

void RunWorker(Shared& shared, const RunnerOptions& options, const RunnerDeps& deps, int index, int capacity) {
  try {
    std::unique_ptr<core::ConcurrentStatusChecker> checker;
    if (deps.make_concurrent_checker) {
      checker = deps.make_concurrent_checker(capacity);
    } else {
      checker = std::make_unique<OneAtATime>(deps.make_checker());
    }
    Worker(shared, options, deps, index, std::move(checker)).Run();
  } catch (...) {
    {
      std::lock_guard lock(shared.mu);
      if (!shared.worker_error) shared.worker_error = std::current_exception();
    }
    shared.stop = true;
    shared.results_ready.notify_one();
  }
}

}  // namespace

// The apply thread: writes the batches the coordinator hands over, one at a time, through WorkSource::Apply, and
// hands each result (or its exception) back.
void RunApplier(Shared& shared, WorkSource& source) {
  std::unique_lock lock(shared.mu);
  for (;;) {
    shared.apply_wake.wait(lock, [&] { return shared.apply_stop || shared.apply_job.has_value(); });
    // Stopped with a job not yet started: the run failed meanwhile (a normal end leaves none), so its claims are
    // given back unwritten rather than written after the failure.
    if (shared.apply_stop) return;
    Shared::ApplyJob job = std::move(*shared.apply_job);
    shared.apply_job.reset();
    lock.unlock();
    Shared::ApplyDone done;
    done.now = job.now;
    const auto start = SteadyClock::now();
    try {
      done.result = source.Apply(std::move(job.updates), job.now);
    } catch (...) {
      done.error = std::current_exception();
    }
    done.micros = MicrosSince(start);
    lock.lock();
    shared.apply_done = std::move(done);
    shared.results_ready.notify_all();
  }
}

Runner::Runner(RunnerOptions options, RunnerDeps deps) : options_(std::move(options)), deps_(std::move(deps)) {
  assert(deps_.source != nullptr);
  assert(deps_.make_checker || deps_.make_concurrent_checker);
  assert(deps_.now);
  assert(options_.batch_size > 0 && options_.in_flight > 0);
}

std::int64_t Percentile(std::vector<std::int64_t> samples, int percent) {
  if (samples.empty()) return 0;
  // Nearest rank: the smallest sample with at least percent% of the samples at or below it.
  const std::size_t rank = (samples.size() * static_cast<std::size_t>(percent) + 99) / 100;
  const std::size_t i = rank == 0 ? 0 : rank - 1;
  std::nth_element(samples.begin(), samples.begin() + static_cast<std::ptrdiff_t>(i), samples.end());
  return samples[i];
}

RunStats Runner::Run() {
  const auto started = SteadyClock::now();
  const int batch = options_.batch_size;
  // Claims are made while the transactions handed out and not yet applied, the batch being written aside, leave
  // room for one more batch within 2 x batch + in_flight. With the apply thread, one batch more may be being
  // written: the work queue's capacity.
  const bool apply_off_thread = deps_.source->ApplyOffThread();
  const std::size_t claim_room = static_cast<std::size_t>(2 * batch + options_.in_flight);
  const std::size_t max_outstanding = claim_room + (apply_off_thread ? static_cast<std::size_t>(batch) : 0);
  // No burst: calls start one interval apart from the first. A burst at the start came back a window later (its
  // slots in the sliding window all reopen at once), and the two, delivered with a few milliseconds of jitter,
  // reached the gateway within one second: 330 where max_rps was 300. Workers queue at a limiter that is the
  // bottleneck, so no slot is lost to the missing burst.
  constexpr int burst = 1;
  ThrottleOptions throttle;
  throttle.retry_after_max = options_.retry_after_max;
  throttle.deadline = options_.deadline;
  if (options_.deadline && deps_.monotonic_now) {
    // The limiter waits on the steady clock: the deadline as a point on it.
    throttle.deadline = started + (*options_.deadline - deps_.monotonic_now());
  }
  Shared shared(max_outstanding, options_.max_rps, burst, throttle, options_.auth_failures_to_stop,
                options_.merchant_count, deps_.monotonic_now);

  std::vector<std::thread> workers;
  workers.reserve(static_cast<std::size_t>(options_.in_flight));
  std::thread applier;
  auto join_all = [&] {
    shared.stop = true;
    shared.work.Close();
    for (auto& w : workers) {
      if (w.joinable()) w.join();
    }
    if (applier.joinable()) {
      {
        std::lock_guard lock(shared.mu);
        shared.apply_stop = true;
      }
      shared.apply_wake.notify_all();
      applier.join();  // after a batch being written, if any: its rows are then either applied or still leased
    }
  };

  RunStats& stats = stats_;
  stats = RunStats();
  ProgressTracker progress;
  std::size_t outstanding = 0;  // handed out by the source, not yet applied or released
  std::vector<Result> pending;  // results waiting to be applied
  std::vector<Result> applying;  // the batch being written (on the apply thread: until it answers); else empty
  std::vector<std::int64_t> held;  // claims kept until the end of the run
  std::deque<BatchLease> leases;   // batches whose claims may still need renewing
  std::unordered_set<std::int64_t> waiting;  // handed out, no result back yet
  bool claiming_done = false;
  bool stopping = false;
  auto last_apply = SteadyClock::now();
  auto last_progress = SteadyClock::now();

  // Counts a written batch (`applied` holds one outcome per update of `done`, in order, written with `applied_at`),
  // hands each checked transaction to the observer and moves the backfill's progress on. Coordinating thread.
  // `advance`: also hands the backfill's resume point to the source (not after a store failure: it would only
  // retry against a database that has just been given up on).
  auto settle = [&](std::vector<Result>& done, const core::ApplyResult& applied, core::Instant applied_at,
                    bool advance) {
    const auto applied_count = static_cast<std::size_t>(
        std::count_if(done.begin(), done.end(), [](const Result& r) { return !r.hold && !r.release; }));
    if (applied.outcomes.size() != applied_count) {
      throw std::logic_error("the store answered " + std::to_string(applied.outcomes.size()) +
                                              " outcomes for " + std::to_string(applied_count) + " updates");
    }
    std::size_t k = 0;
    for (const Result& r : done) {
      const core::Transaction& t = r.record.transaction;
      core::UpdateOutcome outcome{t.id, false, {}, {}};
      if (!r.release && !r.hold) {
        outcome = applied.outcomes[k++];
        outcome.applied_at = applied_at;
      }
      progress.OnDone(t.id, !r.release);
      if (!r.checked) {
        ++stats.counts.released;
        continue;
      }
      const core::Decision& d = r.record.decision;
      ++stats.counts.checked;
      ++stats.counts.checked_by_kind[t.kind];
      ++stats.by_kind_outcome[static_cast<std::size_t>(t.kind)][static_cast<std::size_t>(r.record.check.outcome)];
      if (r.record.check.latency_us > 0) {
        stats.counts.gateway_latency_total_us += r.record.check.latency_us;
        stats.counts.gateway_latency_max_us = std::max(stats.counts.gateway_latency_max_us, r.record.check.latency_us);
        stats.counts.latency.Observe(r.record.check.latency_us);
      }
      if (r.release) {
        ++stats.counts.released;
      } else if (!outcome.applied) {
        ++stats.counts.conflicts;
      } else if (d.update.new_status) {
        ++stats.transitions;
        ++stats.by_transition[{t.status, *d.update.new_status}];
        ++stats.by_kind_transition[{t.kind, t.status, *d.update.new_status}];
      }
      for (core::DiscrepancyCode code : outcome.raised) {
        ++stats.discrepancies;
        ++stats.by_discrepancy[code];
      }
      if (d.error) {
        ++stats.errors;
        ++stats.by_error[*d.error];
      }
      if (d.stale) ++stats.stale;
      if (deps_.observer) deps_.observer->OnChecked(r.record, outcome);
    }
    outstanding -= done.size();
    done.clear();
    if (!advance) return;
    if (auto through = progress.Advance()) deps_.source->Progress(*through);
    last_apply = SteadyClock::now();
  };

  // Writes the pending results: gives back the released claims, keeps the held ones for the end of the run, and
  // applies the rest, on the apply thread when there is one (settled when it answers) or here.
  auto flush = [&] {
    // At most a batch per apply, the oldest results first; the rest wait for the next. `applying` holds them
    // from here on, so a failure gives them back.
    const auto take = static_cast<std::ptrdiff_t>(std::min(pending.size(), static_cast<std::size_t>(batch)));
    applying.assign(std::make_move_iterator(pending.begin()), std::make_move_iterator(pending.begin() + take));
    pending.erase(pending.begin(), pending.begin() + take);
    std::vector<core::TransactionUpdate> updates;
    std::vector<std::int64_t> release_ids;
    for (const Result& r : applying) {
      if (r.hold) {
        held.push_back(r.record.transaction.id);
      } else if (r.release) {
        release_ids.push_back(r.record.transaction.id);
      } else {
        updates.push_back(r.record.decision.update);
      }
    }
    if (!release_ids.empty()) deps_.source->Release(std::move(release_ids));
    if (apply_off_thread && !updates.empty()) {
      if (!applier.joinable()) applier = std::thread(RunApplier, std::ref(shared), std::ref(*deps_.source));
      {
        std::lock_guard lock(shared.mu);
        shared.apply_job = Shared::ApplyJob{std::move(updates), deps_.now()};
      }
      shared.apply_wake.notify_one();
      return;
    }
    core::ApplyResult applied;
    core::Instant applied_at{};
    if (!updates.empty()) {
      const auto apply_start = SteadyClock::now();
      applied_at = deps_.now();
      applied = deps_.source->Apply(std::move(updates), applied_at);
      stats.apply_us.push_back(MicrosSince(apply_start));
    }
    settle(applying, applied, applied_at, true);
  };

  // The apply thread's answer for `applying`.
  auto apply_answered = [&](Shared::ApplyDone done, bool advance) {
    if (done.error) std::rethrow_exception(done.error);
    stats.apply_us.push_back(done.micros);
    settle(applying, done.result, done.now, advance);
  };

  // Claims still waiting for their check get their leases extended half-way through their validity, so a long
  // queue (rate limiting, a slow gateway) does not lose them to another run or give them back unchecked.
  auto renew_leases = [&] {
    const auto now = shared.monotonic_now();
    for (auto it = leases.begin(); it != leases.end();) {
      std::erase_if(it->ids, [&](std::int64_t id) { return waiting.count(id) == 0; });
      if (it->ids.empty()) {
        it = leases.erase(it);
        continue;
      }
      if (now >= it->renew_at) {
        const std::size_t want = it->ids.size();
        const std::size_t renewed = deps_.source->Renew(it->ids, deps_.now()).size();
        if (renewed == want) {
          it->valid_until->store((now + *options_.claim_valid_for).time_since_epoch().count());
          it->renew_at = now + *options_.claim_valid_for / 2;
          stats.renewed += static_cast<std::int64_t>(renewed);
        } else {
          it->renew_at = SteadyClock::time_point::max();  // some were lost: let the batch expire as claimed
        }
      }
      ++it;
    }
  };

  auto finish_stats = [&] {
    stats.counts.gateway_calls = shared.calls.load();
    stats.counts.stop = std::string(StopReasonName(stats.stop));
    stats.counts.claims = static_cast<std::int64_t>(stats.claim_us.size());
    stats.counts.claim_p50_us = Percentile(stats.claim_us, 50);
    stats.counts.claim_p99_us = Percentile(stats.claim_us, 99);
    stats.counts.applies = static_cast<std::int64_t>(stats.apply_us.size());
    stats.counts.apply_p50_us = Percentile(stats.apply_us, 50);
    stats.counts.apply_p99_us = Percentile(stats.apply_us, 99);
    stats.expired_claims = shared.expired.load();
    stats.throttled = shared.limiter.throttled();
    stats.throttle_paused = shared.limiter.paused_total();
    stats.auth_refused = shared.auth.RefusedMerchants();
    stats.elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(SteadyClock::now() - started);
  };

  // After a failure other than the store's, with the workers joined: every claim this run still holds (not yet
  // checked, checked but not applied, held back, or with a worker that threw) goes back at once instead of when
  // its lease expires, so the next run need not wait for it. Best effort: if the release fails too, the leases
  // expire as after a crash. A claim already applied or released is no longer this run's, and the release leaves
  // it alone.
  auto give_back = [&] {
    std::vector<std::int64_t> ids(held.begin(), held.end());
    ids.insert(ids.end(), waiting.begin(), waiting.end());
    for (const Result& r : pending) ids.push_back(r.record.transaction.id);
    for (const Result& r : applying) ids.push_back(r.record.transaction.id);
    {
      std::lock_guard lock(shared.mu);
      for (const Result& r : shared.results) ids.push_back(r.record.transaction.id);
    }
    for (const Claimed& c : shared.work.Drain()) ids.push_back(c.transaction.id);
    std::sort(ids.begin(), ids.end());
    ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
    if (ids.empty()) return;
    try {
      deps_.source->Release(std::move(ids));
    } catch (...) {  // NOLINT(bugprone-empty-catch): the failure being reported is the run's, not this one
    }
  };

  auto begin_stop = [&](StopReason reason) {
    stopping = true;
    stats.stop = reason;
    shared.stop = true;
    shared.work.Close();
    for (Claimed& c : shared.work.Drain()) {
      Result r;
      r.record.transaction = std::move(c.transaction);
      r.release = true;
      waiting.erase(r.record.transaction.id);
      pending.push_back(std::move(r));
    }
  };

  try {
    // A blocking checker needs a thread per call in flight; a concurrent one spreads them over a few threads.
    int threads = options_.in_flight;
    if (deps_.make_concurrent_checker) {
      threads = std::min(options_.in_flight, options_.io_threads > 0 ? options_.io_threads : kDefaultIoThreads);
    }
    for (int i = 0; i < threads; ++i) {
      const int capacity = options_.in_flight / threads + (i < options_.in_flight % threads ? 1 : 0);
      workers.emplace_back(RunWorker, std::ref(shared), std::cref(options_), std::cref(deps_), i, capacity);
    }
    for (;;) {
      if (!stopping) {
        if (deps_.interrupt && deps_.interrupt->load()) {
          begin_stop(StopReason::kInterrupted);
        } else if (shared.auth_stop.load()) {
          begin_stop(StopReason::kAuth);
        } else if (options_.deadline && shared.monotonic_now() >= *options_.deadline) {
          begin_stop(StopReason::kDeadline);
        }
      }

      bool claimed_full = false;
      if (!stopping && !claiming_done &&
          outstanding - applying.size() + static_cast<std::size_t>(batch) <= claim_room) {
        std::int64_t want = batch;
        if (options_.limit) want = std::min(want, *options_.limit - stats.claimed);
        std::vector<core::Transaction> got;
        if (want > 0) {
          const auto claim_start = SteadyClock::now();
          got = deps_.source->Next(static_cast<int>(want), deps_.now());
          stats.claim_us.push_back(MicrosSince(claim_start));
        }
        if (got.empty()) {
          claiming_done = true;
          if (want <= 0) stats.stop = StopReason::kLimit;
          shared.work.Close();
        } else {
          progress.OnBatch(got);
          stats.claimed += static_cast<std::int64_t>(got.size());
          outstanding += got.size();
          for (const core::Transaction& t : got) waiting.insert(t.id);
          claimed_full = static_cast<std::int64_t>(got.size()) == want;
          ValidUntil valid_until;
          if (options_.claim_valid_for) {
            const auto now = shared.monotonic_now();
            valid_until = std::make_shared<std::atomic<SteadyClock::rep>>(
                (now + *options_.claim_valid_for).time_since_epoch().count());
            BatchLease lease{valid_until, {}, now + *options_.claim_valid_for / 2};
            for (const core::Transaction& t : got) lease.ids.push_back(t.id);
            leases.push_back(std::move(lease));
          }
          for (core::Transaction& t : got) {
            [[maybe_unused]] const bool pushed = shared.work.TryPush(Claimed{std::move(t), valid_until});
            assert(pushed);  // capacity is max_outstanding
          }
          if (options_.limit && stats.claimed >= *options_.limit) {
            claiming_done = true;
            stats.stop = StopReason::kLimit;
            shared.work.Close();
          }
        }
      }

      std::optional<Shared::ApplyDone> answered;
      {
        std::unique_lock lock(shared.mu);
        const bool can_claim_more =
            claimed_full && outstanding - applying.size() + static_cast<std::size_t>(batch) <= claim_room;
        if (!can_claim_more && !applying.empty()) {
          // Nothing can be written before the apply thread answers: results are not waited for.
          shared.results_ready.wait_for(lock, kCoordinatorTick, [&] {
            return shared.worker_error || shared.apply_done.has_value();
          });
        } else if (!can_claim_more) {
          // Results that end the wait: a batch's worth, or every outstanding one when no more will be claimed.
          std::size_t want = static_cast<std::size_t>(batch);
          if (claiming_done || stopping) want = std::min(want, outstanding);
          if (want > pending.size()) {
            const std::size_t need = want - pending.size();
            shared.wake_at = need;
            shared.results_ready.wait_for(lock, kCoordinatorTick, [&] {
              return shared.worker_error || shared.results.size() >= need;
            });
            shared.wake_at = 0;
          }
        }
        if (shared.worker_error) std::rethrow_exception(shared.worker_error);
        for (Result& r : shared.results) {
          waiting.erase(r.record.transaction.id);
          pending.push_back(std::move(r));
        }
        shared.results.clear();
        if (shared.apply_done) {
          answered = std::move(shared.apply_done);
          shared.apply_done.reset();
        }
      }
      if (answered) apply_answered(std::move(*answered), true);

      const bool finishing = claiming_done || stopping;
      if (applying.empty() && !pending.empty() &&
          (pending.size() >= static_cast<std::size_t>(batch) || SteadyClock::now() - last_apply >= options_.apply_interval ||
           (finishing && pending.size() == outstanding))) {
        flush();
      }
      if (finishing && outstanding == 0) break;
      if (!stopping) renew_leases();

      if (deps_.on_progress && SteadyClock::now() - last_progress >= std::chrono::seconds(1)) {
        deps_.on_progress(stats);
        last_progress = SteadyClock::now();
      }
    }
    join_all();
    if (!held.empty()) deps_.source->Release(std::move(held));
  } catch (...) {
    join_all();
    // Not after a store failure: the store has just given up reconnecting, and asking again would only hold the
    // exit back for another round of retries.
    bool store_failed = false;
    try {
      throw;
    } catch (const core::StoreUnavailable&) {
      store_failed = true;
    } catch (...) {  // NOLINT(bugprone-empty-catch): rethrown below
    }
    // A batch the apply thread wrote before the failure is real work too: counted and reported like the others
    // (best effort: the run has failed already).
    std::optional<Shared::ApplyDone> late;
    {
      std::lock_guard lock(shared.mu);
      late = std::move(shared.apply_done);
      shared.apply_done.reset();
    }
    if (late && !late->error) {
      try {
        apply_answered(std::move(*late), !store_failed);
      } catch (...) {  // NOLINT(bugprone-empty-catch): the failure being reported is the run's, not this one
      }
    }
    if (!store_failed) give_back();
    // What was applied before the failure is real work: the caller reports it (stats()) with the failure.
    finish_stats();
    throw;
  }
  finish_stats();
  if (deps_.on_progress) deps_.on_progress(stats);
  return stats;
}

}  // namespace payrecon::engine
