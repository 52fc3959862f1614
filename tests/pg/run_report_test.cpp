// A live run writes transitions.csv as its applies commit; at the end the audit trail is the record. If it holds a
// transition the run did not hear of as applied, WriteRunRows writes the file again from the events.
#include <boost/test/unit_test.hpp>

#include <string>

#include "core/ports.h"
#include "db/pg_store.h"
#include "jobs/database.h"
#include "jobs/report_writer.h"
#include "jobs/run_report.h"
#include "tests/pg/pg_fixtures.h"
#include "tests/pg/test_database.h"
#include "tests/support/sandbox_process.h"

using namespace payrecon;
using payrecon::testing::At;
using payrecon::testing::InsertTransaction;
using payrecon::testing::TestDatabase;

namespace {

// Inserts a charge per key, then claims and applies each one's transition for `run`.
void ApplyTransitions(db::Connection& conn, const std::string& run, std::initializer_list<const char*> keys) {
  for (const char* key : keys) InsertTransaction(conn, {.merchant_txn_id = key});
  db::PgStore store(conn);
  const auto claimed = store.TransactionsClaimDue({run, At(0), core::Millis{30000}, 1000});
  core::ApplyParams apply;
  apply.run_id = run;
  apply.now = At(2);
  for (const core::Transaction& t : claimed) {
    core::TransactionUpdate u;
    u.id = t.id;
    u.expected_status = t.status;
    u.new_status = core::Status::kCaptureApproved;
    u.next_check_at = At(300);
    u.check_count = 1;
    u.request_id = "req";
    u.response_digest = "digest";
    apply.updates.push_back(u);
  }
  store.TransactionsApply(apply);
}

// What a live run does as it hears of its applied transitions: `n` rows (of 0 paise) written and counted.
void WriteHeard(jobs::ReportWriter& report, core::RunSummary& summary, int n) {
  core::TransitionRow heard;
  heard.run_id = "run-1";
  for (int i = 0; i < n; ++i) {
    report.Transition(heard);
    jobs::CountTransition(summary, heard);
  }
}

}  // namespace

BOOST_AUTO_TEST_SUITE(run_report)

BOOST_AUTO_TEST_CASE(transitions_the_run_missed_are_written_again_from_the_audit_trail) {
  TestDatabase tdb;
  auto conn = tdb.Connect();
  ApplyTransitions(*conn, "run-1", {"t1", "t2", "t3"});
  jobs::Database db(tdb.conninfo());
  testing::TempDir dir;

  // The run heard of two of its three transitions (and wrote them): the file is written again, all three.
  {
    jobs::ReportWriter report(dir.path(), "missed", core::ReportCompression::kNone);
    core::RunSummary summary;
    WriteHeard(report, summary, 2);
    jobs::WriteRunRows(db, "run-1", report, summary, jobs::RunRows::kAllButTransitions);
    BOOST_TEST(report.transitions() == 3);
    BOOST_TEST(summary.transitions == 3);
    // Counted from the events (150,000 paise each), not from the rows the run wrote (0 each).
    BOOST_TEST(summary.transition_amounts.at({core::Status::kCapturePending, core::Status::kCaptureApproved}) ==
               450000);
  }
  // It heard of all three: what it wrote stays (here, three rows of its own), and nothing is read back.
  {
    jobs::ReportWriter report(dir.path(), "complete", core::ReportCompression::kNone);
    core::RunSummary summary;
    WriteHeard(report, summary, 3);
    jobs::WriteRunRows(db, "run-1", report, summary, jobs::RunRows::kAllButTransitions);
    BOOST_TEST(report.transitions() == 3);
    BOOST_TEST(summary.transitions == 3);
    // The run's own rows (0 paise each), not the events read back.
    BOOST_TEST(summary.transition_amounts.at({core::Status::kCapturePending, core::Status::kCaptureApproved}) == 0);
  }
}

BOOST_AUTO_TEST_SUITE_END()
