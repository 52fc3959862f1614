// Operating payrecon end to end (issue 5): summary.html rendered by a real headless Chromium, and the discrepancy
// workflow (list, resolve, re-run) with the real binaries, PostgreSQL and payrecon-sandbox.
#include <unistd.h>

#include <algorithm>
#include <boost/test/unit_test.hpp>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <set>

#include "core/json.h"
#include "core/time.h"
#include "tests/e2e/job_fixture.h"

using namespace payrecon;
using namespace payrecon::testing;
namespace fs = std::filesystem;

namespace {

std::int64_t Count(JobFixture& f, const std::string& sql) { return std::stoll(f.Scalar(sql)); }

// The JSON lines of `discrepancies list --format json`, by code.
std::multimap<std::string, core::JsonValue> ListJson(const std::string& out) {
  std::multimap<std::string, core::JsonValue> m;
  std::size_t start = 0;
  while (start < out.size()) {
    const std::size_t end = out.find('\n', start);
    BOOST_REQUIRE(end != std::string::npos);
    auto line = core::ParseJson(std::string_view(out).substr(start, end - start));
    BOOST_REQUIRE_MESSAGE(line.ok() && line->is_object(), "not a JSON object: " << out.substr(start, end - start));
    m.emplace(line->Find("code")->text(), *line);
    start = end + 1;
  }
  return m;
}

std::string Text(const core::JsonValue& o, const char* key) {
  const core::JsonValue* v = o.Find(key);
  BOOST_REQUIRE_MESSAGE(v != nullptr, "no member " << key);
  return v->is_null() ? "null" : v->text();
}

// Makes the given transactions due now (as if their next check had come).
void MakeDue(JobFixture& f, const std::string& ids) {
  f.conn->Execute("UPDATE payrecon.transactions SET next_check_at = now() - interval '1 second' "
                  "WHERE merchant_txn_id IN (" + ids + ")");
}

}  // namespace

BOOST_AUTO_TEST_SUITE(ops)

// Acceptance 3 of issue 5: the page a person opens shows the run's figures, rendered by a real browser.
BOOST_AUTO_TEST_CASE(summary_html_shows_the_runs_figures_in_chromium) {
  auto t = [](std::string id, std::string settle_after, std::string settle_to) {
    TxnSpec s;
    s.id = std::move(id);
    s.settle_after_ms = std::move(settle_after);
    s.settle_to = std::move(settle_to);
    return s;
  };
  std::vector<TxnSpec> txns = {t("c-approve-1", "0", "CaptureApproved"), t("c-approve-2", "0", "CaptureApproved"),
                               t("c-fail", "0", "Failed"), t("c-pending", "3600000", "CaptureApproved")};
  {
    TxnSpec s = t("c-amount", "0", "CaptureApproved");
    s.approved_amount = "14.00";
    txns.push_back(s);
  }
  {
    TxnSpec s = t("c-stuck", "3600000", "CaptureApproved");
    s.created_at = Ago(std::chrono::minutes(120));
    txns.push_back(s);
  }
  {
    TxnSpec s = t("c-5xx", "", "");
    s.fault = "http500";
    txns.push_back(s);
  }
  JobFixture f(JobSetup{txns});
  const ProcessResult r = f.Run({"run"});
  BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.err);
  const core::JsonValue line = RunLine(r.out);
  const std::string run_id = Member(line, "run_id");
  const std::string dir = Member(line, "report_dir");
  BOOST_TEST(Member(line, "checked") == "7");
  BOOST_TEST(Member(line, "transitions") == "4");
  BOOST_TEST(Member(line, "discrepancies") == "2");
  BOOST_TEST(Member(line, "errors") == "1");
  BOOST_TEST(Member(line, "still_pending") == "3");
  const std::string html_path = dir + "/summary.html";
  BOOST_REQUIRE(fs::exists(html_path));

  const ProcessResult dom = Chromium(f.dir, "dom", {"--dump-dom"}, html_path);
  const std::string& d = dom.out;
  BOOST_TEST_MESSAGE("rendered DOM: " << d.size() << " bytes");
  BOOST_TEST(d.find("<span id=\"run-id\">" + run_id + "</span>") != std::string::npos);
  // The cards carry the run line's figures.
  for (const auto& [card, member] : std::vector<std::pair<std::string, std::string>>{
           {"checked", "checked"}, {"transitions", "transitions"}, {"discrepancies", "discrepancies"},
           {"errors", "errors"}, {"pending", "still_pending"}}) {
    const std::string expected =
        "<div class=\"card\" id=\"card-" + card + "\"><div class=\"n\">" + Member(line, member) + "</div>";
    BOOST_TEST(d.find(expected) != std::string::npos, expected);
  }
  // Discrepancy codes with their counts, as the database has them for this run.
  const auto codes = f.Query("SELECT code, count(*) FROM payrecon.discrepancies WHERE opened_by_run = '" + run_id +
                             "' GROUP BY code ORDER BY code");
  BOOST_REQUIRE(codes.size() == 2u);
  for (const auto& row : codes) {
    const std::string expected = "<tr id=\"code-" + *row[0] + "\"><td class=\"code\">" + *row[0] +
                                 "</td><td class=\"num\">" + *row[1] + "</td>";
    BOOST_TEST(d.find(expected) != std::string::npos, expected);
  }
  BOOST_TEST(*codes[0][0] == "AMOUNT_MISMATCH");
  BOOST_TEST(*codes[1][0] == "STUCK_PENDING");
  // Status changes, failed checks, pending ages and the latency of the 7 calls.
  for (const char* expected : {"CapturePending \u2192 CaptureApproved", "CapturePending \u2192 Failed",
                               "<td class=\"code\">HTTP_5XX</td><td class=\"num\">1</td>", "&lt; 1 min", "1-15 min",
                               "<p id=\"latency-stats\">7 calls", "exit 0: completed"}) {
    BOOST_TEST(d.find(expected) != std::string::npos, expected);
  }
  BOOST_TEST(d.find("<script") == std::string::npos);

  // A screenshot: a PNG of the asked size.
  const std::string png = f.dir.path() + "/summary.png";
  Chromium(f.dir, "shot", {"--hide-scrollbars", "--window-size=1200,1800", "--screenshot=" + png}, html_path);
  BOOST_REQUIRE(fs::exists(png));
  const std::string image = ReadFile(png);
  BOOST_TEST(image.size() > 10'000u);
  BOOST_REQUIRE(image.size() > 24u);
  BOOST_TEST(image.substr(0, 8) == std::string("\x89PNG\r\n\x1a\n", 8));
  BOOST_TEST(image.substr(12, 4) == "IHDR");
  BOOST_TEST(BigEndian32(image, 16) == 1200u);
  BOOST_TEST(BigEndian32(image, 20) == 1800u);

  // `report --run` draws the same latency chart from the run's stored bucket counts.
  const std::string html = ReadFile(html_path);
  const auto latency_section = [](const std::string& page) {
    const auto from = page.find("<section id=\"latency\">");
    return page.substr(from, page.find("</section>", from) - from);
  };
  fs::remove_all(dir);
  const ProcessResult rep = f.Run({"report", "--run", run_id});
  BOOST_REQUIRE(rep.exit_code == 0);
  BOOST_TEST(latency_section(ReadFile(html_path)) == latency_section(html));
}

// Acceptance 4 of issue 5: list, resolve, re-run: the item stays resolved; a changed fact raises a new one.
BOOST_AUTO_TEST_CASE(resolve_then_rerun_stays_resolved_until_a_fact_changes) {
  TxnSpec amount;  // we hold 15.00; the gateway was asked for 16.00 (loaded below) and settles in an hour
  amount.id = "c-amount";
  amount.at_gateway = false;
  TxnSpec stuck;  // pending for two hours here and there; settles at the gateway two hours after loading
  stuck.id = "c-stuck";
  stuck.created_at = Ago(std::chrono::minutes(120));
  stuck.settle_after_ms = "7200000";
  stuck.settle_to = "CaptureApproved";
  JobFixture f(JobSetup{{amount, stuck}});
  const auto loaded = f.sandbox->Post(
      "/sandbox/transactions",
      "merchant_id,kind,merchant_txn_id,amazon_txn_id,parent_txn_id,amount,currency,status,settle_after_ms,"
      "settle_to,approved_amount,fault\n"
      "MID1,charge,c-amount,,,16.00,INR,CapturePending,3600000,CaptureApproved,,\n");
  BOOST_REQUIRE_MESSAGE(loaded.status == 200, loaded.body);

  // Run 1 raises both.
  ProcessResult r = f.Run({"run"});
  BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.err);
  const std::string run1 = Member(RunLine(r.out), "run_id");
  BOOST_TEST(Member(RunLine(r.out), "discrepancies") == "2");

  // The table for people.
  r = f.Run({"discrepancies", "list", "--open"});
  BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.err);
  BOOST_TEST_MESSAGE("discrepancies list --open:\n" << r.out);
  BOOST_TEST(r.out.rfind("ID  CODE             STATE  OPENED", 0) == 0u);
  BOOST_TEST(r.out.find("AMOUNT_MISMATCH  open") != std::string::npos);
  BOOST_TEST(r.out.find("STUCK_PENDING    open") != std::string::npos);
  BOOST_TEST(r.out.find("CapturePending 15.00  CapturePending 16.00  requestedAmount 16.00 differs from ours 15.00") !=
             std::string::npos);
  BOOST_TEST(std::count(r.out.begin(), r.out.end(), '\n') == 3);

  // JSON lines for programs; the ids to resolve.
  r = f.Run({"discrepancies", "list", "--format", "json"});
  BOOST_REQUIRE(r.exit_code == 0);
  auto listed = ListJson(r.out);
  BOOST_REQUIRE(listed.size() == 2u);
  const core::JsonValue& am = listed.find("AMOUNT_MISMATCH")->second;
  const core::JsonValue& sp = listed.find("STUCK_PENDING")->second;
  BOOST_TEST(Text(am, "merchant_txn_id") == "c-amount");
  BOOST_TEST(Text(am, "local_amount") == "15.00");
  BOOST_TEST(Text(am, "gateway_amount") == "16.00");
  BOOST_TEST(Text(am, "state") == "open");
  BOOST_TEST(Text(am, "opened_by_run") == run1);
  BOOST_TEST(Text(sp, "merchant_txn_id") == "c-stuck");
  BOOST_TEST(Text(sp, "resolved_by") == "null");
  const std::string am_id = Text(am, "id");
  const std::string sp_id = Text(sp, "id");

  r = f.Run({"discrepancies", "list", "--code", "STUCK_PENDING", "--format", "csv"});
  BOOST_REQUIRE(r.exit_code == 0);
  const std::string csv_path = f.dir.Write("stuck.csv", r.out);
  const auto csv = ReadCsv(csv_path);
  BOOST_REQUIRE(csv.size() == 2u);
  BOOST_TEST(csv[1][0] == sp_id);
  BOOST_TEST(csv[1][1] == "STUCK_PENDING");

  // Resolve both: one with --by, one taking $USER.
  r = f.Run({"discrepancies", "resolve", am_id, "--by", "alice", "--note", "customer agreed to 16.00; ledger fixed"});
  BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.err);
  const core::JsonValue resolved = RunLine(r.out);
  BOOST_TEST(Member(resolved, "id") == am_id);
  BOOST_TEST(Member(resolved, "code") == "AMOUNT_MISMATCH");
  BOOST_TEST(Member(resolved, "resolved_by") == "alice");
  {
    JobProcess p(PayreconBinary(), {"discrepancies", "resolve", sp_id, "--note", "gateway ticket 123", "--config",
                                    f.config_path},
                 {{kSecretEnv, kSecretOne}, {"USER", "bob"}}, f.dir.path() + "/resolve.out", f.dir.path() + "/resolve.err");
    const ProcessResult pr = p.Wait();
    BOOST_REQUIRE_MESSAGE(pr.exit_code == 0, pr.err);
    BOOST_TEST(Member(RunLine(pr.out), "resolved_by") == "bob");
  }

  // Twice, or an unknown id: exit 2 with a clear message, nothing changes.
  const std::string before = f.SchemaDigest();
  r = f.Run({"discrepancies", "resolve", am_id, "--note", "again"});
  BOOST_TEST(r.exit_code == 2);
  BOOST_TEST(r.out.empty());
  BOOST_TEST(r.err.find("discrepancy " + am_id + " (AMOUNT_MISMATCH of charge 'MID1/c-amount') is already resolved "
                        "by 'alice' at ") != std::string::npos, r.err);
  r = f.Run({"discrepancies", "resolve", "999999", "--note", "x"});
  BOOST_TEST(r.exit_code == 2);
  BOOST_TEST(r.err.find("discrepancy 999999 not found") != std::string::npos, r.err);
  BOOST_TEST(f.SchemaDigest() == before);

  // The audit trail has both resolutions, with who and why.
  const auto events = f.Query(
      "SELECT e.discrepancy_code, e.actor, e.note, t.merchant_txn_id, e.from_status FROM payrecon.transaction_events e "
      "JOIN payrecon.transactions t ON t.id = e.transaction_id WHERE e.event_type = 'resolution' "
      "ORDER BY e.discrepancy_code");
  BOOST_REQUIRE(events.size() == 2u);
  BOOST_TEST(*events[0][0] == "AMOUNT_MISMATCH");
  BOOST_TEST(*events[0][1] == "alice");
  BOOST_TEST(*events[0][2] == "customer agreed to 16.00; ledger fixed");
  BOOST_TEST(*events[0][3] == "c-amount");
  BOOST_TEST(*events[0][4] == "CapturePending");
  BOOST_TEST(*events[1][0] == "STUCK_PENDING");
  BOOST_TEST(*events[1][1] == "bob");
  BOOST_TEST(Count(f, "SELECT count(*) FROM payrecon.transactions WHERE needs_review") == 0);

  r = f.Run({"discrepancies", "list", "--open"});
  BOOST_TEST(r.exit_code == 0);
  BOOST_TEST(r.out == "no open discrepancies\n");
  r = f.Run({"discrepancies", "list"});
  BOOST_TEST(r.out.find("RESOLUTION") != std::string::npos);
  BOOST_TEST(r.out.find("alice ") != std::string::npos);
  BOOST_TEST(r.out.find(": customer agreed to 16.00; led...") != std::string::npos);  // cut to 60 characters

  // Run 2: both are checked again and the gateway says the same: nothing is raised again.
  MakeDue(f, "'c-amount', 'c-stuck'");
  r = f.Run({"run"});
  BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.err);
  BOOST_TEST(Member(RunLine(r.out), "checked") == "2");
  BOOST_TEST(Member(RunLine(r.out), "discrepancies") == "0");
  BOOST_TEST(Count(f, "SELECT count(*) FROM payrecon.discrepancies") == 2);
  BOOST_TEST(Count(f, "SELECT count(*) FROM payrecon.discrepancies WHERE resolved_at IS NULL") == 0);
  BOOST_TEST(Count(f, "SELECT count(*) FROM payrecon.transactions WHERE needs_review") == 0);
  BOOST_TEST(f.Run({"discrepancies", "list", "--open"}).out == "no open discrepancies\n");

  // Run 3: 90 minutes later at the gateway, c-amount has settled (a fact changed: its status) while c-stuck is
  // still pending with the same facts. Only c-amount's AMOUNT_MISMATCH is raised again.
  const auto advanced = f.sandbox->Post("/sandbox/clock?advance_ms=5400000", "");
  BOOST_REQUIRE_MESSAGE(advanced.status == 200, advanced.body);
  MakeDue(f, "'c-amount', 'c-stuck'");
  r = f.Run({"run"});
  BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.err);
  const std::string run3 = Member(RunLine(r.out), "run_id");
  BOOST_TEST(Member(RunLine(r.out), "transitions") == "1");
  BOOST_TEST(Member(RunLine(r.out), "discrepancies") == "1");
  BOOST_TEST(f.Scalar("SELECT status FROM payrecon.transactions WHERE merchant_txn_id = 'c-amount'") ==
             "CaptureApproved");
  BOOST_TEST(f.Scalar("SELECT status FROM payrecon.transactions WHERE merchant_txn_id = 'c-stuck'") ==
             "CapturePending");

  r = f.Run({"discrepancies", "list", "--format", "json"});
  BOOST_REQUIRE(r.exit_code == 0);
  listed = ListJson(r.out);
  BOOST_REQUIRE(listed.size() == 3u);
  BOOST_TEST(r.out.rfind("{\"id\":", 0) == 0u);
  const core::JsonValue newest = *core::ParseJson(r.out.substr(0, r.out.find('\n')));
  BOOST_TEST(Text(newest, "code") == "AMOUNT_MISMATCH");  // newest first
  BOOST_TEST(Text(newest, "state") == "open");
  BOOST_TEST(Text(newest, "opened_by_run") == run3);
  BOOST_TEST(Text(newest, "local_status") == "CaptureApproved");
  BOOST_TEST(Text(newest, "gateway_status") == "CaptureApproved");
  BOOST_TEST(Text(newest, "gateway_amount") == "16.00");
  BOOST_TEST(std::stoll(Text(newest, "id")) > std::stoll(am_id));
  const auto stuck_rows = listed.equal_range("STUCK_PENDING");
  BOOST_TEST(std::distance(stuck_rows.first, stuck_rows.second) == 1);
  BOOST_TEST(Text(stuck_rows.first->second, "state") == "resolved");
  BOOST_TEST(Count(f, "SELECT count(*) FROM payrecon.transactions WHERE needs_review") == 1);
  BOOST_TEST(f.Scalar("SELECT count(*) FROM payrecon.transaction_events WHERE event_type = 'discrepancy' "
                      "AND run_id = '" + run3 + "'") == "1");
  // The run's report lists the new one.
  const auto report = ReadCsv(Member(RunLine(f.Run({"report", "--run", run3}).out), "report_dir") +
                              "/discrepancies.csv.gz");
  BOOST_REQUIRE(report.size() == 2u);
  BOOST_TEST(report[1][3] == "c-amount");
  BOOST_TEST(report[1][5] == "AMOUNT_MISMATCH");
}

BOOST_AUTO_TEST_CASE(discrepancy_commands_refuse_a_schema_behind_with_exit_3) {
  JobFixture f(JobSetup{});
  BOOST_TEST(f.Run({"discrepancies", "list"}).out == "no discrepancies\n");
  f.conn->Execute("DELETE FROM payrecon.schema_migrations WHERE version = "
                  "(SELECT max(version) FROM payrecon.schema_migrations)");
  for (std::vector<std::string> args :
       {std::vector<std::string>{"discrepancies", "list"}, {"discrepancies", "resolve", "1", "--note", "x"}}) {
    const ProcessResult r = f.Run(args);
    BOOST_TEST_CONTEXT(args[1]) {
      BOOST_TEST(r.exit_code == 3);
      BOOST_TEST(r.err.find("database schema is at version") != std::string::npos);
      BOOST_TEST(r.out.empty());
    }
  }
  const ProcessResult usage = f.Run({"discrepancies", "resolve", "1"});
  BOOST_TEST(usage.exit_code == 2);
  BOOST_TEST(usage.err.find("option '--note' is required") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
