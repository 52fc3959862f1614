// The queue's hot statements keep their index plans on a table that has never been analysed: a million rows
// imported and claimed at once must not be sorted on every claim because the planner guessed a few hundred.
#include <boost/test/unit_test.hpp>

#include <string>
#include <vector>

#include "db/pg_store.h"
#include "db/result.h"
#include "db/sql.h"
#include "tests/pg/pg_fixtures.h"
#include "tests/pg/test_database.h"

using namespace payrecon;
using namespace payrecon::testing;

namespace {

constexpr int kRows = 200000;

// 200,000 due charges created one ms apart,
// inserted in one statement with autovacuum off for the table, so no statistics exist when the plans are made.
void LoadNeverAnalysed(db::Connection& conn) {
  conn.Execute("ALTER TABLE payrecon.transactions SET (autovacuum_enabled = false)");
  conn.Execute(
      "INSERT INTO payrecon.transactions (kind, merchant_id, merchant_txn_id, amount_paise, status, created_at,"
      " next_check_at)"
      " SELECT 'charge', 'M1', 'c' || g, 100, 'CapturePending', timestamptz '2026-01-01' + g * interval '1 ms',"
      "        timestamptz '2026-01-01' + g * interval '1 ms'"
      " FROM generate_series(1, " + std::to_string(kRows) + ") g");
  const auto stats = conn.Query(
      "SELECT c.reltuples::bigint, s.last_analyze IS NULL AND s.last_autoanalyze IS NULL"
      " FROM pg_class c JOIN pg_stat_user_tables s ON s.relid = c.oid WHERE c.oid = 'payrecon.transactions'::regclass");
  BOOST_REQUIRE(stats.size() == 1u);
  BOOST_TEST_REQUIRE(*stats[0][0] == "-1");  // never analysed nor vacuumed
  BOOST_TEST_REQUIRE(*stats[0][1] == "t");
}

std::string Explain(db::Connection& conn, bool pinned, const char* sql, const std::vector<const char*>& params) {
  const std::string text = std::string("EXPLAIN (FORMAT JSON) ") + sql;
  auto r = pinned ? db::internal::ExecPinned(conn, "explain", text.c_str(), params)
                  : db::internal::Exec(conn, "explain", text.c_str(), params);
  std::string plan;
  for (int i = 0; i < PQntuples(r.get()); ++i) plan += std::string(db::internal::Text(r.get(), i, 0));
  return plan;
}

// The generic plan (parameters unknown) of `sql` prepared with the store's pins, as PgStore runs
// kTransactionsApplyPlain; `args` is the EXECUTE's argument list in SQL.
std::string ExplainGeneric(db::Connection& conn, const char* sql, const std::string& args) {
  conn.Execute(
      "BEGIN; SELECT set_config('enable_seqscan', 'off', true), set_config('enable_bitmapscan', 'off', true),"
      " set_config('enable_sort', 'off', true), set_config('jit', 'off', true),"
      " set_config('plan_cache_mode', 'force_generic_plan', true)");
  conn.Execute(std::string("PREPARE generic AS ") + sql);
  std::string plan;
  for (const db::Row& row : conn.Query("EXPLAIN (FORMAT JSON) EXECUTE generic(" + args + ")")) plan += row.at(0).value();
  conn.Execute("DEALLOCATE generic; COMMIT");
  return plan;
}

bool Has(const std::string& plan, const std::string& what) { return plan.find(what) != std::string::npos; }

// An index scan of `index` and nothing that reads or sorts the whole table.
void RequireIndexPlan(const std::string& plan, const std::string& index) {
  BOOST_TEST_INFO(plan);
  BOOST_TEST(Has(plan, "\"Index Name\": \"" + index + "\""));
  BOOST_TEST(!Has(plan, "\"Node Type\": \"Sort\""));
  BOOST_TEST(!Has(plan, "\"Node Type\": \"Seq Scan\""));
  BOOST_TEST(!Has(plan, "Bitmap Heap Scan"));
}

}  // namespace

BOOST_AUTO_TEST_SUITE(plans)

BOOST_AUTO_TEST_CASE(claim_uses_the_due_index_on_a_never_analysed_table) {
  TestDatabase tdb;
  auto conn = tdb.Connect();
  LoadNeverAnalysed(*conn);
  const std::vector<const char*> params = {"run-1", "1893456000000", "1893456300000", "1000"};
  const std::string pinned = Explain(*conn, true, db::sql::kTransactionsClaimDue, params);
  RequireIndexPlan(pinned, "transactions_due");
  // Left to itself the planner guesses a few hundred due rows and sorts them all: what the pinning prevents.
  const std::string unpinned = Explain(*conn, false, db::sql::kTransactionsClaimDue, params);
  BOOST_TEST_INFO(unpinned);
  BOOST_TEST(Has(unpinned, "\"Node Type\": \"Sort\""));

  // And the claim itself, through the store: the 1,000 oldest, leased.
  db::PgStore store(*conn);
  const auto got = store.TransactionsClaimDue({"run-1", core::Instant{core::Millis{1893456000000}},
                                               std::chrono::minutes{5}, 1000});
  BOOST_REQUIRE(got.size() == 1000u);
  BOOST_TEST(got.front().merchant_txn_id == "c1");
  BOOST_TEST(got.back().merchant_txn_id == "c1000");
}

BOOST_AUTO_TEST_CASE(listings_and_window_claims_use_their_indexes_on_a_never_analysed_table) {
  TestDatabase tdb;
  auto conn = tdb.Connect();
  LoadNeverAnalysed(*conn);
  // The pending listing: oldest first from the pending index, stopping at the limit.
  RequireIndexPlan(Explain(*conn, true, db::sql::kTransactionsForEachPending, {nullptr, "253402300799999", "50000"}),
                   "transactions_pending_created");
  RequireIndexPlan(Explain(*conn, true, db::sql::kTransactionsForEachPending, {"refund", "1767225700000", nullptr}),
                   "transactions_pending_created");
  // The list of due rows (dry runs) and the backfill window (id order from the primary key).
  RequireIndexPlan(Explain(*conn, true, db::sql::kTransactionsListDue, {"1893456000000", "1000"}), "transactions_due");
  RequireIndexPlan(Explain(*conn, true, db::sql::kTransactionsClaimWindow,
                           {"run-1", "1893456000000", "1893456300000", "1000", "0", "1893456000000", nullptr, nullptr,
                            "0", nullptr}),
                   "transactions_pkey");
  // The rows a backfill claim passed over (held by another run), and a run renewing its waiting claims.
  RequireIndexPlan(Explain(*conn, true, db::sql::kTransactionsHeldInWindow,
                           {"0", "1893456000000", nullptr, nullptr, "0", "5000", "{1,2,3}"}),
                   "transactions_pkey");
  RequireIndexPlan(Explain(*conn, true, db::sql::kLeasesRenew, {"run-1", "{1,2,3}", "1893456000000", "1893456300000"}),
                   "transactions_pkey");
  RequireIndexPlan(Explain(*conn, true, db::sql::kTransactionsListWindow,
                           {"run-1", "1893456000000", "1000", "0", "1893456000000", nullptr, nullptr, "0"}),
                   "transactions_pkey");
  // The apply finds each row by its primary key, not by reading the table.
  const std::string apply = Explain(*conn, true, db::sql::kTransactionsApply,
                                    {"run-1", "1893456000000", "{5}", "{CapturePending}", "{CaptureApproved}",
                                     "{1893456000000}", "{1}", "{0}", "{NULL}", "{NULL}", "{NULL}", "{NULL}", "{r}",
                                     "{d}", "{f}", "{}", "{}", "{}", "{}", "{}", "{}"});
  BOOST_TEST_INFO(apply);
  BOOST_TEST(Has(apply, "\"Index Name\": \"transactions_pkey\""));
  BOOST_TEST(!Has(apply, "\"Node Type\": \"Seq Scan\""));
  // A batch without discrepancies: the generic plan the store runs (made once, for any batch size).
  const std::string plain = ExplainGeneric(*conn, db::sql::kTransactionsApplyPlain,
                                           "'run-1', '1893456000000', '{5}', '{CapturePending}', '{CaptureApproved}',"
                                           " '{1893456000000}', '{1}', '{0}', '{NULL}', '{NULL}', '{NULL}', '{NULL}',"
                                           " '{r}', '{d}'");
  BOOST_TEST_INFO(plain);
  BOOST_TEST(Has(plain, "$1"));  // generic: the run id is a parameter of the plan, not a constant
  BOOST_TEST(Has(plain, "\"Index Name\": \"transactions_pkey\""));
  BOOST_TEST(!Has(plain, "\"Node Type\": \"Seq Scan\""));
  BOOST_TEST(!Has(plain, "\"Node Type\": \"Hash Join\""));
  // The run's report rows, by run id.
  RequireIndexPlan(Explain(*conn, true, db::sql::kRunTransitionsForEach, {"run-1"}), "transaction_events_run");
  RequireIndexPlan(Explain(*conn, true, db::sql::kRunTransitionsCount, {"run-1"}), "transaction_events_run");
  RequireIndexPlan(Explain(*conn, true, db::sql::kRunErrorsForEach, {"run-1"}), "run_errors_run");
  RequireIndexPlan(Explain(*conn, true, db::sql::kRunDiscrepanciesForEach, {"run-1"}), "discrepancies_run");
}

// A run that has applied tens of thousands of transitions must not read them all again on every apply: the
// check for a retried apply (was this transition already recorded?) looks each row up by transaction, never the
// run's whole history by run id. Seen in production size as 40 ms more per apply after 44,000 transitions.
BOOST_AUTO_TEST_CASE(apply_does_not_read_the_runs_earlier_events) {
  TestDatabase tdb;
  auto conn = tdb.Connect();
  LoadNeverAnalysed(*conn);
  conn->Execute(
      "INSERT INTO payrecon.transaction_events (transaction_id, run_id, event_type, from_status, to_status,"
      " request_id, created_at)"
      " SELECT g, 'run-1', 'transition', 'CapturePending', 'CaptureApproved', 'r' || g, now()"
      " FROM generate_series(1, 50000) g");
  conn->Execute("ANALYZE payrecon.transaction_events");
  // 1,000 updates of rows not yet touched, as a batch of a long run sends them.
  std::string ids, expected, fresh, times, counts, zeros, nulls, requests, digests, flags;
  for (int i = 0; i < 1000; ++i) {
    const char* sep = i == 0 ? "{" : ",";
    ids += sep + std::to_string(100001 + i);
    expected += std::string(sep) + "CapturePending";
    fresh += std::string(sep) + "CaptureApproved";
    times += std::string(sep) + "1893456000000";
    counts += std::string(sep) + "1";
    zeros += std::string(sep) + "0";
    nulls += std::string(sep) + "NULL";
    requests += sep + std::string("q") + std::to_string(i);
    digests += std::string(sep) + "d";
    flags += std::string(sep) + "f";
  }
  for (std::string* a : {&ids, &expected, &fresh, &times, &counts, &zeros, &nulls, &requests, &digests, &flags}) {
    *a += "}";
  }
  const std::string apply =
      Explain(*conn, true, db::sql::kTransactionsApply,
              {"run-1", "1893456000000", ids.c_str(), expected.c_str(), fresh.c_str(), times.c_str(), counts.c_str(),
               zeros.c_str(), nulls.c_str(), nulls.c_str(), nulls.c_str(), nulls.c_str(), requests.c_str(),
               digests.c_str(), flags.c_str(), "{}", "{}", "{}", "{}", "{}", "{}"});
  BOOST_TEST_INFO(apply);
  BOOST_TEST(!Has(apply, "\"Index Name\": \"transaction_events_run\""));
  BOOST_TEST(Has(apply, "\"Index Name\": \"transaction_events_transaction\""));
  BOOST_TEST(!Has(apply, "\"Node Type\": \"Seq Scan\""));
  // The same for the generic plan of a batch without discrepancies.
  const std::string plain = ExplainGeneric(
      *conn, db::sql::kTransactionsApplyPlain,
      "'run-1', '1893456000000', '" + ids + "', '" + expected + "', '" + fresh + "', '" + times + "', '" + counts +
          "', '" + zeros + "', '" + nulls + "', '" + nulls + "', '" + nulls + "', '" + nulls + "', '" + requests +
          "', '" + digests + "'");
  BOOST_TEST_INFO(plain);
  BOOST_TEST(!Has(plain, "\"Index Name\": \"transaction_events_run\""));
  BOOST_TEST(Has(plain, "\"Index Name\": \"transaction_events_transaction\""));
  BOOST_TEST(!Has(plain, "\"Node Type\": \"Seq Scan\""));
}

// Claims set only the lease, which no index covers: on a freshly loaded table most claimed rows get their new
// version on their own page (HOT, no index entries) because the table's fillfactor leaves room for it. At the
// fillfactor of 80 the table had before V008, 1,124 of these 5,000 claims were HOT.
BOOST_AUTO_TEST_CASE(most_claims_stay_on_their_page) {
  TestDatabase tdb;
  auto conn = tdb.Connect();
  LoadNeverAnalysed(*conn);
  conn->Execute("BEGIN");
  db::internal::Exec(*conn, "claim", db::sql::kTransactionsClaimDue,
                     {"run-1", "1893456000000", "1893456300000", "5000"});
  const auto counts = conn->Query(
      "SELECT n_tup_upd, n_tup_hot_upd FROM pg_stat_xact_user_tables WHERE relid = 'payrecon.transactions'::regclass");
  conn->Execute("COMMIT");
  BOOST_REQUIRE(counts.size() == 1u);
  const long updated = std::stol(*counts[0][0]);
  const long hot = std::stol(*counts[0][1]);
  BOOST_TEST(updated == 5000);
  BOOST_TEST(hot * 100 >= updated * 60, hot << " of " << updated << " claims were HOT");
}

BOOST_AUTO_TEST_SUITE_END()
