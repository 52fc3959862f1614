// Production-scale features through the real binaries: pending.csv capped by reports.pending_limit while
// summary.json counts every pending row, `payrecon pending`, `payrecon prune`, and reports.keep at the end of a run.
#include <boost/test/unit_test.hpp>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "core/json.h"
#include "core/time.h"
#include "tests/e2e/job_fixture.h"

using namespace payrecon;
using namespace payrecon::testing;

namespace {

// Five charges still pending at the gateway, created 5 h, 4 h … 1 h ago, and one refund created 30 min ago.
std::vector<TxnSpec> Backlog() {
  std::vector<TxnSpec> txns;
  for (int i = 5; i >= 1; --i) {
    TxnSpec s;
    s.id = "p" + std::to_string(i);
    s.created_at = Ago(std::chrono::minutes(60 * i));
    txns.push_back(s);
  }
  TxnSpec parent;
  parent.id = "paid";
  parent.status = "CaptureApproved";
  parent.created_at = Ago(std::chrono::minutes(600));
  txns.push_back(parent);
  TxnSpec refund;
  refund.kind = "refund";
  refund.id = "r1";
  refund.parent = "paid";
  refund.amount = "1.00";
  refund.created_at = Ago(std::chrono::minutes(30));
  txns.push_back(refund);
  return txns;
}

// The fixture's configuration with more `reports:` keys, and a second merchant whose secret is nowhere: commands
// that never call the gateway must not need it.
std::string ConfigWith(JobFixture& f, const std::string& name, const std::string& reports_yaml,
                       bool unreadable_secret) {
  const std::string path = f.WriteConfig(
      name, "",
      unreadable_secret ? "  - merchant_id: MID9\n    access_key_id: k9\n    secret_key_env: PAYRECON_E2E_UNSET_9\n" : "");
  std::ifstream in(path);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return f.dir.Write(name, text + reports_yaml);
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start < text.size()) {
    const std::size_t end = text.find('\n', start);
    out.push_back(text.substr(start, end - start));
    if (end == std::string::npos) break;
    start = end + 1;
  }
  return out;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(scale)

BOOST_AUTO_TEST_CASE(pending_csv_is_capped_oldest_first_while_summary_counts_every_pending_row) {
  JobFixture f(JobSetup{.txns = Backlog()});
  const std::string config = ConfigWith(f, "capped.yaml", "  pending_limit: 2\n", false);
  const ProcessResult r = f.Run({"run", "--config", config});
  BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.err);
  const std::string dir = Member(RunLine(r.out), "report_dir");
  const auto pending = ReadCsv(dir + "/pending.csv.gz");
  BOOST_REQUIRE(pending.size() == 3u);  // header + the two oldest
  BOOST_TEST(pending[1][2] == "p5");
  BOOST_TEST(pending[2][2] == "p4");
  const auto summary = core::ParseJson(ReadFile(dir + "/summary.json"));
  BOOST_REQUIRE(summary.ok());
  BOOST_TEST(summary->Find("totals")->Find("still_pending")->text() == "6");
  const core::JsonValue* p = summary->Find("pending");
  BOOST_REQUIRE(p != nullptr);
  BOOST_TEST(p->Find("listed")->text() == "2");
  BOOST_TEST(p->Find("count")->text() == "6");
  // by_kind_age holds every kind and age bucket, zeros included.
  const auto count_of = [&](std::string_view kind, std::string_view age) -> std::string {
    for (const core::JsonValue& x : p->Find("by_kind_age")->items()) {
      if (x.Find("kind")->text() == kind && x.Find("age")->text() == age) return x.Find("count")->text();
    }
    return "absent";
  };
  BOOST_TEST(count_of("charge", "1h-1d") == "5");
  BOOST_TEST(count_of("charge", "15m-1h") == "0");
  BOOST_TEST(count_of("refund", "15m-1h") == "1");
  BOOST_TEST(count_of("topup", "1h-1d") == "0");
  // summary.json's timings carry the process's CPU and the claim and apply batches.
  const core::JsonValue* t = summary->Find("timings");
  BOOST_TEST(t->Find("cpu_seconds")->text().find('.') != std::string::npos);
  BOOST_TEST(std::stoll(t->Find("claims")->text()) >= 1);
  BOOST_TEST(std::stoll(t->Find("applies")->text()) >= 1);
  // summary.html shows the six in its age chart.
  const std::string html = ReadFile(dir + "/summary.html");
  BOOST_TEST(html.find("1-24 h") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(pending_command_streams_every_pending_row_without_merchant_secrets) {
  JobFixture f(JobSetup{.txns = Backlog()});
  const std::string config = ConfigWith(f, "nosecret.yaml", "", true);
  // `run` needs every secret; `pending` does not.
  const ProcessResult refused = f.Run({"run", "--config", config});
  BOOST_TEST(refused.exit_code == 2);
  BOOST_TEST(refused.err.find("PAYRECON_E2E_UNSET_9") != std::string::npos);

  const ProcessResult all = f.Run({"pending", "--config", config});
  BOOST_REQUIRE_MESSAGE(all.exit_code == 0, all.err);
  const auto lines = Lines(all.out);
  BOOST_REQUIRE(lines.size() == 7u);  // header + six pending, oldest first
  BOOST_TEST(lines[0] == "kind,merchant_id,merchant_txn_id,amazon_txn_id,status,amount,created_at,age_seconds,"
                         "attempts,next_check_at,last_error\r");
  BOOST_TEST(lines[1].find(",p5,") != std::string::npos);
  BOOST_TEST(lines[5].find(",p1,") != std::string::npos);
  BOOST_TEST(lines[6].find(",r1,") != std::string::npos);

  const ProcessResult older = f.Run({"pending", "--older-than", "150m", "--config", config});
  BOOST_TEST(Lines(older.out).size() == 4u);  // header + p5, p4, p3

  const ProcessResult refunds = f.Run({"pending", "--format", "json", "--kind", "refund", "--config", config});
  BOOST_REQUIRE_MESSAGE(refunds.exit_code == 0, refunds.err);
  const auto json = Lines(refunds.out);
  BOOST_REQUIRE(json.size() == 1u);
  const auto row = core::ParseJson(json[0]);
  BOOST_REQUIRE(row.ok());
  BOOST_TEST(row->Find("merchant_txn_id")->text() == "r1");
  BOOST_TEST(row->Find("status")->text() == "Pending");
  BOOST_TEST(row->Find("amount")->text() == "1.00");
  BOOST_TEST((row->Find("amazon_txn_id")->type() == core::JsonValue::Type::kNull));

  const ProcessResult bad = f.Run({"pending", "--format", "table", "--config", config});
  BOOST_TEST(bad.exit_code == 2);
  BOOST_TEST(bad.err.find("option '--format': expected csv or json, got 'table'") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(prune_deletes_old_finished_runs_and_their_errors_never_open_runs_or_audit_events) {
  JobFixture f(JobSetup{.txns = Backlog()});
  BOOST_REQUIRE(f.Run({"run"}).exit_code == 0);
  const std::string txn = f.Scalar("SELECT min(id) FROM payrecon.transactions");
  f.conn->Execute("INSERT INTO payrecon.runs (id, mode, started_at, finished_at, outcome, exit_code) VALUES"
                  " ('old-done', 'run', now() - interval '100 days', now() - interval '100 days', 'done', 0),"
                  " ('old-open', 'backfill', now() - interval '100 days', NULL, NULL, NULL)");
  f.conn->Execute("INSERT INTO payrecon.run_errors (run_id, transaction_id, error_class) VALUES"
                  " ('old-done', " + txn + ", 'TIMEOUT'), ('old-done', " + txn + ", 'NETWORK'),"
                  " ('old-open', " + txn + ", 'TIMEOUT')");
  f.conn->Execute("INSERT INTO payrecon.transaction_events (transaction_id, run_id, event_type, from_status,"
                  " to_status, created_at) VALUES (" + txn + ", 'old-done', 'transition', 'CapturePending',"
                  " 'CapturePending', now() - interval '100 days')");
  const std::string events = f.Scalar("SELECT count(*) FROM payrecon.transaction_events");
  const std::string config = ConfigWith(f, "prune.yaml", "", true);  // no secrets needed

  const ProcessResult r = f.Run({"prune", "--older-than", "90d", "--config", config});
  BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.err);
  const auto line = core::ParseJson(Lines(r.out).at(0));
  BOOST_REQUIRE(line.ok());
  BOOST_TEST(line->Find("runs")->text() == "1");
  BOOST_TEST(line->Find("run_errors")->text() == "2");
  BOOST_TEST(r.err.find("pruned 1 run(s) and 2 run error(s)") != std::string::npos);
  BOOST_TEST(f.Scalar("SELECT string_agg(id, ',' ORDER BY id) FROM payrecon.runs WHERE id LIKE 'old%'") == "old-open");
  BOOST_TEST(f.Scalar("SELECT count(*) FROM payrecon.run_errors WHERE run_id = 'old-open'") == "1");
  BOOST_TEST(f.Scalar("SELECT count(*) FROM payrecon.runs WHERE id NOT LIKE 'old%'") == "1");  // recent run kept
  BOOST_TEST(f.Scalar("SELECT count(*) FROM payrecon.transaction_events") == events);

  const ProcessResult again = f.Run({"prune", "--older-than", "90d", "--config", config});
  BOOST_TEST(Lines(again.out).at(0).find("\"runs\":0,\"run_errors\":0") != std::string::npos);
  const ProcessResult usage = f.Run({"prune", "--config", config});
  BOOST_TEST(usage.exit_code == 2);
  BOOST_TEST(usage.err.find("option '--older-than' is required") != std::string::npos);
  const ProcessResult zero = f.Run({"prune", "--older-than", "0s", "--config", config});
  BOOST_TEST(zero.exit_code == 2);
}

BOOST_AUTO_TEST_CASE(a_run_removes_report_folders_older_than_keep_and_logs_them) {
  JobFixture f(JobSetup{.txns = Backlog()});
  namespace fs = std::filesystem;
  fs::create_directories(f.reports_dir);
  const std::string id = "6f1c2a9e-0b6d-4c3e-9a51-2d8f6e4b1c07";
  const std::string old_dir = f.reports_dir + "/20200101T000000Z-" + id;
  fs::create_directory(old_dir);
  std::ofstream(old_dir + "/summary.json") << "{}";
  const std::string look_alike = f.reports_dir + "/20200101T000000Z-mine";
  fs::create_directory(look_alike);
  std::ofstream(look_alike + "/summary.json") << "{}";
  const std::string stale_tmp = f.reports_dir + "/.20200101T000000Z-" + id + ".tmp";
  fs::create_directory(stale_tmp);
  const ProcessResult r = f.Run({"run"});
  BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.err);
  BOOST_TEST(!fs::exists(old_dir));
  BOOST_TEST(!fs::exists(stale_tmp));
  BOOST_TEST(fs::exists(look_alike + "/summary.json"));
  BOOST_TEST(fs::exists(Member(RunLine(r.out), "report_dir") + "/summary.json"));
  BOOST_TEST(r.err.find("reports.keep: removed \\\"" + old_dir + "\\\"") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
