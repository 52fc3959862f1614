#include <boost/test/unit_test.hpp>

#include <libpq-fe.h>
#include <stdio.h>

#include <algorithm>
#include <cstdlib>
#include <functional>
#include <map>
#include <set>
#include <sstream>
#include <thread>

#include "db/pg_store.h"
#include "tests/pg/pg_fixtures.h"
#include "tests/pg/test_database.h"

using namespace payrecon;
using payrecon::testing::At;
using payrecon::testing::InsertTransaction;
using payrecon::testing::NewTransaction;
using payrecon::testing::Scalar;
using payrecon::testing::TestDatabase;

namespace {

constexpr core::Millis kLease{30000};

core::ClaimParams Claim(const std::string& run, core::Instant now, int limit = 1000) {
  core::ClaimParams p;
  p.run_id = run;
  p.now = now;
  p.lease = kLease;
  p.limit = limit;
  return p;
}

std::vector<std::int64_t> Ids(const std::vector<core::Transaction>& txns) {
  std::vector<std::int64_t> ids;
  for (const auto& t : txns) ids.push_back(t.id);
  std::sort(ids.begin(), ids.end());
  return ids;
}

// An update that keeps the status and only moves the next check.
core::TransactionUpdate Keep(const core::Transaction& t, core::Instant next) {
  core::TransactionUpdate u;
  u.id = t.id;
  u.expected_status = t.status;
  u.next_check_at = next;
  u.check_count = t.check_count + 1;
  u.request_id = "req-keep";
  u.response_digest = "digest-keep";
  return u;
}

core::TransactionUpdate Transition(const core::Transaction& t, core::Status to, core::Instant next) {
  core::TransactionUpdate u = Keep(t, next);
  u.new_status = to;
  u.amazon_txn_id = "S04-" + t.merchant_txn_id;
  u.approved_amount = t.amount;
  u.gateway_updated_at = At(5);
  u.request_id = "req-" + t.merchant_txn_id;
  u.response_digest = "digest-" + t.merchant_txn_id;
  return u;
}

core::ApplyResult Apply(db::PgStore& store, const std::string& run, core::Instant now,
                        std::vector<core::TransactionUpdate> updates) {
  core::ApplyParams p;
  p.run_id = run;
  p.now = now;
  p.updates = std::move(updates);
  return store.TransactionsApply(p);
}

int Count(db::Connection& conn, const std::string& sql) { return std::stoi(Scalar(conn, sql)); }

// What libpq's protocol trace (PQtrace) shows of `op` on `conn`: the direction of each message collapsed into runs
// ("FB": everything sent, then everything answered, one round trip; "FBFB": two), and the frontend's Execute and
// Sync messages counted. libpq traces a frontend message when it is queued and a backend message when it is read.
struct Exchange {
  std::string shape;
  int executes = 0;
  int syncs = 0;
};

Exchange Traced(db::Connection& conn, const std::function<void()>& op) {
  char* buffer = nullptr;
  std::size_t size = 0;
  FILE* out = ::open_memstream(&buffer, &size);
  BOOST_REQUIRE(out != nullptr);
  PQtrace(conn.native(), out);
  PQsetTraceFlags(conn.native(), PQTRACE_SUPPRESS_TIMESTAMPS);
  try {
    op();
  } catch (...) {
    PQuntrace(conn.native());
    std::fclose(out);
    std::free(buffer);
    throw;
  }
  PQuntrace(conn.native());
  std::fclose(out);
  std::istringstream lines(std::string(buffer, size));
  std::free(buffer);
  Exchange e;
  for (std::string line; std::getline(lines, line);) {
    // "F\t68\tParse\t..." / "B\t5\tReadyForQuery\t..."
    if (line.size() < 2 || line[1] != '\t' || (line[0] != 'F' && line[0] != 'B')) continue;
    if (e.shape.empty() || e.shape.back() != line[0]) e.shape += line[0];
    const std::size_t type = line.find('\t', 2);
    const std::string name = type == std::string::npos ? "" : line.substr(type + 1, line.find('\t', type + 1) - type - 1);
    if (line[0] == 'F' && name == "Execute") ++e.executes;
    if (line[0] == 'F' && name == "Sync") ++e.syncs;
  }
  return e;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(store)

BOOST_AUTO_TEST_CASE(claims_due_pending_rows_only_and_leases_them) {
  TestDatabase tdb;
  auto conn = tdb.Connect();
  db::PgStore store(*conn);
  const auto due = InsertTransaction(*conn, {.merchant_txn_id = "due", .next_check_at = At(-10)});
  const auto due_refund = InsertTransaction(*conn, {.kind = "refund", .merchant_txn_id = "r-due", .status = "Pending",
                                                    .next_check_at = At(0), .parent = "due"});
  InsertTransaction(*conn, {.merchant_txn_id = "later", .next_check_at = At(1)});
  InsertTransaction(*conn, {.merchant_txn_id = "final", .status = "CaptureApproved", .next_check_at = At(-100)});

  const auto claimed = store.TransactionsClaimDue(Claim("run-a", At(0)));
  BOOST_TEST(Ids(claimed) == (std::vector<std::int64_t>{due, due_refund}));
  BOOST_TEST(claimed.at(0).id == due);  // next_check_at order
  BOOST_TEST(claimed.at(1).kind == core::Kind::kRefund);
  BOOST_TEST(claimed.at(1).parent_merchant_txn_id == "due");
  BOOST_TEST(claimed.at(0).amount == 150000);
  BOOST_TEST((claimed.at(0).next_check_at == At(-10)));
  BOOST_TEST(Scalar(*conn, "SELECT count(*) FROM payrecon.transactions WHERE lease_run_id = 'run-a' AND "
                           "lease_until = to_timestamp(1767225630)") == "2");
  // Leased rows are not handed out again while the lease lives.
  BOOST_TEST(store.TransactionsClaimDue(Claim("run-b", At(1))).size() == 1u);  // only "later", now due
}

BOOST_AUTO_TEST_CASE(limit_bounds_a_claim) {
  TestDatabase tdb;
  auto conn = tdb.Connect();
  db::PgStore store(*conn);
  for (int i = 0; i < 5; ++i) InsertTransaction(*conn, {.merchant_txn_id = "c" + std::to_string(i), .next_check_at = At(-i)});
  const auto claimed = store.TransactionsClaimDue(Claim("run-a", At(0), 2));
  BOOST_REQUIRE(claimed.size() == 2u);
  BOOST_TEST(claimed[0].merchant_txn_id == "c4");  // the most overdue first
  BOOST_TEST(claimed[1].merchant_txn_id == "c3");
}

BOOST_AUTO_TEST_CASE(two_connections_claiming_at_once_get_disjoint_rows) {
  TestDatabase tdb;
  {
    auto setup = tdb.Connect();
    setup->Execute(
        "INSERT INTO payrecon.transactions (kind, merchant_id, merchant_txn_id, amount_paise, status, created_at,"
        " next_check_at) SELECT 'charge', 'M1', 'c' || g, 100, 'CapturePending', to_timestamp(1767225600),"
        " to_timestamp(1767225600) FROM generate_series(1, 3000) g");
  }
  std::vector<std::int64_t> got[2];
  auto worker = [&](int w) {
    auto conn = tdb.Connect();
    db::PgStore store(*conn);
    for (;;) {
      const auto claimed = store.TransactionsClaimDue(Claim("run-" + std::to_string(w), At(0), 50));
      if (claimed.empty()) break;
      for (const auto& t : claimed) got[w].push_back(t.id);
    }
  };
  std::thread a(worker, 0);
  std::thread b(worker, 1);
  a.join();
  b.join();
  std::set<std::int64_t> all(got[0].begin(), got[0].end());
  const std::size_t first = all.size();
  all.insert(got[1].begin(), got[1].end());
  BOOST_TEST(first == got[0].size());                   // no duplicates within a worker
  BOOST_TEST(all.size() == got[0].size() + got[1].size());  // none claimed by both
  BOOST_TEST(all.size() == 3000u);
}

BOOST_AUTO_TEST_CASE(rows_locked_by_another_transaction_are_skipped) {
  TestDatabase tdb;
  auto a = tdb.Connect();
  auto b = tdb.Connect();
  const auto locked = InsertTransaction(*a, {.merchant_txn_id = "locked"});
  const auto free = InsertTransaction(*a, {.merchant_txn_id = "free"});
  a->Execute("BEGIN");
  a->Query("SELECT id FROM payrecon.transactions WHERE id = $1::bigint FOR UPDATE", {std::to_string(locked)});
  db::PgStore store(*b);
  const auto claimed = store.TransactionsClaimDue(Claim("run-b", At(0)));  // does not wait
  BOOST_TEST(Ids(claimed) == std::vector<std::int64_t>{free});
  a->Execute("ROLLBACK");
}

BOOST_AUTO_TEST_CASE(expired_leases_are_reclaimable_live_ones_are_not) {
  TestDatabase tdb;
  auto conn = tdb.Connect();
  db::PgStore store(*conn);
  const auto id = InsertTransaction(*conn, {.merchant_txn_id = "c1"});
  BOOST_TEST(store.TransactionsClaimDue(Claim("run-a", At(0))).size() == 1u);
  BOOST_TEST(store.TransactionsClaimDue(Claim("run-b", At(29))).empty());
  BOOST_TEST(store.TransactionsClaimDue(Claim("run-b", At(30))).empty());  // lease_until < now: not yet
  const auto again = store.TransactionsClaimDue(Claim("run-b", At(31)));
  BOOST_TEST(Ids(again) == std::vector<std::int64_t>{id});
  BOOST_TEST(Scalar(*conn, "SELECT lease_run_id FROM payrecon.transactions") == "run-b");
}

BOOST_AUTO_TEST_CASE(list_due_selects_like_a_claim_and_changes_nothing) {
  TestDatabase tdb;
  auto conn = tdb.Connect();
  db::PgStore store(*conn);
  InsertTransaction(*conn, {.merchant_txn_id = "due", .next_check_at = At(-10)});
  InsertTransaction(*conn, {.merchant_txn_id = "later", .next_check_at = At(10)});
  InsertTransaction(*conn, {.merchant_txn_id = "final", .status = "Failed", .next_check_at = At(-10)});
  const auto leased = InsertTransaction(*conn, {.merchant_txn_id = "leased", .next_check_at = At(-20)});
  conn->Query("UPDATE payrecon.transactions SET lease_run_id = 'other', lease_until = to_timestamp(1767225700) "
              "WHERE id = $1::bigint", {std::to_string(leased)});
  const std::string before = testing::SchemaDigest(*conn);
  const auto listed = store.TransactionsListDue(Claim("dry", At(0)));
  BOOST_REQUIRE(listed.size() == 1u);
  BOOST_TEST(listed[0].merchant_txn_id == "due");
  core::WindowClaimParams w;
  w.run_id = "dry";
  w.now = At(0);
  w.created_from = At(-100);
  w.created_to = At(100);
  BOOST_TEST(store.TransactionsListWindow(w).size() == 3u);  // the leased one is skipped
  BOOST_TEST(testing::SchemaDigest(*conn) == before);
}

BOOST_AUTO_TEST_CASE(a_transition_writes_exactly_one_event_and_releases_the_lease) {
  TestDatabase tdb;
  auto conn = tdb.Connect();
  db::PgStore store(*conn);
  const auto id = InsertTransaction(*conn, {.merchant_txn_id = "c1"});
  const auto claimed = store.TransactionsClaimDue(Claim("run-a", At(0)));
  BOOST_REQUIRE(claimed.size() == 1u);
  const auto update = Transition(claimed[0], core::Status::kCaptureApproved, At(300));
  const auto result = Apply(store, "run-a", At(2), {update});
  BOOST_REQUIRE(result.outcomes.size() == 1u);
  BOOST_TEST(result.outcomes[0].id == id);
  BOOST_TEST(result.outcomes[0].applied);
  BOOST_TEST(result.outcomes[0].raised.empty());

  const auto t = store.TransactionGet(id);
  BOOST_REQUIRE(t.has_value());
  BOOST_TEST((t->status == core::Status::kCaptureApproved));
  BOOST_TEST(t->amazon_txn_id == "S04-c1");
  BOOST_TEST(t->approved_amount.value_or(-1) == 150000);
  BOOST_TEST((t->gateway_updated_at == At(5)));
  BOOST_TEST((t->updated_at == At(2)));
  BOOST_TEST((t->next_check_at == At(300)));
  BOOST_TEST(t->check_count == 1);
  BOOST_TEST(!t->needs_review);
  BOOST_TEST(Scalar(*conn, "SELECT count(*) FROM payrecon.transactions WHERE lease_run_id IS NULL AND "
                           "lease_until IS NULL") == "1");
  const auto events = conn->Query(
      "SELECT transaction_id, run_id, event_type, from_status, to_status, request_id, response_digest,"
      " floor(extract(epoch from created_at) * 1000)::bigint, discrepancy_code IS NULL"
      " FROM payrecon.transaction_events");
  BOOST_REQUIRE(events.size() == 1u);
  const db::Row expected{std::to_string(id), "run-a", "transition", "CapturePending", "CaptureApproved",
                         "req-c1", "digest-c1", std::to_string(At(2).time_since_epoch().count()), "t"};
  BOOST_TEST((events[0] == expected));

  // The same update again: the lease is gone and the status moved, so nothing happens.
  const auto again = Apply(store, "run-a", At(3), {update});
  BOOST_TEST(!again.outcomes[0].applied);
  BOOST_TEST(Scalar(*conn, "SELECT count(*) FROM payrecon.transaction_events") == "1");
}

// A live run writes each transition into transitions.csv as its apply commits, in the order of the batch's
// updates; `report --run` reads the events back by id. So the events of one apply take their ids in the order of
// its updates, whatever the order of the rows in the table.
BOOST_AUTO_TEST_CASE(the_events_of_an_apply_take_their_ids_in_the_order_of_its_updates) {
  TestDatabase tdb;
  auto conn = tdb.Connect();
  db::PgStore store(*conn);
  for (const char* key : {"e1", "e2", "e3", "e4", "e5", "e6"}) InsertTransaction(*conn, {.merchant_txn_id = key});
  auto claimed = store.TransactionsClaimDue(Claim("run-a", At(0)));
  BOOST_REQUIRE(claimed.size() == 6u);
  std::map<std::string, core::Transaction> by_key;
  for (const core::Transaction& t : claimed) by_key[t.merchant_txn_id] = t;
  // Not the table's order: e4, e1, e6 and e2 move; e3 and e5 keep their status and write no event.
  std::vector<core::TransactionUpdate> updates;
  for (const char* key : {"e4", "e1", "e3", "e6", "e5", "e2"}) {
    const core::Transaction& t = by_key.at(key);
    const bool keep = t.merchant_txn_id == "e3" || t.merchant_txn_id == "e5";
    updates.push_back(keep ? Keep(t, At(300)) : Transition(t, core::Status::kCaptureApproved, At(300)));
  }
  const std::vector<std::string> moved{"e4", "e1", "e6", "e2"};
  const auto result = Apply(store, "run-a", At(2), updates);
  BOOST_REQUIRE(result.outcomes.size() == 6u);
  std::vector<std::string> order;
  store.RunTransitionsForEach("run-a", [&](const core::TransitionRow& r) { order.push_back(r.merchant_txn_id); });
  BOOST_TEST(order == moved, boost::test_tools::per_element());
}

// A batch without discrepancies runs as a statement prepared on the connection; a reconnected session has lost
// it, and the next apply prepares it again instead of failing.
BOOST_AUTO_TEST_CASE(the_prepared_apply_survives_a_reconnect) {
  TestDatabase tdb;
  auto conn = tdb.Connect();
  db::PgStore store(*conn);
  InsertTransaction(*conn, {.merchant_txn_id = "p1"});
  InsertTransaction(*conn, {.merchant_txn_id = "p2"});
  const auto claimed = store.TransactionsClaimDue(Claim("run-a", At(0)));
  BOOST_REQUIRE(claimed.size() == 2u);
  BOOST_TEST(Apply(store, "run-a", At(2), {Transition(claimed[0], core::Status::kCaptureApproved, At(300))})
                 .outcomes.at(0)
                 .applied);
  BOOST_TEST(Scalar(*conn, "SELECT count(*) FROM pg_prepared_statements WHERE name = 'payrecon_apply_plain'") == "1");
  conn->Reconnect();
  BOOST_TEST(Scalar(*conn, "SELECT count(*) FROM pg_prepared_statements") == "0");
  BOOST_TEST(Apply(store, "run-a", At(3), {Transition(claimed[1], core::Status::kFailed, At(300))})
                 .outcomes.at(0)
                 .applied);
  BOOST_TEST(Scalar(*conn, "SELECT count(*) FROM payrecon.transaction_events") == "2");
}

// Behind a pooler that hands each transaction another server session, the prepared apply is missing (or there
// already): the apply is sent again unnamed, writes once, and the connection stops preparing.
BOOST_AUTO_TEST_CASE(a_missing_prepared_apply_falls_back_to_an_unnamed_statement) {
  TestDatabase tdb;
  auto conn = tdb.Connect();
  db::PgStore store(*conn);
  for (const char* key : {"m1", "m2", "m3"}) InsertTransaction(*conn, {.merchant_txn_id = key});
  const auto claimed = store.TransactionsClaimDue(Claim("run-a", At(0)));
  BOOST_REQUIRE(claimed.size() == 3u);
  BOOST_TEST(Apply(store, "run-a", At(2), {Keep(claimed[0], At(300))}).outcomes.at(0).applied);
  BOOST_REQUIRE(conn->PreparesStatements());
  conn->Execute("DEALLOCATE payrecon_apply_plain");  // what another server session looks like
  BOOST_TEST(Apply(store, "run-a", At(3), {Transition(claimed[1], core::Status::kCaptureApproved, At(300))})
                 .outcomes.at(0)
                 .applied);
  BOOST_TEST(!conn->PreparesStatements());
  BOOST_TEST(Apply(store, "run-a", At(4), {Transition(claimed[2], core::Status::kFailed, At(300))})
                 .outcomes.at(0)
                 .applied);
  BOOST_TEST(Scalar(*conn, "SELECT count(*) FROM pg_prepared_statements") == "0");
  BOOST_TEST(Scalar(*conn, "SELECT count(*) FROM payrecon.transaction_events") == "2");
}

BOOST_AUTO_TEST_CASE(an_update_without_transition_writes_no_event) {
  TestDatabase tdb;
  auto conn = tdb.Connect();
  db::PgStore store(*conn);
  InsertTransaction(*conn, {.merchant_txn_id = "c1"});
  const auto claimed = store.TransactionsClaimDue(Claim("run-a", At(0)));
  auto update = Keep(claimed.at(0), At(15));
  update.error_count = 2;
  update.last_error = "TIMEOUT: read timed out";
  BOOST_TEST(Apply(store, "run-a", At(1), {update}).outcomes.at(0).applied);
  const auto t = store.TransactionGet(claimed[0].id);
  BOOST_TEST((t->status == core::Status::kCapturePending));
  BOOST_TEST(t->error_count == 2);
  BOOST_TEST(t->last_error == "TIMEOUT: read timed out");
  BOOST_TEST((t->next_check_at == At(15)));
  BOOST_TEST(Count(*conn, "SELECT count(*) FROM payrecon.transaction_events") == 0);
  // Due again later; an empty last_error clears it.
  const auto next = store.TransactionsClaimDue(Claim("run-b", At(15)));
  BOOST_REQUIRE(next.size() == 1u);
  BOOST_TEST(Apply(store, "run-b", At(16), {Keep(next[0], At(40))}).outcomes.at(0).applied);
  BOOST_TEST(store.TransactionGet(next[0].id)->last_error.empty());
  BOOST_TEST(Scalar(*conn, "SELECT last_error IS NULL FROM payrecon.transactions") == "t");
}

BOOST_AUTO_TEST_CASE(a_stale_compare_and_set_is_a_conflict) {
  TestDatabase tdb;
  auto conn = tdb.Connect();
  db::PgStore store(*conn);
  InsertTransaction(*conn, {.merchant_txn_id = "c1"});
  InsertTransaction(*conn, {.merchant_txn_id = "c2"});
  const auto a = store.TransactionsClaimDue(Claim("run-a", At(0)));
  BOOST_REQUIRE(a.size() == 2u);
  // run-a stalls past its lease; run-b re-claims both and applies one.
  const auto b = store.TransactionsClaimDue(Claim("run-b", At(31)));
  BOOST_REQUIRE(b.size() == 2u);
  BOOST_TEST(Apply(store, "run-b", At(32), {Transition(b[0], core::Status::kFailed, At(300))}).outcomes[0].applied);
  // run-a's late answers: both conflicts (lease lost; for the first also the status), in one batch, no error.
  const auto late = Apply(store, "run-a", At(33),
                          {Transition(a[0], core::Status::kCaptureApproved, At(300)),
                           Transition(a[1], core::Status::kCaptureApproved, At(300))});
  BOOST_TEST(!late.outcomes[0].applied);
  BOOST_TEST(!late.outcomes[1].applied);
  BOOST_TEST(late.outcomes[0].id == a[0].id);
  BOOST_TEST(late.outcomes[1].id == a[1].id);
  BOOST_TEST(Count(*conn, "SELECT count(*) FROM payrecon.transaction_events") == 1);
  BOOST_TEST(Scalar(*conn, "SELECT string_agg(status, ',' ORDER BY merchant_txn_id) FROM payrecon.transactions") ==
             "Failed,CapturePending");
  // An expected status that is not the stored one is a conflict as well.
  auto wrong = Transition(b[1], core::Status::kCaptureApproved, At(300));
  wrong.expected_status = core::Status::kFailed;
  BOOST_TEST(!Apply(store, "run-b", At(34), {wrong}).outcomes[0].applied);
  // A mixed batch applies what it can.
  const auto mixed = Apply(store, "run-b", At(35),
                           {Transition(b[1], core::Status::kCaptureApproved, At(300)), wrong});
  BOOST_TEST(mixed.outcomes[0].applied);
  BOOST_TEST(!mixed.outcomes[1].applied);
}

BOOST_AUTO_TEST_CASE(a_transition_must_start_pending_and_stay_within_its_kind) {
  TestDatabase tdb;
  auto conn = tdb.Connect();
  db::PgStore store(*conn);
  InsertTransaction(*conn, {.merchant_txn_id = "c1"});
  InsertTransaction(*conn, {.kind = "refund", .merchant_txn_id = "r1", .status = "Pending", .parent = "c1"});
  const auto claimed = store.TransactionsClaimDue(Claim("run-a", At(0)));
  BOOST_REQUIRE(claimed.size() == 2u);
  const auto& charge = claimed[0].kind == core::Kind::kCharge ? claimed[0] : claimed[1];
  const auto& refund = claimed[0].kind == core::Kind::kRefund ? claimed[0] : claimed[1];
  const auto result = Apply(store, "run-a", At(1),
                            {Transition(charge, core::Status::kApproved, At(300)),
                             Transition(refund, core::Status::kCaptureApproved, At(300))});
  BOOST_TEST(!result.outcomes[0].applied);
  BOOST_TEST(!result.outcomes[1].applied);
  BOOST_TEST(Count(*conn, "SELECT count(*) FROM payrecon.transaction_events") == 0);
}

BOOST_AUTO_TEST_CASE(a_final_status_is_never_overwritten) {
  TestDatabase tdb;
  auto conn = tdb.Connect();
  db::PgStore store(*conn);
  const auto id = InsertTransaction(*conn, {.merchant_txn_id = "c1", .status = "CaptureApproved"});
  core::WindowClaimParams w;
  w.run_id = "backfill";
  w.now = At(0);
  w.lease = kLease;
  w.created_from = At(-1);
  w.created_to = At(1);
  const auto claimed = store.TransactionsClaimWindow(w);
  BOOST_REQUIRE(claimed.size() == 1u);
  // Through the store: a transition from a final status is a conflict.
  const auto result = Apply(store, "backfill", At(1), {Transition(claimed[0], core::Status::kFailed, At(300))});
  BOOST_TEST(!result.outcomes[0].applied);
  // Verification with a STATUS_CONFLICT keeps the status and opens the discrepancy.
  auto verify = Keep(claimed[0], claimed[0].next_check_at);
  verify.check_count = claimed[0].check_count;
  verify.discrepancies.push_back({core::DiscrepancyCode::kStatusConflict, "gateway says Failed", "Failed", 150000});
  const auto verified = Apply(store, "backfill", At(2), {verify});
  BOOST_TEST(verified.outcomes[0].applied);
  BOOST_TEST(verified.outcomes[0].raised == std::vector<core::DiscrepancyCode>{core::DiscrepancyCode::kStatusConflict},
             boost::test_tools::per_element());
  BOOST_TEST((store.TransactionGet(id)->status == core::Status::kCaptureApproved));
  // Through direct SQL: the trigger refuses.
  try {
    conn->Execute("UPDATE payrecon.transactions SET status = 'Failed'");
    BOOST_FAIL("the trigger let a final status change");
  } catch (const db::QueryError& e) {
    BOOST_TEST(e.sqlstate() == "23514");
    BOOST_TEST(std::string(e.what()) ==
               "database statement failed: transaction " + std::to_string(id) +
                   " has final status \"CaptureApproved\": refusing to change it to \"Failed\"");
  }
  // Other columns of a final row may still change (e.g. review flags).
  conn->Execute("UPDATE payrecon.transactions SET needs_review = false, status = status");
  BOOST_TEST(Scalar(*conn, "SELECT status FROM payrecon.transactions") == "CaptureApproved");
}

BOOST_AUTO_TEST_CASE(a_discrepancy_is_raised_once_while_open_and_after_resolution_only_when_facts_change) {
  TestDatabase tdb;
  auto conn = tdb.Connect();
  db::PgStore store(*conn);
  const auto id = InsertTransaction(*conn, {.merchant_txn_id = "c1"});
  const auto check = [&](std::int64_t second, std::optional<core::Paise> gateway_amount = std::nullopt) {
    const auto claimed = store.TransactionsClaimDue(Claim("run-" + std::to_string(second), At(second)));
    BOOST_REQUIRE(claimed.size() == 1u);
    auto u = Keep(claimed[0], At(second + 1));
    u.discrepancies.push_back({core::DiscrepancyCode::kNotFound, "unknown to the gateway", "", gateway_amount});
    u.discrepancies.push_back({core::DiscrepancyCode::kNotFound, "listed twice", "", gateway_amount});
    const auto result = Apply(store, "run-" + std::to_string(second), At(second), {u});
    BOOST_REQUIRE(result.outcomes[0].applied);
    return result.outcomes[0].raised;
  };
  BOOST_TEST(check(0) == std::vector<core::DiscrepancyCode>{core::DiscrepancyCode::kNotFound},
             boost::test_tools::per_element());
  BOOST_TEST(store.TransactionGet(id)->needs_review);
  BOOST_TEST(check(1).empty());  // still open: not raised again
  BOOST_TEST(Count(*conn, "SELECT count(*) FROM payrecon.discrepancies") == 1);
  BOOST_TEST(Count(*conn, "SELECT count(*) FROM payrecon.transaction_events WHERE event_type = 'discrepancy'") == 1);

  const auto open = store.DiscrepanciesListOpen({});
  BOOST_REQUIRE(open.size() == 1u);
  BOOST_TEST(open[0].transaction_id == id);
  BOOST_TEST(open[0].merchant_txn_id == "c1");
  BOOST_TEST(open[0].detail == "unknown to the gateway");
  BOOST_TEST((open[0].local_status == core::Status::kCapturePending));
  BOOST_TEST(open[0].local_amount == 150000);
  BOOST_TEST(!open[0].gateway_amount.has_value());
  BOOST_TEST(open[0].run_id == "run-0");
  BOOST_TEST(store.DiscrepanciesListOpen({.code = core::DiscrepancyCode::kStuckPending}).empty());
  BOOST_TEST(store.DiscrepanciesListOpen({.opened_before = At(0)}).empty());
  BOOST_TEST(store.DiscrepanciesListOpen({.opened_before = At(1)}).size() == 1u);

  BOOST_TEST(store.DiscrepancyResolve({open[0].id, At(5), "ops@example", "refunded by hand"}));
  BOOST_TEST(!store.DiscrepancyResolve({open[0].id, At(6), "ops@example", "twice"}));
  BOOST_TEST(!store.TransactionGet(id)->needs_review);
  BOOST_TEST(store.DiscrepanciesListOpen({}).empty());

  // The resolution is in the audit trail, with who and why.
  BOOST_TEST(Scalar(*conn, "SELECT actor || ': ' || note || ' ' || discrepancy_code FROM payrecon.transaction_events"
                           " WHERE event_type = 'resolution'") == "ops@example: refunded by hand NOT_FOUND");

  BOOST_TEST(check(10).empty());  // the same facts again: stays resolved
  BOOST_TEST(Count(*conn, "SELECT count(*) FROM payrecon.discrepancies") == 1);
  BOOST_TEST(!store.TransactionGet(id)->needs_review);

  BOOST_TEST(check(20, 99).size() == 1u);  // a changed fact raises a new one
  BOOST_TEST(Count(*conn, "SELECT count(*) FROM payrecon.discrepancies") == 2);
  BOOST_TEST(Count(*conn, "SELECT count(*) FROM payrecon.transaction_events WHERE event_type = 'discrepancy'") == 2);
  BOOST_TEST(store.TransactionGet(id)->needs_review);
}

BOOST_AUTO_TEST_CASE(each_discrepancy_event_of_a_batch_names_its_own_response) {
  TestDatabase tdb;
  auto conn = tdb.Connect();
  db::PgStore store(*conn);
  for (int i = 0; i < 300; ++i) InsertTransaction(*conn, {.merchant_txn_id = "c" + std::to_string(i)});
  const auto claimed = store.TransactionsClaimDue(Claim("run-a", At(0), 300));
  BOOST_REQUIRE(claimed.size() == 300u);
  std::vector<core::TransactionUpdate> updates;
  for (std::size_t i = 0; i < claimed.size(); ++i) {
    auto u = Keep(claimed[i], At(60));
    u.request_id = "req-" + claimed[i].merchant_txn_id;
    u.response_digest = "digest-" + claimed[i].merchant_txn_id;
    if (i % 3 == 0) u.discrepancies.push_back({core::DiscrepancyCode::kNotFound, "unknown", "", std::nullopt});
    updates.push_back(u);
  }
  const auto result = Apply(store, "run-a", At(1), updates);
  std::size_t raised = 0;
  for (const auto& o : result.outcomes) raised += o.raised.size();
  BOOST_TEST(raised == 100u);
  // Each discrepancy's event carries the request of its own transaction's check.
  BOOST_TEST(Count(*conn, "SELECT count(*) FROM payrecon.discrepancies d JOIN payrecon.transactions t"
                          " ON t.id = d.transaction_id JOIN payrecon.transaction_events e"
                          " ON e.transaction_id = d.transaction_id AND e.event_type = 'discrepancy'"
                          " WHERE e.request_id = 'req-' || t.merchant_txn_id"
                          "   AND e.response_digest = 'digest-' || t.merchant_txn_id") == 100);
}

BOOST_AUTO_TEST_CASE(resolving_one_of_two_keeps_needs_review) {
  TestDatabase tdb;
  auto conn = tdb.Connect();
  db::PgStore store(*conn);
  const auto id = InsertTransaction(*conn, {.merchant_txn_id = "c1"});
  const auto claimed = store.TransactionsClaimDue(Claim("run-a", At(0)));
  auto u = Keep(claimed.at(0), At(1));
  u.discrepancies.push_back({core::DiscrepancyCode::kStuckPending, "pending too long", "", std::nullopt});
  u.discrepancies.push_back({core::DiscrepancyCode::kAmountMismatch, "approved 1400.00", "CapturePending", 140000});
  const auto result = Apply(store, "run-a", At(0), {u});
  BOOST_TEST(result.outcomes[0].raised ==
                 (std::vector<core::DiscrepancyCode>{core::DiscrepancyCode::kStuckPending,
                                                     core::DiscrepancyCode::kAmountMismatch}),
             boost::test_tools::per_element());
  const auto open = store.DiscrepanciesListOpen({.code = core::DiscrepancyCode::kAmountMismatch});
  BOOST_REQUIRE(open.size() == 1u);
  BOOST_TEST(open[0].gateway_amount.value_or(-1) == 140000);
  BOOST_TEST(open[0].gateway_status == "CapturePending");
  BOOST_TEST(store.DiscrepancyResolve({open[0].id, At(5), "ops", ""}));
  BOOST_TEST(store.TransactionGet(id)->needs_review);  // STUCK_PENDING is still open
}

BOOST_AUTO_TEST_CASE(listing_all_discrepancies_includes_resolved_ones_newest_first) {
  TestDatabase tdb;
  auto conn = tdb.Connect();
  db::PgStore store(*conn);
  InsertTransaction(*conn, {.merchant_txn_id = "c1"});
  InsertTransaction(*conn, {.merchant_txn_id = "c2"});
  const auto claimed = store.TransactionsClaimDue(Claim("run-a", At(0)));
  BOOST_REQUIRE(claimed.size() == 2u);
  std::vector<core::TransactionUpdate> updates;
  for (const auto& t : claimed) {
    auto u = Keep(t, At(1));
    u.discrepancies.push_back({core::DiscrepancyCode::kStuckPending, "pending too long", "", std::nullopt});
    if (t.merchant_txn_id == "c2") {
      u.discrepancies.push_back({core::DiscrepancyCode::kAmountMismatch, "requestedAmount 1600.00 differs",
                                 "CapturePending", 160000});
    }
    updates.push_back(u);
  }
  Apply(store, "run-a", At(0), updates);

  const auto all = store.DiscrepanciesListAll({});
  BOOST_REQUIRE(all.size() == 3u);
  BOOST_TEST(all[0].id > all[1].id);
  BOOST_TEST(all[1].id > all[2].id);
  const auto amount = store.DiscrepanciesListAll({.code = core::DiscrepancyCode::kAmountMismatch});
  BOOST_REQUIRE(amount.size() == 1u);
  BOOST_TEST(amount[0].merchant_txn_id == "c2");
  BOOST_TEST(amount[0].gateway_status == "CapturePending");
  BOOST_TEST(amount[0].gateway_amount.value_or(-1) == 160000);
  BOOST_TEST(store.DiscrepanciesListAll({.limit = 2}).size() == 2u);

  BOOST_TEST(store.DiscrepancyResolve({amount[0].id, At(7), "ops@example", "customer paid 1600.00"}));
  const auto resolved = store.DiscrepancyGet(amount[0].id);
  BOOST_REQUIRE(resolved.has_value());
  BOOST_TEST(resolved->resolved_at.has_value());
  BOOST_TEST((*resolved->resolved_at == At(7)));
  BOOST_TEST(resolved->resolved_by == "ops@example");
  BOOST_TEST(resolved->resolution_note == "customer paid 1600.00");
  BOOST_TEST(resolved->code == core::DiscrepancyCode::kAmountMismatch);
  BOOST_TEST(!store.DiscrepancyGet(amount[0].id + 1000).has_value());

  // The open list drops it, the full list keeps it.
  BOOST_TEST(store.DiscrepanciesListOpen({}).size() == 2u);
  const auto after = store.DiscrepanciesListAll({.code = core::DiscrepancyCode::kAmountMismatch});
  BOOST_REQUIRE(after.size() == 1u);
  BOOST_TEST(after[0].resolved_by == "ops@example");
  const auto open_one = store.DiscrepancyGet(all[2].id);
  BOOST_REQUIRE(open_one.has_value());
  BOOST_TEST(!open_one->resolved_at.has_value());
  BOOST_TEST(open_one->resolved_by.empty());
}

BOOST_AUTO_TEST_CASE(events_are_append_only) {
  TestDatabase tdb;
  auto conn = tdb.Connect();
  db::PgStore store(*conn);
  InsertTransaction(*conn, {.merchant_txn_id = "c1"});
  const auto claimed = store.TransactionsClaimDue(Claim("run-a", At(0)));
  Apply(store, "run-a", At(1), {Transition(claimed.at(0), core::Status::kFailed, At(2))});
  for (const char* statement : {"UPDATE payrecon.transaction_events SET to_status = 'CaptureApproved'",
                                "DELETE FROM payrecon.transaction_events",
                                "TRUNCATE payrecon.transaction_events CASCADE"}) {
    BOOST_TEST_INFO(statement);
    try {
      conn->Execute(statement);
      BOOST_FAIL("an event was changed");
    } catch (const db::QueryError& e) {
      BOOST_TEST(e.sqlstate() == "42501");
      BOOST_TEST(std::string(e.what()).find("payrecon.transaction_events is append-only") != std::string::npos);
    }
  }
  BOOST_TEST(Scalar(*conn, "SELECT to_status FROM payrecon.transaction_events") == "Failed");
}

BOOST_AUTO_TEST_CASE(release_gives_back_only_this_runs_claims) {
  TestDatabase tdb;
  auto conn = tdb.Connect();
  db::PgStore store(*conn);
  const auto c1 = InsertTransaction(*conn, {.merchant_txn_id = "c1"});
  const auto c2 = InsertTransaction(*conn, {.merchant_txn_id = "c2"});
  BOOST_REQUIRE(store.TransactionsClaimDue(Claim("run-a", At(0), 1)).size() == 1u);
  BOOST_REQUIRE(store.TransactionsClaimDue(Claim("run-b", At(0), 1)).size() == 1u);
  store.LeasesRelease({"run-a", {c1, c2}});
  BOOST_TEST(Scalar(*conn, "SELECT string_agg(coalesce(lease_run_id, '-'), ',' ORDER BY id) FROM "
                           "payrecon.transactions") == "-,run-b");
  const auto again = store.TransactionsClaimDue(Claim("run-c", At(1)));
  BOOST_TEST(Ids(again) == std::vector<std::int64_t>{c1});
  store.LeasesRelease({"run-c", {}});
}

BOOST_AUTO_TEST_CASE(window_claims_filter_and_page_by_id) {
  TestDatabase tdb;
  auto conn = tdb.Connect();
  db::PgStore store(*conn);
  const auto in1 = InsertTransaction(*conn, {.merchant_txn_id = "a", .status = "CaptureApproved", .created_at = At(0)});
  const auto in2 = InsertTransaction(*conn, {.merchant_txn_id = "b", .created_at = At(50), .next_check_at = At(999)});
  InsertTransaction(*conn, {.merchant_txn_id = "late", .created_at = At(100)});       // to is exclusive
  InsertTransaction(*conn, {.merchant_txn_id = "early", .created_at = At(-1)});
  InsertTransaction(*conn, {.merchant_id = "M2", .merchant_txn_id = "other", .created_at = At(10)});
  const auto in3 = InsertTransaction(*conn, {.kind = "topup", .merchant_txn_id = "t", .status = "Failed",
                                             .created_at = At(60)});
  core::WindowClaimParams w;
  w.run_id = "bf";
  w.now = At(0);
  w.lease = kLease;
  w.limit = 2;
  w.created_from = At(0);
  w.created_to = At(100);
  w.merchant_id = "M1";
  const auto first = store.TransactionsClaimWindow(w);
  BOOST_TEST(Ids(first) == (std::vector<std::int64_t>{in1, in2}));
  w.after_id = first.back().id;
  const auto second = store.TransactionsClaimWindow(w);
  BOOST_TEST(Ids(second) == std::vector<std::int64_t>{in3});
  w.after_id = 0;
  w.kind = core::Kind::kTopup;
  // The run's own leases count as free (resume after a crash); another run's do not.
  BOOST_TEST(Ids(store.TransactionsClaimWindow(w)) == std::vector<std::int64_t>{in3});
  w.run_id = "other";
  BOOST_TEST(store.TransactionsClaimWindow(w).empty());
}

BOOST_AUTO_TEST_CASE(pending_listing_streams_every_pending_row) {
  TestDatabase tdb;
  auto conn = tdb.Connect();
  db::PgStore store(*conn);
  InsertTransaction(*conn, {.merchant_txn_id = "p2", .created_at = At(20), .next_check_at = At(100)});
  InsertTransaction(*conn, {.merchant_txn_id = "p1", .created_at = At(10)});
  InsertTransaction(*conn, {.merchant_txn_id = "done", .status = "Failed"});
  InsertTransaction(*conn, {.kind = "refund", .merchant_txn_id = "r1", .status = "Pending", .created_at = At(30),
                            .parent = "p1"});
  std::vector<std::string> seen;
  store.TransactionsForEachPending({}, [&](const core::Transaction& t) { seen.push_back(t.merchant_txn_id); });
  BOOST_TEST(seen == (std::vector<std::string>{"p1", "p2", "r1"}), boost::test_tools::per_element());
  BOOST_TEST(store.TransactionsCountPending() == 3);
  // A callback that throws leaves the connection usable.
  BOOST_CHECK_THROW(store.TransactionsForEachPending({}, [](const core::Transaction&) { throw std::runtime_error("x"); }),
                    std::runtime_error);
  BOOST_TEST(store.TransactionsCountPending() == 3);
  const auto found = store.TransactionFind("M1", core::Kind::kRefund, "r1");
  BOOST_REQUIRE(found.has_value());
  BOOST_TEST((found->created_at == At(30)));
  BOOST_TEST(!store.TransactionFind("M1", core::Kind::kCharge, "r1").has_value());
}

BOOST_AUTO_TEST_CASE(a_runs_report_comes_back_from_the_database) {
  TestDatabase tdb;
  auto conn = tdb.Connect();
  db::PgStore store(*conn);
  store.RunStart({"run-1", "run", R"({"limit": 10})", At(0), "worker-1", false});
  BOOST_CHECK_THROW(store.RunStart({"run-1", "run", "{}", At(0), "worker-1", false}), db::QueryError);
  const auto c1 = InsertTransaction(*conn, {.merchant_txn_id = "c1"});
  const auto c2 = InsertTransaction(*conn, {.merchant_txn_id = "c2", .amount_paise = 5});
  const auto claimed = store.TransactionsClaimDue(Claim("run-1", At(0)));
  BOOST_REQUIRE(claimed.size() == 2u);
  auto t1 = Transition(claimed[0], core::Status::kCaptureApproved, At(400));
  auto t2 = Keep(claimed[1], At(60));
  t2.discrepancies.push_back({core::DiscrepancyCode::kCheckFailing, "5 failures", "", std::nullopt});
  Apply(store, "run-1", At(3), {t1, t2});
  store.RunErrorsRecord({"run-1",
                         {{c2, "HTTP_5XX", 502, "", "bad gateway, \"quoted\"", 5, At(60), At(2)},
                          {c2, "TIMEOUT", 0, "", "read timed out", 6, std::nullopt, At(3)}}});
  BOOST_TEST(store.RunCheckpoint({"run-1", c2, R"({"checked": 2})"}));
  BOOST_TEST(store.RunFinish({"run-1", At(9), R"({"checked": 2})", "done", 0}));
  BOOST_TEST(!store.RunFinish({"nope", At(9), "{}", "done", 0}));

  const auto run = store.RunGet("run-1");
  BOOST_REQUIRE(run.has_value());
  BOOST_TEST(run->mode == "run");
  BOOST_TEST(run->arguments_json == R"({"limit": 10})");
  BOOST_TEST((run->started_at == At(0)));
  BOOST_TEST((run->finished_at.value() == At(9)));
  BOOST_TEST(run->counts_json == R"({"checked": 2})");
  BOOST_TEST(run->outcome == "done");
  BOOST_TEST(run->exit_code.value_or(-1) == 0);
  BOOST_TEST(run->host == "worker-1");
  BOOST_TEST(!run->dry_run);
  BOOST_TEST(run->resume_after_id == c2);
  BOOST_TEST(!store.RunGet("nope").has_value());

  std::vector<core::TransitionRow> transitions;
  store.RunTransitionsForEach("run-1", [&](const core::TransitionRow& r) { transitions.push_back(r); });
  BOOST_REQUIRE(transitions.size() == 1u);
  BOOST_TEST(transitions[0].transaction_id == c1);
  BOOST_TEST(transitions[0].merchant_txn_id == "c1");
  BOOST_TEST(transitions[0].amazon_txn_id == "S04-c1");
  BOOST_TEST((transitions[0].from_status == core::Status::kCapturePending));
  BOOST_TEST((transitions[0].to_status == core::Status::kCaptureApproved));
  BOOST_TEST(transitions[0].amount == 150000);
  BOOST_TEST(transitions[0].approved_amount.value_or(-1) == 150000);
  BOOST_TEST((transitions[0].gateway_updated_at.value() == At(5)));
  BOOST_TEST((transitions[0].checked_at == At(3)));
  BOOST_TEST(transitions[0].request_id == "req-c1");

  std::vector<core::DiscrepancyRow> discrepancies;
  store.RunDiscrepanciesForEach("run-1", [&](const core::DiscrepancyRow& r) { discrepancies.push_back(r); });
  BOOST_REQUIRE(discrepancies.size() == 1u);
  BOOST_TEST(discrepancies[0].merchant_txn_id == "c2");
  BOOST_TEST((discrepancies[0].code == core::DiscrepancyCode::kCheckFailing));
  BOOST_TEST(discrepancies[0].local_amount == 5);
  BOOST_TEST((discrepancies[0].opened_at == At(3)));

  std::vector<core::ErrorRow> errors;
  store.RunErrorsForEach("run-1", [&](const core::ErrorRow& r) { errors.push_back(r); });
  BOOST_REQUIRE(errors.size() == 2u);
  BOOST_TEST(errors[0].merchant_txn_id == "c2");
  BOOST_TEST(core::CheckOutcomeName(errors[0].error_class) == "HTTP_5XX");
  BOOST_TEST(errors[0].http_status == 502);
  BOOST_TEST(errors[0].message == "bad gateway, \"quoted\"");
  BOOST_TEST(errors[0].attempts == 5);
  BOOST_TEST((errors[0].next_check_at.value() == At(60)));
  BOOST_TEST(errors[1].http_status == 0);
  BOOST_TEST(!errors[1].next_check_at.has_value());
  BOOST_TEST((errors[1].at == At(3)));

  std::size_t other = 0;
  store.RunTransitionsForEach("run-2", [&](const core::TransitionRow&) { ++other; });
  BOOST_TEST(other == 0u);
}

BOOST_AUTO_TEST_CASE(hostile_text_is_stored_verbatim_or_made_valid) {
  TestDatabase tdb;
  auto conn = tdb.Connect();
  db::PgStore store(*conn);
  InsertTransaction(*conn, {.merchant_txn_id = "c1"});
  const auto claimed = store.TransactionsClaimDue(Claim("run-a", At(0)));
  auto u = Keep(claimed.at(0), At(1));
  u.last_error = std::string("quote \" backslash \\ brace } comma , NULL \xff\x00 end", 47);
  BOOST_TEST(Apply(store, "run-a", At(0), {u}).outcomes[0].applied);
  BOOST_TEST(store.TransactionGet(claimed[0].id)->last_error == "quote \" backslash \\ brace } comma , NULL ?? end");
}

BOOST_AUTO_TEST_CASE(timestamps_keep_milliseconds) {
  TestDatabase tdb;
  auto conn = tdb.Connect();
  db::PgStore store(*conn);
  const core::Instant odd = core::Instant{core::Millis{1767225600123}};
  const core::Instant old = core::Instant{core::Millis{-1234567}};  // before 1970
  InsertTransaction(*conn, {.merchant_txn_id = "c1", .created_at = old, .next_check_at = odd});
  const auto claimed = store.TransactionsClaimDue(Claim("run-a", odd));
  BOOST_REQUIRE(claimed.size() == 1u);
  BOOST_TEST(claimed[0].next_check_at.time_since_epoch().count() == 1767225600123);
  BOOST_TEST(claimed[0].created_at.time_since_epoch().count() == -1234567);
}

// The reply of a committed apply was lost and the job retries it (same run, same `now`): the retry recognises its
// own first attempt and reports it applied, not as a conflict, and writes nothing twice.
BOOST_AUTO_TEST_CASE(a_retried_apply_whose_reply_was_lost_counts_as_applied) {
  TestDatabase tdb;
  auto conn = tdb.Connect();
  db::PgStore store(*conn);
  InsertTransaction(*conn, {.merchant_txn_id = "c1"});
  InsertTransaction(*conn, {.merchant_txn_id = "c2"});
  const auto claimed = store.TransactionsClaimDue(Claim("run-a", At(0)));
  BOOST_REQUIRE(claimed.size() == 2u);
  const std::vector<core::TransactionUpdate> updates = {
      Transition(claimed[0], core::Status::kCaptureApproved, At(300)), Keep(claimed[1], At(60))};
  const auto first = Apply(store, "run-a", At(2), updates);
  BOOST_TEST((first.outcomes[0].applied && first.outcomes[1].applied));
  const auto retried = Apply(store, "run-a", At(2), updates);
  BOOST_TEST(retried.outcomes[0].applied);
  BOOST_TEST(retried.outcomes[1].applied);
  BOOST_TEST(Count(*conn, "SELECT count(*) FROM payrecon.transaction_events") == 1);
  // Another run's retry, or a later apply of this run, is still a conflict.
  BOOST_TEST(!Apply(store, "run-b", At(2), updates).outcomes[0].applied);
  BOOST_TEST(!Apply(store, "run-a", At(3), updates).outcomes[1].applied);
}

// A resolved STUCK_PENDING stays resolved while the row has been pending less than repeat_after since the
// resolution; after that, the same facts raise it again.
BOOST_AUTO_TEST_CASE(a_resolved_stuck_pending_comes_back_when_still_pending_long_after) {
  TestDatabase tdb;
  auto conn = tdb.Connect();
  db::PgStore store(*conn);
  const auto id = InsertTransaction(*conn, {.merchant_txn_id = "c1"});
  const auto check = [&](std::int64_t second) {
    const auto claimed = store.TransactionsClaimDue(Claim("run-" + std::to_string(second), At(second)));
    BOOST_REQUIRE(claimed.size() == 1u);
    auto u = Keep(claimed[0], At(second + 1));
    core::DiscrepancyRecord stuck{core::DiscrepancyCode::kStuckPending, "still pending", "CapturePending",
                                  std::nullopt, core::Millis{3'600'000}};
    u.discrepancies.push_back(stuck);
    const auto result = Apply(store, "run-" + std::to_string(second), At(second), {u});
    BOOST_REQUIRE(result.outcomes[0].applied);
    return result.outcomes[0].raised.size();
  };
  BOOST_TEST(check(0) == 1u);
  const auto open = store.DiscrepanciesListOpen({});
  BOOST_REQUIRE(open.size() == 1u);
  BOOST_TEST(store.DiscrepancyResolve({open[0].id, At(100), "ops@example", "asked the gateway"}));
  BOOST_TEST(check(200) == 0u);
  BOOST_TEST(!store.TransactionGet(id)->needs_review);
  BOOST_TEST(check(100 + 3599) == 0u);
  BOOST_TEST(check(100 + 3600) == 1u);  // an hour after the resolution, still pending: back
  BOOST_TEST(store.TransactionGet(id)->needs_review);
  BOOST_TEST(check(100 + 3700) == 0u);  // open again: once
  BOOST_TEST(Count(*conn, "SELECT count(*) FROM payrecon.discrepancies") == 2);
}

// A run whose process died leaves its row open. It is closed as abandoned (no exit code) once its deadline plus
// the grace has passed and none of its claims is live; a live claim or a young row is left alone.
BOOST_AUTO_TEST_CASE(open_runs_past_their_deadline_without_live_claims_are_marked_abandoned) {
  TestDatabase tdb;
  auto conn = tdb.Connect();
  db::PgStore store(*conn);
  store.RunStart({"dead", "run", "{\"deadline_ms\":60000}", At(0), "h", false});
  store.RunStart({"leasing", "run", "{\"deadline_ms\":60000}", At(0), "h", false});
  store.RunStart({"young", "run", "{\"deadline_ms\":600000}", At(0), "h", false});
  store.RunStart({"done", "run", "{\"deadline_ms\":60000}", At(0), "h", false});
  BOOST_TEST(store.RunFinish({"done", At(30), "{}", "done", 0}));
  const auto id = InsertTransaction(*conn, {.merchant_txn_id = "c1"});
  InsertTransaction(*conn, {.merchant_txn_id = "c2"});
  conn->Query("UPDATE payrecon.transactions SET lease_run_id = 'leasing', lease_until = $1::timestamptz WHERE id = $2::bigint",
              {"2026-01-01T01:00:00Z", std::to_string(id)});
  conn->Query("UPDATE payrecon.transactions SET lease_run_id = 'dead', lease_until = $1::timestamptz"
              " WHERE merchant_txn_id = 'c2'",
              {"2026-01-01T00:01:00Z"});
  // At 00:01:29 the grace (30 s) has not passed yet; at 00:01:31 it has for "dead" (lease expired) only.
  BOOST_TEST(store.RunsMarkAbandoned({At(89), core::Millis{30'000}}).empty());
  BOOST_TEST(store.RunsMarkAbandoned({At(91), core::Millis{30'000}}) == std::vector<std::string>{"dead"},
             boost::test_tools::per_element());
  const auto dead = store.RunGet("dead");
  BOOST_TEST(dead->outcome == "abandoned");
  BOOST_TEST(!dead->exit_code.has_value());
  BOOST_TEST((dead->finished_at == At(0)));  // no event: its start
  BOOST_TEST(store.RunGet("done")->outcome == "done");
  BOOST_TEST(!store.RunGet("young")->finished_at.has_value());
  BOOST_TEST(!store.RunGet("leasing")->finished_at.has_value());
  // Its claims given back (a failed run's clean-up), the other one is abandoned too, and only when asked for.
  BOOST_TEST(store.LeasesReleaseRun("leasing") == 1);
  BOOST_TEST(store.RunsMarkAbandoned({At(91), core::Millis{30'000}, std::string("young")}).empty());
  BOOST_TEST(store.RunsMarkAbandoned({At(91), core::Millis{30'000}, std::string("leasing")}).size() == 1u);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(store_scale)

BOOST_AUTO_TEST_CASE(pending_listing_filters_by_kind_age_and_limit_oldest_first) {
  TestDatabase tdb;
  auto conn = tdb.Connect();
  db::PgStore store(*conn);
  InsertTransaction(*conn, {.merchant_txn_id = "c3", .created_at = At(30)});
  InsertTransaction(*conn, {.merchant_txn_id = "c1", .created_at = At(10)});
  InsertTransaction(*conn, {.merchant_txn_id = "c2", .created_at = At(20)});
  InsertTransaction(*conn, {.merchant_txn_id = "final", .status = "Failed", .created_at = At(5)});
  InsertTransaction(*conn, {.kind = "refund", .merchant_txn_id = "r1", .status = "Pending", .created_at = At(15),
                            .parent = "c1"});
  auto list = [&](const core::PendingListParams& p) {
    std::vector<std::string> seen;
    store.TransactionsForEachPending(p, [&](const core::Transaction& t) { seen.push_back(t.merchant_txn_id); });
    return seen;
  };
  BOOST_TEST(list({}) == (std::vector<std::string>{"c1", "r1", "c2", "c3"}), boost::test_tools::per_element());
  BOOST_TEST(list({.limit = 2}) == (std::vector<std::string>{"c1", "r1"}), boost::test_tools::per_element());
  BOOST_TEST(list({.limit = 0}).empty());
  BOOST_TEST(list({.kind = core::Kind::kCharge}) == (std::vector<std::string>{"c1", "c2", "c3"}),
             boost::test_tools::per_element());
  BOOST_TEST(list({.created_before = At(20)}) == (std::vector<std::string>{"c1", "r1"}),
             boost::test_tools::per_element());
  BOOST_TEST(list({.kind = core::Kind::kRefund, .created_before = At(15)}).empty());
}

BOOST_AUTO_TEST_CASE(history_prune_deletes_old_finished_runs_and_their_errors_only) {
  TestDatabase tdb;
  auto conn = tdb.Connect();
  db::PgStore store(*conn);
  const auto txn = InsertTransaction(*conn, {.merchant_txn_id = "c1"});
  store.RunStart({"old", "run", "{}", At(100), "h", false});
  store.RunFinish({"old", At(200), "{}", "done", 0});
  store.RunStart({"open", "backfill", "{}", At(100), "h", false});  // crashed: never finished
  store.RunStart({"new", "run", "{}", At(5000), "h", false});
  store.RunFinish({"new", At(5100), "{}", "done", 0});
  for (const char* run : {"old", "open", "new"}) {
    core::RunError e;
    e.transaction_id = txn;
    e.error_class = "TIMEOUT";
    e.at = At(150);
    store.RunErrorsRecord({run, {e, e}});
  }
  conn->Execute("INSERT INTO payrecon.transaction_events (transaction_id, run_id, event_type, from_status, to_status)"
                " VALUES (" + std::to_string(txn) + ", 'old', 'transition', 'CapturePending', 'CapturePending')");
  const auto r = store.HistoryPrune({At(1000)});
  BOOST_TEST(r.runs == 1);
  BOOST_TEST(r.run_errors == 2);
  BOOST_TEST(!store.RunGet("old").has_value());
  BOOST_TEST(store.RunGet("open").has_value());
  BOOST_TEST(store.RunGet("new").has_value());
  BOOST_TEST(Scalar(*conn, "SELECT string_agg(run_id, ',' ORDER BY run_id) FROM payrecon.run_errors") ==
             "new,new,open,open");
  BOOST_TEST(Scalar(*conn, "SELECT count(*) FROM payrecon.transaction_events") == "1");
  const auto again = store.HistoryPrune({At(1000)});
  BOOST_TEST(again.runs == 0);
  BOOST_TEST(again.run_errors == 0);
}

// The pinned statements (claims, applies, lease releases, listings of due rows) go out as BEGIN, the plan pins, the
// statement and COMMIT in one pipeline with one Sync, and libpq reads no answer before all four are sent. The
// streamed pending listing, which pins with separate statements, is the control: several exchanges.
BOOST_AUTO_TEST_CASE(claims_and_applies_are_one_round_trip_each) {
  TestDatabase tdb;
  auto conn = tdb.Connect();
  db::PgStore store(*conn);
  InsertTransaction(*conn, {.merchant_txn_id = "c1"});
  InsertTransaction(*conn, {.merchant_txn_id = "c2"});
  std::vector<core::Transaction> claimed;
  const Exchange claim = Traced(*conn, [&] { claimed = store.TransactionsClaimDue(Claim("run-a", At(0))); });
  BOOST_REQUIRE(claimed.size() == 2u);
  BOOST_TEST(claim.shape == "FB");
  BOOST_TEST(claim.executes == 4);
  BOOST_TEST(claim.syncs == 1);

  core::ApplyResult applied;
  const Exchange apply = Traced(*conn, [&] {
    applied = Apply(store, "run-a", At(2), {Transition(claimed[0], core::Status::kCaptureApproved, At(300)),
                                            Keep(claimed[1], At(60))});
  });
  BOOST_REQUIRE(applied.outcomes.size() == 2u);
  BOOST_TEST(applied.outcomes[0].applied);
  BOOST_TEST(apply.shape == "FB");
  BOOST_TEST(apply.executes == 4);
  BOOST_TEST(apply.syncs == 1);

  std::int64_t listed = 0;
  const Exchange listing = Traced(*conn, [&] {
    store.TransactionsForEachPending(core::PendingListParams{}, [&](const core::Transaction&) { ++listed; });
  });
  BOOST_TEST(listed == 1);
  BOOST_TEST(listing.shape.size() > 2u, listing.shape);
}

BOOST_AUTO_TEST_SUITE_END()
