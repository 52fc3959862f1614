#include <boost/test/unit_test.hpp>

#include <string>

#include "core/html_summary.h"
#include "tests/unit/zoneinfo.h"

using namespace payrecon::core;

namespace {

HtmlSummaryInput Sample() {
  HtmlSummaryInput in;
  RunSummary& s = in.summary;
  s.run_id = "r-<1>";
  s.mode = "run";
  s.report_dir = "/tmp/reports/x";
  s.started_at = ParseIso8601("2026-11-25T10:00:00Z").value();
  s.finished_at = ParseIso8601("2026-11-25T10:00:12.345Z").value();
  s.counts.checked = 12345;
  s.transitions = 321;
  s.discrepancies = 4;
  s.errors = 2;
  s.still_pending = 99;
  s.counts.checked_by_kind[Kind::kCharge] = 12000;
  s.counts.checked_by_kind[Kind::kRefund] = 345;
  s.transitions_by_status[{Status::kCapturePending, Status::kCaptureApproved}] = 300;
  s.transitions_by_status[{Status::kPending, Status::kDeclined}] = 21;
  s.discrepancies_by_code[DiscrepancyCode::kAmountMismatch] = 3;
  s.discrepancies_by_code[DiscrepancyCode::kStuckPending] = 1;
  s.errors_by_class[CheckOutcome::kTimeout] = 2;
  s.transition_amounts[{Status::kCapturePending, Status::kCaptureApproved}] = 12345678;
  s.transition_amounts[{Status::kPending, Status::kDeclined}] = 5;
  s.discrepancy_amounts[DiscrepancyCode::kAmountMismatch] = 1000000000;
  s.pending_ages = {"0-1m", "7d+"};
  s.pending_totals = {{Kind::kCharge, "0-1m", 80, 150000}, {Kind::kRefund, "0-1m", 10, 99}, {Kind::kCharge, "7d+", 9, 1}};
  s.open_discrepancies = {{DiscrepancyCode::kAmountMismatch, 7, 123456789012}};
  in.latency.Observe(3000);
  in.latency.Observe(20000000);
  in.pending_ages = {{"< 1 min", 90}, {"> 1 day", 9}};
  return in;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(html_summary)

BOOST_AUTO_TEST_CASE(self_contained_and_escaped) {
  const std::string html = RenderSummaryHtml(Sample());
  BOOST_TEST(html.rfind("<!DOCTYPE html>", 0) == 0u);
  BOOST_TEST(html.find("<script") == std::string::npos);
  BOOST_TEST(html.find("http://") == std::string::npos);
  BOOST_TEST(html.find("https://") == std::string::npos);
  BOOST_TEST(html.find("<link") == std::string::npos);
  BOOST_TEST(html.find("r-&lt;1&gt;") != std::string::npos);
  BOOST_TEST(html.find("r-<1>") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(shows_the_figures) {
  const std::string html = RenderSummaryHtml(Sample());
  for (const char* expected : {"12,345", "transactions checked", "321", "CapturePending \u2192 CaptureApproved",
                               "AMOUNT_MISMATCH", "STUCK_PENDING", "TIMEOUT", "&lt; 1 min", "2 calls", "12.3 s",
                               "exit 0", "p99 &gt; 10.0 s", "mean 10.0 s", "\u2264 2.5 ms", "\u2264 2.5 s"}) {
    BOOST_TEST(html.find(expected) != std::string::npos, expected);
  }
  HtmlSummaryInput dry = Sample();
  dry.summary.dry_run = true;
  BOOST_TEST(RenderSummaryHtml(dry).find("DRY RUN") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(explains_what_it_shows) {
  const std::string html = RenderSummaryHtml(Sample());
  // Checks by outcome add up to the checks made: 321 changed, 2 failed, the rest answered without a change.
  for (const char* expected :
       {"id=\"card-checked\"><div class=\"n\">12,345</div>", "id=\"card-pending\"><div class=\"n\">99</div>",
        ">status changed</text>", ">answered, no change</text>", ">12,022</text>", ">check failed</text>",
        "<td>charges</td><td class=\"num\">12,000</td>", "<td>top-ups</td><td class=\"num\">0</td>",
        "<tr id=\"code-AMOUNT_MISMATCH\"><td class=\"code\">AMOUNT_MISMATCH</td><td class=\"num\">3</td>"
        "<td class=\"num\">₹1,00,00,000.00</td><td>The gateway reports a different amount than we hold (requested, approved or refunded).</td></tr>",
        "<tr id=\"code-STUCK_PENDING\"><td class=\"code\">STUCK_PENDING</td><td class=\"num\">1</td>",
        "The gateway did not answer in time.", "exit 0: completed", "payrecon discrepancies resolve"}) {
    BOOST_TEST(html.find(expected) != std::string::npos, expected);
  }
  // Codes that were not raised are not listed.
  BOOST_TEST(html.find("code-NOT_FOUND") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_quiet_run_says_so) {
  HtmlSummaryInput in = Sample();
  in.summary.transitions = 0;
  in.summary.transitions_by_status.clear();
  in.summary.discrepancies = 0;
  in.summary.discrepancies_by_code.clear();
  in.summary.errors = 0;
  in.summary.errors_by_class.clear();
  in.summary.exit_code = 6;
  in.latency = LatencyHistogram();
  const std::string html = RenderSummaryHtml(in);
  for (const char* expected : {"No status changed in this run.", "No discrepancies were raised in this run.",
                               "Every check got an answer.", "No gateway calls were recorded for this run.",
                               "0 calls", "exit 6: interrupted"}) {
    BOOST_TEST(html.find(expected) != std::string::npos, expected);
  }
}

// Rupees beside the counts, Indian grouping; times in the display zone with its abbreviation.
BOOST_AUTO_TEST_CASE(amounts_and_zone) {
  HtmlSummaryInput in = Sample();
  const std::string utc = RenderSummaryHtml(in);
  for (const char* expected :
       {"<div class=\"a\" id=\"amount-transitions\">₹1,23,456.83</div>",
        "<div class=\"a\" id=\"amount-discrepancies\">₹1,00,00,000.00</div>",
        "<div class=\"a\" id=\"amount-pending\">₹1,501.00</div>",
        "<div class=\"a\" id=\"amount-open\">₹1,23,45,67,890.12</div>",
        "<td>CapturePending → CaptureApproved</td><td class=\"num\">300</td><td class=\"num\">₹1,23,456.78</td>",
        "<td>&lt; 1 min</td><td class=\"num\">90</td><td class=\"num\">₹1,500.99</td>",
        "<td>&gt; 1 day</td><td class=\"num\">9</td><td class=\"num\">₹0.01</td>",
        "<tr id=\"open-AMOUNT_MISMATCH\"><td class=\"code\">AMOUNT_MISMATCH</td><td class=\"num\">7</td>"
        "<td class=\"num\">₹1,23,45,67,890.12</td>",
        "started 2026-11-25 10:00:00 UTC", "Times are in UTC"}) {
    BOOST_TEST(utc.find(expected) != std::string::npos, expected);
  }
  in.zone = TimeZone::FromTzif("Asia/Kolkata", ReadZone("Asia/Kolkata")).value();
  const std::string ist = RenderSummaryHtml(in);
  BOOST_TEST(ist.find("started 2026-11-25 15:30:00 IST") != std::string::npos);
  BOOST_TEST(ist.find("Times are in Asia/Kolkata") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(escape) { BOOST_TEST(HtmlEscape("<a href='x'>&\"") == "&lt;a href=&#39;x&#39;&gt;&amp;&quot;"); }

BOOST_AUTO_TEST_SUITE_END()
