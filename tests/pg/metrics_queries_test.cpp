// The aggregate queries behind the run's Prometheus metrics: open discrepancies per code, pending by age.
#include <boost/test/unit_test.hpp>

#include "db/pg_store.h"
#include "tests/pg/pg_fixtures.h"
#include "tests/pg/test_database.h"

using namespace payrecon;
using namespace payrecon::testing;

namespace {

void InsertDiscrepancy(db::Connection& conn, std::int64_t txn, const std::string& code, bool resolved) {
  conn.Query("INSERT INTO payrecon.discrepancies (transaction_id, code, local_status, local_amount_paise,"
             " opened_by_run, resolved_at, resolved_by)"
             " VALUES ($1::bigint, $2, 'CapturePending', 1, 'run-0', CASE WHEN $3::boolean THEN now() END,"
             " CASE WHEN $3::boolean THEN 'ops' END)",
             {std::to_string(txn), code, resolved ? "true" : "false"});
}

}  // namespace

BOOST_AUTO_TEST_SUITE(metrics_queries)

BOOST_AUTO_TEST_CASE(open_discrepancies_are_counted_per_code_with_the_oldest) {
  TestDatabase tdb;
  auto conn = tdb.Connect();
  db::PgStore store(*conn);
  BOOST_TEST(store.DiscrepanciesCountOpen().empty());
  const auto a = InsertTransaction(*conn, {.merchant_txn_id = "a"});
  const auto b = InsertTransaction(*conn, {.merchant_txn_id = "b"});
  InsertDiscrepancy(*conn, a, "NOT_FOUND", false);
  InsertDiscrepancy(*conn, b, "NOT_FOUND", false);
  conn->Query("UPDATE payrecon.discrepancies SET opened_at = to_timestamp(1000.5) WHERE transaction_id = $1::bigint",
              {std::to_string(b)});
  InsertDiscrepancy(*conn, a, "AMOUNT_MISMATCH", false);
  InsertDiscrepancy(*conn, b, "AMOUNT_MISMATCH", true);  // resolved: not counted
  InsertDiscrepancy(*conn, b, "STUCK_PENDING", true);
  const auto counts = store.DiscrepanciesCountOpen();
  BOOST_REQUIRE(counts.size() == 2u);
  BOOST_TEST(counts[0].code == core::DiscrepancyCode::kAmountMismatch);
  BOOST_TEST(counts[0].count == 1);
  BOOST_TEST(counts[1].code == core::DiscrepancyCode::kNotFound);
  BOOST_TEST(counts[1].count == 2);
  BOOST_TEST(counts[1].oldest_opened_at.time_since_epoch().count() == 1000500);
}

BOOST_AUTO_TEST_CASE(pending_transactions_by_kind_and_age) {
  TestDatabase tdb;
  auto conn = tdb.Connect();
  db::PgStore store(*conn);
  const core::Instant now = At(100000);
  const core::PendingAgesParams p{now, {core::Millis{60'000}, core::Millis{3'600'000}}};
  BOOST_TEST(store.TransactionsPendingAges(p).empty());
  auto charge = [&](const std::string& id, std::int64_t age_s, const std::string& status = "CapturePending") {
    InsertTransaction(*conn, {.merchant_txn_id = id, .status = status, .created_at = now - core::Millis{age_s * 1000}});
  };
  charge("young", 59);
  charge("edge", 60);         // a bound belongs to the bucket above it
  charge("hour", 3599);
  charge("old", 7200);
  charge("older", 90000);
  charge("done", 99000, "CaptureApproved");  // final: not pending
  charge("future", -5);       // created after `now` (clock skew): youngest bucket
  InsertTransaction(*conn, {.kind = "refund", .merchant_txn_id = "r1", .status = "Pending",
                            .created_at = now - core::Millis{10'000}, .parent = "old"});
  const auto ages = store.TransactionsPendingAges(p);
  BOOST_REQUIRE(ages.size() == 2u);
  BOOST_TEST(ages[0].kind == core::Kind::kCharge);
  BOOST_TEST((ages[0].counts == std::vector<std::int64_t>{2, 2, 2}));
  BOOST_TEST((ages[0].oldest_created_at == now - core::Millis{90'000'000}));
  BOOST_TEST(ages[1].kind == core::Kind::kRefund);
  BOOST_TEST((ages[1].counts == std::vector<std::int64_t>{1, 0, 0}));
  BOOST_TEST((ages[1].oldest_created_at == now - core::Millis{10'000}));
}

BOOST_AUTO_TEST_SUITE_END()
