// Issue 12 end to end with the real binaries, PostgreSQL and payrecon-sandbox: `check` and `show` on one
// transaction, amounts beside counts (to the paisa against SQL sums, in summary.json and the metrics), and
// reports/index.html across several runs (a failed one included) rendered by headless Chromium.
#include <unistd.h>

#include <boost/test/unit_test.hpp>
#include <csignal>
#include <filesystem>
#include <map>
#include <sstream>

#include "core/json.h"
#include "core/rupees.h"
#include "core/time.h"
#include "tests/e2e/job_fixture.h"

using namespace payrecon;
using namespace payrecon::testing;
namespace fs = std::filesystem;

namespace {

TxnSpec Charge(std::string id, std::string amount = "15.00") {
  TxnSpec s;
  s.id = std::move(id);
  s.amount = std::move(amount);
  return s;
}

core::JsonValue Json(const std::string& text) {
  auto parsed = core::ParseJson(text);
  BOOST_REQUIRE_MESSAGE(parsed.ok() && parsed->is_object(), "not one JSON object: " << text);
  return *parsed;
}

// The member at a path of keys, as text ("null" for null, "true"/"false" for booleans).
std::string At(const core::JsonValue& o, std::initializer_list<const char*> path) {
  const core::JsonValue* v = &o;
  for (const char* key : path) {
    v = v->Find(key);
    BOOST_REQUIRE_MESSAGE(v != nullptr, "no member '" << key << "'");
  }
  if (v->is_null()) return "null";
  if (v->type() == core::JsonValue::Type::kBool) return v->as_bool() ? "true" : "false";
  return v->text();
}

std::vector<core::JsonValue> JsonLines(const std::string& out) {
  std::vector<core::JsonValue> lines;
  std::istringstream in(out);
  for (std::string line; std::getline(in, line);) lines.push_back(Json(line));
  return lines;
}

bool IsHexDigest(const std::string& s) {
  return s.size() == 64 && s.find_first_not_of("0123456789abcdef") == std::string::npos;
}

// A configuration like the fixture's, with more under `reports:` (the last section) and more sections after it.
std::string ConfigWith(JobFixture& f, const std::string& name, const std::string& worker_yaml,
                       const std::string& reports_more, const std::string& after = "") {
  const std::string base = f.WriteConfig(name + ".base", worker_yaml);
  return f.dir.Write(name, ReadFile(base) + reports_more + after);
}

// Sums of the textfile's samples of `family` whose labels contain every one of `labels`.
std::int64_t MetricSum(const std::string& text, const std::string& family, const std::vector<std::string>& labels) {
  std::int64_t sum = 0;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(family + "{", 0) != 0) continue;
    bool all = true;
    for (const std::string& l : labels) all = all && line.find(l) != std::string::npos;
    if (all) sum += std::stoll(line.substr(line.rfind(' ') + 1));
  }
  return sum;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(trends)

// `check` on a pending transaction (applied under a run of mode check), a final one (verified, never changed: a
// conflict is raised, not applied), and an unknown one (exit 2 naming it).
BOOST_AUTO_TEST_CASE(check_pending_final_and_unknown) {
  TxnSpec pending = Charge("c-pending");
  pending.settle_after_ms = "0";
  pending.settle_to = "CaptureApproved";
  TxnSpec final_conflict = Charge("c-final");
  final_conflict.status = "CaptureApproved";
  final_conflict.gateway_status = "Failed";
  JobFixture f(JobSetup{{pending, final_conflict}});
  // Not due for a day: `check` does not care.
  f.conn->Execute("UPDATE payrecon.transactions SET next_check_at = now() + interval '1 day'");

  const ProcessResult r = f.Run({"check", "--merchant", "MID1", "--txn", "c-pending"});
  BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.err);
  const core::JsonValue line = Json(r.out);
  const std::string run_id = At(line, {"run_id"});
  BOOST_TEST(At(line, {"mode"}) == "check");
  BOOST_TEST(At(line, {"dry_run"}) == "false");
  BOOST_TEST(At(line, {"status_before"}) == "CapturePending");
  BOOST_TEST(At(line, {"status_after"}) == "CaptureApproved");
  BOOST_TEST(At(line, {"applied"}) == "true");
  BOOST_TEST(At(line, {"transaction", "amount_paise"}) == "1500");
  BOOST_TEST(At(line, {"gateway", "outcome"}) == "OBSERVED");
  BOOST_TEST(At(line, {"gateway", "http_status"}) == "200");
  BOOST_TEST(At(line, {"gateway", "status"}) == "CaptureApproved");
  BOOST_TEST(At(line, {"gateway", "approved_amount_paise"}) == "1500");
  BOOST_TEST(IsHexDigest(At(line, {"gateway", "response_digest"})));
  BOOST_TEST(At(line, {"gateway", "request_id"}) != "null");
  BOOST_TEST(At(line, {"decision", "new_status"}) == "CaptureApproved");
  BOOST_TEST(At(line, {"decision", "error_class"}) == "null");
  BOOST_TEST(At(line, {"exit_code"}) == "0");
  // The database: the status moved with its event under the check's run, whose row keeps the printed line.
  BOOST_TEST(f.Scalar("SELECT status FROM payrecon.transactions WHERE merchant_txn_id = 'c-pending'") ==
             "CaptureApproved");
  BOOST_TEST(f.Scalar("SELECT mode || ':' || exit_code || ':' || outcome FROM payrecon.runs WHERE id = '" + run_id +
                      "'") == "check:0:done");
  BOOST_TEST(f.Scalar("SELECT figures::text FROM payrecon.runs WHERE id = '" + run_id + "'") != "{}");
  BOOST_TEST(Json(f.Scalar("SELECT figures::text FROM payrecon.runs WHERE id = '" + run_id + "'"))
                 .Find("status_after")->text() == "CaptureApproved");
  BOOST_TEST(f.Scalar("SELECT count(*) || ':' || min(from_status) || '->' || min(to_status) || ':' || "
                      "min(request_id) FROM payrecon.transaction_events WHERE run_id = '" + run_id + "'") ==
             "1:CapturePending->CaptureApproved:" + At(line, {"gateway", "request_id"}));
  BOOST_TEST(f.Scalar("SELECT count(*) FROM payrecon.transactions WHERE lease_run_id IS NOT NULL") == "0");

  // A final transaction: verified, never changed; the conflict is raised once.
  const std::string before = f.Scalar("SELECT status || updated_at FROM payrecon.transactions WHERE id = "
                                      "(SELECT id FROM payrecon.transactions WHERE merchant_txn_id = 'c-final')");
  const ProcessResult fin = f.Run({"check", "--merchant", "MID1", "--txn", "c-final", "--kind", "charge"});
  BOOST_REQUIRE_MESSAGE(fin.exit_code == 0, fin.err);
  const core::JsonValue fl = Json(fin.out);
  BOOST_TEST(At(fl, {"status_before"}) == "CaptureApproved");
  BOOST_TEST(At(fl, {"status_after"}) == "CaptureApproved");
  BOOST_TEST(At(fl, {"gateway", "status"}) == "Failed");
  BOOST_TEST(At(fl, {"decision", "new_status"}) == "null");
  const core::JsonValue* ds = fl.Find("discrepancies");
  BOOST_REQUIRE(ds && ds->items().size() == 1u);
  BOOST_TEST(At(ds->items()[0], {"code"}) == "STATUS_CONFLICT");
  BOOST_TEST(At(ds->items()[0], {"raised"}) == "true");
  BOOST_TEST(f.Scalar("SELECT status FROM payrecon.transactions WHERE merchant_txn_id = 'c-final'") ==
             "CaptureApproved");
  BOOST_TEST(f.Scalar("SELECT count(*) FROM payrecon.transaction_events e JOIN payrecon.transactions t ON "
                      "t.id = e.transaction_id WHERE t.merchant_txn_id = 'c-final' AND e.event_type = 'transition'") ==
             "0");
  BOOST_TEST(f.Scalar("SELECT opened_by_run FROM payrecon.discrepancies WHERE code = 'STATUS_CONFLICT'") ==
             At(fl, {"run_id"}));
  const ProcessResult again = f.Run({"check", "--merchant", "MID1", "--txn", "c-final"});
  BOOST_REQUIRE(again.exit_code == 0);
  BOOST_TEST(At(Json(again.out).Find("discrepancies")->items()[0], {"raised"}) == "false");
  BOOST_TEST(f.Scalar("SELECT count(*) FROM payrecon.discrepancies") == "1");
  BOOST_TEST(f.Scalar("SELECT status FROM payrecon.transactions WHERE merchant_txn_id = 'c-final'") ==
             "CaptureApproved");
  (void)before;

  // Unknown: exit 2, named; no run row.
  const std::string runs = f.Scalar("SELECT count(*) FROM payrecon.runs");
  const ProcessResult unknown = f.Run({"check", "--merchant", "MID1", "--txn", "nope"});
  BOOST_TEST(unknown.exit_code == 2);
  BOOST_TEST(unknown.out.empty());
  BOOST_TEST(unknown.err.find("transaction 'MID1/nope' not found") != std::string::npos, unknown.err);
  const ProcessResult wrong_kind = f.Run({"check", "--merchant", "MID1", "--txn", "c-pending", "--kind", "refund"});
  BOOST_TEST(wrong_kind.exit_code == 2);
  BOOST_TEST(wrong_kind.err.find("refund 'MID1/c-pending' not found") != std::string::npos, wrong_kind.err);
  BOOST_TEST(f.Scalar("SELECT count(*) FROM payrecon.runs") == runs);
}

// `check` on a mismatching and a badly signed transaction, and --dry-run changing nothing.
BOOST_AUTO_TEST_CASE(check_mismatching_badly_signed_and_dry_run) {
  TxnSpec amount = Charge("c-amount");
  amount.settle_after_ms = "0";
  amount.settle_to = "CaptureApproved";
  amount.approved_amount = "14.00";
  TxnSpec badsig = Charge("c-badsig");
  badsig.fault = "wrong_signature";
  TxnSpec dry = Charge("c-dry", "1234567.89");
  dry.settle_after_ms = "0";
  dry.settle_to = "CaptureApproved";
  JobFixture f(JobSetup{{amount, badsig, dry}});

  const ProcessResult a = f.Run({"check", "--merchant", "MID1", "--txn", "c-amount"});
  BOOST_REQUIRE_MESSAGE(a.exit_code == 0, a.err);
  const core::JsonValue al = Json(a.out);
  BOOST_TEST(At(al, {"gateway", "approved_amount_paise"}) == "1400");
  BOOST_TEST(At(al, {"gateway", "requested_amount_paise"}) == "1500");
  const core::JsonValue* ad = al.Find("discrepancies");
  BOOST_REQUIRE(ad && !ad->items().empty());
  BOOST_TEST(At(ad->items()[0], {"code"}) == "AMOUNT_MISMATCH");
  BOOST_TEST(At(ad->items()[0], {"gateway_amount_paise"}) == "1400");
  BOOST_TEST(At(ad->items()[0], {"raised"}) == "true");
  BOOST_TEST(f.Scalar("SELECT code || ':' || gateway_amount_paise || ':' || opened_by_run FROM payrecon.discrepancies") ==
             "AMOUNT_MISMATCH:1400:" + At(al, {"run_id"}));

  const ProcessResult b = f.Run({"check", "--merchant", "MID1", "--txn", "c-badsig"});
  BOOST_REQUIRE_MESSAGE(b.exit_code == 0, b.err);
  const core::JsonValue bl = Json(b.out);
  BOOST_TEST(At(bl, {"gateway", "outcome"}) == "BAD_SIGNATURE");
  BOOST_TEST(At(bl, {"gateway", "status"}) == "null");
  BOOST_TEST(At(bl, {"decision", "error_class"}) == "BAD_SIGNATURE");
  BOOST_TEST(At(bl, {"status_after"}) == "CapturePending");
  BOOST_TEST(At(bl.Find("discrepancies")->items()[0], {"code"}) == "SIGNATURE_INVALID");
  BOOST_TEST(f.Scalar("SELECT status FROM payrecon.transactions WHERE merchant_txn_id = 'c-badsig'") ==
             "CapturePending");
  BOOST_TEST(f.Scalar("SELECT run_id || ':' || error_class FROM payrecon.run_errors") ==
             At(bl, {"run_id"}) + ":BAD_SIGNATURE");

  // The open_discrepancies view's age column moves with the clock: every table but it.
  const auto digest_of_tables = [&] {
    std::string d = f.SchemaDigest();
    const auto view = d.find("open_discrepancies:");
    return d.erase(view, d.find('\n', view) + 1 - view);
  };
  const std::string digest = digest_of_tables();
  const ProcessResult d = f.Run({"check", "--merchant", "MID1", "--txn", "c-dry", "--dry-run"});
  BOOST_REQUIRE_MESSAGE(d.exit_code == 0, d.err);
  const core::JsonValue dl = Json(d.out);
  BOOST_TEST(At(dl, {"dry_run"}) == "true");
  BOOST_TEST(At(dl, {"applied"}) == "false");
  BOOST_TEST(At(dl, {"status_after"}) == "CaptureApproved");  // what a real check would do
  BOOST_TEST(At(dl, {"transaction", "amount_paise"}) == "123456789");
  BOOST_TEST(digest_of_tables() == digest);
}

// `show` after a run's transition and discrepancy, a resolution, a failed check and a `check`; the table in the
// display zone; no merchant secret needed.
BOOST_AUTO_TEST_CASE(show_after_transitions_discrepancies_and_a_resolution) {
  TxnSpec amount = Charge("c-amount");
  amount.settle_after_ms = "0";
  amount.settle_to = "CaptureApproved";
  amount.approved_amount = "14.00";
  TxnSpec failing = Charge("c-5xx");
  failing.fault = "http500";
  JobFixture f(JobSetup{{amount, failing}});
  const ProcessResult run = f.Run({"run"});
  BOOST_REQUIRE_MESSAGE(run.exit_code == 0, run.err);
  const std::string run_id = Member(RunLine(run.out), "run_id");
  const std::string discrepancy_id = f.Scalar("SELECT id FROM payrecon.discrepancies");
  const ProcessResult resolved = f.Run({"discrepancies", "resolve", discrepancy_id, "--note",
                                        "refunded the difference", "--by", "alice"});
  BOOST_REQUIRE_MESSAGE(resolved.exit_code == 0, resolved.err);
  const ProcessResult check = f.Run({"check", "--merchant", "MID1", "--txn", "c-amount"});
  BOOST_REQUIRE_MESSAGE(check.exit_code == 0, check.err);
  const std::string check_run = At(Json(check.out), {"run_id"});

  const ProcessResult js = f.Run({"show", "--merchant", "MID1", "--txn", "c-amount", "--format", "json"});
  BOOST_REQUIRE_MESSAGE(js.exit_code == 0, js.err);
  const std::vector<core::JsonValue> lines = JsonLines(js.out);
  std::vector<std::string> types;
  for (const auto& l : lines) types.push_back(At(l, {"type"}));
  const std::vector<std::string> expected = {"transaction", "handover", "transition", "discrepancy", "resolution",
                                             "check"};
  BOOST_TEST(types == expected, boost::test_tools::per_element());
  BOOST_REQUIRE(lines.size() == 6u);
  BOOST_TEST(At(lines[0], {"status"}) == "CaptureApproved");
  BOOST_TEST(At(lines[0], {"amount_paise"}) == "1500");
  BOOST_TEST(At(lines[0], {"approved_amount_paise"}) == "1400");
  BOOST_TEST(At(lines[1], {"status"}) == "CapturePending");
  BOOST_TEST(At(lines[2], {"run_id"}) == run_id);
  BOOST_TEST(At(lines[2], {"from_status"}) == "CapturePending");
  BOOST_TEST(At(lines[2], {"to_status"}) == "CaptureApproved");
  BOOST_TEST(At(lines[2], {"approved_amount_paise"}) == "1400");
  BOOST_TEST(IsHexDigest(At(lines[2], {"response_digest"})));
  BOOST_TEST(At(lines[2], {"request_id"}) != "null");
  BOOST_TEST(At(lines[3], {"code"}) == "AMOUNT_MISMATCH");
  BOOST_TEST(At(lines[3], {"discrepancy_id"}) == discrepancy_id);
  BOOST_TEST(At(lines[3], {"detail"}) != "null");
  BOOST_TEST(At(lines[3], {"request_id"}) == At(lines[2], {"request_id"}));
  BOOST_TEST(At(lines[4], {"actor"}) == "alice");
  BOOST_TEST(At(lines[4], {"note"}) == "refunded the difference");
  BOOST_TEST(At(lines[4], {"discrepancy_id"}) == discrepancy_id);
  BOOST_TEST(At(lines[5], {"run_id"}) == check_run);
  BOOST_TEST(At(lines[5], {"outcome"}) == "OBSERVED");
  BOOST_TEST(At(lines[5], {"gateway_status"}) == "CaptureApproved");

  const ProcessResult failed = f.Run({"show", "--merchant", "MID1", "--txn", "c-5xx", "--format", "json"});
  BOOST_REQUIRE(failed.exit_code == 0);
  const std::vector<core::JsonValue> fl = JsonLines(failed.out);
  BOOST_REQUIRE(fl.size() == 3u);
  BOOST_TEST(At(fl[2], {"type"}) == "check_failed");
  BOOST_TEST(At(fl[2], {"run_id"}) == run_id);
  BOOST_TEST(At(fl[2], {"error_class"}) == "HTTP_5XX");
  BOOST_TEST(At(fl[2], {"http_status"}) == "500");

  // The table, times in the display zone; run without the merchant's secret (show never calls the gateway).
  const std::string cfg = ConfigWith(f, "ist.yaml", "", "  display_timezone: Asia/Kolkata\n");
  JobProcess show(PayreconBinary(), {"show", "--merchant", "MID1", "--txn", "c-amount", "--config", cfg}, {},
                  f.dir.path() + "/show.out", f.dir.path() + "/show.err");
  const ProcessResult table = show.Wait();
  BOOST_REQUIRE_MESSAGE(table.exit_code == 0, table.err);
  for (const std::string& s : {std::string("status:        CaptureApproved (final)"),
                               std::string("amount:        \u20b915.00 INR"), std::string("TIME (Asia/Kolkata)"),
                               std::string(" IST  handed over"), std::string("status changed"),
                               std::string("discrepancy raised"), std::string("AMOUNT_MISMATCH by alice: refunded the difference"),
                               std::string("checked (check)"), run_id, check_run}) {
    BOOST_TEST(table.out.find(s) != std::string::npos, s);
  }
  // `check` does need the secret.
  JobProcess no_secret(PayreconBinary(), {"check", "--merchant", "MID1", "--txn", "c-amount", "--config", cfg}, {},
                       f.dir.path() + "/nosecret.out", f.dir.path() + "/nosecret.err");
  const ProcessResult ns = no_secret.Wait();
  BOOST_TEST(ns.exit_code == 2);
  BOOST_TEST(ns.err.find(kSecretEnv) != std::string::npos, ns.err);
  // Unknown: exit 2, named.
  const ProcessResult unknown = f.Run({"show", "--merchant", "MID2", "--txn", "c-amount"});
  BOOST_TEST(unknown.exit_code == 2);
  BOOST_TEST(unknown.err.find("transaction 'MID2/c-amount' not found") != std::string::npos, unknown.err);
}

// index.html after a run, a run refused by the gateway (exit 4), a killed run (never finished) and a backfill;
// summary.json and the metrics to the paisa against SQL sums, with amounts beyond 2^53 paise.
BOOST_AUTO_TEST_CASE(index_after_several_runs_including_a_failed_one) {
  TxnSpec big = Charge("c-big", "90071992547409.93");  // 2^53 + 1 paise
  big.settle_after_ms = "0";
  big.settle_to = "CaptureApproved";
  TxnSpec small = Charge("c-small", "0.01");
  small.settle_after_ms = "3600000";
  small.settle_to = "CaptureApproved";
  TxnSpec stuck = Charge("c-stuck", "12345.67");
  stuck.created_at = Ago(std::chrono::minutes(3 * 24 * 60));
  stuck.settle_after_ms = "3600000";
  stuck.settle_to = "CaptureApproved";
  TxnSpec refund;
  refund.kind = "refund";
  refund.id = "r-big";
  refund.parent = "c-big";
  refund.amount = "90071992547409.93";
  refund.settle_after_ms = "3600000";
  refund.settle_to = "Approved";
  TxnSpec hang = Charge("c-hang", "1.00");
  hang.fault = "hang:20000";
  JobFixture f(JobSetup{{big, small, stuck, refund, hang}});
  const std::string textfile = f.dir.path() + "/payrecon.prom";
  const std::string cfg = ConfigWith(f, "trends.yaml", "", "  display_timezone: Asia/Kolkata\n  index_runs: 50\n",
                                     "metrics:\n  textfile: \"" + textfile + "\"\n");
  const auto run = [&](std::vector<std::string> args) {
    args.push_back("--config");
    args.push_back(cfg);
    return f.Run(args);
  };
  const auto make_due = [&] {
    f.conn->Execute("UPDATE payrecon.transactions SET next_check_at = now() - interval '1 second' "
                    "WHERE status IN ('CapturePending', 'Pending')");
  };

  // 1: a run.
  const ProcessResult r1 = run({"run"});
  BOOST_REQUIRE_MESSAGE(r1.exit_code == 0, r1.err);
  const std::string run1 = Member(RunLine(r1.out), "run_id");
  const core::JsonValue summary = Json(ReadFile(Member(RunLine(r1.out), "report_dir") + "/summary.json"));
  // To the paisa against SQL.
  const std::string pending_sum = f.Scalar(
      "SELECT sum(amount_paise) FROM payrecon.transactions WHERE status IN ('CapturePending', 'Pending')");
  BOOST_TEST(pending_sum == "9007199255975661");
  BOOST_TEST(At(summary, {"pending", "amount_paise"}) == pending_sum);
  BOOST_TEST(At(summary, {"pending", "count"}) == "4");
  std::map<std::string, std::int64_t> by_kind;
  for (const core::JsonValue& x : summary.Find("pending")->Find("by_kind_age")->items()) {
    by_kind[At(x, {"kind"})] += std::stoll(At(x, {"amount_paise"}));
  }
  for (const char* kind : {"charge", "refund", "topup"}) {
    const std::string sql = f.Scalar(std::string("SELECT coalesce(sum(amount_paise), 0) FROM payrecon.transactions "
                                                 "WHERE status IN ('CapturePending', 'Pending') AND kind = '") + kind + "'");
    BOOST_TEST(std::to_string(by_kind[kind]) == sql, kind);
    BOOST_TEST(MetricSum(ReadFile(textfile), "payrecon_pending_amount_paise",
                         {"mode=\"run\"", std::string("kind=\"") + kind + "\""}) == std::stoll(sql), kind);
  }
  const std::string moved = f.Scalar("SELECT sum(t.amount_paise) FROM payrecon.transaction_events e JOIN "
                                     "payrecon.transactions t ON t.id = e.transaction_id WHERE e.run_id = '" + run1 +
                                     "' AND e.event_type = 'transition'");
  BOOST_TEST(moved == "9007199254740993");
  BOOST_TEST(At(summary, {"amounts_paise", "transitions", "CapturePending->CaptureApproved"}) == moved);
  BOOST_TEST(MetricSum(ReadFile(textfile), "payrecon_last_run_transitions_amount_paise",
                       {"kind=\"charge\"", "to=\"CaptureApproved\""}) == std::stoll(moved));
  const std::string open_sum =
      f.Scalar("SELECT sum(local_amount_paise) FROM payrecon.discrepancies WHERE resolved_at IS NULL");
  BOOST_TEST(open_sum == "1234567");
  BOOST_TEST(At(summary, {"open_discrepancies", "amount_paise"}) == open_sum);
  BOOST_TEST(At(summary, {"open_discrepancies", "by_code", "STUCK_PENDING", "amount_paise"}) == open_sum);
  BOOST_TEST(At(summary, {"amounts_paise", "discrepancies_by_code", "STUCK_PENDING"}) == open_sum);
  BOOST_TEST(MetricSum(ReadFile(textfile), "payrecon_open_discrepancies_amount_paise", {"code=\"STUCK_PENDING\""}) ==
             1234567);

  // 2: the gateway refuses the merchant's credentials (a wrong secret): exit 4, figures recorded.
  make_due();
  const std::string wrong = f.dir.Write("wrong.key", "NOT_THE_SECRET\n");
  std::string refused_yaml = ReadFile(cfg);
  const std::string env_line = std::string("secret_key_env: ") + kSecretEnv;
  refused_yaml.replace(refused_yaml.find(env_line), env_line.size(), "secret_key_file: \"" + wrong + "\"");
  refused_yaml.replace(refused_yaml.find("worker:\n"), 8, "worker:\n  auth_failures_to_stop: 1\n");
  const ProcessResult r2 = f.Run({"run", "--config", f.dir.Write("refused.yaml", refused_yaml)});
  BOOST_REQUIRE_MESSAGE(r2.exit_code == 4, r2.err);
  const std::string run2 = Member(RunLine(r2.out), "run_id");

  // 3: killed while a call hangs: it never records its end.
  make_due();
  auto killed = f.Start({"run", "--config", cfg});
  f.WaitFor("the third run holding c-hang's lease", [&] {
    return f.Scalar("SELECT count(*) FROM payrecon.transactions WHERE merchant_txn_id = 'c-hang' AND "
                    "lease_run_id IS NOT NULL AND lease_run_id NOT IN ('" + run1 + "', '" + run2 + "')") == "1";
  });
  const std::string run3 = f.Scalar("SELECT lease_run_id FROM payrecon.transactions WHERE merchant_txn_id = 'c-hang'");
  killed->Signal(SIGKILL);
  killed->Wait();
  f.conn->Execute("UPDATE payrecon.transactions SET lease_run_id = NULL, lease_until = NULL");

  // 4: a backfill.
  const std::string from = core::FormatIso8601(std::chrono::time_point_cast<core::Millis>(
                               std::chrono::system_clock::now()) - std::chrono::hours(24 * 4));
  const std::string to = core::FormatIso8601(std::chrono::time_point_cast<core::Millis>(
                             std::chrono::system_clock::now()) + std::chrono::hours(1));
  const ProcessResult r4 = run({"backfill", "--from", from, "--to", to});
  BOOST_REQUIRE_MESSAGE(r4.exit_code == 0, r4.err);
  const std::string run4 = Member(RunLine(r4.out), "run_id");

  const std::string index = f.reports_dir + "/index.html";
  BOOST_REQUIRE(fs::exists(index));
  // Written atomically: no temporary page left (the killed run's unfinished report folder is its own matter).
  for (const auto& e : fs::directory_iterator(f.reports_dir)) {
    BOOST_TEST(!e.path().filename().string().starts_with(".index.html"), e.path());
  }
  // Financial figures: 0640 whatever the umask, like the run folders' files.
  BOOST_TEST((fs::status(index).permissions() == (fs::perms::owner_read | fs::perms::owner_write |
                                                   fs::perms::group_read)));
  const ProcessResult dom = Chromium(f.dir, "index", {"--dump-dom"}, index);
  const std::string& d = dom.out;
  BOOST_TEST(d.find("<script") == std::string::npos);
  BOOST_TEST(d.find("4 runs (at most 50)") != std::string::npos);
  BOOST_TEST(d.find("times in Asia/Kolkata") != std::string::npos);
  // Newest first.
  BOOST_TEST(d.find("id=\"run-" + run4 + "\"") < d.find("id=\"run-" + run3 + "\""));
  BOOST_TEST(d.find("id=\"run-" + run3 + "\"") < d.find("id=\"run-" + run2 + "\""));
  BOOST_TEST(d.find("id=\"run-" + run2 + "\"") < d.find("id=\"run-" + run1 + "\""));
  const auto row = [&](const std::string& id) {
    const auto from_at = d.find("id=\"run-" + id + "\"");
    BOOST_REQUIRE(from_at != std::string::npos);
    return d.substr(from_at, d.find("</tr>", from_at) - from_at);
  };
  BOOST_TEST(row(run3).find("did not finish") != std::string::npos);
  BOOST_TEST(row(run3).find("no figures recorded") != std::string::npos);
  BOOST_TEST(row(run3).find(">none<") != std::string::npos);
  BOOST_TEST(row(run2).find("badge bad\">4<") != std::string::npos, row(run2));
  BOOST_TEST(row(run1).find("badge ok\">0<") != std::string::npos, row(run1));
  BOOST_TEST(row(run1).find(" IST</td>") != std::string::npos);
  // The run's row: its pending rupees as SQL summed them; links to its reports, which exist.
  BOOST_TEST(row(run1).find(core::FormatRupees(std::stoll(pending_sum))) != std::string::npos, row(run1));
  // Every link of the row: summary.html and the four CSV files under the names they have (gzip'd by default).
  const std::string run1_row = row(run1);
  std::vector<std::string> links;
  for (auto at = run1_row.find("href=\""); at != std::string::npos; at = run1_row.find("href=\"", at + 6)) {
    links.push_back(run1_row.substr(at + 6, run1_row.find('"', at + 6) - at - 6));
  }
  BOOST_TEST(links.size() == 5u);
  for (const std::string& link : links) {
    BOOST_TEST(fs::exists(f.reports_dir + "/" + link), link);
    BOOST_TEST(link.find(run1) != std::string::npos, link);
  }
  BOOST_TEST(run1_row.find("/transitions.csv.gz\"") != std::string::npos, run1_row);
  // The charts: one bar group per run, the killed run marked.
  for (const char* id : {"svg-pending-count", "svg-pending-amount", "svg-open", "svg-checks", "svg-latency"}) {
    BOOST_TEST(d.find(std::string("id=\"") + id + "\"") != std::string::npos, id);
  }
  BOOST_TEST(d.find("class=\"failed\"") != std::string::npos);
  BOOST_TEST(d.find("STUCK_PENDING: 1 (\u20b912,345.67)") != std::string::npos);
  // The figures in the runs table are what the index drew.
  BOOST_TEST(f.Scalar("SELECT figures->>'checked' FROM payrecon.runs WHERE id = '" + run1 + "'") == "5");
  BOOST_TEST(f.Scalar("SELECT figures::text FROM payrecon.runs WHERE id = '" + run3 + "'") == "{}");

  const std::string png = f.dir.path() + "/index.png";
  Chromium(f.dir, "shot", {"--hide-scrollbars", "--window-size=1200,1600", "--screenshot=" + png}, index);
  const std::string image = ReadFile(png);
  BOOST_REQUIRE(image.size() > 24u);
  BOOST_TEST(image.substr(0, 8) == std::string("\x89PNG\r\n\x1a\n", 8));
  BOOST_TEST(BigEndian32(image, 16) == 1200u);
  BOOST_TEST(BigEndian32(image, 20) == 1600u);
}

BOOST_AUTO_TEST_SUITE_END()
