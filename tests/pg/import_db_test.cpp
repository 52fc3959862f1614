#include <boost/test/unit_test.hpp>

#include <stdexcept>

#include "core/import_csv.h"
#include "db/import.h"
#include "db/pg_store.h"
#include "tests/pg/pg_fixtures.h"
#include "tests/pg/test_database.h"

using namespace payrecon;
using payrecon::testing::At;
using payrecon::testing::Scalar;
using payrecon::testing::TestDatabase;

namespace {

core::Instant Now() { return std::chrono::time_point_cast<core::Millis>(std::chrono::system_clock::now()); }

std::vector<core::ImportRow> Rows(const std::string& csv) {
  auto parsed = core::ImportCsvParse(csv, Now());
  for (const auto& p : parsed.problems) BOOST_TEST_MESSAGE(p.ToString());
  BOOST_REQUIRE(parsed.problems.empty());
  return parsed.rows;
}

const std::string kGood = std::string(core::kImportCsvHeader) +
                          "\n"
                          "charge,M1,c1,,,1500.00,INR,CapturePending,2026-01-01T00:00:00Z\n"
                          "charge,M1,c2,S04-2,,0.05,INR,CaptureApproved,2026-01-01T05:30:00.250+05:30\n"
                          "refund,M1,r1,,c1,100,INR,Pending,2026-01-01T00:01:00Z\n"
                          "topup,M2,\"t\\1\",,,7,INR,Failed,2026-01-01T00:02:00Z\n";

}  // namespace

BOOST_AUTO_TEST_SUITE(import_db)

BOOST_AUTO_TEST_CASE(imports_rows_as_given_and_due_at_created_at) {
  TestDatabase tdb;
  auto conn = tdb.Connect();
  const auto result = db::TransactionsImport(*conn, Rows(kGood), At(3600));
  BOOST_TEST(result.inserted == 4);
  BOOST_TEST(result.skipped == 0);
  db::PgStore store(*conn);
  const auto c2 = store.TransactionFind("M1", core::Kind::kCharge, "c2");
  BOOST_REQUIRE(c2.has_value());
  BOOST_TEST(c2->amazon_txn_id == "S04-2");
  BOOST_TEST(c2->amount == 5);
  BOOST_TEST((c2->status == core::Status::kCaptureApproved));
  BOOST_TEST((c2->created_at == At(0) + core::Millis{250}));
  BOOST_TEST((c2->next_check_at == c2->created_at));
  BOOST_TEST((c2->updated_at == At(3600)));
  const auto r1 = store.TransactionFind("M1", core::Kind::kRefund, "r1");
  BOOST_REQUIRE(r1.has_value());
  BOOST_TEST(r1->parent_merchant_txn_id == "c1");
  BOOST_TEST(Scalar(*conn, "SELECT parent_merchant_txn_id IS NULL AND amazon_txn_id IS NULL FROM "
                           "payrecon.transactions WHERE merchant_txn_id = 'c1'") == "t");
  BOOST_TEST(store.TransactionFind("M2", core::Kind::kTopup, "t\\1").has_value());
  // Due at created_at: the pending ones are claimable at once.
  const auto due = store.TransactionsListDue({"dry", At(60), core::Millis{0}, 100});
  BOOST_TEST(due.size() == 2u);
}

BOOST_AUTO_TEST_CASE(a_second_import_skips_what_is_present_and_changes_nothing) {
  TestDatabase tdb;
  auto conn = tdb.Connect();
  db::TransactionsImport(*conn, Rows(kGood), At(0));
  // A row that moved on since must stay as it is.
  conn->Execute("UPDATE payrecon.transactions SET status = 'CaptureApproved' WHERE merchant_txn_id = 'c1'");
  const std::string before = testing::SchemaDigest(*conn);
  const auto again = db::TransactionsImport(*conn, Rows(kGood), At(100));
  BOOST_TEST(again.inserted == 0);
  BOOST_TEST(again.skipped == 4);
  BOOST_TEST(testing::SchemaDigest(*conn) == before);
  const auto more = db::TransactionsImport(
      *conn, Rows(std::string(core::kImportCsvHeader) + "\ncharge,M1,c1,,,1.00,INR,Failed,2026-01-01T00:00:00Z\n"
                                                        "charge,M1,c3,,,1.00,INR,Failed,2026-01-01T00:00:00Z\n"),
      At(200));
  BOOST_TEST(more.inserted == 1);
  BOOST_TEST(more.skipped == 1);
  BOOST_TEST(Scalar(*conn, "SELECT status FROM payrecon.transactions WHERE merchant_txn_id = 'c1'") ==
             "CaptureApproved");
}

BOOST_AUTO_TEST_CASE(an_import_leaves_the_table_analysed_and_keeps_file_order_and_ids_on_the_fast_path) {
  TestDatabase tdb;
  auto conn = tdb.Connect();
  conn->Execute("ALTER TABLE payrecon.transactions SET (autovacuum_enabled = false)");
  BOOST_TEST(Scalar(*conn, "SELECT reltuples::bigint FROM pg_class WHERE oid = 'payrecon.transactions'::regclass") ==
             "-1");
  // A later line first: ids follow the file, whichever INSERT form ran.
  const auto r = db::TransactionsImport(*conn, Rows(kGood), At(0));
  BOOST_TEST(r.inserted == 4);
  BOOST_TEST(Scalar(*conn, "SELECT reltuples::bigint FROM pg_class WHERE oid = 'payrecon.transactions'::regclass") ==
             "4");
  BOOST_TEST(Scalar(*conn, "SELECT last_analyze IS NOT NULL FROM pg_stat_user_tables"
                           " WHERE relid = 'payrecon.transactions'::regclass") == "t");
  BOOST_TEST(Scalar(*conn, "SELECT string_agg(merchant_txn_id, ',' ORDER BY id) FROM payrecon.transactions") ==
             "c1,c2,r1,t\\1");
  // The same connection imports again: a mix of present and new rows fails the COPY into the table, goes through
  // the temporary table and the ON CONFLICT form, and still counts both.
  const auto mixed = db::TransactionsImport(
      *conn, Rows(std::string(core::kImportCsvHeader) + "\ncharge,M1,c9,,,1.00,INR,Failed,2026-01-01T00:00:00Z\n"
                                                        "charge,M1,c2,,,1.00,INR,Failed,2026-01-01T00:00:00Z\n"),
      At(10));
  BOOST_TEST(mixed.inserted == 1);
  BOOST_TEST(mixed.skipped == 1);
  BOOST_TEST(Scalar(*conn, "SELECT count(*) FROM payrecon.transactions") == "5");
}

BOOST_AUTO_TEST_CASE(an_import_is_all_or_nothing) {
  TestDatabase tdb;
  auto conn = tdb.Connect();
  auto rows = Rows(kGood);
  // A row the validator would reject, built by hand: the database refuses it and nothing stays.
  core::ImportRow bad = rows[0];
  bad.merchant_txn_id = "bad";
  bad.currency = "inr";
  rows.push_back(bad);
  BOOST_CHECK_THROW(db::TransactionsImport(*conn, rows, At(0)), db::QueryError);
  BOOST_TEST(Scalar(*conn, "SELECT count(*) FROM payrecon.transactions") == "0");
  BOOST_TEST(!conn->Broken());
  for (const db::ImportMode mode : {db::ImportMode::kNewOnly, db::ImportMode::kSkipPresent}) {
    {
      // Abandoned half-way (the file turned out bad): rolled back.
      db::TransactionsImporter importer(*conn, mode, At(0));
      for (const auto& row : Rows(kGood)) importer.Add(row);
    }
    BOOST_TEST(Scalar(*conn, "SELECT count(*) FROM payrecon.transactions") == "0");
    {
      db::TransactionsImporter importer(*conn, mode, At(0));
      for (const auto& row : Rows(kGood)) importer.Add(row);
      importer.Abort();
    }
    BOOST_TEST(Scalar(*conn, "SELECT count(*) FROM payrecon.transactions") == "0");
  }
  // The connection is fine afterwards.
  BOOST_TEST(db::TransactionsImport(*conn, Rows(kGood), At(0)).inserted == 4);
}

BOOST_AUTO_TEST_CASE(a_hostile_file_imports_nothing) {
  TestDatabase tdb;
  auto conn = tdb.Connect();
  const std::string hostile = kGood + "charge,M1,c9,,,1e3,INR,CapturePending,2026-01-01T00:00:00Z\n";
  db::TransactionsImporter importer(*conn, db::ImportMode::kNewOnly, Now());
  core::ImportCsvParser parser([&](const core::ImportRow& row) { importer.Add(row); }, Now());
  parser.Feed(hostile);
  parser.Finish();
  BOOST_REQUIRE(parser.problems().size() == 1u);
  BOOST_TEST(parser.problems()[0].ToString() == "line 6: invalid amount \"1e3\": exponents are not allowed");
  importer.Abort();
  BOOST_TEST(Scalar(*conn, "SELECT count(*) FROM payrecon.transactions") == "0");
}

BOOST_AUTO_TEST_CASE(new_rows_are_copied_into_the_table_once_and_a_present_key_feeds_them_again_skipping) {
  TestDatabase tdb;
  auto conn = tdb.Connect();
  const auto rows = Rows(kGood);
  int feeds = 0;
  auto feed = [&](db::TransactionsImporter& importer) {
    ++feeds;
    for (const auto& row : rows) importer.Add(row);
  };
  // Only new rows: one pass.
  auto r = db::ImportTransactions(*conn, At(0), true, feed);
  BOOST_TEST(r.inserted == 4);
  BOOST_TEST(feeds == 1);

  // The table's way refuses a present key as a whole, with a unique violation, and leaves nothing behind.
  const std::string before = testing::SchemaDigest(*conn);
  try {
    db::TransactionsImporter importer(*conn, db::ImportMode::kNewOnly, At(5));
    for (const auto& row : Rows(std::string(core::kImportCsvHeader) +
                                "\ncharge,M1,new1,,,1.00,INR,Failed,2026-01-01T00:00:00Z\n"
                                "charge,M1,c2,,,1.00,INR,Failed,2026-01-01T00:00:00Z\n")) {
      importer.Add(row);
    }
    importer.Commit();
    BOOST_FAIL("a present key was copied into the table");
  } catch (const db::QueryError& e) {
    BOOST_TEST(e.sqlstate() == "23505");
  }
  BOOST_TEST(testing::SchemaDigest(*conn) == before);
  BOOST_TEST(!conn->Broken());

  // Through ImportTransactions the same rows are fed again and the present one is skipped.
  feeds = 0;
  auto mixed = Rows(std::string(core::kImportCsvHeader) + "\ncharge,M1,new1,,,1.00,INR,Failed,2026-01-01T00:00:00Z\n"
                                                          "charge,M1,c2,,,1.00,INR,Failed,2026-01-01T00:00:00Z\n");
  r = db::ImportTransactions(*conn, At(5), true, [&](db::TransactionsImporter& importer) {
    ++feeds;
    for (const auto& row : mixed) importer.Add(row);
  });
  BOOST_TEST(feeds == 2);
  BOOST_TEST(r.inserted == 1);
  BOOST_TEST(r.skipped == 1);
  BOOST_TEST(Scalar(*conn, "SELECT count(*) FROM payrecon.transactions") == "5");

  // A feed that cannot come twice (a pipe) goes the skipping way at once.
  feeds = 0;
  r = db::ImportTransactions(*conn, At(6), false, feed);
  BOOST_TEST(feeds == 1);
  BOOST_TEST(r.inserted == 0);
  BOOST_TEST(r.skipped == 4);

  // An error from the feed rolls back and propagates, in either way.
  for (const bool replayable : {true, false}) {
    BOOST_CHECK_THROW(db::ImportTransactions(*conn, At(7), replayable,
                                             [&](db::TransactionsImporter& importer) {
                                               importer.Add(Rows(std::string(core::kImportCsvHeader) +
                                                                 "\ncharge,M9,x1,,,1.00,INR,Failed,"
                                                                 "2026-01-01T00:00:00Z\n")[0]);
                                               throw std::runtime_error("bad file");
                                             }),
                      std::runtime_error);
  }
  BOOST_TEST(Scalar(*conn, "SELECT count(*) FROM payrecon.transactions") == "5");
}

BOOST_AUTO_TEST_CASE(copied_times_do_not_depend_on_the_sessions_date_style_or_time_zone) {
  TestDatabase tdb;
  auto conn = tdb.Connect();
  conn->Execute("SET DateStyle = 'SQL, DMY'");
  conn->Execute("SET TimeZone = 'Asia/Kolkata'");
  const auto r = db::TransactionsImport(*conn, Rows(kGood), At(3600) + core::Millis{7});
  BOOST_TEST(r.inserted == 4);
  db::PgStore store(*conn);
  const auto c2 = store.TransactionFind("M1", core::Kind::kCharge, "c2");
  BOOST_REQUIRE(c2.has_value());
  BOOST_TEST((c2->created_at == At(0) + core::Millis{250}));
  BOOST_TEST((c2->next_check_at == c2->created_at));
  BOOST_TEST((c2->updated_at == At(3600) + core::Millis{7}));
  BOOST_TEST(Scalar(*conn, "SELECT count(*) FROM payrecon.transactions WHERE updated_at = created_at") == "0");
  // A day that is not its month's number: read as day/month it would be 2 March.
  BOOST_TEST(db::TransactionsImport(*conn,
                                    Rows(std::string(core::kImportCsvHeader) +
                                         "\ncharge,M1,feb3,,,1.00,INR,Failed,2026-02-03T04:05:06.250Z\n"),
                                    At(3600))
                 .inserted == 1);
  BOOST_TEST(Scalar(*conn, "SELECT to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.MS')"
                           " FROM payrecon.transactions WHERE merchant_txn_id = 'feb3'") == "2026-02-03 04:05:06.250");
}

BOOST_AUTO_TEST_CASE(after_a_failed_copy_the_rows_go_in_with_the_insert_that_skips_present_keys_at_once) {
  TestDatabase tdb;
  auto conn = tdb.Connect();
  BOOST_TEST(db::TransactionsImport(*conn, Rows(kGood), At(0)).inserted == 4);
  // Counts the COPY and INSERT statements that reach the table, rolled back or not (a sequence never goes back).
  conn->Execute("CREATE SEQUENCE public.insert_statements");
  conn->Execute("CREATE FUNCTION public.count_insert() RETURNS trigger LANGUAGE plpgsql AS"
                " $$ BEGIN PERFORM nextval('public.insert_statements'); RETURN NULL; END $$");
  conn->Execute("CREATE TRIGGER count_insert BEFORE INSERT ON payrecon.transactions"
                " FOR EACH STATEMENT EXECUTE FUNCTION public.count_insert()");
  auto feed_of = [](std::vector<core::ImportRow> rows) {
    return [rows = std::move(rows)](db::TransactionsImporter& importer) {
      for (const auto& row : rows) importer.Add(row);
    };
  };
  const std::string present = "charge,M1,c2,,,1.00,INR,Failed,2026-01-01T00:00:00Z\n";

  // The COPY into the table fails on c2; then one insert, the one that skips present keys.
  auto r = db::ImportTransactions(
      *conn, At(5), true,
      feed_of(Rows(std::string(core::kImportCsvHeader) + "\ncharge,M1,n1,,,1.00,INR,Failed,2026-01-01T00:00:00Z\n" +
                   present)));
  BOOST_TEST(r.inserted == 1);
  BOOST_TEST(r.skipped == 1);
  BOOST_TEST(Scalar(*conn, "SELECT last_value FROM public.insert_statements") == "2");

  // A feed that comes once knows nothing yet: the plain insert first (it fails on c2), then the skipping one.
  r = db::ImportTransactions(
      *conn, At(6), false,
      feed_of(Rows(std::string(core::kImportCsvHeader) + "\ncharge,M1,n2,,,1.00,INR,Failed,2026-01-01T00:00:00Z\n" +
                   present)));
  BOOST_TEST(r.inserted == 1);
  BOOST_TEST(r.skipped == 1);
  BOOST_TEST(Scalar(*conn, "SELECT last_value FROM public.insert_statements") == "4");
  BOOST_TEST(Scalar(*conn, "SELECT count(*) FROM payrecon.transactions") == "6");
}

BOOST_AUTO_TEST_SUITE_END()
