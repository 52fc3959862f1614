// Logs and metrics, the pure parts: log line formats, the --log-* options, a run's metrics text and the merge
// rule shared by the textfile and the Pushgateway.
#include <boost/test/unit_test.hpp>

#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include "core/json.h"
#include "jobs/build_info.h"
#include "jobs/cli.h"
#include "jobs/exit_code.h"
#include "jobs/log.h"
#include "jobs/metrics_output.h"
#include "jobs/run_metrics.h"

using namespace payrecon;
using namespace payrecon::jobs;
using namespace payrecon::engine;

namespace {

const core::Instant kT{core::Millis{1767225600123}};  // 2026-01-01T00:00:00.123Z

std::string UsageError(std::vector<std::string> args) {
  try {
    ParseCommandLine(args);
    return "ok";
  } catch (const JobError& e) {
    return e.what();
  }
}

bool Contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

std::string SourceFile(const std::string& rel) {
  const std::string path = std::string(PAYRECON_TESTDATA_DIR) + "/../../" + rel;
  std::ifstream in(path, std::ios::binary);
  BOOST_REQUIRE_MESSAGE(in, "cannot open " << path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The series names payrecon writes, from the metric writer itself: every family of a run that read the database,
// histograms as their _bucket, _sum and _count series.
std::set<std::string> WrittenSeries() {
  RunMetricsInput in;
  in.mode = "run";
  in.finished_at = kT;
  in.database = DatabaseGauges{};
  const std::string text = RenderRunMetrics(in);
  std::set<std::string> names;
  const std::regex type_line(R"(# TYPE (\S+) (\S+))");
  for (std::sregex_iterator it(text.begin(), text.end(), type_line), end; it != end; ++it) {
    const std::string name = (*it)[1];
    if ((*it)[2] == "histogram") {
      for (const char* suffix : {"_bucket", "_sum", "_count"}) names.insert(name + suffix);
    } else {
      names.insert(name);
    }
  }
  return names;
}

// payrecon_* names in a PromQL expression.
std::set<std::string> QueriedSeries(const std::string& expr) {
  std::set<std::string> names;
  const std::regex metric(R"(\bpayrecon_[a-zA-Z0-9_]*)");
  for (std::sregex_iterator it(expr.begin(), expr.end(), metric), end; it != end; ++it) names.insert(it->str());
  return names;
}

// Every "expr" member anywhere in a JSON document.
void CollectExprs(const core::JsonValue& v, std::vector<std::string>& out) {
  for (const auto& [key, member] : v.members()) {
    if (key == "expr" && member.type() == core::JsonValue::Type::kString) out.push_back(member.text());
    CollectExprs(member, out);
  }
  for (const auto& item : v.items()) CollectExprs(item, out);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(observability_unit)

BOOST_AUTO_TEST_CASE(json_log_lines) {
  BOOST_TEST(FormatLogLine(LogFormat::kJson, kT, LogLevel::kInfo, "", "schema is up to date", {}) ==
             "{\"ts\":\"2026-01-01T00:00:00.123Z\",\"level\":\"info\",\"msg\":\"schema is up to date\"}\n");
  const std::string line =
      FormatLogLine(LogFormat::kJson, kT, LogLevel::kWarn, "r-1", "import \"a b.csv\": line 3:\nbad",
                    {{"checked", std::int64_t{12}}, {"mode", std::string("run")}, {"dry_run", false}});
  BOOST_TEST(line ==
             "{\"ts\":\"2026-01-01T00:00:00.123Z\",\"level\":\"warn\",\"msg\":\"import \\\"a b.csv\\\": line 3:\\nbad\","
             "\"run_id\":\"r-1\",\"checked\":12,\"mode\":\"run\",\"dry_run\":false}\n");
  // One line, and valid JSON whatever the message holds.
  BOOST_TEST(line.find('\n') == line.size() - 1);
  BOOST_TEST(core::ParseJson(line.substr(0, line.size() - 1)).ok());
}

// Bytes that are not well-formed UTF-8 (from an import line, say) become U+FFFD escapes, each byte once, so the
// line stays valid JSON; well-formed UTF-8 passes as it is.
BOOST_AUTO_TEST_CASE(json_log_lines_escape_bytes_that_are_not_utf8) {
  const auto msg = [](std::string_view m, const LogFields& f = {}) {
    const std::string line = FormatLogLine(LogFormat::kJson, kT, LogLevel::kWarn, "", m, f);
    const std::string head = "{\"ts\":\"2026-01-01T00:00:00.123Z\",\"level\":\"warn\",\"msg\":";
    BOOST_REQUIRE(line.rfind(head, 0) == 0);
    return line.substr(head.size(), line.size() - head.size() - 2);
  };
  BOOST_TEST(msg("caf\xc3\xa9 \xe2\x82\xb9 \xf0\x9f\x92\xb0") == "\"caf\xc3\xa9 \xe2\x82\xb9 \xf0\x9f\x92\xb0\"");
  BOOST_TEST(msg("line 3: \xff\xfe") == "\"line 3: \\ufffd\\ufffd\"");
  BOOST_TEST(msg("a\x80" "b") == "\"a\\ufffdb\"");                        // a lone continuation byte
  BOOST_TEST(msg("\xc3") == "\"\\ufffd\"");                            // cut short at the end
  BOOST_TEST(msg("\xe2\x82x") == "\"\\ufffd\\ufffdx\"");                // cut short in the middle
  BOOST_TEST(msg("\xc0\xaf") == "\"\\ufffd\\ufffd\"");                  // overlong '/'
  BOOST_TEST(msg("\xed\xa0\x80") == "\"\\ufffd\\ufffd\\ufffd\"");        // a UTF-16 surrogate
  BOOST_TEST(msg("\xf4\x90\x80\x80") == "\"\\ufffd\\ufffd\\ufffd\\ufffd\""); // above U+10FFFF
  BOOST_TEST(msg("q\"\\\x01") == "\"q\\\"\\\\\\u0001\"");
  // Field values and keys too.
  const std::string line =
      FormatLogLine(LogFormat::kJson, kT, LogLevel::kWarn, "", "m", {{"f\xff", std::string("v\xfe")}});
  BOOST_TEST(line.find("\"f\\ufffd\":\"v\\ufffd\"") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(text_log_lines) {
  BOOST_TEST(FormatLogLine(LogFormat::kText, kT, LogLevel::kError, "", "database: refused", {}) ==
             "2026-01-01T00:00:00.123Z payrecon error: database: refused\n");
  BOOST_TEST(FormatLogLine(LogFormat::kText, kT, LogLevel::kInfo, "r-1", "run finished",
                           {{"checked", std::int64_t{3}}, {"dir", std::string("a b")}, {"strict", true}}) ==
             "2026-01-01T00:00:00.123Z payrecon info [run r-1]: run finished checked=3 dir=\"a b\" strict=true\n");
}

BOOST_AUTO_TEST_CASE(log_names) {
  BOOST_TEST((LogLevelFromName("warn") == LogLevel::kWarn));
  BOOST_TEST(!LogLevelFromName("WARN").has_value());
  BOOST_TEST((LogFormatFromName("text") == LogFormat::kText));
  BOOST_TEST(!LogFormatFromName("xml").has_value());
}

BOOST_AUTO_TEST_CASE(log_options_on_every_command) {
  auto cl = ParseCommandLine({"run", "--config", "c.yaml", "--log-format", "text", "--log-level=debug"});
  BOOST_TEST((cl.log_format == LogFormat::kText));
  BOOST_TEST((cl.log_level == LogLevel::kDebug));
  cl = ParseCommandLine({"migrate", "--config", "c.yaml"});
  BOOST_TEST(!cl.log_format.has_value());
  BOOST_TEST(!cl.log_level.has_value());
  BOOST_TEST(UsageError({"import", "x.csv", "--config", "c", "--log-format", "json"}) == "ok");
  BOOST_TEST(UsageError({"report", "--run", "r", "--config", "c", "--log-level", "error"}) == "ok");
  BOOST_TEST(UsageError({"run", "--config", "c", "--log-format", "xml"}) ==
             "option '--log-format': expected json or text, got 'xml'");
  BOOST_TEST(UsageError({"run", "--config", "c", "--log-level", "trace"}) ==
             "option '--log-level': expected debug, info, warn or error, got 'trace'");
  BOOST_TEST(UsageError({"run", "--config", "c", "--log-level", "info", "--log-level", "info"}) ==
             "option '--log-level' given twice");
  BOOST_TEST(Contains(std::string(UsageText()), "--log-format json|text"));
}

BOOST_AUTO_TEST_CASE(run_metrics_text) {
  RunStats s;
  s.counts.checked = 3;
  s.by_kind_outcome[static_cast<std::size_t>(core::Kind::kCharge)][static_cast<std::size_t>(core::CheckOutcome::kObserved)] = 2;
  s.by_kind_outcome[static_cast<std::size_t>(core::Kind::kRefund)][static_cast<std::size_t>(core::CheckOutcome::kTimeout)] = 1;
  s.by_kind_transition[{core::Kind::kCharge, core::Status::kCapturePending, core::Status::kCaptureApproved}] = 2;
  s.by_discrepancy[core::DiscrepancyCode::kNotFound] = 1;
  s.by_error[core::CheckOutcome::kTimeout] = 1;
  s.counts.latency.Observe(1500);
  s.counts.latency.Observe(40000);
  RunMetricsInput in;
  in.mode = "run";
  in.exit_code = 0;
  in.finished_at = kT;
  in.duration = core::Millis{2500};
  in.stats = &s;
  DatabaseGauges g;
  g.now = kT;
  g.open_discrepancies = {{core::DiscrepancyCode::kNotFound, 4, kT - core::Millis{90'000}}};
  core::PendingAges refunds;
  refunds.kind = core::Kind::kRefund;
  refunds.counts = {0, 0, 0, 5, 0, 1};
  refunds.oldest_created_at = kT - core::Millis{8 * 86400 * 1000LL + 500};
  g.pending = {refunds};
  in.database = g;
  const std::string text = RenderRunMetrics(in);
  for (const char* line : {
           "# TYPE payrecon_run_duration_seconds gauge\npayrecon_run_duration_seconds{mode=\"run\"} 2.500\n",
           "payrecon_run_finished_timestamp_seconds{mode=\"run\"} 1767225600.123\n",
           "payrecon_last_success_timestamp_seconds{mode=\"run\"} 1767225600.123\n",
           "payrecon_run_exit_code{mode=\"run\"} 0\n",
           "# TYPE payrecon_last_run_checks gauge\n",
           "payrecon_last_run_checks{mode=\"run\",kind=\"charge\",outcome=\"OBSERVED\"} 2\n",
           "payrecon_last_run_checks{mode=\"run\",kind=\"refund\",outcome=\"TIMEOUT\"} 1\n",
           "payrecon_last_run_checks{mode=\"run\",kind=\"topup\",outcome=\"MALFORMED\"} 0\n",
           "payrecon_last_run_transitions{mode=\"run\",kind=\"charge\",from=\"CapturePending\",to=\"CaptureApproved\"} 2\n",
           "payrecon_last_run_transitions{mode=\"run\",kind=\"refund\",from=\"Pending\",to=\"Declined\"} 0\n",
           "payrecon_last_run_discrepancies_raised{mode=\"run\",code=\"NOT_FOUND\"} 1\n",
           "payrecon_last_run_errors{mode=\"run\",class=\"TIMEOUT\"} 1\n",
           "payrecon_last_run_errors{mode=\"run\",class=\"AUTH\"} 0\n",
           "payrecon_last_run_gateway_latency_seconds_bucket{mode=\"run\",le=\"0.001\"} 0\n",
           "payrecon_last_run_gateway_latency_seconds_bucket{mode=\"run\",le=\"0.050\"} 2\n",
           "payrecon_last_run_gateway_latency_seconds_count{mode=\"run\"} 2\n",
           "payrecon_open_discrepancies{mode=\"run\",code=\"NOT_FOUND\"} 4\n",
           "payrecon_open_discrepancies{mode=\"run\",code=\"STUCK_PENDING\"} 0\n",
           "payrecon_oldest_open_discrepancy_age_seconds{mode=\"run\",code=\"NOT_FOUND\"} 90.000\n",
           "payrecon_oldest_open_discrepancy_age_seconds{mode=\"run\",code=\"STUCK_PENDING\"} 0.000\n",
           "payrecon_last_run_conflicts{mode=\"run\"} 0\n",
           "payrecon_oldest_pending_age_seconds{mode=\"run\",kind=\"refund\"} 691200.500\n",
           "payrecon_oldest_pending_age_seconds{mode=\"run\",kind=\"charge\"} 0.000\n",
           "payrecon_pending_transactions{mode=\"run\",kind=\"refund\",age=\"1h-1d\"} 5\n",
           "payrecon_pending_transactions{mode=\"run\",kind=\"refund\",age=\"7d+\"} 1\n",
           "payrecon_pending_transactions{mode=\"run\",kind=\"topup\",age=\"0-1m\"} 0\n",
       }) {
    BOOST_TEST_CONTEXT(line) { BOOST_TEST(Contains(text, line)); }
  }
  // Four transitions per lifecycle: charge and top-up (2 each), refund (2).
  std::size_t transitions = 0;
  for (std::size_t at = text.find("payrecon_last_run_transitions{"); at != std::string::npos;
       at = text.find("payrecon_last_run_transitions{", at + 1)) {
    ++transitions;
  }
  BOOST_TEST(transitions == 6u);

  // A failed run says nothing about the last success; without the database, no database gauges.
  in.exit_code = 3;
  in.stats = nullptr;
  in.database.reset();
  const std::string failed = RenderRunMetrics(in);
  BOOST_TEST(!Contains(failed, "payrecon_last_success_timestamp_seconds"));
  BOOST_TEST(!Contains(failed, "payrecon_open_discrepancies"));
  BOOST_TEST(Contains(failed, "payrecon_run_exit_code{mode=\"run\"} 3\n"));
  BOOST_TEST(Contains(failed, "payrecon_last_run_checks{mode=\"run\",kind=\"charge\",outcome=\"OBSERVED\"} 0\n"));
  in.exit_code = 1;  // --strict with new discrepancies: the run worked
  BOOST_TEST(Contains(RenderRunMetrics(in), "payrecon_last_success_timestamp_seconds{mode=\"run\"} 1767225600.123\n"));
}

BOOST_AUTO_TEST_CASE(merge_keeps_other_modes_and_what_a_failed_run_cannot_say) {
  const std::string previous =
      "# HELP a_total A.\n# TYPE a_total counter\na_total{mode=\"run\"} 1\na_total{mode=\"backfill\"} 2\n"
      "# HELP last Last.\n# TYPE last gauge\nlast{mode=\"run\"} 100\nlast{mode=\"backfill\"} 200\n"
      "# a stray comment\n";
  const std::string fresh = "# HELP a_total A.\n# TYPE a_total counter\na_total{mode=\"run\"} 5\n";
  // A successful run: this mode's samples are exactly the fresh ones.
  BOOST_TEST(MergeExposition(previous, fresh, "run", true) ==
             "# HELP a_total A.\n# TYPE a_total counter\na_total{mode=\"backfill\"} 2\na_total{mode=\"run\"} 5\n"
             "# HELP last Last.\n# TYPE last gauge\nlast{mode=\"backfill\"} 200\n");
  // A failed one: families it did not report keep their samples.
  BOOST_TEST(MergeExposition(previous, fresh, "run", false) ==
             "# HELP a_total A.\n# TYPE a_total counter\na_total{mode=\"backfill\"} 2\na_total{mode=\"run\"} 5\n"
             "# HELP last Last.\n# TYPE last gauge\nlast{mode=\"run\"} 100\nlast{mode=\"backfill\"} 200\n");
  // Nothing before: the fresh text as is. A changed type drops the old samples.
  BOOST_TEST(MergeExposition("", fresh, "run", true) == fresh);
  BOOST_TEST(MergeExposition("# HELP a_total A.\n# TYPE a_total gauge\na_total{mode=\"backfill\"} 2\n", fresh, "run",
                             false) == fresh);
  // A label that only ends in "mode" is not the mode.
  BOOST_TEST(MergeExposition("# TYPE b gauge\nb{xmode=\"run\"} 1\n", fresh, "run", true) ==
             fresh + "# TYPE b gauge\nb{xmode=\"run\"} 1\n");
}

// The default grouping key has no instance: every pod of a CronJob replaces the same group.
BOOST_AUTO_TEST_CASE(push_url) {
  config::MetricsSettings m;
  m.pushgateway_url = "http://pg:9091/prefix";
  BOOST_TEST(PushUrl(m, "run") == "http://pg:9091/prefix/metrics/job/payrecon/mode/run");
  m.instance = "replica-a";
  BOOST_TEST(PushUrl(m, "backfill") == "http://pg:9091/prefix/metrics/job/payrecon/instance/replica-a/mode/backfill");
}

// No family is named like a counter: every figure is the last run's, so `rate()` over one would be wrong.
BOOST_AUTO_TEST_CASE(no_counter_names_and_build_info) {
  RunMetricsInput in;
  in.mode = "run";
  in.finished_at = kT;
  DatabaseGauges g;
  g.now = kT;
  in.database = g;
  const std::string text = RenderRunMetrics(in);
  BOOST_TEST(!Contains(text, "_total"));
  BOOST_TEST(!Contains(text, " counter\n"));
  BOOST_TEST(Contains(text, "# TYPE payrecon_build_info gauge\npayrecon_build_info{mode=\"run\",version=\"" +
                                std::string(BuildVersion()) + "\",commit=\"" + BuildCommit() + "\"} 1\n"));
  BOOST_TEST(std::string(BuildVersion()) == "0.1.0");
  BOOST_TEST(!std::string(BuildCommit()).empty());
}

// The Grafana dashboard queries only series payrecon writes, and shows every family it writes.
BOOST_AUTO_TEST_CASE(dashboard_queries_only_written_metrics) {
  const std::set<std::string> written = WrittenSeries();
  BOOST_TEST(written.count("payrecon_last_run_checks") == 1u);
  BOOST_TEST(written.count("payrecon_last_run_gateway_latency_seconds_bucket") == 1u);
  BOOST_TEST(written.count("payrecon_oldest_open_discrepancy_age_seconds") == 1u);
  const auto dashboard = core::ParseJson(SourceFile("deploy/grafana/payrecon.json"));
  BOOST_REQUIRE_MESSAGE(dashboard.ok(), "deploy/grafana/payrecon.json is not JSON");
  std::vector<std::string> exprs;
  CollectExprs(dashboard.value(), exprs);
  BOOST_TEST(exprs.size() >= 15u);
  std::set<std::string> shown;
  for (const std::string& expr : exprs) {
    const std::set<std::string> queried = QueriedSeries(expr);
    BOOST_TEST_CONTEXT(expr) { BOOST_TEST(!queried.empty()); }
    for (const std::string& name : queried) {
      BOOST_TEST_CONTEXT(expr) { BOOST_TEST(written.count(name) == 1u, name << " is not written by payrecon"); }
      shown.insert(name);
    }
  }
  for (const std::string& name : written) BOOST_TEST(shown.count(name) == 1u, name << " is not on the dashboard");
}

// The alert rules, likewise, name only series payrecon writes.
BOOST_AUTO_TEST_CASE(alert_rules_query_only_written_metrics) {
  const std::set<std::string> written = WrittenSeries();
  const std::set<std::string> queried = QueriedSeries(SourceFile("deploy/prometheus/rules.yaml"));
  BOOST_TEST(queried.size() >= 7u);
  for (const std::string& name : queried) BOOST_TEST(written.count(name) == 1u, name << " is not written by payrecon");
  // The checker itself rejects an unknown name.
  BOOST_TEST(written.count("payrecon_checks_total") == 0u);
}

BOOST_AUTO_TEST_SUITE_END()
