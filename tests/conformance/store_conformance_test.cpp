// The store's contract, one case per rule, run against every StoreUnderTest (see store_under_test.h).
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <ostream>
#include <string>
#include <vector>

#include "tests/conformance/store_under_test.h"

namespace payrecon::core {
inline std::ostream& boost_test_print_type(std::ostream& os, Status status) { return os << StatusName(status); }
inline std::ostream& boost_test_print_type(std::ostream& os, DiscrepancyCode code) {
  return os << DiscrepancyCodeName(code);
}
}  // namespace payrecon::core

using namespace payrecon;
using payrecon::testing::MakeStoreUnderTest;
using payrecon::testing::NewRow;
using payrecon::testing::T;

namespace {

constexpr core::Millis kLease{30'000};

core::ClaimParams Due(const std::string& run, core::Instant now, int limit = 1000) {
  return core::ClaimParams{run, now, kLease, limit};
}

std::vector<std::int64_t> Ids(const std::vector<core::Transaction>& rows) {
  std::vector<std::int64_t> ids;
  for (const auto& t : rows) ids.push_back(t.id);
  return ids;
}

NewRow Row(const std::string& txn, core::Instant next_check_at = T(0)) {
  NewRow r;
  r.merchant_txn_id = txn;
  r.next_check_at = next_check_at;
  return r;
}

// An answered check that keeps the status (or, with `to`, moves it), as the runner builds it.
core::TransactionUpdate Update(const core::Transaction& t, std::optional<core::Status> to = std::nullopt) {
  core::TransactionUpdate u;
  u.id = t.id;
  u.expected_status = t.status;
  u.new_status = to;
  u.next_check_at = T(600);
  u.check_count = t.check_count + 1;
  u.request_id = "req-" + t.merchant_txn_id;
  u.response_digest = "digest-" + t.merchant_txn_id;
  if (to) {
    u.amazon_txn_id = "S04-" + t.merchant_txn_id;
    u.approved_amount = t.amount;
  }
  return u;
}

core::DiscrepancyRecord Mismatch(core::Paise gateway_amount) {
  core::DiscrepancyRecord d;
  d.code = core::DiscrepancyCode::kAmountMismatch;
  d.detail = "gateway amount differs";
  d.gateway_status = "CapturePending";
  d.gateway_amount = gateway_amount;
  return d;
}

core::UpdateOutcome ApplyOne(core::TransactionStore& s, const std::string& run, core::Instant now,
                             core::TransactionUpdate u) {
  const core::ApplyResult r = s.TransactionsApply(core::ApplyParams{run, now, {std::move(u)}});
  BOOST_REQUIRE_EQUAL(r.outcomes.size(), 1u);
  return r.outcomes[0];
}

}  // namespace

BOOST_AUTO_TEST_SUITE(store_conformance)

BOOST_AUTO_TEST_CASE(claim_due_takes_due_pending_free_rows_oldest_check_first_up_to_the_limit) {
  auto store = MakeStoreUnderTest();
  const auto a = store->Insert(Row("a", T(-3)));
  const auto b = store->Insert(Row("b", T(-1)));
  const auto c = store->Insert(Row("c", T(-2)));
  store->Insert(Row("later", T(10)));
  NewRow final_row = Row("final", T(-5));
  final_row.status = core::Status::kCaptureApproved;
  store->Insert(final_row);
  const auto held = store->Insert(Row("held", T(-4)));
  BOOST_TEST(Ids(store->transactions().TransactionsClaimDue(Due("other", T(-4), 1))) ==
             std::vector<std::int64_t>{held.id});

  auto& tx = store->transactions();
  BOOST_TEST(Ids(tx.TransactionsClaimDue(Due("run-1", T(0), 2))) == (std::vector<std::int64_t>{a.id, c.id}));
  BOOST_TEST(Ids(tx.TransactionsClaimDue(Due("run-2", T(0)))) == std::vector<std::int64_t>{b.id});
  BOOST_TEST(tx.TransactionsClaimDue(Due("run-3", T(0))).empty());
}

BOOST_AUTO_TEST_CASE(a_claim_holds_until_its_lease_ends_and_then_expires) {
  auto store = MakeStoreUnderTest();
  const auto a = store->Insert(Row("a"));
  auto& tx = store->transactions();
  BOOST_TEST(Ids(tx.TransactionsClaimDue(Due("run-1", T(0)))) == std::vector<std::int64_t>{a.id});
  const core::Instant until = T(0) + kLease;
  BOOST_TEST(tx.TransactionsClaimDue(Due("run-2", until)).empty());
  BOOST_TEST(!tx.TransactionClaimOne(core::ClaimOneParams{"run-2", until, kLease, a.id}).has_value());
  BOOST_TEST(Ids(tx.TransactionsClaimDue(Due("run-2", until + core::Millis{1}))) == std::vector<std::int64_t>{a.id});
}

BOOST_AUTO_TEST_CASE(apply_is_compare_and_set_and_writes_one_event_per_transition) {
  auto store = MakeStoreUnderTest();
  const auto a = store->Insert(Row("a"));
  auto& tx = store->transactions();
  tx.TransactionsClaimDue(Due("run-1", T(0)));

  // Another run cannot apply to this run's claim, and a stale expected status is a conflict.
  BOOST_TEST(!ApplyOne(tx, "run-2", T(1), Update(a, core::Status::kCaptureApproved)).applied);
  core::TransactionUpdate stale = Update(a, core::Status::kFailed);
  stale.expected_status = core::Status::kCaptureApproved;
  BOOST_TEST(!ApplyOne(tx, "run-1", T(1), stale).applied);
  // A status of the other kind is a conflict too.
  BOOST_TEST(!ApplyOne(tx, "run-1", T(1), Update(a, core::Status::kApproved)).applied);
  BOOST_TEST((store->Get(a.id).status == core::Status::kCapturePending));
  BOOST_TEST(store->Events(a.id).empty());

  BOOST_TEST(ApplyOne(tx, "run-1", T(1), Update(a, core::Status::kCaptureApproved)).applied);
  const core::Transaction after = store->Get(a.id);
  BOOST_TEST((after.status == core::Status::kCaptureApproved));
  BOOST_TEST(after.check_count == 1);
  BOOST_TEST(after.amazon_txn_id == "S04-a");
  BOOST_TEST((after.next_check_at == T(600)));
  BOOST_TEST(store->Events(a.id) ==
             std::vector<std::string>{"transition CapturePending->CaptureApproved run-1"});
  // The apply released the claim: a check may take the row at once.
  BOOST_TEST(tx.TransactionClaimOne(core::ClaimOneParams{"run-2", T(2), kLease, a.id}).has_value());
}

BOOST_AUTO_TEST_CASE(a_final_status_is_never_overwritten) {
  auto store = MakeStoreUnderTest();
  NewRow row = Row("done");
  row.status = core::Status::kCaptureApproved;
  const auto done = store->Insert(row);
  auto& tx = store->transactions();
  const auto claimed = tx.TransactionClaimOne(core::ClaimOneParams{"check-1", T(0), kLease, done.id});
  BOOST_REQUIRE(claimed.has_value());
  BOOST_TEST((claimed->status == core::Status::kCaptureApproved));
  BOOST_TEST(!ApplyOne(tx, "check-1", T(1), Update(done, core::Status::kFailed)).applied);
  BOOST_TEST((store->Get(done.id).status == core::Status::kCaptureApproved));
  BOOST_TEST(store->Events(done.id).empty());
  // Bookkeeping without a transition is still applied to a final row (a check records that it looked).
  BOOST_TEST(ApplyOne(tx, "check-1", T(1), Update(done)).applied);
  BOOST_TEST(store->Get(done.id).check_count == 1);
}

BOOST_AUTO_TEST_CASE(an_apply_retried_after_its_reply_was_lost_is_recognised_as_the_runs_own) {
  auto store = MakeStoreUnderTest();
  const auto a = store->Insert(Row("a"));
  const auto b = store->Insert(Row("b"));
  auto& tx = store->transactions();
  tx.TransactionsClaimDue(Due("run-1", T(0)));
  const core::ApplyParams apply{"run-1", T(1), {Update(a, core::Status::kCaptureApproved), Update(b)}};
  const auto first = tx.TransactionsApply(apply);
  const auto again = tx.TransactionsApply(apply);  // the first reply never arrived
  BOOST_REQUIRE_EQUAL(again.outcomes.size(), 2u);
  BOOST_TEST(first.outcomes[0].applied);
  BOOST_TEST(again.outcomes[0].applied);
  BOOST_TEST(again.outcomes[1].applied);
  BOOST_TEST(store->Events(a.id).size() == 1u);
  BOOST_TEST(store->Get(a.id).check_count == 1);
  // The same update from another run, or at another time, is not this run's own: a conflict.
  BOOST_TEST(!ApplyOne(tx, "run-2", T(1), Update(a, core::Status::kCaptureApproved)).applied);
  BOOST_TEST(!ApplyOne(tx, "run-1", T(2), Update(a, core::Status::kCaptureApproved)).applied);
}

BOOST_AUTO_TEST_CASE(a_discrepancy_opens_once_per_facts_and_is_resolved) {
  auto store = MakeStoreUnderTest();
  const auto a = store->Insert(Row("a"));
  auto& tx = store->transactions();
  auto& ds = store->discrepancies();
  auto check = [&](const std::string& run, core::Instant now, core::DiscrepancyRecord d) {
    BOOST_REQUIRE(tx.TransactionClaimOne(core::ClaimOneParams{run, now, kLease, a.id}).has_value());
    core::TransactionUpdate u = Update(store->Get(a.id));
    u.discrepancies = {d, d};  // twice in one update: raised once
    const core::UpdateOutcome o = ApplyOne(tx, run, now, u);
    BOOST_TEST(o.applied);
    return o.raised;
  };

  BOOST_TEST(check("run-1", T(1), Mismatch(140000)) ==
             std::vector<core::DiscrepancyCode>{core::DiscrepancyCode::kAmountMismatch});
  BOOST_TEST(store->Get(a.id).needs_review);
  BOOST_TEST(check("run-2", T(2), Mismatch(140000)).empty());  // still open
  auto open = ds.DiscrepanciesListOpen({});
  BOOST_REQUIRE_EQUAL(open.size(), 1u);
  BOOST_TEST(open[0].transaction_id == a.id);
  BOOST_TEST(open[0].merchant_txn_id == "a");
  BOOST_TEST(open[0].run_id == "run-1");
  BOOST_TEST((open[0].local_status == core::Status::kCapturePending));
  BOOST_TEST(open[0].local_amount == 150000);
  BOOST_TEST(open[0].gateway_amount.value() == 140000);
  BOOST_TEST((open[0].opened_at == T(1)));
  const auto totals = ds.DiscrepanciesTotalsOpen();
  BOOST_REQUIRE_EQUAL(totals.size(), 1u);
  BOOST_TEST(totals[0].count == 1);
  BOOST_TEST(totals[0].amount == 150000);

  BOOST_TEST(ds.DiscrepancyResolve({open[0].id, T(3), "ops", "refunded by hand"}));
  BOOST_TEST(!ds.DiscrepancyResolve({open[0].id, T(4), "ops", "again"}));
  BOOST_TEST(!ds.DiscrepancyResolve({open[0].id + 1000, T(4), "ops", "no such"}));
  BOOST_TEST(!store->Get(a.id).needs_review);
  const auto resolved = ds.DiscrepancyGet(open[0].id);
  BOOST_REQUIRE(resolved.has_value());
  BOOST_TEST((resolved->resolved_at.value() == T(3)));
  BOOST_TEST(resolved->resolved_by == "ops");
  BOOST_TEST(resolved->resolution_note == "refunded by hand");
  BOOST_TEST(ds.DiscrepanciesListOpen({}).empty());

  // Resolved with the same facts: not raised again; new facts: raised again.
  BOOST_TEST(check("run-3", T(5), Mismatch(140000)).empty());
  BOOST_TEST(check("run-4", T(6), Mismatch(130000)).size() == 1u);
  BOOST_TEST(ds.DiscrepanciesListAll({}).size() == 2u);
  BOOST_TEST(ds.DiscrepanciesListAll({})[0].gateway_amount.value() == 130000);  // newest first
  BOOST_TEST(store->Events(a.id) ==
             (std::vector<std::string>{"discrepancy AMOUNT_MISMATCH run-1", "resolution AMOUNT_MISMATCH",
                                       "discrepancy AMOUNT_MISMATCH run-4"}));
}

BOOST_AUTO_TEST_CASE(a_resolved_discrepancy_with_repeat_after_is_raised_again_once_that_time_has_passed) {
  auto store = MakeStoreUnderTest();
  const auto a = store->Insert(Row("a"));
  auto& tx = store->transactions();
  core::DiscrepancyRecord stuck;
  stuck.code = core::DiscrepancyCode::kStuckPending;
  stuck.detail = "pending for days";
  stuck.repeat_after = core::Millis{60'000};
  auto check = [&](const std::string& run, core::Instant now) {
    BOOST_REQUIRE(tx.TransactionClaimOne(core::ClaimOneParams{run, now, kLease, a.id}).has_value());
    core::TransactionUpdate u = Update(store->Get(a.id));
    u.discrepancies = {stuck};
    return ApplyOne(tx, run, now, u).raised.size();
  };
  BOOST_TEST(check("run-1", T(0)) == 1u);
  const auto id = store->discrepancies().DiscrepanciesListOpen({})[0].id;
  BOOST_TEST(store->discrepancies().DiscrepancyResolve({id, T(10), "ops", ""}));
  BOOST_TEST(check("run-2", T(69)) == 0u);
  BOOST_TEST(check("run-3", T(70)) == 1u);
}

BOOST_AUTO_TEST_CASE(release_and_renew_touch_only_the_runs_own_live_claims) {
  auto store = MakeStoreUnderTest();
  const auto a = store->Insert(Row("a"));
  const auto b = store->Insert(Row("b"));
  auto& tx = store->transactions();
  tx.TransactionsClaimDue(Due("run-1", T(0)));

  tx.LeasesRelease(core::ReleaseParams{"run-2", {a.id}});
  BOOST_TEST(tx.TransactionsClaimDue(Due("run-3", T(1))).empty());
  BOOST_TEST(tx.LeasesRenew(core::RenewParams{"run-2", {a.id, b.id}, T(1), kLease}).empty());

  auto renewed = tx.LeasesRenew(core::RenewParams{"run-1", {a.id, b.id}, T(20), kLease});
  std::sort(renewed.begin(), renewed.end());
  BOOST_TEST(renewed == (std::vector<std::int64_t>{a.id, b.id}));
  // Renewed to T(50): still held at T(40), when the first lease would have run out.
  BOOST_TEST(tx.TransactionsClaimDue(Due("run-3", T(40))).empty());
  // A lease that ran out is not renewed.
  BOOST_TEST(tx.LeasesRenew(core::RenewParams{"run-1", {a.id}, T(51), kLease}).empty());

  tx.LeasesRelease(core::ReleaseParams{"run-1", {a.id}});
  BOOST_TEST(Ids(tx.TransactionsClaimDue(Due("run-3", T(41)))) == std::vector<std::int64_t>{a.id});
  BOOST_TEST(tx.LeasesReleaseRun("run-3") == 1);
  BOOST_TEST(tx.LeasesReleaseRun("run-3") == 0);
  BOOST_TEST(Ids(tx.TransactionsClaimDue(Due("run-4", T(42)))) == std::vector<std::int64_t>{a.id});
}

BOOST_AUTO_TEST_CASE(window_claims_take_pending_and_final_rows_in_id_order_and_report_the_held_ones) {
  auto store = MakeStoreUnderTest();
  std::vector<std::int64_t> ids;
  for (int i = 0; i < 5; ++i) {
    NewRow r = Row("w" + std::to_string(i));
    r.created_at = T(i);
    if (i == 1) r.status = core::Status::kFailed;
    if (i == 3) r.merchant_id = "M2";
    ids.push_back(store->Insert(r).id);
  }
  NewRow outside = Row("outside");
  outside.created_at = T(100);
  store->Insert(outside);
  auto& tx = store->transactions();
  BOOST_REQUIRE(tx.TransactionClaimOne(core::ClaimOneParams{"other", T(10), kLease, ids[2]}).has_value());

  core::WindowClaimParams w;
  w.run_id = "bf-1";
  w.now = T(10);
  w.lease = kLease;
  w.limit = 2;
  w.created_from = T(0);
  w.created_to = T(100);
  w.merchant_id = "M1";
  const auto first = tx.TransactionsClaimWindow(w);
  BOOST_TEST(Ids(first) == (std::vector<std::int64_t>{ids[0], ids[1]}));
  w.after_id = ids[1];
  const auto second = tx.TransactionsClaimWindow(w);
  BOOST_TEST(Ids(second) == std::vector<std::int64_t>{ids[4]});
  BOOST_TEST(tx.TransactionsHeldInWindow(core::WindowHeldParams{w, std::nullopt, Ids(second)}) ==
             std::vector<std::int64_t>{ids[2]});
  BOOST_TEST(tx.TransactionsHeldInWindow(core::WindowHeldParams{w, ids[1], {}}).empty());
  // The run's own live claims count as free (a resumed backfill), and only_ids narrows the window.
  w.after_id = 0;
  w.only_ids = {ids[1], ids[2]};
  BOOST_TEST(Ids(tx.TransactionsClaimWindow(w)) == std::vector<std::int64_t>{ids[1]});
}

BOOST_AUTO_TEST_CASE(runs_open_checkpoint_finish_and_list) {
  auto store = MakeStoreUnderTest();
  auto& runs = store->runs();
  runs.RunStart(core::RunStartParams{"run-1", "run", R"({"deadline_ms":60000})", T(0), "host-a", false});
  BOOST_CHECK_THROW(runs.RunStart(core::RunStartParams{"run-1", "run", "{}", T(1), "host-b", false}),
                    core::StoreUnavailable);
  runs.RunStart(core::RunStartParams{"dry-1", "run", "{}", T(1), "host-a", true});
  runs.RunStart(core::RunStartParams{"check-1", "check", "{}", T(2), "host-a", false});
  runs.RunStart(core::RunStartParams{"bf-1", "backfill", "{}", T(3), "host-a", false});

  auto run = runs.RunGet("run-1");
  BOOST_REQUIRE(run.has_value());
  BOOST_TEST(run->mode == "run");
  BOOST_TEST(run->host == "host-a");
  BOOST_TEST((run->started_at == T(0)));
  BOOST_TEST(!run->finished_at.has_value());
  BOOST_TEST(!run->exit_code.has_value());
  BOOST_TEST(!runs.RunGet("nope").has_value());

  BOOST_TEST(runs.RunCheckpoint(core::RunCheckpointParams{"bf-1", 42, R"({"checked":7})"}));
  BOOST_TEST(runs.RunGet("bf-1")->resume_after_id == 42);
  BOOST_TEST(runs.RunFinish(core::RunFinishParams{"run-1", T(30), R"({"checked":3})", "done", 0}));
  BOOST_TEST(!runs.RunFinish(core::RunFinishParams{"nope", T(30), "{}", "done", 0}));
  BOOST_TEST(runs.RunFiguresSet(core::RunFiguresParams{"run-1", R"({"checked":3})"}));
  BOOST_TEST(!runs.RunFiguresSet(core::RunFiguresParams{"nope", "{}"}));
  run = runs.RunGet("run-1");
  BOOST_TEST((run->finished_at.value() == T(30)));
  BOOST_TEST(run->outcome == "done");
  BOOST_TEST(run->exit_code.value() == 0);

  // The index lists runs and backfills that changed the database, newest first.
  const auto listed = runs.RunsListRecent(core::RunsListParams{10});
  BOOST_REQUIRE_EQUAL(listed.size(), 2u);
  BOOST_TEST(listed[0].run_id == "bf-1");
  BOOST_TEST(listed[1].run_id == "run-1");
  BOOST_TEST(listed[1].exit_code.value() == 0);
  BOOST_TEST(runs.RunsListRecent(core::RunsListParams{1}).size() == 1u);
}

BOOST_AUTO_TEST_CASE(a_run_past_its_deadline_and_grace_without_live_claims_is_marked_abandoned) {
  auto store = MakeStoreUnderTest();
  auto& runs = store->runs();
  const auto a = store->Insert(Row("a"));
  runs.RunStart(core::RunStartParams{"dead", "run", R"({"deadline_ms":60000})", T(0), "h", false});
  runs.RunStart(core::RunStartParams{"leasing", "run", R"({"deadline_ms":60000})", T(0), "h", false});
  runs.RunStart(core::RunStartParams{"done", "run", R"({"deadline_ms":60000})", T(0), "h", false});
  runs.RunFinish(core::RunFinishParams{"done", T(50), "{}", "done", 0});
  BOOST_REQUIRE(store->transactions()
                    .TransactionClaimOne(core::ClaimOneParams{"leasing", T(80), core::Millis{20'000}, a.id})
                    .has_value());

  // Deadline 60 s + grace 30 s after T(0): not before T(90).
  BOOST_TEST(runs.RunsMarkAbandoned(core::RunsAbandonParams{T(89), core::Millis{30'000}, std::nullopt}).empty());
  BOOST_TEST(runs.RunsMarkAbandoned(core::RunsAbandonParams{T(91), core::Millis{30'000}, std::string("leasing")})
                 .empty());
  BOOST_TEST(runs.RunsMarkAbandoned(core::RunsAbandonParams{T(91), core::Millis{30'000}, std::nullopt}) ==
             std::vector<std::string>{"dead"});
  const auto dead = runs.RunGet("dead");
  BOOST_TEST(dead->outcome == "abandoned");
  BOOST_TEST(!dead->exit_code.has_value());
  BOOST_TEST((dead->finished_at.value() == T(0)));  // its last event, or its start
  BOOST_TEST(runs.RunGet("done")->outcome == "done");
  // Once its claim has run out, the leasing run is abandoned too.
  BOOST_TEST(runs.RunsMarkAbandoned(core::RunsAbandonParams{T(101), core::Millis{30'000}, std::nullopt}) ==
             std::vector<std::string>{"leasing"});
}

BOOST_AUTO_TEST_CASE(history_prune_deletes_finished_runs_before_the_cutoff_and_their_errors) {
  auto store = MakeStoreUnderTest();
  auto& runs = store->runs();
  const auto a = store->Insert(Row("a"));
  runs.RunStart(core::RunStartParams{"old", "run", "{}", T(0), "h", false});
  runs.RunStart(core::RunStartParams{"open", "run", "{}", T(0), "h", false});
  runs.RunStart(core::RunStartParams{"new", "run", "{}", T(200), "h", false});
  runs.RunFinish(core::RunFinishParams{"old", T(10), "{}", "done", 0});
  runs.RunFinish(core::RunFinishParams{"new", T(210), "{}", "done", 0});
  core::RunError e;
  e.transaction_id = a.id;
  e.error_class = "TIMEOUT";
  e.message = "read timed out";
  e.attempts = 1;
  e.at = T(5);
  runs.RunErrorsRecord(core::RunErrorsParams{"old", {e, e}});
  runs.RunErrorsRecord(core::RunErrorsParams{"open", {e}});
  const auto pruned = runs.HistoryPrune(core::HistoryPruneParams{T(100)});
  BOOST_TEST(pruned.runs == 1);
  BOOST_TEST(pruned.run_errors == 2);
  BOOST_TEST(!runs.RunGet("old").has_value());
  BOOST_TEST(runs.RunGet("open").has_value());
  BOOST_TEST(runs.RunGet("new").has_value());
  BOOST_TEST(runs.HistoryPrune(core::HistoryPruneParams{T(100)}).runs == 0);
}

BOOST_AUTO_TEST_SUITE_END()
