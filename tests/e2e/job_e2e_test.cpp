// The job end to end: the real `payrecon` binary against a fresh database and the real payrecon-sandbox
// (issue 4's acceptance list). Waiting is bounded polling on database or file-system state, never a fixed sleep.
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/test/unit_test.hpp>
#include <filesystem>
#include <fstream>
#include <set>
#include <thread>

#include "core/json.h"
#include "core/time.h"
#include "db/migrate.h"
#include "tests/e2e/job_fixture.h"
#include "tests/support/gzip_reader.h"

using namespace payrecon;
using namespace payrecon::testing;
namespace fs = std::filesystem;

namespace {

std::map<std::string, std::string> StatusById(JobFixture& f) {
  std::map<std::string, std::string> m;
  for (const auto& r : f.Query("SELECT merchant_txn_id, status FROM payrecon.transactions")) m[*r[0]] = *r[1];
  return m;
}

// merchant_txn_id -> sorted list of discrepancy codes.
std::map<std::string, std::string> DiscrepanciesById(JobFixture& f) {
  std::map<std::string, std::string> m;
  for (const auto& r : f.Query("SELECT t.merchant_txn_id, string_agg(d.code, ',' ORDER BY d.code) "
                               "FROM payrecon.discrepancies d JOIN payrecon.transactions t ON t.id = d.transaction_id "
                               "GROUP BY 1")) {
    m[*r[0]] = *r[1];
  }
  return m;
}

int SandboxChecks(JobFixture& f, const std::string& merchant, const std::string& id) {
  auto r = f.sandbox->Get("/sandbox/stats/checks?merchant_id=" + merchant + "&merchant_txn_id=" + id);
  if (r.status == 404) return 0;
  BOOST_REQUIRE_MESSAGE(r.status == 200, r.body);
  auto j = core::ParseJson(r.body);
  return std::stoi(j->Find("checks")->text());
}

core::JsonValue SandboxStats(JobFixture& f) {
  auto r = f.sandbox->Get("/sandbox/stats");
  BOOST_REQUIRE(r.status == 200);
  return *core::ParseJson(r.body);
}

std::int64_t Count(JobFixture& f, const std::string& sql) { return std::stoll(f.Scalar(sql)); }

// The schema version this payrecon embeds, and "[1,2,...,latest]".
int Latest() { return db::EmbeddedMigrations().back().version; }
std::string AllVersions() {
  std::string s = "[";
  for (const auto& m : db::EmbeddedMigrations()) s += (s.size() > 1 ? "," : "") + std::to_string(m.version);
  return s + "]";
}

// `n` charges c0..c{n-1}: even ones approved at the gateway, odd ones still pending there.
std::vector<TxnSpec> ManyCharges(int n, const std::string& prefix = "c") {
  std::vector<TxnSpec> v;
  v.reserve(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) {
    TxnSpec t;
    t.id = prefix + std::to_string(i);
    t.settle_after_ms = i % 2 == 0 ? "0" : "3600000";
    t.settle_to = "CaptureApproved";
    v.push_back(t);
  }
  return v;
}

void CheckReportFolder(const std::string& dir) {
  for (const char* name :
       {"transitions.csv.gz", "discrepancies.csv.gz", "errors.csv.gz", "pending.csv.gz", "summary.json",
        "summary.html"}) {
    BOOST_TEST_CONTEXT(dir << "/" << name) { BOOST_TEST(fs::exists(dir + "/" + name)); }
  }
}

}  // namespace

BOOST_AUTO_TEST_SUITE(job)

// Acceptance 1.
BOOST_AUTO_TEST_CASE(migrate_twice_is_a_noop_and_an_old_schema_exits_3) {
  JobFixture f(JobSetup{});
  // The fixture's database is migrated already: migrate is a no-op.
  const std::string before = f.SchemaDigest();
  ProcessResult r = f.Run({"migrate"});
  BOOST_TEST(r.exit_code == 0);
  const std::string v = std::to_string(Latest());
  BOOST_TEST(r.out == "{\"from_version\":" + v + ",\"to_version\":" + v + ",\"applied\":[]}\n");
  BOOST_TEST(f.SchemaDigest() == before);

  // A fresh database: migrate applies everything once, then nothing.
  TestDatabase fresh(false);
  const std::string cfg = f.dir.Write("fresh.yaml", ReadFile(f.config_path));
  {
    std::string text = ReadFile(cfg);
    text.replace(text.find(f.database.conninfo()), f.database.conninfo().size(), fresh.conninfo());
    f.dir.Write("fresh.yaml", text);
  }
  r = f.Run({"run", "--config", cfg});
  BOOST_TEST(r.exit_code == 3);
  BOOST_TEST(r.out.empty());
  BOOST_TEST(r.err.find("database schema is at version 0 but this payrecon needs version " + v +
                        ": run `payrecon migrate`") != std::string::npos);
  r = f.Run({"migrate", "--config", cfg});
  BOOST_TEST(r.exit_code == 0);
  BOOST_TEST(r.out == "{\"from_version\":0,\"to_version\":" + v + ",\"applied\":" + AllVersions() + "}\n");
  r = f.Run({"migrate", "--config", cfg});
  BOOST_TEST(r.out == "{\"from_version\":" + v + ",\"to_version\":" + v + ",\"applied\":[]}\n");

  // A schema one migration behind (as left by an older payrecon): every command but migrate refuses, exit 3.
  f.conn->Execute("DELETE FROM payrecon.schema_migrations WHERE version = " + v);
  for (std::vector<std::string> args : {std::vector<std::string>{"run"}, {"run", "--dry-run"},
                                        {"backfill", "--from", "2026-01-01", "--to", "2026-01-02"}}) {
    r = f.Run(args);
    BOOST_TEST_CONTEXT(args[0]) {
      BOOST_TEST(r.exit_code == 3);
      BOOST_TEST(r.err.find("database schema is at version " + std::to_string(Latest() - 1) +
                            " but this payrecon needs version " + v) != std::string::npos);
    }
  }
  BOOST_TEST((!fs::exists(f.reports_dir) || fs::is_empty(f.reports_dir)));
}

BOOST_AUTO_TEST_CASE(database_down_at_start_exits_3_with_a_clear_message) {
  JobFixture f(JobSetup{});
  std::string text = ReadFile(f.config_path);
  text.replace(text.find(f.database.conninfo()), f.database.conninfo().size(),
               "postgresql://payrecon@127.0.0.1:1/nowhere?connect_timeout=2");
  const std::string cfg = f.dir.Write("down.yaml", text);
  const ProcessResult r = f.Run({"run", "--config", cfg});
  BOOST_TEST(r.exit_code == 3);
  BOOST_TEST(r.err.find("cannot connect to database") != std::string::npos);
}

// Acceptance 2.
BOOST_AUTO_TEST_CASE(hostile_csv_is_rejected_with_line_numbers_and_imports_nothing) {
  JobFixture f(JobSetup{});
  const std::string hostile =
      "kind,merchant_id,merchant_txn_id,amazon_txn_id,parent_merchant_txn_id,amount,currency,status,created_at\n"
      "charge,MID1,ok-1,,,15.00,INR,CapturePending,2026-01-01T00:00:00Z\n"
      "payment,MID1,bad-2,,,15.00,INR,CapturePending,2026-01-01T00:00:00Z\n"
      "charge,MID1,bad-3,,,15.001,INR,CapturePending,2026-01-01T00:00:00Z\n"
      "charge,MID1,bad-4,,,-1.00,INR,CapturePending,2026-01-01T00:00:00Z\n"
      "charge,MID1,bad-5,,,15.00,INR,CapturePending,2026-01-01 00:00:00\n"
      "charge,MID1,ok-1,,,15.00,INR,CapturePending,2026-01-01T00:00:00Z\n"
      "charge,MID1,ok-7,,,15.00,INR,CapturePending,2026-01-01T00:00:00Z\n";
  const std::string path = f.dir.Write("hostile.csv", hostile);
  const ProcessResult r = f.Run({"import", path});
  BOOST_TEST(r.exit_code == 2);
  BOOST_TEST(r.out.empty());
  for (const char* line : {"line 3:", "line 4:", "line 5:", "line 6:", "line 7:"}) {
    BOOST_TEST_CONTEXT(line) { BOOST_TEST(r.err.find(line) != std::string::npos); }
  }
  BOOST_TEST(r.err.find("line 2:") == std::string::npos);
  BOOST_TEST(r.err.find("line 8:") == std::string::npos);
  BOOST_TEST(r.err.find("5 bad line(s); nothing imported") != std::string::npos);
  BOOST_TEST(Count(f, "SELECT count(*) FROM payrecon.transactions") == 0);

  // A good file twice: the second import changes nothing.
  const std::string good = f.dir.Write("good.csv", ImportCsv(ManyCharges(50)));
  ProcessResult first = f.Run({"import", good});
  BOOST_TEST(first.exit_code == 0);
  BOOST_TEST(first.out == "{\"inserted\":50,\"skipped\":0}\n");
  // (INSERT ... ON CONFLICT DO NOTHING draws identity values for the skipped rows: rows compare, positions not.)
  const std::string digest = f.SchemaDigest(false);
  ProcessResult second = f.Run({"import", good});
  BOOST_TEST(second.exit_code == 0);
  BOOST_TEST(second.out == "{\"inserted\":0,\"skipped\":50}\n");
  BOOST_TEST(f.SchemaDigest(false) == digest);

  // Some rows present, some new: the file is read a second time and the present ones are skipped.
  std::vector<TxnSpec> mixed = ManyCharges(50);
  for (const TxnSpec& t : ManyCharges(5, "n")) mixed.push_back(t);
  const std::string mixed_path = f.dir.Write("mixed.csv", ImportCsv(mixed));
  ProcessResult third = f.Run({"import", mixed_path});
  BOOST_TEST(third.exit_code == 0);
  BOOST_TEST(third.out == "{\"inserted\":5,\"skipped\":50}\n");
  BOOST_TEST(Count(f, "SELECT count(*) FROM payrecon.transactions") == 55);

  // A pipe cannot be read twice: it goes the skipping way at once.
  std::vector<TxnSpec> piped = mixed;
  for (const TxnSpec& t : ManyCharges(3, "p")) piped.push_back(t);
  const std::string fifo = f.dir.path() + "/piped.csv";
  BOOST_REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  ProcessResult from_pipe;
  {
    std::thread writer([&] {
      // Blocks until a reader opens the pipe: payrecon, or the guard below when payrecon never did.
      std::ofstream(fifo, std::ios::binary) << ImportCsv(piped);
    });
    // However this block ends (a failed check throws, and a thread destroyed unjoined would end the whole test
    // program): a reader for the writer in case payrecon never opened the pipe (non-blocking: there may be no
    // writer left), kept open until the writer is done so that its write never meets a pipe without readers.
    struct JoinWriter {
      std::thread& writer;
      const std::string& fifo;
      ~JoinWriter() {
        const int unblock = ::open(fifo.c_str(), O_RDONLY | O_NONBLOCK);
        writer.join();
        if (unblock >= 0) ::close(unblock);
      }
    } join_writer{writer, fifo};
    from_pipe = f.Run({"import", fifo});
  }
  BOOST_TEST(from_pipe.exit_code == 0);
  BOOST_TEST(from_pipe.out == "{\"inserted\":3,\"skipped\":55}\n");
  BOOST_TEST(Count(f, "SELECT count(*) FROM payrecon.transactions") == 58);

  const ProcessResult missing = f.Run({"import", f.dir.path() + "/nope.csv"});
  BOOST_TEST(missing.exit_code == 2);
  BOOST_TEST(missing.err.find("cannot read import file") != std::string::npos);
}

// Acceptance 3: every decision, end to end; `worker` is added to the configuration's worker section.
void EveryDecisionEndToEnd(const std::string& worker) {
  auto t = [](std::string id) {
    TxnSpec s;
    s.id = std::move(id);
    return s;
  };
  std::vector<TxnSpec> txns;
  auto settle = [&](std::string id, std::string to) {
    TxnSpec s = t(std::move(id));
    s.settle_after_ms = "0";
    s.settle_to = std::move(to);
    return s;
  };
  txns.push_back(settle("c-approve", "CaptureApproved"));
  txns.push_back(settle("c-fail", "Failed"));
  {
    TxnSpec s = settle("c-pending", "CaptureApproved");
    s.settle_after_ms = "3600000";
    txns.push_back(s);
  }
  {
    TxnSpec s = settle("c-amount", "CaptureApproved");
    s.approved_amount = "14.00";
    txns.push_back(s);
  }
  {
    TxnSpec s = settle("c-currency", "CaptureApproved");
    s.gateway_currency = "USD";
    txns.push_back(s);
  }
  {
    TxnSpec s = t("c-young-missing");
    s.at_gateway = false;
    s.created_at = Ago(std::chrono::minutes(1));
    txns.push_back(s);
  }
  {
    TxnSpec s = t("c-old-missing");
    s.at_gateway = false;
    s.created_at = Ago(std::chrono::minutes(120));
    txns.push_back(s);
  }
  {
    TxnSpec s = t("c-5xx");
    s.fault = "http500";
    txns.push_back(s);
  }
  {
    TxnSpec s = t("c-badsig");
    s.fault = "wrong_signature";
    txns.push_back(s);
  }
  {
    TxnSpec s = settle("c-stuck", "CaptureApproved");
    s.settle_after_ms = "3600000";
    s.created_at = Ago(std::chrono::minutes(120));
    txns.push_back(s);
  }
  {
    TxnSpec s = t("c-unknown");
    s.fault = "unknown_status";
    txns.push_back(s);
  }
  {
    TxnSpec s = settle("c-merchant", "CaptureApproved");
    s.merchant_id = "MID2";  // the sandbox knows it, our configuration does not
    txns.push_back(s);
  }
  {
    TxnSpec s = settle("r-approve", "Approved");
    s.kind = "refund";
    s.parent = "c-approve";
    s.amount = "5.00";
    txns.push_back(s);
  }
  {
    TxnSpec s = settle("r-decline", "Declined");
    s.kind = "refund";
    s.parent = "c-fail";
    s.amount = "5.00";
    txns.push_back(s);
  }
  {
    TxnSpec s = settle("t-topup", "CaptureApproved");
    s.kind = "topup";
    txns.push_back(s);
  }
  {
    TxnSpec s = t("c-failing");
    s.fault = "http500";
    txns.push_back(s);
  }
  {
    TxnSpec s = t("c-429");
    s.fault = "http429:1";
    txns.push_back(s);
  }
  {
    TxnSpec s = t("c-malformed");
    s.fault = "malformed_json";
    txns.push_back(s);
  }
  {
    TxnSpec s = t("c-timeout");
    s.fault = "hang:4000";
    txns.push_back(s);
  }
  {
    TxnSpec s = t("c-final");
    s.status = "CaptureApproved";
    txns.push_back(s);
  }
  txns.push_back(t("c-notdue"));

  JobFixture f(JobSetup{txns, "  in_flight: 4\n  batch_size: 50\n" + worker});
  f.conn->Execute("UPDATE payrecon.transactions SET error_count = 4 WHERE merchant_txn_id = 'c-failing'");
  f.conn->Execute("UPDATE payrecon.transactions SET next_check_at = now() + interval '1 hour' "
                  "WHERE merchant_txn_id = 'c-notdue'");

  const ProcessResult r = f.Run({"run", "--strict"});
  BOOST_TEST_MESSAGE(r.err);
  BOOST_TEST(r.exit_code == 1);  // --strict and new discrepancies
  const core::JsonValue line = RunLine(r.out);
  BOOST_TEST(Member(line, "mode") == "run");
  BOOST_TEST(Member(line, "checked") == "19");
  BOOST_TEST(Member(line, "transitions") == "7");
  BOOST_TEST(Member(line, "discrepancies") == "9");
  BOOST_TEST(Member(line, "errors") == "7");
  BOOST_TEST(Member(line, "still_pending") == "13");
  BOOST_TEST(Member(line, "exit_code") == "1");
  const std::string run_id = Member(line, "run_id");
  const std::string dir = Member(line, "report_dir");
  BOOST_TEST(dir.find(f.reports_dir + "/") == 0u);
  BOOST_TEST(dir.substr(dir.size() - run_id.size()) == run_id);
  CheckReportFolder(dir);

  // Rows.
  const auto status = StatusById(f);
  const std::map<std::string, std::string> expected_status = {
      {"c-approve", "CaptureApproved"}, {"c-fail", "Failed"},          {"c-pending", "CapturePending"},
      {"c-amount", "CaptureApproved"},  {"c-currency", "CaptureApproved"}, {"c-young-missing", "CapturePending"},
      {"c-old-missing", "CapturePending"}, {"c-5xx", "CapturePending"}, {"c-badsig", "CapturePending"},
      {"c-stuck", "CapturePending"},    {"c-unknown", "CapturePending"}, {"c-merchant", "CapturePending"},
      {"r-approve", "Approved"},        {"r-decline", "Declined"},      {"t-topup", "CaptureApproved"},
      {"c-failing", "CapturePending"},  {"c-429", "CapturePending"},    {"c-malformed", "CapturePending"},
      {"c-timeout", "CapturePending"},  {"c-final", "CaptureApproved"}, {"c-notdue", "CapturePending"}};
  BOOST_TEST(status == expected_status);
  BOOST_TEST(f.Scalar("SELECT approved_amount_paise FROM payrecon.transactions WHERE merchant_txn_id = 'c-amount'") ==
             "1400");
  BOOST_TEST(f.Scalar("SELECT count(*) FROM payrecon.transactions WHERE status IN ('CaptureApproved','Approved',"
                      "'Declined','Failed') AND merchant_txn_id <> 'c-final' AND amazon_txn_id IS NULL") == "0");
  BOOST_TEST(f.Scalar("SELECT error_count || ' ' || check_count FROM payrecon.transactions "
                      "WHERE merchant_txn_id = 'c-5xx'") == "1 0");
  BOOST_TEST(f.Scalar("SELECT error_count FROM payrecon.transactions WHERE merchant_txn_id = 'c-429'") == "0");
  BOOST_TEST(f.Scalar("SELECT check_count FROM payrecon.transactions WHERE merchant_txn_id = 'c-pending'") == "1");
  BOOST_TEST(Count(f, "SELECT count(*) FROM payrecon.transactions WHERE lease_run_id IS NOT NULL") == 0);

  const std::map<std::string, std::string> expected_discrepancies = {
      {"c-amount", "AMOUNT_MISMATCH"},   {"c-currency", "CURRENCY_MISMATCH"},
      {"c-old-missing", "NOT_FOUND,STUCK_PENDING"}, {"c-badsig", "SIGNATURE_INVALID"},
      {"c-stuck", "STUCK_PENDING"},      {"c-unknown", "UNKNOWN_STATUS"},
      {"c-merchant", "MERCHANT_CONFIG"}, {"c-failing", "CHECK_FAILING"}};
  BOOST_TEST(DiscrepanciesById(f) == expected_discrepancies);

  // Events: one per change and one per discrepancy, all of this run.
  BOOST_TEST(f.Scalar("SELECT count(*) FROM payrecon.transaction_events WHERE event_type = 'transition'") == "7");
  BOOST_TEST(f.Scalar("SELECT count(*) FROM payrecon.transaction_events WHERE event_type = 'discrepancy'") == "9");
  BOOST_TEST(f.Scalar("SELECT count(DISTINCT run_id) || ':' || min(run_id) FROM payrecon.transaction_events") ==
             "1:" + run_id);

  // Checks made: once per due transaction; none for the unconfigured merchant, the final and the not-due one.
  for (const auto& s : txns) {
    if (!s.at_gateway) continue;
    const int expected = (s.id == "c-merchant" || s.id == "c-final" || s.id == "c-notdue") ? 0 : 1;
    BOOST_TEST_CONTEXT(s.id) { BOOST_TEST(SandboxChecks(f, s.merchant_id, s.id) == expected); }
  }

  // CSV contents.
  const auto transitions = ReadCsv(dir + "/transitions.csv.gz");
  BOOST_REQUIRE(transitions.size() == 8u);
  BOOST_TEST(ReadReport(dir + "/transitions.csv.gz").rfind(
                 "run_id,kind,merchant_id,merchant_txn_id,amazon_txn_id,from_status,to_status,amount,approved_amount,"
                 "gateway_updated_at,checked_at\r\n", 0) == 0u);
  std::map<std::string, std::vector<std::string>> by_id;
  for (std::size_t i = 1; i < transitions.size(); ++i) by_id[transitions[i][3]] = transitions[i];
  BOOST_TEST(by_id.at("c-amount")[0] == run_id);
  BOOST_TEST(by_id.at("c-amount")[5] == "CapturePending");
  BOOST_TEST(by_id.at("c-amount")[6] == "CaptureApproved");
  BOOST_TEST(by_id.at("c-amount")[7] == "15.00");
  BOOST_TEST(by_id.at("c-amount")[8] == "14.00");
  BOOST_TEST(by_id.at("r-decline")[1] == "refund");
  BOOST_TEST(by_id.at("r-decline")[6] == "Declined");
  BOOST_TEST(by_id.at("t-topup")[1] == "topup");
  BOOST_TEST(!by_id.at("c-approve")[4].empty());
  BOOST_TEST(by_id.at("c-approve")[10].back() == 'Z');

  const auto discrepancies = ReadCsv(dir + "/discrepancies.csv.gz");
  BOOST_REQUIRE(discrepancies.size() == 10u);
  std::multiset<std::string> codes;
  for (std::size_t i = 1; i < discrepancies.size(); ++i) codes.insert(discrepancies[i][3] + ":" + discrepancies[i][5]);
  BOOST_TEST((codes == std::multiset<std::string>{"c-amount:AMOUNT_MISMATCH", "c-currency:CURRENCY_MISMATCH",
                                                   "c-old-missing:NOT_FOUND", "c-old-missing:STUCK_PENDING",
                                                   "c-badsig:SIGNATURE_INVALID", "c-stuck:STUCK_PENDING",
                                                   "c-unknown:UNKNOWN_STATUS", "c-merchant:MERCHANT_CONFIG",
                                                   "c-failing:CHECK_FAILING"}));
  for (std::size_t i = 1; i < discrepancies.size(); ++i) {
    if (discrepancies[i][3] == "c-amount") {
      BOOST_TEST(discrepancies[i][8] == "15.00");
      BOOST_TEST(discrepancies[i][9] == "14.00");
    }
    if (discrepancies[i][3] == "c-unknown") BOOST_TEST(discrepancies[i][7] == "Processing");
  }

  const auto errors = ReadCsv(dir + "/errors.csv.gz");
  BOOST_REQUIRE(errors.size() == 8u);
  std::set<std::string> classes;
  for (std::size_t i = 1; i < errors.size(); ++i) classes.insert(errors[i][3] + ":" + errors[i][4] + ":" + errors[i][5]);
  BOOST_TEST((classes == std::set<std::string>{"c-5xx:HTTP_5XX:500", "c-badsig:BAD_SIGNATURE:200",
                                               "c-merchant:INVALID_REQUEST:", "c-failing:HTTP_5XX:500",
                                               "c-429:RATE_LIMITED:429", "c-malformed:MALFORMED:200",
                                               "c-timeout:TIMEOUT:"}));

  const auto pending = ReadCsv(dir + "/pending.csv.gz");
  BOOST_TEST(pending.size() == 14u);

  const std::string summary = ReadFile(dir + "/summary.json");
  auto sj = core::ParseJson(summary);
  BOOST_REQUIRE(sj.ok());
  BOOST_TEST(sj->Find("dry_run")->as_bool() == false);
  BOOST_TEST(sj->Find("exit_code")->text() == "1");
  BOOST_TEST(sj->Find("discrepancies_by_code")->Find("STUCK_PENDING")->text() == "2");
  BOOST_TEST(sj->Find("transitions")->Find("Pending->Approved")->text() == "1");

  // `report --run` rewrites the same files from the database.
  const std::string transitions_text = ReadReport(dir + "/transitions.csv.gz");
  const std::string discrepancies_text = ReadReport(dir + "/discrepancies.csv.gz");
  const std::string errors_text = ReadReport(dir + "/errors.csv.gz");
  fs::remove_all(dir);
  const ProcessResult rep = f.Run({"report", "--run", run_id});
  BOOST_TEST(rep.exit_code == 0);
  BOOST_TEST(Member(RunLine(rep.out), "report_dir") == dir);
  BOOST_TEST(ReadReport(dir + "/transitions.csv.gz") == transitions_text);
  BOOST_TEST(ReadReport(dir + "/discrepancies.csv.gz") == discrepancies_text);
  BOOST_TEST(ReadReport(dir + "/errors.csv.gz") == errors_text);
  const std::string transitions_gz = ReadFile(dir + "/transitions.csv.gz");
  BOOST_TEST(f.Run({"report", "--run", run_id}).exit_code == 0);
  BOOST_TEST(ReadFile(dir + "/transitions.csv.gz") == transitions_gz);  // the same rows, the same bytes
  // pending.csv's ages follow the report's time: compare it without them.
  const auto without_ages = [](std::vector<std::vector<std::string>> rows) {
    for (auto& row : rows) row.at(7).clear();
    return rows;
  };
  const auto pending_rows = without_ages(ReadCsv(dir + "/pending.csv.gz"));
  // reports.compress: none writes the same text plain, under the plain names; summary.json names the files.
  const std::string plain = f.WriteConfig("plain.yaml", "", "", "  compress: none\n");
  BOOST_TEST(f.Run({"report", "--run", run_id, "--config", plain}).exit_code == 0);
  BOOST_TEST(ReadFile(dir + "/transitions.csv") == transitions_text);
  BOOST_TEST(ReadFile(dir + "/discrepancies.csv") == discrepancies_text);
  BOOST_TEST(ReadFile(dir + "/errors.csv") == errors_text);
  BOOST_TEST((without_ages(ReadCsv(dir + "/pending.csv")) == pending_rows));
  for (const char* gz : {"transitions.csv.gz", "discrepancies.csv.gz", "errors.csv.gz", "pending.csv.gz"}) {
    BOOST_TEST(!fs::exists(dir + "/" + gz), gz);
  }
  auto plain_summary = core::ParseJson(ReadFile(dir + "/summary.json"));
  BOOST_REQUIRE(plain_summary.ok());
  BOOST_TEST(plain_summary->Find("files")->Find("transitions")->text() == "transitions.csv");
  // index.html links the converted folder's files under their new names.
  const std::string index = ReadFile(f.reports_dir + "/index.html");
  const std::string folder = fs::path(dir).filename().string();
  BOOST_TEST(index.find(folder + "/transitions.csv\"") != std::string::npos);
  BOOST_TEST(index.find(folder + "/transitions.csv.gz\"") == std::string::npos);
  BOOST_TEST(sj->Find("files")->Find("transitions")->text() == "transitions.csv.gz");
  BOOST_TEST(f.Run({"report", "--run", "no-such-run"}).exit_code == 2);
}

// Acceptance 4.
BOOST_AUTO_TEST_CASE(dry_run_changes_nothing_and_still_writes_reports) {
  JobFixture f(JobSetup{ManyCharges(300)});
  const std::string before = f.SchemaDigest();
  const std::string sandbox_before = f.sandbox->Get("/sandbox/stats").body;
  const ProcessResult r = f.Run({"run", "--dry-run"});
  BOOST_TEST(r.exit_code == 0);
  BOOST_TEST(f.SchemaDigest() == before);
  const core::JsonValue line = RunLine(r.out);
  BOOST_TEST(Member(line, "checked") == "300");
  BOOST_TEST(Member(line, "transitions") == "150");
  BOOST_TEST(Member(line, "still_pending") == "300");
  const std::string dir = Member(line, "report_dir");
  CheckReportFolder(dir);
  BOOST_TEST(ReadCsv(dir + "/transitions.csv.gz").size() == 151u);
  auto sj = core::ParseJson(ReadFile(dir + "/summary.json"));
  BOOST_TEST(sj->Find("dry_run")->as_bool());
  BOOST_TEST(SandboxStats(f).Find("checks")->Find("once")->text() == "300");

  // A dry backfill too.
  const ProcessResult b = f.Run({"backfill", "--from", "2000-01-01", "--to", "2100-01-01", "--dry-run"});
  BOOST_TEST(b.exit_code == 0);
  BOOST_TEST(Member(RunLine(b.out), "checked") == "300");
  BOOST_TEST(f.SchemaDigest() == before);
}

BOOST_AUTO_TEST_CASE(every_decision_end_to_end_rows_events_and_csv) { EveryDecisionEndToEnd(""); }

// The same with the blocking client (one thread per request in flight), which `worker.io_threads: 0` selects.
BOOST_AUTO_TEST_CASE(every_decision_end_to_end_with_the_blocking_client) { EveryDecisionEndToEnd("  io_threads: 0\n"); }

// Acceptance 5.
BOOST_AUTO_TEST_CASE(three_runs_at_once_check_each_transaction_once) {
  const int n = 5000;
  JobFixture f(JobSetup{ManyCharges(n), "  in_flight: 16\n  batch_size: 200\n",
                        {"--faults", "{\"latency_ms\":20}"}});
  std::vector<std::unique_ptr<JobProcess>> procs;
  for (int i = 0; i < 3; ++i) procs.push_back(f.Start({"run"}));
  std::int64_t checked = 0, transitions = 0;
  for (auto& p : procs) {
    const ProcessResult r = p->Wait();
    BOOST_TEST(r.exit_code == 0);
    const core::JsonValue line = RunLine(r.out);
    checked += std::stoll(Member(line, "checked"));
    transitions += std::stoll(Member(line, "transitions"));
  }
  BOOST_TEST(checked == n);
  BOOST_TEST(transitions == n / 2);
  const core::JsonValue stats = SandboxStats(f);
  BOOST_TEST(stats.Find("checks")->Find("once")->text() == std::to_string(n));
  BOOST_TEST(stats.Find("checks")->Find("more_than_once")->text() == "0");
  BOOST_TEST(Count(f, "SELECT count(*) FROM payrecon.transaction_events WHERE event_type = 'transition'") == n / 2);
  BOOST_TEST(Count(f, "SELECT count(*) FROM (SELECT transaction_id FROM payrecon.transaction_events "
                      "GROUP BY transaction_id, event_type HAVING count(*) > 1) d") == 0);
  BOOST_TEST(Count(f, "SELECT count(*) FROM payrecon.transactions WHERE status = 'CaptureApproved'") == n / 2);
  BOOST_TEST(Count(f, "SELECT count(*) FROM payrecon.transactions WHERE lease_run_id IS NOT NULL") == 0);
}

// Acceptance 6.
BOOST_AUTO_TEST_CASE(kill_9_at_several_points_then_a_clean_run_loses_and_repeats_nothing) {
  const int n = 1200;
  JobFixture f(JobSetup{ManyCharges(n), "  in_flight: 8\n  batch_size: 100\n", {"--faults", "{\"latency_ms\":30}"}});
  auto wait_leases_expired = [&] {
    f.WaitFor("the killed run's leases to expire", [&] {
      return Count(f, "SELECT count(*) FROM payrecon.transactions WHERE lease_until > now()") == 0;
    }, std::chrono::seconds(30));
  };
  // 1: killed as soon as it holds claims (checks in flight, nothing applied yet).
  {
    auto p = f.Start({"run"});
    f.WaitFor("claims", [&] { return Count(f, "SELECT count(*) FROM payrecon.transactions WHERE lease_run_id IS NOT NULL") > 0; });
    p->Signal(SIGKILL);
    BOOST_TEST(p->Wait().exit_code == 128 + SIGKILL);
  }
  wait_leases_expired();
  // 2: killed half-way through.
  {
    auto p = f.Start({"run"});
    f.WaitFor("half the transitions", [&] {
      return Count(f, "SELECT count(*) FROM payrecon.transaction_events WHERE event_type = 'transition'") >= n / 4;
    });
    p->Signal(SIGKILL);
    BOOST_TEST(p->Wait().exit_code == 128 + SIGKILL);
  }
  wait_leases_expired();
  // 3: killed once every change is applied: while it lists pending transactions and writes its reports.
  {
    auto p = f.Start({"run"});
    f.WaitFor("the last transition", [&] {
      return p->Exited() ||
             Count(f, "SELECT count(*) FROM payrecon.transaction_events WHERE event_type = 'transition'") == n / 2;
    });
    p->Signal(SIGKILL);
    p->Wait();
  }
  wait_leases_expired();
  // No folder under a final name is incomplete, whatever the kills interrupted.
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(f.reports_dir, ec)) {
    if (e.path().filename().string().front() != '.') CheckReportFolder(e.path().string());
  }
  // A clean run: everything approved at the gateway ends approved, once.
  const ProcessResult r = f.Run({"run"});
  BOOST_TEST(r.exit_code == 0);
  BOOST_TEST(Count(f, "SELECT count(*) FROM payrecon.transactions WHERE status = 'CaptureApproved'") == n / 2);
  BOOST_TEST(Count(f, "SELECT count(*) FROM payrecon.transaction_events WHERE event_type = 'transition'") == n / 2);
  BOOST_TEST(Count(f, "SELECT count(*) FROM (SELECT transaction_id FROM payrecon.transaction_events "
                      "GROUP BY transaction_id, event_type HAVING count(*) > 1) d") == 0);
  BOOST_TEST(Count(f, "SELECT count(*) FROM payrecon.transactions WHERE check_count = 0 AND status = 'CapturePending'") == 0);
  BOOST_TEST(Count(f, "SELECT count(*) FROM payrecon.transactions WHERE lease_run_id IS NOT NULL") == 0);
}

// Acceptance 7.
BOOST_AUTO_TEST_CASE(sigterm_exits_6_with_partial_reports_and_leases_released) {
  const int n = 2000;
  JobFixture f(JobSetup{ManyCharges(n), "  in_flight: 4\n  batch_size: 100\n", {"--faults", "{\"latency_ms\":50}"}});
  auto p = f.Start({"run"});
  f.WaitFor("some transitions", [&] {
    return Count(f, "SELECT count(*) FROM payrecon.transaction_events WHERE event_type = 'transition'") >= 20;
  });
  p->Signal(SIGTERM);
  const ProcessResult r = p->Wait(std::chrono::seconds(30));
  BOOST_TEST(r.exit_code == 6);
  const core::JsonValue line = RunLine(r.out);
  BOOST_TEST(Member(line, "exit_code") == "6");
  const std::int64_t checked = std::stoll(Member(line, "checked"));
  BOOST_TEST(checked < n);
  const std::string dir = Member(line, "report_dir");
  CheckReportFolder(dir);
  const std::int64_t transitions = std::stoll(Member(line, "transitions"));
  BOOST_TEST(ReadCsv(dir + "/transitions.csv.gz").size() == static_cast<std::size_t>(transitions + 1));
  BOOST_TEST(Count(f, "SELECT count(*) FROM payrecon.transaction_events WHERE event_type = 'transition'") == transitions);
  BOOST_TEST(Count(f, "SELECT count(*) FROM payrecon.transactions WHERE lease_run_id IS NOT NULL") == 0);
  BOOST_TEST(f.Scalar("SELECT outcome || ':' || exit_code FROM payrecon.runs") == "interrupted:6");
  auto sj = core::ParseJson(ReadFile(dir + "/summary.json"));
  BOOST_TEST(sj->Find("exit_code")->text() == "6");
  BOOST_TEST(r.err.find("interrupted by a signal") != std::string::npos);
  // What was not checked is still due: the next run picks it up at once.
  const ProcessResult next = f.Run({"run"});
  BOOST_TEST(next.exit_code == 0);
  BOOST_TEST(Count(f, "SELECT count(*) FROM payrecon.transactions WHERE status = 'CaptureApproved'") == n / 2);
}

// Acceptance 8.
BOOST_AUTO_TEST_CASE(backfill_reports_final_conflicts_without_overwriting_and_resumes) {
  std::vector<TxnSpec> txns;
  for (int i = 0; i < 600; ++i) {
    TxnSpec t;
    t.id = "b" + std::to_string(i);
    if (i % 3 == 0) {  // final here, another final at the gateway
      t.status = "CaptureApproved";
      t.gateway_status = "Failed";
    } else if (i % 3 == 1) {  // final here and there, the same
      t.status = "Failed";
    } else {  // pending here, approved there
      t.settle_after_ms = "0";
      t.settle_to = "CaptureApproved";
    }
    txns.push_back(t);
  }
  JobFixture f(JobSetup{txns, "  in_flight: 4\n  batch_size: 50\n", {"--faults", "{\"latency_ms\":20}"}});
  // Not due: backfill checks them anyway.
  f.conn->Execute("UPDATE payrecon.transactions SET next_check_at = now() + interval '1 day'");
  auto p = f.Start({"backfill", "--from", "2000-01-01", "--to", "2100-01-01"});
  f.WaitFor("a checkpoint", [&] { return Count(f, "SELECT coalesce(max(resume_after_id), 0) FROM payrecon.runs") > 0; });
  p->Signal(SIGTERM);
  const ProcessResult first = p->Wait(std::chrono::seconds(30));
  BOOST_TEST(first.exit_code == 6);
  const std::string run_id = Member(RunLine(first.out), "run_id");
  const std::int64_t checked_first = std::stoll(Member(RunLine(first.out), "checked"));
  BOOST_TEST(checked_first < 600);
  const std::int64_t resume_after = Count(f, "SELECT resume_after_id FROM payrecon.runs");

  const ProcessResult second = f.Run({"backfill", "--resume", run_id});
  BOOST_TEST(second.exit_code == 0);
  const core::JsonValue line = RunLine(second.out);
  BOOST_TEST(Member(line, "run_id") == run_id);
  BOOST_TEST(Member(line, "mode") == "backfill");
  // Resumed after the checkpoint: transactions at or before it were not checked again.
  for (const auto& r : f.Query("SELECT merchant_txn_id FROM payrecon.transactions WHERE id <= " +
                               std::to_string(resume_after) + " ORDER BY id LIMIT 20")) {
    BOOST_TEST_CONTEXT(*r[0]) { BOOST_TEST(SandboxChecks(f, "MID1", *r[0]) == 1); }
  }
  const core::JsonValue stats = SandboxStats(f);
  BOOST_TEST(stats.Find("checks")->Find("never")->text() == "0");
  BOOST_TEST(std::stoll(stats.Find("checks")->Find("total")->text()) <= 600 + 2 * 50 + 4);

  // Conflicts reported, never overwritten; pending ones moved on.
  BOOST_TEST(Count(f, "SELECT count(*) FROM payrecon.transactions WHERE status = 'CaptureApproved'") == 400);
  BOOST_TEST(Count(f, "SELECT count(*) FROM payrecon.transactions WHERE status = 'Failed'") == 200);
  BOOST_TEST(Count(f, "SELECT count(*) FROM payrecon.discrepancies WHERE code = 'STATUS_CONFLICT'") == 200);
  BOOST_TEST(Count(f, "SELECT count(*) FROM payrecon.transaction_events WHERE event_type = 'transition'") == 200);
  BOOST_TEST(Count(f, "SELECT count(*) FROM payrecon.transactions WHERE lease_run_id IS NOT NULL") == 0);
  const std::string dir = Member(line, "report_dir");
  std::int64_t conflicts = 0;
  for (const auto& row : ReadCsv(dir + "/discrepancies.csv.gz")) conflicts += row[5] == "STATUS_CONFLICT";
  BOOST_TEST(conflicts == 200);  // the whole run's, both parts
  // Its transitions too: the first part's are read back from the audit trail, as the second part's would be.
  BOOST_TEST(ReadCsv(dir + "/transitions.csv.gz").size() == 1u + 200u);  // the header, then one row per event
}

// Acceptance 9.
BOOST_AUTO_TEST_CASE(no_secret_in_output_reports_or_database) {
  std::vector<TxnSpec> txns = ManyCharges(40);
  txns[3].fault = "http500";
  txns[5].fault = "wrong_signature";
  JobFixture f(JobSetup{txns});
  std::string everything;
  for (std::vector<std::string> args : {std::vector<std::string>{"config", "check"}, {"run"}, {"run", "--dry-run"},
                                        {"backfill", "--from", "2000-01-01", "--to", "2100-01-01"}}) {
    const ProcessResult r = f.Run(args);
    BOOST_TEST_CONTEXT(args[0]) { BOOST_TEST(r.exit_code == 0); }
    everything += r.out + r.err;
  }
  // Authentication refused (a wrong secret): the failure messages must not echo what was used either.
  const std::string wrong = f.WriteConfig("wrong.yaml", "");
  auto p = std::make_unique<JobProcess>(PayreconBinary(), std::vector<std::string>{"run", "--config", wrong},
                                        std::vector<std::pair<std::string, std::string>>{{kSecretEnv, "WRONG_SECRET_XYZ"}},
                                        f.dir.path() + "/wout.txt", f.dir.path() + "/werr.txt");
  const ProcessResult w = p->Wait();
  everything += w.out + w.err;
  everything += ReadTree(f.reports_dir);
  for (const auto& row : f.Query("SELECT table_name FROM information_schema.tables WHERE table_schema = 'payrecon'")) {
    everything += f.Scalar("SELECT coalesce(string_agg(x::text, '|'), '') FROM payrecon." + *row[0] + " x");
  }
  BOOST_TEST(everything.find(kSecretOne) == std::string::npos);
  BOOST_TEST(everything.find("WRONG_SECRET_XYZ") == std::string::npos);
  BOOST_TEST(everything.find("***") != std::string::npos);  // config check masks it
}

BOOST_AUTO_TEST_CASE(authentication_refused_stops_with_exit_4_without_spending_attempts) {
  JobFixture f(JobSetup{ManyCharges(100), "  in_flight: 2\n"});
  const std::string before = f.Scalar("SELECT md5(string_agg(x::text, '|' ORDER BY id)) FROM "
                                      "(SELECT id, status, check_count, error_count, next_check_at FROM "
                                      "payrecon.transactions) x");
  auto p = std::make_unique<JobProcess>(PayreconBinary(), std::vector<std::string>{"run", "--config", f.config_path},
                                        std::vector<std::pair<std::string, std::string>>{{kSecretEnv, "WRONG"}},
                                        f.dir.path() + "/o.txt", f.dir.path() + "/e.txt");
  const ProcessResult r = p->Wait();
  BOOST_TEST(r.exit_code == 4);
  BOOST_TEST(Member(RunLine(r.out), "exit_code") == "4");
  BOOST_TEST(r.err.find("refused authentication") != std::string::npos);
  BOOST_TEST(std::stoll(SandboxStats(f).Find("checks")->Find("total")->text()) <= 3 + 2);
  const std::string after = f.Scalar("SELECT md5(string_agg(x::text, '|' ORDER BY id)) FROM "
                                     "(SELECT id, status, check_count, error_count, next_check_at FROM "
                                     "payrecon.transactions) x");
  BOOST_TEST(after == before);
  BOOST_TEST(Count(f, "SELECT count(*) FROM payrecon.transactions WHERE lease_run_id IS NOT NULL") == 0);
}

// Acceptance 10.
BOOST_AUTO_TEST_CASE(reports_have_headers_when_empty_and_neutralise_formulas) {
  JobFixture f(JobSetup{});
  ProcessResult r = f.Run({"run"});
  BOOST_TEST(r.exit_code == 0);
  std::string dir = Member(RunLine(r.out), "report_dir");
  BOOST_TEST(ReadReport(dir + "/transitions.csv.gz") ==
             "run_id,kind,merchant_id,merchant_txn_id,amazon_txn_id,from_status,to_status,amount,approved_amount,"
             "gateway_updated_at,checked_at\r\n");
  BOOST_TEST(ReadReport(dir + "/discrepancies.csv.gz") ==
             "run_id,kind,merchant_id,merchant_txn_id,amazon_txn_id,code,local_status,gateway_status,local_amount,"
             "gateway_amount,detail\r\n");
  BOOST_TEST(ReadReport(dir + "/errors.csv.gz") ==
             "run_id,kind,merchant_id,merchant_txn_id,error_class,http_status,gateway_code,message,attempts,"
             "next_check_at\r\n");
  BOOST_TEST(ReadReport(dir + "/pending.csv.gz") ==
             "kind,merchant_id,merchant_txn_id,amazon_txn_id,status,amount,created_at,age_seconds,attempts,"
             "next_check_at,last_error\r\n");

  // A hostile id from the payment service: "=HYPERLINK(...)" stays text in every report.
  TxnSpec evil;
  evil.id = "=HYPERLINK(\"http://x\")";
  evil.at_gateway = false;
  const std::string csv = f.dir.Write("evil.csv", ImportCsv({evil}));
  BOOST_REQUIRE(f.Run({"import", csv}).exit_code == 0);
  r = f.Run({"run"});
  BOOST_TEST(r.exit_code == 0);
  dir = Member(RunLine(r.out), "report_dir");
  const std::string pending = ReadReport(dir + "/pending.csv.gz");
  BOOST_TEST(pending.find("\"'=HYPERLINK(\"\"http://x\"\")\"") != std::string::npos);
  BOOST_TEST(pending.find(",=HYPERLINK") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(no_half_written_report_is_ever_visible_under_its_final_name) {
  JobFixture f(JobSetup{ManyCharges(3000), "  in_flight: 8\n  batch_size: 500\n"});
  std::atomic<bool> done{false};
  std::atomic<int> looks{0};
  std::string problem;
  std::thread watcher([&] {
    while (!done) {
      std::error_code ec;
      for (const auto& e : fs::directory_iterator(f.reports_dir, ec)) {
        const std::string name = e.path().filename().string();
        if (name.front() == '.') continue;
        if (name == "index.html") {
          // The index across runs is one page, written atomically: complete whenever it is visible.
          std::string page;
          try {
            page = ReadFile(e.path().string());
          } catch (...) {
          }
          if (!page.empty() && page.find("</html>") == std::string::npos) problem = "index.html is incomplete";
          continue;
        }
        // A folder under its final name holds all six files, complete (summary.json parseable).
        for (const char* file : {"transitions.csv.gz", "discrepancies.csv.gz", "errors.csv.gz", "pending.csv.gz",
                                 "summary.json", "summary.html"}) {
          if (!fs::exists(e.path() / file)) problem = name + " lacks " + file;
        }
        // Each gzip'd CSV under the final name is one whole stream (Gunzip checks its trailer).
        for (const char* csv : {"transitions.csv.gz", "discrepancies.csv.gz", "errors.csv.gz", "pending.csv.gz"}) {
          try {
            Gunzip(ReadFile((e.path() / csv).string()));
          } catch (const std::exception& x) {
            problem = name + ": " + csv + ": " + x.what();
          }
        }
        std::string summary;
        try {
          summary = ReadFile((e.path() / "summary.json").string());
        } catch (...) {
        }
        if (!core::ParseJson(summary).ok()) problem = name + " has an incomplete summary.json";
        ++looks;
      }
    }
  });
  for (int i = 0; i < 2; ++i) {
    const ProcessResult r = f.Run(i == 0 ? std::vector<std::string>{"run"} : std::vector<std::string>{"run", "--dry-run"});
    BOOST_TEST(r.exit_code == 0);
  }
  done = true;
  watcher.join();
  BOOST_TEST(problem.empty(), problem);
  BOOST_TEST(looks > 0);
}

BOOST_AUTO_TEST_CASE(unwritable_reports_exit_5_before_anything_changes) {
  JobFixture f(JobSetup{ManyCharges(10)});
  fs::create_directories(f.reports_dir);
  f.dir.Write("reports/blocker", "");
  std::string text = ReadFile(f.config_path);
  const std::string cfg = f.WriteConfig("blocked.yaml", "");
  std::string blocked = ReadFile(cfg);
  blocked.replace(blocked.find(f.reports_dir), f.reports_dir.size(), f.reports_dir + "/blocker/sub");
  f.dir.Write("blocked.yaml", blocked);
  const std::string before = f.SchemaDigest();
  const ProcessResult r = f.Run({"run", "--config", cfg});
  BOOST_TEST(r.exit_code == 5);
  BOOST_TEST(r.err.find("cannot create report path") != std::string::npos);
  BOOST_TEST(f.SchemaDigest() == before);
  BOOST_TEST(SandboxStats(f).Find("checks")->Find("total")->text() == "0");
}

BOOST_AUTO_TEST_CASE(usage_and_configuration_errors_exit_2) {
  JobFixture f(JobSetup{});
  ProcessResult r = f.Run({"run", "--limit", "0"});
  BOOST_TEST(r.exit_code == 2);
  BOOST_TEST(r.err.find("option '--limit': expected a positive integer, got '0'") != std::string::npos);
  r = f.Run({"frobnicate"});
  BOOST_TEST(r.exit_code == 2);
  const std::string bad = f.dir.Write("bad.yaml", "worker:\n  in_flight: 0\n  bogus: 1\n");
  r = f.Run({"config", "check", "--config", bad});
  BOOST_TEST(r.exit_code == 2);
  BOOST_TEST(r.err.find("worker.in_flight") != std::string::npos);
  BOOST_TEST(r.err.find("worker.bogus") != std::string::npos);
  r = JobProcess(PayreconBinary(), {"help"}, {}, f.dir.path() + "/h.out", f.dir.path() + "/h.err").Wait();
  BOOST_TEST(r.exit_code == 0);
  BOOST_TEST(r.out.find("Usage: payrecon") == 0u);
}

BOOST_AUTO_TEST_CASE(limit_and_deadline_bound_a_run) {
  JobFixture f(JobSetup{ManyCharges(400), "  in_flight: 4\n  batch_size: 50\n"});
  ProcessResult r = f.Run({"run", "--limit", "120"});
  BOOST_TEST(r.exit_code == 0);
  BOOST_TEST(Member(RunLine(r.out), "checked") == "120");
  BOOST_TEST(SandboxStats(f).Find("checks")->Find("total")->text() == "120");
}

// Database lost mid-run: the run reconnects with back-off and finishes; nothing is lost or recorded twice.
BOOST_AUTO_TEST_CASE(database_connection_lost_mid_run_reconnects_and_finishes) {
  const int n = 1000;
  JobFixture f(JobSetup{ManyCharges(n), "  in_flight: 8\n  batch_size: 50\n", {"--faults", "{\"latency_ms\":20}"}});
  auto p = f.Start({"run"});
  f.WaitFor("some transitions", [&] {
    return Count(f, "SELECT count(*) FROM payrecon.transaction_events WHERE event_type = 'transition'") >= 50;
  });
  const std::string killed = f.Scalar(
      "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = current_database() "
      "AND pid <> pg_backend_pid()");
  BOOST_TEST(killed == "2");  // the run's two connections: claims and applies
  const ProcessResult r = p->Wait();
  BOOST_TEST(r.exit_code == 0);
  BOOST_TEST(r.err.find("database connection re-established") != std::string::npos);
  BOOST_TEST(Member(RunLine(r.out), "checked") == std::to_string(n));
  BOOST_TEST(Count(f, "SELECT count(*) FROM payrecon.transactions WHERE status = 'CaptureApproved'") == n / 2);
  BOOST_TEST(Count(f, "SELECT count(*) FROM payrecon.transaction_events WHERE event_type = 'transition'") == n / 2);
  BOOST_TEST(Count(f, "SELECT count(*) FROM payrecon.transactions WHERE lease_run_id IS NOT NULL") == 0);
}

// Database lost for longer than the run may take: exit 3, its line printed, the database consistent.
BOOST_AUTO_TEST_CASE(database_lost_past_the_deadline_exits_3_consistently) {
  const int n = 1000;
  JobFixture f(JobSetup{ManyCharges(n), "  in_flight: 4\n  batch_size: 50\n", {"--faults", "{\"latency_ms\":50}"}});
  auto p = f.Start({"run", "--deadline", "1s"});
  f.WaitFor("some transitions", [&] {
    return Count(f, "SELECT count(*) FROM payrecon.transaction_events WHERE event_type = 'transition'") >= 10;
  });
  db::Connection admin(TestDatabaseUrl());
  admin.Execute("ALTER DATABASE " + f.database.name() + " ALLOW_CONNECTIONS false");
  admin.Execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '" + f.database.name() +
                "' AND pid <> pg_backend_pid()");
  const ProcessResult r = p->Wait(std::chrono::seconds(60));
  admin.Execute("ALTER DATABASE " + f.database.name() + " ALLOW_CONNECTIONS true");
  BOOST_TEST(r.exit_code == 3);
  const core::JsonValue line = RunLine(r.out);
  BOOST_TEST(Member(line, "exit_code") == "3");
  BOOST_TEST(Member(line, "report_dir").empty());
  f.conn = f.database.Connect();
  // Consistent: every approved transaction has exactly one event, and nothing else moved.
  const std::int64_t approved = Count(f, "SELECT count(*) FROM payrecon.transactions WHERE status = 'CaptureApproved'");
  BOOST_TEST(approved < n / 2);
  BOOST_TEST(Count(f, "SELECT count(*) FROM payrecon.transaction_events WHERE event_type = 'transition'") == approved);
  // The next run (once the dead run's leases expire) finishes the work.
  f.WaitFor("the leases to expire", [&] {
    return Count(f, "SELECT count(*) FROM payrecon.transactions WHERE lease_until > now()") == 0;
  }, std::chrono::seconds(30));
  BOOST_TEST(f.Run({"run"}).exit_code == 0);
  BOOST_TEST(Count(f, "SELECT count(*) FROM payrecon.transactions WHERE status = 'CaptureApproved'") == n / 2);
  BOOST_TEST(Count(f, "SELECT count(*) FROM payrecon.transaction_events WHERE event_type = 'transition'") == n / 2);
}

BOOST_AUTO_TEST_SUITE_END()
