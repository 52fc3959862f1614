#include <boost/test/unit_test.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <exception>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <stdexcept>
#include <thread>

#include "config/settings.h"
#include "db/connection.h"
#include "jobs/database.h"
#include "jobs/exit_code.h"
#include "jobs/retry.h"
#include "jobs/reconnecting_store.h"
#include "engine/runner.h"
#include "engine/sources.h"
#include "tests/unit/fake_store.h"

using namespace payrecon;
using payrecon::testing::FakeChecker;
using payrecon::testing::FakeEvent;
using payrecon::testing::FakeGateway;
using payrecon::testing::FakeStore;

namespace {

const core::Instant kNow = *core::ParseIso8601("2026-01-01T00:00:00Z");

core::Transaction Charge(std::int64_t id, core::Instant next_check_at = kNow - core::Millis{1000}) {
  core::Transaction t;
  t.id = id;
  t.kind = core::Kind::kCharge;
  t.merchant_id = "M1";
  t.merchant_txn_id = "c" + std::to_string(id);
  t.amount = 150000;
  t.currency = "INR";
  t.status = core::Status::kCapturePending;
  t.created_at = kNow - core::Millis{60'000};
  t.next_check_at = next_check_at;
  return t;
}

core::CheckResult Observed(const std::string& txn_id, core::Status status, core::Paise amount = 150000) {
  core::CheckResult r;
  r.outcome = core::CheckOutcome::kObserved;
  r.http_status = 200;
  r.request_id = "req-" + txn_id;
  r.observation.status_word = std::string(core::StatusName(status));
  r.observation.status = status;
  r.observation.merchant_txn_id = txn_id;
  r.observation.amazon_txn_id = "P04-" + txn_id;
  r.observation.requested_amount = amount;
  if (status == core::Status::kCaptureApproved) r.observation.approved_amount = amount;
  r.observation.currency = "INR";
  r.latency_us = 100;
  return r;
}

core::CheckResult Failure(core::CheckOutcome outcome, int http_status) {
  core::CheckResult r;
  r.outcome = outcome;
  r.http_status = http_status;
  r.message = "scripted";
  return r;
}

// Even ids are approved at the gateway, odd ids still pending.
core::CheckResult HalfApproved(const core::StatusQuery& q) {
  const auto id = std::stoll(q.txn_id.substr(1));
  return Observed(q.txn_id, id % 2 == 0 ? core::Status::kCaptureApproved : core::Status::kCapturePending);
}

class RecordingObserver : public engine::RunObserver {
 public:
  void OnChecked(const engine::CheckRecord& record, const core::UpdateOutcome& outcome) override {
    std::lock_guard lock(mu);
    records.push_back({record, outcome});
  }
  std::mutex mu;
  std::vector<std::pair<engine::CheckRecord, core::UpdateOutcome>> records;
};

// Passes everything through to `inner` and records transactions handed out more than once; the first such
// hand-out interrupts the run (otherwise a runner that keeps re-claiming would never finish).
class OnceSource : public engine::WorkSource {
 public:
  OnceSource(engine::WorkSource& inner, std::atomic<bool>& interrupt) : inner_(inner), interrupt_(interrupt) {}
  std::vector<core::Transaction> Next(int max, core::Instant now) override {
    std::vector<core::Transaction> got = inner_.Next(max, now);
    for (const auto& t : got) {
      if (!seen_.insert(t.id).second) {
        twice_.push_back(t.id);
        interrupt_ = true;
      }
    }
    return got;
  }
  core::ApplyResult Apply(std::vector<core::TransactionUpdate> updates, core::Instant now) override {
    return inner_.Apply(std::move(updates), now);
  }
  void Release(std::vector<std::int64_t> ids) override { inner_.Release(std::move(ids)); }
  const std::vector<std::int64_t>& handed_out_twice() const { return twice_; }

 private:
  engine::WorkSource& inner_;
  std::atomic<bool>& interrupt_;
  std::set<std::int64_t> seen_;
  std::vector<std::int64_t> twice_;
};

// Passes everything through to `inner`, applying from the runner's apply thread. The first apply waits (on a
// condition, at most 30 s) until `claims_before_first_apply` claims have been made, and records whether they were;
// apply number `fail_apply` (1-based; 0: none) throws `failure` instead of writing.
class ApplyThreadSource : public engine::WorkSource {
 public:
  explicit ApplyThreadSource(engine::WorkSource& inner) : inner_(inner) {}
  std::vector<core::Transaction> Next(int max, core::Instant now) override {
    std::vector<core::Transaction> got = inner_.Next(max, now);
    std::lock_guard lock(mu_);
    claim_thread_ = std::this_thread::get_id();
    ++claims_;
    in_hand_ += static_cast<int>(got.size());
    max_in_hand_ = std::max(max_in_hand_, in_hand_);
    changed_.notify_all();
    return got;
  }
  core::ApplyResult Apply(std::vector<core::TransactionUpdate> updates, core::Instant now) override {
    {
      std::unique_lock lock(mu_);
      apply_thread_ = std::this_thread::get_id();
      ++applies_;
      largest_apply_ = std::max(largest_apply_, static_cast<int>(updates.size()));
      if (applies_ == fail_apply) std::rethrow_exception(failure);
      if (applies_ == 1) {
        overlapped_ = changed_.wait_for(lock, std::chrono::seconds(30),
                                        [&] { return claims_ >= claims_before_first_apply; });
      }
    }
    const auto written = static_cast<int>(updates.size());
    core::ApplyResult result = inner_.Apply(std::move(updates), now);
    std::lock_guard lock(mu_);
    in_hand_ -= written;
    return result;
  }
  bool ApplyOffThread() const override { return true; }
  void Release(std::vector<std::int64_t> ids) override {
    {
      std::lock_guard lock(mu_);
      in_hand_ -= static_cast<int>(ids.size());
    }
    inner_.Release(std::move(ids));
  }
  std::vector<std::int64_t> Renew(std::vector<std::int64_t> ids, core::Instant now) override {
    return inner_.Renew(std::move(ids), now);
  }

  // What the source saw, read once the run is over.
  struct Seen {
    bool overlapped = false;                 // the first apply saw its claims made
    bool applied_on_another_thread = false;  // than the claims'
    int max_in_hand = 0;    // the most transactions claimed and not yet applied or released at once
    int largest_apply = 0;  // updates in one apply
  };
  Seen seen() {
    std::lock_guard lock(mu_);
    return {overlapped_, apply_thread_ != std::thread::id() && apply_thread_ != claim_thread_, max_in_hand_,
            largest_apply_};
  }

  int claims_before_first_apply = 0;
  int fail_apply = 0;
  std::exception_ptr failure;

 private:
  engine::WorkSource& inner_;
  std::mutex mu_;
  std::condition_variable changed_;
  int applies_ = 0;
  int claims_ = 0;
  int in_hand_ = 0;
  int max_in_hand_ = 0;
  int largest_apply_ = 0;
  bool overlapped_ = false;
  std::thread::id claim_thread_;
  std::thread::id apply_thread_;
};

// A monotonic clock (RunnerDeps::monotonic_now) that the test moves by hand, so lease timing never depends on
// how fast the machine runs. A test that must see the runner react to a move waits on a condition for it.
class ManualClock {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;
  explicit ManualClock(std::chrono::milliseconds step_per_read = std::chrono::milliseconds{0}) : step_(step_per_read) {}

  // Each reading moves the clock on by the step first, so two readings never tie when the step is not zero.
  TimePoint Read() {
    std::lock_guard lock(mu_);
    now_ += step_;
    ++reads_;
    read_.notify_all();
    return now_;
  }
  void Advance(std::chrono::milliseconds by) {
    std::lock_guard lock(mu_);
    now_ += by;
    reads_ = 0;
  }
  // Waits until the clock has been read `n` times since the last Advance; false if that takes a minute.
  bool WaitForReads(int n) {
    std::unique_lock lock(mu_);
    return read_.wait_for(lock, std::chrono::minutes(1), [&] { return reads_ >= n; });
  }
  std::function<TimePoint()> AsFunction() {
    return [this] { return Read(); };
  }

 private:
  std::mutex mu_;
  std::condition_variable read_;
  TimePoint now_{std::chrono::hours(1)};
  std::chrono::milliseconds step_;
  int reads_ = 0;
};

struct Harness {
  FakeStore store;
  FakeGateway gateway{HalfApproved};
  RecordingObserver observer;
  std::atomic<bool> interrupt{false};
  engine::RunnerOptions options;
  bool concurrent = false;  // the workers get FakeConcurrentCheckers instead of FakeCheckers
  bool apply_off_thread = false;  // RunDue's source applies from the runner's apply thread (FakeStore is shared)
  bool ticking = false;  // the wall clock moves on by 1 ms at each reading instead of staying at kNow
  std::atomic<std::int64_t> ticks{0};

  Harness() {
    options.batch_size = 50;
    options.in_flight = 4;
    options.apply_interval = std::chrono::milliseconds(20);
  }

  engine::RunnerDeps Deps(engine::WorkSource& source) {
    engine::RunnerDeps d;
    d.source = &source;
    d.make_checker = [this] { return std::make_unique<FakeChecker>(gateway); };
    if (concurrent) {
      d.make_concurrent_checker = [this](int capacity) {
        return std::make_unique<payrecon::testing::FakeConcurrentChecker>(gateway, capacity);
      };
    }
    d.now = [this] { return ticking ? kNow + core::Millis{ticks++} : kNow; };
    d.seed = 7;
    d.observer = &observer;
    d.interrupt = &interrupt;
    return d;
  }

  engine::RunStats RunDue(const std::string& run_id = "run-1") {
    engine::ClaimDueSource source(store, run_id, kNow, core::Millis{300'000}, apply_off_thread ? &store : nullptr);
    return engine::Runner(options, Deps(source)).Run();
  }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(runner)

// A runner built without the job (bench programs, tests) behaves as a run with an empty `worker` section.
BOOST_AUTO_TEST_CASE(the_runners_own_defaults_are_the_worker_settings_defaults) {
  const engine::RunnerOptions options;
  const config::WorkerSettings worker;
  BOOST_TEST(options.batch_size == worker.batch_size);
  BOOST_TEST(options.in_flight == worker.in_flight);
  BOOST_TEST(engine::kDefaultIoThreads == worker.io_threads);
  BOOST_TEST(options.max_rps == worker.max_rps);
  BOOST_TEST(options.auth_failures_to_stop == worker.auth_failures_to_stop);
}

BOOST_AUTO_TEST_CASE(a_concurrent_checker_shares_in_flight_over_io_threads_and_answers_are_matched_by_tag) {
  Harness h;
  h.concurrent = true;
  h.options.in_flight = 7;
  h.options.io_threads = 2;
  payrecon::testing::FakeConcurrentChecker::ResetCounts();
  for (int id = 1; id <= 300; ++id) h.store.Add(Charge(id));
  const engine::RunStats stats = h.RunDue();

  std::vector<int> capacities = payrecon::testing::FakeConcurrentChecker::capacities();
  std::sort(capacities.begin(), capacities.end());
  BOOST_TEST((capacities == std::vector<int>{3, 4}));
  BOOST_TEST(!payrecon::testing::FakeConcurrentChecker::over_capacity());
  BOOST_TEST(payrecon::testing::FakeConcurrentChecker::max_in_flight() > 1);
  BOOST_TEST(stats.counts.checked == 300);
  BOOST_TEST(stats.counts.gateway_calls == 300);
  BOOST_TEST(stats.transitions == 150);
  BOOST_TEST(stats.counts.released == 0);
  for (int id = 1; id <= 300; ++id) {
    BOOST_TEST_CONTEXT("c" << id) {
      BOOST_TEST(h.gateway.CallsFor("c" + std::to_string(id)) == 1);
      // Answered in reverse order of their start: each answer still lands on its own transaction.
      const core::Transaction t = h.store.Get(id);
      BOOST_TEST((t.status == (id % 2 == 0 ? core::Status::kCaptureApproved : core::Status::kCapturePending)));
      BOOST_TEST(h.store.LeaseOf(id).empty());
    }
  }
  BOOST_TEST(h.observer.records.size() == 300U);
}

// Under a rate limit a call starts only once it would leave at once: a call that opened its own connection after
// its slot would send its request late, bunched up with the next ones. Every call here stays in flight for 50
// polls and a connection takes 3 polls to open; the limit (a call every 10 ns) lets the four claims' slots come at
// once, so every second call finds its worker's connections all busy and must wait for another to be opened.
BOOST_AUTO_TEST_CASE(under_a_rate_limit_each_call_waits_for_a_free_open_connection) {
  Harness h;
  h.concurrent = true;
  h.options.in_flight = 4;
  h.options.io_threads = 1;
  h.options.max_rps = 1e8;
  payrecon::testing::FakeConcurrentChecker::ResetCounts();
  payrecon::testing::FakeConcurrentChecker::SetConnections(3, 50);
  for (int id = 1; id <= 40; ++id) h.store.Add(Charge(id));
  const engine::RunStats stats = h.RunDue();
  BOOST_TEST(stats.counts.checked == 40);
  BOOST_TEST(payrecon::testing::FakeConcurrentChecker::unready_starts() == 0);
  BOOST_TEST(payrecon::testing::FakeConcurrentChecker::max_in_flight() > 1);  // more connections were opened
  payrecon::testing::FakeConcurrentChecker::ResetCounts();
}

// Without a limit nothing needs spacing: a call starts at once and opens its own connection.
BOOST_AUTO_TEST_CASE(without_a_rate_limit_calls_do_not_wait_for_a_connection) {
  Harness h;
  h.concurrent = true;
  h.options.in_flight = 4;
  h.options.io_threads = 1;
  payrecon::testing::FakeConcurrentChecker::ResetCounts();
  payrecon::testing::FakeConcurrentChecker::SetConnections(3, 50);
  for (int id = 1; id <= 40; ++id) h.store.Add(Charge(id));
  const engine::RunStats stats = h.RunDue();
  BOOST_TEST(stats.counts.checked == 40);
  BOOST_TEST(payrecon::testing::FakeConcurrentChecker::unready_starts() > 0);
  payrecon::testing::FakeConcurrentChecker::ResetCounts();
}

BOOST_AUTO_TEST_CASE(io_threads_never_exceed_in_flight) {
  Harness h;
  h.concurrent = true;
  h.options.in_flight = 2;
  h.options.io_threads = 5;
  payrecon::testing::FakeConcurrentChecker::ResetCounts();
  for (int id = 1; id <= 20; ++id) h.store.Add(Charge(id));
  BOOST_TEST(h.RunDue().counts.checked == 20);
  BOOST_TEST((payrecon::testing::FakeConcurrentChecker::capacities() == std::vector<int>{1, 1}));
}

BOOST_AUTO_TEST_CASE(checks_each_due_transaction_once_and_applies_transitions) {
  Harness h;
  payrecon::testing::FakeChecker::ResetCounts();
  for (int id = 1; id <= 400; ++id) h.store.Add(Charge(id));
  for (int id = 401; id <= 420; ++id) h.store.Add(Charge(id, kNow + core::Millis{60'000}));  // not due
  const engine::RunStats stats = h.RunDue();

  BOOST_TEST(stats.claimed == 400);
  BOOST_TEST(stats.counts.checked == 400);
  BOOST_TEST(stats.counts.gateway_calls == 400);
  // Every call's connection was prepared before the rate limiter let it go.
  BOOST_TEST(payrecon::testing::FakeChecker::unprepared_calls() == 0);
  BOOST_TEST(stats.transitions == 200);
  BOOST_TEST(stats.counts.conflicts == 0);
  BOOST_TEST(stats.counts.released == 0);
  BOOST_TEST((stats.stop == engine::StopReason::kDone));
  BOOST_TEST(stats.counts.checked_by_kind.at(core::Kind::kCharge) == 400);
  // The run's counts are complete as the runner returns them: the stop reason and the batch timings too.
  BOOST_TEST(stats.counts.stop == "done");
  BOOST_TEST(stats.counts.claims == static_cast<std::int64_t>(stats.claim_us.size()));
  BOOST_TEST(stats.counts.applies == static_cast<std::int64_t>(stats.apply_us.size()));
  BOOST_TEST(stats.counts.claims > 0);
  BOOST_TEST((stats.by_transition.at({core::Status::kCapturePending, core::Status::kCaptureApproved}) == 200));
  BOOST_TEST(stats.counts.gateway_latency_total_us == 400 * 100);
  for (int id = 1; id <= 420; ++id) {
    const std::string txn = "c" + std::to_string(id);
    BOOST_TEST_CONTEXT(txn) {
      BOOST_TEST(h.gateway.CallsFor(txn) == (id <= 400 ? 1 : 0));
      const core::Transaction t = h.store.Get(id);
      BOOST_TEST(h.store.LeaseOf(id).empty());
      if (id > 400) {
        BOOST_TEST(t.check_count == 0);
      } else if (id % 2 == 0) {
        BOOST_TEST((t.status == core::Status::kCaptureApproved));
        BOOST_TEST(t.amazon_txn_id == "P04-" + txn);
        BOOST_TEST(t.approved_amount.value_or(0) == 150000);
      } else {
        BOOST_TEST((t.status == core::Status::kCapturePending));
        BOOST_TEST(t.check_count == 1);
        BOOST_TEST((t.next_check_at == kNow + core::Millis{15'000}));
      }
    }
  }
  const auto events = h.store.events();
  BOOST_TEST(events.size() == 200u);
  BOOST_TEST(h.observer.records.size() == 400u);
}

// The same run with applies written from the apply thread (the store shared, as two connections share a
// database): the same checks, transitions, events and counts, and no lease left behind.
BOOST_AUTO_TEST_CASE(applies_from_the_apply_thread_give_the_same_results) {
  for (const bool concurrent : {false, true}) {
    BOOST_TEST_CONTEXT((concurrent ? "concurrent checker" : "blocking checker")) {
      Harness h;
      h.concurrent = concurrent;
      h.apply_off_thread = true;
      for (int id = 1; id <= 400; ++id) h.store.Add(Charge(id));
      const engine::RunStats stats = h.RunDue();
      BOOST_TEST(stats.claimed == 400);
      BOOST_TEST(stats.counts.checked == 400);
      BOOST_TEST(stats.transitions == 200);
      BOOST_TEST(stats.counts.conflicts == 0);
      BOOST_TEST(stats.counts.released == 0);
      BOOST_TEST((stats.stop == engine::StopReason::kDone));
      BOOST_TEST(stats.counts.applies == static_cast<std::int64_t>(stats.apply_us.size()));
      BOOST_TEST(stats.counts.applies >= 2);  // 400 results, written while more are claimed
      BOOST_TEST(h.store.events().size() == 200u);
      BOOST_TEST(h.observer.records.size() == 400u);
      for (int id = 1; id <= 400; ++id) {
        BOOST_TEST_CONTEXT("c" << id) {
          BOOST_TEST(h.gateway.CallsFor("c" + std::to_string(id)) == 1);
          BOOST_TEST(h.store.LeaseOf(id).empty());
          BOOST_TEST((h.store.Get(id).status ==
                      (id % 2 == 0 ? core::Status::kCaptureApproved : core::Status::kCapturePending)));
        }
      }
    }
  }
}

// A live run writes each transition into transitions.csv as the observer hears of it, with the time its apply
// wrote the audit event with: each applied outcome carries that time, on either apply path.
BOOST_AUTO_TEST_CASE(each_applied_outcome_carries_the_time_its_apply_wrote_with) {
  for (const bool off_thread : {false, true}) {
    BOOST_TEST_CONTEXT((off_thread ? "apply thread" : "coordinating thread")) {
      Harness h;
      h.apply_off_thread = off_thread;
      h.ticking = true;
      for (int id = 1; id <= 400; ++id) h.store.Add(Charge(id));
      const engine::RunStats stats = h.RunDue();
      BOOST_TEST(stats.counts.applies >= 2);
      std::map<std::int64_t, core::Instant> event_at;
      for (const FakeEvent& e : h.store.events()) event_at[e.transaction_id] = e.at;
      BOOST_REQUIRE(event_at.size() == 200u);
      std::set<core::Instant> times;
      std::size_t matched = 0;
      for (const auto& [record, outcome] : h.observer.records) {
        BOOST_TEST(outcome.applied);
        times.insert(outcome.applied_at);
        const auto it = event_at.find(record.transaction.id);
        if (it == event_at.end()) continue;
        BOOST_TEST((outcome.applied_at == it->second));
        ++matched;
      }
      BOOST_TEST(matched == 200u);
      BOOST_TEST(times.size() == static_cast<std::size_t>(stats.counts.applies));  // one time per apply
    }
  }
}

// A source whose applies go over their own connection gets the next batch claimed while the last is written, and
// its applies run on a thread other than the claims'. Before the first apply is written, claims leave room for two
// batches and the calls in flight (2 x 50 + 4): two claims. The first apply waits for a third, which a runner
// that applied on its coordinating thread would make only after the apply returned.
BOOST_AUTO_TEST_CASE(an_apply_on_its_own_connection_overlaps_the_next_claim) {
  Harness h;
  // Only full batches are written (no flush on a timer): the first apply then always leaves room for a claim.
  h.options.apply_interval = std::chrono::hours(1);
  for (int id = 1; id <= 400; ++id) h.store.Add(Charge(id));
  engine::ClaimDueSource inner(h.store, "run-1", kNow, core::Millis{300'000});
  ApplyThreadSource source(inner);
  source.claims_before_first_apply = 3;
  const engine::RunStats stats = engine::Runner(h.options, h.Deps(source)).Run();
  const ApplyThreadSource::Seen seen = source.seen();
  BOOST_TEST(seen.overlapped);
  BOOST_TEST(seen.applied_on_another_thread);
  // While the first apply waited, every claim was checked: its results are written a batch at a time, and claims
  // never hold more than 3 x batch + in_flight (one batch being written, two and the calls in flight beside it).
  BOOST_TEST(seen.largest_apply <= 50);
  BOOST_TEST(seen.max_in_hand <= 3 * 50 + 4);
  BOOST_TEST(stats.counts.checked == 400);
  BOOST_TEST(stats.transitions == 200);
  for (int id = 1; id <= 400; ++id) BOOST_TEST(h.store.LeaseOf(id).empty());
}

// An apply that fails on the apply thread fails the run with its own error; what earlier batches applied stays
// applied, and every claim still held, the failed batch's included, goes back at once (a store failure leaves
// them to expire, as on the coordinating thread).
BOOST_AUTO_TEST_CASE(a_failed_apply_on_the_apply_thread_fails_the_run) {
  for (const bool store_failure : {false, true}) {
    BOOST_TEST_CONTEXT((store_failure ? "store unavailable" : "another error")) {
      Harness h;
      h.options.apply_interval = std::chrono::hours(1);  // full batches only, as above
      for (int id = 1; id <= 400; ++id) h.store.Add(Charge(id));
      engine::ClaimDueSource inner(h.store, "run-1", kNow, core::Millis{300'000});
      ApplyThreadSource source(inner);
      source.fail_apply = 2;
      source.failure = store_failure ? std::make_exception_ptr(core::StoreUnavailable("connection lost"))
                                     : std::make_exception_ptr(std::logic_error("a defect in the store"));
      engine::Runner runner(h.options, h.Deps(source));
      if (store_failure) {
        BOOST_CHECK_THROW(runner.Run(), core::StoreUnavailable);
      } else {
        BOOST_CHECK_THROW(runner.Run(), std::logic_error);
      }
      // The first batch, settled before the failure: at least a batch, and exactly the rows it wrote.
      const std::int64_t checked = runner.stats().counts.checked;
      BOOST_TEST(checked >= 50);
      int applied = 0;
      int leased = 0;
      for (int id = 1; id <= 400; ++id) {
        if (h.store.Get(id).check_count > 0 || core::IsFinal(h.store.Get(id).status)) ++applied;
        if (!h.store.LeaseOf(id).empty()) ++leased;
      }
      BOOST_TEST(applied == checked);
      if (store_failure) {
        BOOST_TEST(leased > 0);
      } else {
        BOOST_TEST(leased == 0);
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(a_transaction_rescheduled_by_this_run_is_not_checked_again_by_it) {
  // Due means due at the run's start: the decision's next_check_at (kNow + 15 s) lies after it even when the
  // wall clock moves on, so a long run does not loop over its own pending transactions.
  Harness h;
  for (int id = 1; id <= 30; ++id) h.store.Add(Charge(2 * id + 1));  // odd: stay pending
  core::Instant wall = kNow;
  engine::ClaimDueSource source(h.store, "run-1", kNow, core::Millis{300'000});
  engine::RunnerDeps deps = h.Deps(source);
  std::mutex mu;
  deps.now = [&] {
    std::lock_guard lock(mu);
    wall += core::Millis{20'000};  // every call to the clock moves 20 s on
    return wall;
  };
  const engine::RunStats stats = engine::Runner(h.options, deps).Run();
  BOOST_TEST(stats.counts.checked == 30);
  BOOST_TEST(h.gateway.TotalCalls() == 30);
}

BOOST_AUTO_TEST_CASE(limit_bounds_the_transactions_handed_out) {
  Harness h;
  for (int id = 1; id <= 200; ++id) h.store.Add(Charge(id));
  h.options.limit = 73;
  const engine::RunStats stats = h.RunDue();
  BOOST_TEST(stats.claimed == 73);
  BOOST_TEST(stats.counts.checked == 73);
  BOOST_TEST(h.gateway.TotalCalls() == 73);
  BOOST_TEST((stats.stop == engine::StopReason::kLimit));
}

BOOST_AUTO_TEST_CASE(two_runners_at_once_check_each_transaction_once) {
  Harness h;
  for (int id = 1; id <= 1000; ++id) h.store.Add(Charge(id));
  engine::RunStats a, b;
  std::thread ta([&] { a = h.RunDue("run-a"); });
  std::thread tb([&] { b = h.RunDue("run-b"); });
  ta.join();
  tb.join();
  BOOST_TEST(a.counts.checked + b.counts.checked == 1000);
  BOOST_TEST(a.transitions + b.transitions == 500);
  for (int id = 1; id <= 1000; ++id) BOOST_TEST(h.gateway.CallsFor("c" + std::to_string(id)) == 1);
  BOOST_TEST(h.store.events().size() == 500u);
}

BOOST_AUTO_TEST_CASE(interrupt_stops_claiming_and_releases_what_was_not_checked) {
  Harness h;
  for (int id = 1; id <= 500; ++id) h.store.Add(Charge(id));
  std::atomic<int> calls{0};
  FakeGateway gateway([&](const core::StatusQuery& q) {
    if (++calls == 20) h.interrupt = true;  // the signal arrives during the 20th check
    return HalfApproved(q);
  });
  engine::ClaimDueSource source(h.store, "run-1", kNow, core::Millis{300'000});
  engine::RunnerDeps deps = h.Deps(source);
  deps.make_checker = [&] { return std::make_unique<FakeChecker>(gateway); };
  const engine::RunStats stats = engine::Runner(h.options, deps).Run();

  BOOST_TEST((stats.stop == engine::StopReason::kInterrupted));
  BOOST_TEST(stats.counts.checked >= 20);
  BOOST_TEST(stats.counts.checked <= 20 + h.options.in_flight);
  BOOST_TEST(stats.counts.checked + stats.counts.released == stats.claimed);
  BOOST_TEST(stats.claimed < 500);
  int changed = 0;
  for (int id = 1; id <= 500; ++id) {
    BOOST_TEST(h.store.LeaseOf(id).empty());
    if (h.store.Get(id).check_count > 0 || h.store.Get(id).status != core::Status::kCapturePending) ++changed;
  }
  BOOST_TEST(changed == stats.counts.checked);
}

BOOST_AUTO_TEST_CASE(deadline_already_passed_claims_nothing) {
  Harness h;
  for (int id = 1; id <= 10; ++id) h.store.Add(Charge(id));
  h.options.deadline = std::chrono::steady_clock::now();
  const engine::RunStats stats = h.RunDue();
  BOOST_TEST((stats.stop == engine::StopReason::kDeadline));
  BOOST_TEST(stats.claimed == 0);
  BOOST_TEST(h.gateway.TotalCalls() == 0);
}

BOOST_AUTO_TEST_CASE(auth_failures_stop_the_run_without_spending_attempts) {
  Harness h;
  for (int id = 1; id <= 300; ++id) h.store.Add(Charge(id));
  FakeGateway gateway([](const core::StatusQuery&) { return Failure(core::CheckOutcome::kAuth, 401); });
  engine::ClaimDueSource source(h.store, "run-1", kNow, core::Millis{300'000});
  engine::RunnerDeps deps = h.Deps(source);
  deps.make_checker = [&] { return std::make_unique<FakeChecker>(gateway); };
  const engine::RunStats stats = engine::Runner(h.options, deps).Run();

  BOOST_TEST((stats.stop == engine::StopReason::kAuth));
  BOOST_TEST(gateway.TotalCalls() >= 3);
  BOOST_TEST(gateway.TotalCalls() <= 3 + h.options.in_flight);
  BOOST_TEST(stats.by_error.at(core::CheckOutcome::kAuth) == gateway.TotalCalls());
  for (int id = 1; id <= 300; ++id) {
    const core::Transaction t = h.store.Get(id);
    BOOST_TEST(t.error_count == 0);
    BOOST_TEST(t.check_count == 0);
    BOOST_TEST((t.next_check_at == Charge(id).next_check_at));
    BOOST_TEST(h.store.LeaseOf(id).empty());
  }
}

BOOST_AUTO_TEST_CASE(one_merchants_refused_key_does_not_stop_the_others) {
  Harness h;
  for (int id = 1; id <= 200; ++id) {
    core::Transaction t = Charge(id);
    if (id % 2 == 0) t.merchant_id = "REVOKED";
    h.store.Add(t);
  }
  FakeGateway gateway([](const core::StatusQuery& q) {
    if (q.merchant_id == "REVOKED") return Failure(core::CheckOutcome::kAuth, 401);
    return HalfApproved(q);
  });
  h.options.merchant_count = 2;
  engine::ClaimDueSource source(h.store, "run-1", kNow, core::Millis{300'000});
  engine::RunnerDeps deps = h.Deps(source);
  deps.make_checker = [&] { return std::make_unique<FakeChecker>(gateway); };
  const engine::RunStats stats = engine::Runner(h.options, deps).Run();

  BOOST_TEST((stats.stop == engine::StopReason::kDone));
  BOOST_TEST(stats.auth_refused == std::vector<std::string>{"REVOKED"}, boost::test_tools::per_element());
  // The refused merchant was asked only until its streak ended; the other merchant was fully reconciled.
  BOOST_TEST(stats.by_error.at(core::CheckOutcome::kAuth) <= 3 + h.options.in_flight);
  for (int id = 1; id <= 200; ++id) {
    const core::Transaction t = h.store.Get(id);
    BOOST_TEST(h.store.LeaseOf(id).empty());
    if (id % 2 == 0) {
      BOOST_TEST(t.check_count == 0);
      BOOST_TEST(t.error_count == 0);
    } else {
      BOOST_TEST(t.check_count == 1);
    }
  }
}

BOOST_AUTO_TEST_CASE(claims_held_past_their_validity_are_given_back_unchecked) {
  Harness h;
  for (int id = 1; id <= 50; ++id) h.store.Add(Charge(id));
  h.options.claim_valid_for = std::chrono::milliseconds{0};
  // Small batches and one worker: the runner must apply (give back) the first results before it may claim the
  // rest, so a claim given back mid-run is due again when the next batch is claimed.
  h.options.batch_size = 10;
  h.options.in_flight = 1;
  ManualClock clock(std::chrono::milliseconds{1});  // every reading is later than the claim's
  engine::ClaimDueSource claims(h.store, "run-1", kNow, core::Millis{300'000});
  OnceSource source(claims, h.interrupt);
  engine::RunnerDeps deps = h.Deps(source);
  deps.monotonic_now = clock.AsFunction();
  const engine::RunStats stats = engine::Runner(h.options, deps).Run();
  BOOST_TEST(source.handed_out_twice().empty(), "handed out twice: " << source.handed_out_twice().size());
  BOOST_TEST((stats.stop == engine::StopReason::kDone));
  BOOST_TEST(h.gateway.TotalCalls() == 0);
  BOOST_TEST(stats.claimed == 50);
  BOOST_TEST(stats.expired_claims == 50);
  BOOST_TEST(stats.counts.released == 50);
  for (int id = 1; id <= 50; ++id) BOOST_TEST(h.store.LeaseOf(id).empty());
}

BOOST_AUTO_TEST_CASE(an_answered_call_resets_the_auth_failure_count) {
  Harness h;
  for (int id = 1; id <= 100; ++id) h.store.Add(Charge(id));
  // Every fourth call is refused: never three in a row with one worker.
  std::atomic<int> n{0};
  FakeGateway gateway([&](const core::StatusQuery& q) {
    if (++n % 4 == 0) return Failure(core::CheckOutcome::kAuth, 403);
    return HalfApproved(q);
  });
  h.options.in_flight = 1;
  engine::ClaimDueSource source(h.store, "run-1", kNow, core::Millis{300'000});
  engine::RunnerDeps deps = h.Deps(source);
  deps.make_checker = [&] { return std::make_unique<FakeChecker>(gateway); };
  const engine::RunStats stats = engine::Runner(h.options, deps).Run();
  BOOST_TEST((stats.stop == engine::StopReason::kDone));
  BOOST_TEST(stats.errors == 25);
  BOOST_TEST(stats.counts.released == 25);
}

// A 401 whose header section could not be read (MALFORMED, with its status) neither counts as a refusal nor as
// proof that the credentials work: a proxy mangling every third answer must not keep a refused key running.
BOOST_AUTO_TEST_CASE(a_garbled_refusal_does_not_reset_the_auth_failure_count) {
  Harness h;
  for (int id = 1; id <= 100; ++id) h.store.Add(Charge(id));
  std::atomic<int> n{0};
  FakeGateway gateway([&](const core::StatusQuery&) {
    if (++n % 3 == 0) return Failure(core::CheckOutcome::kMalformed, 401);
    return Failure(core::CheckOutcome::kAuth, 401);
  });
  h.options.in_flight = 1;
  engine::ClaimDueSource source(h.store, "run-1", kNow, core::Millis{300'000});
  engine::RunnerDeps deps = h.Deps(source);
  deps.make_checker = [&] { return std::make_unique<FakeChecker>(gateway); };
  const engine::RunStats stats = engine::Runner(h.options, deps).Run();
  BOOST_TEST((stats.stop == engine::StopReason::kAuth));
  BOOST_TEST(n.load() == 4);  // refused, refused, garbled, refused: the third refusal stops the run
}

BOOST_AUTO_TEST_CASE(merchant_without_credentials_is_not_called) {
  Harness h;
  for (int id = 1; id <= 10; ++id) h.store.Add(Charge(id));
  core::Transaction other = Charge(11);
  other.merchant_id = "UNKNOWN";
  h.store.Add(other);
  engine::ClaimDueSource source(h.store, "run-1", kNow, core::Millis{300'000});
  engine::RunnerDeps deps = h.Deps(source);
  deps.merchant_configured = [](std::string_view m) { return m == "M1"; };
  const engine::RunStats stats = engine::Runner(h.options, deps).Run();
  BOOST_TEST(h.gateway.CallsFor("c11") == 0);
  BOOST_TEST(stats.counts.gateway_calls == 10);
  BOOST_TEST(stats.by_discrepancy.at(core::DiscrepancyCode::kMerchantConfig) == 1);
  BOOST_TEST(h.store.Get(11).needs_review);
}

BOOST_AUTO_TEST_CASE(discrepancies_are_raised_once_while_open) {
  Harness h;
  for (int id = 1; id <= 20; ++id) h.store.Add(Charge(2 * id + 1));
  FakeGateway gateway([](const core::StatusQuery& q) { return Observed(q.txn_id, core::Status::kCapturePending, 99); });
  auto run = [&](const std::string& run_id, core::Instant at) {
    engine::ClaimDueSource source(h.store, run_id, at, core::Millis{300'000});
    engine::RunnerDeps deps = h.Deps(source);
    deps.make_checker = [&] { return std::make_unique<FakeChecker>(gateway); };
    deps.now = [at] { return at; };
    return engine::Runner(h.options, deps).Run();
  };
  const engine::RunStats first = run("run-1", kNow);
  const engine::RunStats second = run("run-2", kNow + core::Millis{3'600'000});
  BOOST_TEST(first.discrepancies == 20);
  BOOST_TEST(second.counts.checked == 20);
  BOOST_TEST(second.by_discrepancy.count(core::DiscrepancyCode::kAmountMismatch) == 0u);
}

BOOST_AUTO_TEST_CASE(dry_run_changes_nothing_and_reports_everything) {
  Harness h;
  for (int id = 1; id <= 120; ++id) h.store.Add(Charge(id));
  engine::ReadOnlySource source([&](std::int64_t after, int max) { return h.store.List(after, max); });
  const engine::RunStats stats = engine::Runner(h.options, h.Deps(source)).Run();
  BOOST_TEST(stats.counts.checked == 120);
  BOOST_TEST(stats.transitions == 60);
  BOOST_TEST(h.store.events().empty());
  BOOST_TEST(h.store.applies() == 0);
  for (int id = 1; id <= 120; ++id) {
    BOOST_TEST((h.store.Get(id).status == core::Status::kCapturePending));
    BOOST_TEST(h.store.Get(id).check_count == 0);
  }
  BOOST_TEST(h.observer.records.size() == 120u);
}

BOOST_AUTO_TEST_CASE(backfill_verifies_final_rows_and_records_progress) {
  for (const bool off_thread : {false, true}) {
    BOOST_TEST_CONTEXT((off_thread ? "applies from the apply thread" : "applies inline")) {
      Harness h;
      for (int id = 1; id <= 90; ++id) {
        core::Transaction t = Charge(id, kNow + core::Millis{3'600'000});  // not due: backfill checks anyway
        if (id % 3 == 0) t.status = core::Status::kFailed;                 // final here, approved at the gateway
        h.store.Add(t);
      }
      FakeGateway gateway([](const core::StatusQuery& q) { return Observed(q.txn_id, core::Status::kCaptureApproved); });
      std::vector<std::int64_t> progress;
      core::WindowClaimParams window;
      window.run_id = "bf-1";
      window.lease = core::Millis{300'000};
      window.created_from = kNow - core::Millis{3'600'000};
      window.created_to = kNow;
      engine::ClaimWindowSource source(h.store, window, [&](std::int64_t id) { progress.push_back(id); },
                                       off_thread ? &h.store : nullptr);
      BOOST_TEST(source.ApplyOffThread() == off_thread);
      engine::RunnerDeps deps = h.Deps(source);
      deps.make_checker = [&] { return std::make_unique<FakeChecker>(gateway); };
      h.options.batch_size = 20;
      const engine::RunStats stats = engine::Runner(h.options, deps).Run();

      BOOST_TEST(stats.counts.checked == 90);
      BOOST_TEST(stats.transitions == 60);
      BOOST_TEST(stats.by_discrepancy.at(core::DiscrepancyCode::kStatusConflict) == 30);
      for (int id = 3; id <= 90; id += 3) BOOST_TEST((h.store.Get(id).status == core::Status::kFailed));
      BOOST_TEST(!progress.empty());
      BOOST_TEST(progress.back() == 90);
      BOOST_TEST(std::is_sorted(progress.begin(), progress.end()));
    }
  }
}

BOOST_AUTO_TEST_CASE(backfill_progress_stops_before_a_transaction_given_back) {
  Harness h;
  for (int id = 1; id <= 200; ++id) h.store.Add(Charge(id));
  std::atomic<int> calls{0};
  FakeGateway gateway([&](const core::StatusQuery& q) {
    if (++calls == 25) h.interrupt = true;
    return HalfApproved(q);
  });
  std::int64_t through = 0;
  core::WindowClaimParams window;
  window.run_id = "bf-1";
  window.lease = core::Millis{300'000};
  window.created_from = kNow - core::Millis{3'600'000};
  window.created_to = kNow;
  engine::ClaimWindowSource source(h.store, window, [&](std::int64_t id) { through = id; });
  engine::RunnerDeps deps = h.Deps(source);
  deps.make_checker = [&] { return std::make_unique<FakeChecker>(gateway); };
  // One worker: by its 25th call at least three batches of 10 are claimed, and it starts no call after the
  // signal, so some claimed transactions are handed back unchecked.
  h.options.batch_size = 10;
  h.options.in_flight = 1;
  const engine::RunStats stats = engine::Runner(h.options, deps).Run();
  BOOST_TEST((stats.stop == engine::StopReason::kInterrupted));
  BOOST_TEST(stats.counts.checked == 25);
  BOOST_TEST(stats.counts.released >= 5);
  // Everything up to the resume point was checked.
  for (std::int64_t id = 1; id <= through; ++id) BOOST_TEST(gateway.CallsFor("c" + std::to_string(id)) == 1);
  BOOST_TEST(through <= 25);
  BOOST_TEST(through >= 20);
}

BOOST_AUTO_TEST_CASE(store_failure_propagates_after_workers_stop) {
  Harness h;
  for (int id = 1; id <= 100; ++id) h.store.Add(Charge(id));
  engine::ClaimDueSource source(h.store, "run-1", kNow, core::Millis{300'000});
  h.store.FailNext(1);
  BOOST_CHECK_THROW(engine::Runner(h.options, h.Deps(source)).Run(), core::StoreUnavailable);
}

// A worker that throws (a defect, not a per-transaction problem) fails the run, and the claims the run still holds
// go back at once rather than when their leases expire: what was applied stays applied, nothing stays leased.
BOOST_AUTO_TEST_CASE(a_failed_run_gives_its_claims_back) {
  for (const int mode : {0, 1, 2}) {
    const bool concurrent = mode == 1;
    const bool off_thread = mode == 2;  // with applies from the apply thread
    BOOST_TEST_CONTEXT((concurrent ? "concurrent checker" : off_thread ? "apply thread" : "blocking checker")) {
      Harness h;
      FakeGateway gateway([](const core::StatusQuery& q) {
        if (q.txn_id == "c120") throw std::logic_error("a defect in the checker");
        return HalfApproved(q);
      });
      h.options.batch_size = 50;
      h.options.in_flight = 4;
      for (int id = 1; id <= 300; ++id) h.store.Add(Charge(id));
      engine::ClaimDueSource source(h.store, "run-1", kNow, core::Millis{300'000}, off_thread ? &h.store : nullptr);
      engine::RunnerDeps deps = h.Deps(source);
      deps.make_checker = [&] { return std::make_unique<FakeChecker>(gateway); };
      if (concurrent) {
        deps.make_concurrent_checker = [&](int capacity) {
          return std::make_unique<payrecon::testing::FakeConcurrentChecker>(gateway, capacity);
        };
      }
      engine::Runner runner(h.options, deps);
      BOOST_CHECK_THROW(runner.Run(), std::logic_error);
      BOOST_TEST(runner.stats().claimed > 120);
      // Every batch written before the failure is counted (one the apply thread finished included).
      std::int64_t applied = 0;
      for (int id = 1; id <= 300; ++id) {
        BOOST_TEST_CONTEXT("c" << id) { BOOST_TEST(h.store.LeaseOf(id).empty()); }
        if (h.store.Get(id).check_count > 0 || core::IsFinal(h.store.Get(id).status)) ++applied;
      }
      BOOST_TEST(applied == runner.stats().counts.checked);
    }
  }
}

BOOST_AUTO_TEST_CASE(observer_failure_propagates) {
  struct Failing : engine::RunObserver {
    void OnChecked(const engine::CheckRecord&, const core::UpdateOutcome&) override {
      throw jobs::JobError(jobs::ExitCode::kReports, "cannot write report");
    }
  } failing;
  Harness h;
  for (int id = 1; id <= 100; ++id) h.store.Add(Charge(id));
  engine::ClaimDueSource source(h.store, "run-1", kNow, core::Millis{300'000});
  engine::RunnerDeps deps = h.Deps(source);
  deps.observer = &failing;
  try {
    engine::Runner(h.options, deps).Run();
    BOOST_FAIL("expected JobError");
  } catch (const jobs::JobError& e) {
    BOOST_TEST((e.code() == jobs::ExitCode::kReports));
  }
}

BOOST_AUTO_TEST_CASE(reconnecting_store_retries_until_the_database_is_back) {
  Harness h;
  for (int id = 1; id <= 100; ++id) h.store.Add(Charge(id));
  // A store that fails its first two calls, then works: like a restarted server.
  int connects = 0;
  jobs::ReconnectingStore store(
      jobs::ReconnectingStore::Inner{.transactions = &h.store}, [&] { ++connects; },
      [](auto first_failure) { return first_failure + std::chrono::seconds(30); });
  h.store.FailNext(2);
  engine::ClaimDueSource source(store, "run-1", kNow, core::Millis{300'000});
  const engine::RunStats stats = engine::Runner(h.options, h.Deps(source)).Run();
  BOOST_TEST(stats.counts.checked == 100);
  BOOST_TEST(connects == 2);
  BOOST_TEST(store.reconnects() == 2);
}

BOOST_AUTO_TEST_CASE(reconnecting_store_gives_up_at_its_deadline) {
  FakeStore fake;
  fake.FailNext(1000);
  jobs::ReconnectingStore store(
      jobs::ReconnectingStore::Inner{.transactions = &fake}, [] { throw core::StoreUnavailable("refused"); },
      [](auto first_failure) { return first_failure + std::chrono::milliseconds(250); });
  BOOST_CHECK_THROW(store.LeasesRelease(core::ReleaseParams{"r", {1}}), core::StoreUnavailable);
}

// A stop request while the database is away ends the wait at once (exit 6), instead of retrying until the
// give-up time: a supervisor's SIGTERM must be honoured during an outage.
BOOST_AUTO_TEST_CASE(a_stop_request_ends_the_wait_for_the_database) {
  std::atomic<bool> interrupt{false};
  jobs::RetryPolicy policy;
  policy.give_up_at = [](auto first_failure) { return first_failure + std::chrono::hours(1); };
  policy.interrupt = &interrupt;
  int attempts = 0;
  try {
    jobs::RetryWhileUnavailable("TransactionsApply", policy,
                                [&](const core::StoreUnavailable&) {
                                  if (attempts == 3) interrupt = true;  // the signal arrives during the outage
                                },
                                [&]() -> int {
                                  ++attempts;
                                  throw core::StoreUnavailable("server closed the connection unexpectedly");
                                });
    BOOST_FAIL("expected JobError");
  } catch (const jobs::JobError& e) {
    BOOST_TEST((e.code() == jobs::ExitCode::kInterrupted));
    BOOST_TEST(std::string(e.what()) ==
               "interrupted by a signal while the database was unavailable during 'TransactionsApply': server "
               "closed the connection unexpectedly");
  }
  BOOST_TEST(attempts == 3);
}

// What was applied before the store failed is reported with the failure, not lost.
BOOST_AUTO_TEST_CASE(counts_so_far_survive_a_store_failure) {
  Harness h;
  for (int id = 1; id <= 400; ++id) h.store.Add(Charge(id));
  struct FailAfter : engine::RunObserver {
    explicit FailAfter(FakeStore& s) : store(s) {}
    void OnChecked(const engine::CheckRecord&, const core::UpdateOutcome&) override {
      if (++seen == 100) store.FailNext(1'000'000);  // the database goes away for good
    }
    FakeStore& store;
    int seen = 0;
  } observer(h.store);
  h.options.batch_size = 50;
  engine::ClaimDueSource source(h.store, "run-1", kNow, core::Millis{300'000});
  engine::RunnerDeps deps = h.Deps(source);
  deps.observer = &observer;
  engine::Runner runner(h.options, deps);
  BOOST_CHECK_THROW(runner.Run(), core::StoreUnavailable);
  BOOST_TEST(runner.stats().counts.checked >= 100);
  BOOST_TEST(runner.stats().transitions == static_cast<std::int64_t>(h.store.events().size()));
  // Which checks were applied before the failure depends on the workers' interleaving, and so does how many of
  // them moved a status (48 of 100 was seen under ThreadSanitizer): some did, and every one is counted.
  BOOST_TEST(runner.stats().transitions > 0);
  BOOST_TEST(runner.stats().counts.gateway_calls >= runner.stats().counts.checked);
  // The counts the failure path records are complete too: the batches that ran before the failure.
  BOOST_TEST(runner.stats().counts.claims == static_cast<std::int64_t>(runner.stats().claim_us.size()));
  BOOST_TEST(runner.stats().counts.claims >= 2);
}

// A deadlock (40P01) or serialization failure (40001) is retried on the same connection; other query errors are
// not retried at all.
BOOST_AUTO_TEST_CASE(deadlocks_and_serialization_failures_are_retried_without_reconnecting) {
  BOOST_TEST(jobs::Database::IsTransient(db::QueryError("deadlock detected", "40P01")));
  BOOST_TEST(jobs::Database::IsTransient(db::QueryError("could not serialize access", "40001")));
  BOOST_TEST(!jobs::Database::IsTransient(db::QueryError("duplicate key", "23505")));
  BOOST_TEST(!jobs::Database::NeedsReconnect(db::QueryError("deadlock detected", "40P01")));
  struct Deadlocking : core::TransactionStore {
    std::vector<core::Transaction> TransactionsClaimDue(const core::ClaimParams&) override { return {}; }
    std::vector<core::Transaction> TransactionsClaimWindow(const core::WindowClaimParams&) override { return {}; }
    core::ApplyResult TransactionsApply(const core::ApplyParams&) override {
      if (++calls <= 2) throw db::QueryError("deadlock detected", calls == 1 ? "40P01" : "40001");
      return {};
    }
    void LeasesRelease(const core::ReleaseParams&) override {}
    std::vector<std::int64_t> TransactionsHeldInWindow(const core::WindowHeldParams&) override { return {}; }
    std::vector<std::int64_t> LeasesRenew(const core::RenewParams&) override { return {}; }
    std::optional<core::Transaction> TransactionClaimOne(const core::ClaimOneParams&) override { return {}; }
    std::int64_t LeasesReleaseRun(const std::string&) override { return 0; }
    int calls = 0;
  };
  Deadlocking store;
  int connects = 0;
  jobs::ReconnectingStore retrying(
      jobs::ReconnectingStore::Inner{.transactions = &store}, [&] { ++connects; },
      [](auto first_failure) { return first_failure + std::chrono::seconds(30); }, &jobs::Database::IsTransient,
      &jobs::Database::NeedsReconnect);
  (void)retrying.TransactionsApply(core::ApplyParams{"r", kNow, {}});
  BOOST_TEST(store.calls == 3);
  BOOST_TEST(connects == 0);
  struct Broken : Deadlocking {
    core::ApplyResult TransactionsApply(const core::ApplyParams&) override {
      ++calls;
      throw db::QueryError("duplicate key", "23505");
    }
  };
  Broken broken;
  jobs::ReconnectingStore not_retried(jobs::ReconnectingStore::Inner{.transactions = &broken}, nullptr,
                                      [](auto first_failure) { return first_failure + std::chrono::seconds(30); },
                                      &jobs::Database::IsTransient, &jobs::Database::NeedsReconnect);
  BOOST_CHECK_THROW(not_retried.TransactionsApply(core::ApplyParams{"r", kNow, {}}), db::QueryError);
}

// Backfill meets rows another run holds: it does not skip them for good. They are claimed again once the scan is
// through; a row still held then is reported unverified and the resume point stays before it.
BOOST_AUTO_TEST_CASE(backfill_revisits_rows_another_run_held_and_never_resumes_past_them) {
  core::WindowClaimParams window;
  window.run_id = "bf-1";
  window.lease = core::Millis{300'000};
  window.created_from = kNow - core::Millis{3'600'000};
  window.created_to = kNow;
  for (bool freed : {true, false}) {
    BOOST_TEST_CONTEXT("freed " << freed) {
      Harness h;
      for (int id = 1; id <= 100; ++id) h.store.Add(Charge(id));
      h.store.Lease(10, "other", kNow + core::Millis{60'000});
      h.store.Lease(20, "other", kNow + core::Millis{60'000});
      struct Frees : engine::RunObserver {
        void OnChecked(const engine::CheckRecord&, const core::UpdateOutcome&) override {
          // Freed at the first result: by then the scan has passed over both rows (the first two batches are
          // claimed before the coordinator waits for any result), and the revisit after the scan is certain to
          // come later. Freeing at the 90th result raced with the end of the scan.
          if (++seen == 1 && freed) store->LeasesRelease(core::ReleaseParams{"other", {10, 20}});
        }
        FakeStore* store = nullptr;
        bool freed = false;
        int seen = 0;
      } frees;
      frees.store = &h.store;
      frees.freed = freed;
      std::int64_t through = 0;
      engine::ClaimWindowSource source(h.store, window, [&](std::int64_t id) { through = id; });
      engine::RunnerDeps deps = h.Deps(source);
      deps.observer = &frees;
      h.options.batch_size = 10;
      const engine::RunStats stats = engine::Runner(h.options, deps).Run();
      if (freed) {
        BOOST_TEST(stats.counts.checked == 100);
        BOOST_TEST(h.gateway.CallsFor("c10") == 1);
        BOOST_TEST(h.gateway.CallsFor("c20") == 1);
        BOOST_TEST(source.unverified() == 0u);
        BOOST_TEST(through == 100);
      } else {
        BOOST_TEST(stats.counts.checked == 98);
        BOOST_TEST(h.gateway.CallsFor("c10") == 0);
        BOOST_TEST(source.unverified() == 2u);
        BOOST_TEST(through == 9);  // --resume starts at the first row this run could not verify
      }
    }
  }
}

// Claims waiting for their check keep their leases: the coordinator renews them half-way through their
// validity, so none is given back unchecked.
namespace {

// 20 due charges, one worker, claims valid for 1.5 s, and every call taking 200 ms of the test's clock, so the
// 20 checks of the one batch span 4 s: well past the validity. A call returns only once the coordinator has read
// the clock after it, so the coordinator sees every step of the clock, as it would with real time; how fast
// either thread runs does not matter. `stalled`: the coordinator did not read the clock within a minute.
engine::RunStats RunWithSlowCalls(Harness& h, bool& stalled) {
  for (int id = 1; id <= 20; ++id) h.store.Add(Charge(id));
  h.options.in_flight = 1;
  h.options.claim_valid_for = std::chrono::milliseconds{1500};
  ManualClock clock;
  std::atomic<bool> coordinator_stalled{false};
  FakeGateway gateway([&](const core::StatusQuery& q) {
    clock.Advance(std::chrono::milliseconds{200});
    if (!clock.WaitForReads(1)) coordinator_stalled = true;
    return HalfApproved(q);
  });
  engine::ClaimDueSource source(h.store, "run-1", kNow, core::Millis{300'000});
  engine::RunnerDeps deps = h.Deps(source);
  deps.make_checker = [&] { return std::make_unique<FakeChecker>(gateway); };
  deps.monotonic_now = clock.AsFunction();
  const engine::RunStats stats = engine::Runner(h.options, deps).Run();
  stalled = coordinator_stalled.load();
  return stats;
}

}  // namespace

BOOST_AUTO_TEST_CASE(long_held_claims_have_their_leases_renewed) {
  Harness h;
  bool stalled = false;
  const engine::RunStats stats = RunWithSlowCalls(h, stalled);
  BOOST_TEST(!stalled);
  BOOST_TEST(stats.expired_claims == 0);
  BOOST_TEST(stats.counts.checked == 20);
  BOOST_TEST(stats.renewed > 0);
  BOOST_TEST(h.store.renewals() == stats.renewed);
}

// The same run without renewals (every one refused: another run took the rows) gives the claims back unchecked
// once their validity has passed on the runner's clock; the ones checked before that are applied.
BOOST_AUTO_TEST_CASE(claims_whose_renewal_is_refused_expire_on_the_runners_clock) {
  Harness h;
  h.store.RefuseRenewals();
  bool stalled = false;
  const engine::RunStats stats = RunWithSlowCalls(h, stalled);
  BOOST_TEST(!stalled);
  // Calls start at 0, 200, ..., 1400 ms after the claim: 8 within the 1.5 s, the other 12 too late.
  BOOST_TEST(stats.counts.checked == 8);
  BOOST_TEST(stats.expired_claims == 12);
  BOOST_TEST(stats.renewed == 0);
}

BOOST_AUTO_TEST_SUITE_END()
