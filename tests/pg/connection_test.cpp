#include <unistd.h>

#include <boost/test/unit_test.hpp>
#include <cstdio>
#include <optional>
#include <vector>

#include "db/connection.h"
#include "db/result.h"
#include "tests/pg/pg_fixtures.h"
#include "tests/pg/test_database.h"

using namespace payrecon;
using payrecon::testing::Scalar;
using payrecon::testing::TestDatabase;

namespace {

// Runs a pinned insert into table t that must fail and returns its error, once it has checked that the failure left
// the connection usable and idle and t empty.
db::QueryError FailedPinnedInsert(db::Connection& conn, const char* sql, const std::vector<const char*>& params) {
  std::optional<db::QueryError> error;
  try {
    db::internal::ExecPinned(conn, "insert", sql, params);
  } catch (const db::QueryError& e) {
    error = e;
  }
  BOOST_REQUIRE_MESSAGE(error.has_value(), "the insert passed: " << sql);
  BOOST_TEST(!conn.Broken());
  BOOST_TEST(PQtransactionStatus(conn.native()) == PQTRANS_IDLE);
  BOOST_TEST(Scalar(conn, "SELECT count(*) FROM t") == "0");
  return *error;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(connection)

BOOST_AUTO_TEST_CASE(refused_connection_names_the_server_but_never_the_password) {
  // Port 1 on loopback refuses at once.
  try {
    db::Connection conn("postgresql://payrecon:s3cretPW@127.0.0.1:1/ledger");
    BOOST_FAIL("connected to port 1");
  } catch (const db::ConnectionLost& e) {
    const std::string message = e.what();
    BOOST_TEST(message.rfind("cannot connect to database \"payrecon@127.0.0.1:1/ledger\": ", 0) == 0u, message);
    BOOST_TEST(message.find("s3cretPW") == std::string::npos);
    BOOST_TEST(message.find('\n') == std::string::npos);
  }
  try {
    db::Connection conn("host=127.0.0.1 port=1 user=u password=s3cretPW dbname=d");
    BOOST_FAIL("connected to port 1");
  } catch (const core::StoreUnavailable& e) {
    BOOST_TEST(std::string(e.what()).find("s3cretPW") == std::string::npos);
  }
}

BOOST_AUTO_TEST_CASE(a_malformed_connection_string_is_not_echoed) {
  try {
    db::Connection conn("host=127.0.0.1 password='s3cretPW");
    BOOST_FAIL("a malformed string was accepted");
  } catch (const db::ConnectionLost& e) {
    const std::string message = e.what();
    BOOST_TEST(message.rfind("invalid database connection string: ", 0) == 0u, message);
    BOOST_TEST(message.find("s3cretPW") == std::string::npos, message);
  }
}

BOOST_AUTO_TEST_CASE(describes_itself_without_secrets) {
  TestDatabase tdb(/*migrate=*/false);
  auto conn = tdb.Connect();
  BOOST_TEST(conn->Describe().find("/" + tdb.name()) != std::string::npos, conn->Describe());
  BOOST_TEST(!conn->Broken());
  BOOST_TEST(Scalar(*conn, "SELECT current_setting('application_name')") == "payrecon");
}

BOOST_AUTO_TEST_CASE(a_failed_statement_carries_its_sqlstate) {
  TestDatabase tdb(/*migrate=*/false);
  auto conn = tdb.Connect();
  try {
    conn->Query("SELECT 1 / $1::integer", {"0"});
    BOOST_FAIL("division by zero passed");
  } catch (const db::QueryError& e) {
    BOOST_TEST(e.sqlstate() == "22012");
    BOOST_TEST(std::string(e.what()) == "database query failed: division by zero");
  }
  BOOST_TEST(!conn->Broken());
  const auto rows = conn->Query("SELECT NULL::text, 'a''b', $1::text", {std::nullopt});
  BOOST_REQUIRE(rows.size() == 1u);
  BOOST_TEST(!rows[0][0].has_value());
  BOOST_TEST(rows[0][1].value() == "a'b");
  BOOST_TEST(!rows[0][2].has_value());
}

BOOST_AUTO_TEST_CASE(a_lost_connection_is_reported_and_can_be_reopened) {
  TestDatabase tdb(/*migrate=*/false);
  auto conn = tdb.Connect();
  auto killer = tdb.Connect();
  const std::string pid = Scalar(*conn, "SELECT pg_backend_pid()");
  killer->Query("SELECT pg_terminate_backend($1::integer)", {pid});
  try {
    conn->Query("SELECT 1");
    BOOST_FAIL("a terminated connection answered");
  } catch (const db::ConnectionLost& e) {
    BOOST_TEST(std::string(e.what()).rfind("database connection \"" + conn->Describe() + "\" lost during query", 0) ==
                   0u,
               e.what());
  }
  BOOST_TEST(conn->Broken());
  conn->Reconnect();
  BOOST_TEST(!conn->Broken());
  BOOST_TEST(Scalar(*conn, "SELECT 41 + 1") == "42");
}

// A pinned statement's rows come back, its pins hold only inside it, and what it wrote is committed.
BOOST_AUTO_TEST_CASE(a_pinned_statement_runs_with_its_pins_and_commits) {
  TestDatabase tdb(/*migrate=*/false);
  auto conn = tdb.Connect();
  conn->Execute("CREATE TABLE t (v integer)");
  auto r = db::internal::ExecPinned(*conn, "insert", "INSERT INTO t SELECT g FROM generate_series(1, $1::integer) g"
                                    " RETURNING v, current_setting('enable_seqscan'), current_setting('jit')", {"3"});
  BOOST_REQUIRE(PQntuples(r.get()) == 3);
  BOOST_TEST(db::internal::Text(r.get(), 2, 0) == "3");
  BOOST_TEST(db::internal::Text(r.get(), 0, 1) == "off");
  BOOST_TEST(db::internal::Text(r.get(), 0, 2) == "off");
  BOOST_TEST(PQtransactionStatus(conn->native()) == PQTRANS_IDLE);
  BOOST_TEST(Scalar(*conn, "SELECT current_setting('enable_seqscan')") == "on");
  auto other = tdb.Connect();  // committed: another session sees the rows
  BOOST_TEST(Scalar(*other, "SELECT count(*) FROM t") == "3");
}

// A pinned statement that fails throws its error, writes nothing, and leaves the connection idle and usable.
BOOST_AUTO_TEST_CASE(a_failed_pinned_statement_rolls_back_and_leaves_the_connection_usable) {
  TestDatabase tdb(/*migrate=*/false);
  auto conn = tdb.Connect();
  conn->Execute("CREATE TABLE t (v integer CHECK (v < 3))");
  const auto e = FailedPinnedInsert(*conn, "INSERT INTO t SELECT g FROM generate_series(1, $1::integer) g", {"5"});
  BOOST_TEST(e.sqlstate() == "23514");
  BOOST_TEST(std::string(e.what()).rfind("database insert failed: new row for relation \"t\" violates", 0) == 0u,
             e.what());
  auto r = db::internal::ExecPinned(*conn, "insert", "INSERT INTO t VALUES ($1::integer) RETURNING v", {"1"});
  BOOST_TEST(db::internal::Text(r.get(), 0, 0) == "1");
  BOOST_TEST(Scalar(*conn, "SELECT count(*) FROM t") == "1");
}

// A statement that succeeds but whose COMMIT fails (a deferred constraint checked at commit) throws the commit's
// error and writes nothing; the connection stays idle and usable.
BOOST_AUTO_TEST_CASE(a_pinned_statement_whose_commit_fails_throws_and_writes_nothing) {
  TestDatabase tdb(/*migrate=*/false);
  auto conn = tdb.Connect();
  conn->Execute("CREATE TABLE t (v integer UNIQUE DEFERRABLE INITIALLY DEFERRED)");
  BOOST_TEST(FailedPinnedInsert(*conn, "INSERT INTO t VALUES (1), (1) RETURNING v", {}).sqlstate() == "23505");
}

// A connection terminated under a pinned statement is reported as lost (the store then reconnects).
BOOST_AUTO_TEST_CASE(a_pinned_statement_on_a_lost_connection_reports_it_lost) {
  TestDatabase tdb(/*migrate=*/false);
  auto conn = tdb.Connect();
  auto killer = tdb.Connect();
  killer->Query("SELECT pg_terminate_backend($1::integer)", {Scalar(*conn, "SELECT pg_backend_pid()")});
  try {
    db::internal::ExecPinned(*conn, "claim", "SELECT 1", {});
    BOOST_FAIL("a terminated connection answered");
  } catch (const db::ConnectionLost& e) {
    BOOST_TEST(std::string(e.what()).find("lost during claim") != std::string::npos, e.what());
  }
  BOOST_TEST(conn->Broken());
  conn->Reconnect();
  BOOST_TEST(db::internal::Text(db::internal::ExecPinned(*conn, "claim", "SELECT 7", {}).get(), 0, 0) == "7");
}

BOOST_AUTO_TEST_CASE(notices_do_not_reach_stderr_and_do_not_fail) {
  TestDatabase tdb(/*migrate=*/false);
  auto conn = tdb.Connect();
  // IF NOT EXISTS on an existing schema raises a NOTICE; libpq's default would print it on stderr.
  std::fflush(stderr);
  const int saved = ::dup(2);
  std::FILE* capture = std::tmpfile();
  BOOST_REQUIRE(saved >= 0 && capture != nullptr);
  ::dup2(::fileno(capture), 2);
  conn->Execute("CREATE SCHEMA IF NOT EXISTS public");
  conn->Execute("DO $$ BEGIN RAISE NOTICE 'loud notice'; END $$");
  std::fflush(stderr);
  ::dup2(saved, 2);
  ::close(saved);
  std::fseek(capture, 0, SEEK_END);
  const long written = std::ftell(capture);
  std::fclose(capture);
  BOOST_TEST(written == 0L);
  BOOST_TEST(!conn->Broken());
}

BOOST_AUTO_TEST_SUITE_END()
