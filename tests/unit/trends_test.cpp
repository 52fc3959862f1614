// Issue 12's pure pieces: rupees with Indian grouping, TZif time zones, the per-run figures and index.html.
#include <boost/test/unit_test.hpp>

#include <climits>
#include <string>
#include <utility>
#include <vector>

#include "core/html_index.h"
#include "core/run_figures.h"
#include "core/rupees.h"
#include "core/time_zone.h"
#include "tests/unit/zoneinfo.h"

using namespace payrecon::core;

namespace {

Instant At(const char* iso) { return ParseIso8601(iso).value(); }

TimeZone Zone(const std::string& name) {
  auto z = TimeZone::FromTzif(name, ReadZone(name));
  BOOST_REQUIRE_MESSAGE(z.ok(), (z.ok() ? std::string() : z.error()));
  return *z;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(rupees)

BOOST_AUTO_TEST_CASE(indian_grouping_table) {
  const std::vector<std::pair<Paise, std::string>> table = {
      {0, "\u20b90.00"},
      {1, "\u20b90.01"},
      {5, "\u20b90.05"},
      {99, "\u20b90.99"},
      {100, "\u20b91.00"},
      {-5, "-\u20b90.05"},
      {-100, "-\u20b91.00"},
      {99999, "\u20b9999.99"},
      {100000, "\u20b91,000.00"},
      {10000000, "\u20b91,00,000.00"},             // one lakh
      {12345678, "\u20b91,23,456.78"},
      {-12345678, "-\u20b91,23,456.78"},
      {1000000000, "\u20b91,00,00,000.00"},        // one crore
      {123456789012, "\u20b91,23,45,67,890.12"},
      {INT64_MAX, "\u20b992,23,37,20,36,85,47,758.07"},
      {INT64_MIN, "-\u20b992,23,37,20,36,85,47,758.08"},
  };
  for (const auto& [paise, text] : table) BOOST_TEST(FormatRupees(paise) == text, paise);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(time_zone)

BOOST_AUTO_TEST_CASE(kolkata_is_five_thirty_ahead) {
  const TimeZone z = Zone("Asia/Kolkata");
  BOOST_TEST(z.name() == "Asia/Kolkata");
  const ZoneOffset o = z.OffsetAt(At("2026-12-01T10:32:05Z"));
  BOOST_TEST(o.utc_offset_seconds == 19800);
  BOOST_TEST(o.abbreviation == "IST");
  BOOST_TEST(!o.dst);
  BOOST_TEST(FormatLocal(At("2026-12-01T10:32:05Z"), z) == "2026-12-01 16:02:05 IST");
  BOOST_TEST(FormatLocal(At("2026-12-31T18:30:00Z"), z) == "2027-01-01 00:00:00 IST");
  // Far past the file's transitions: the footer rule ("IST-5:30").
  BOOST_TEST(FormatLocal(At("2100-06-01T00:00:00Z"), z) == "2100-06-01 05:30:00 IST");
}

BOOST_AUTO_TEST_CASE(new_york_daylight_saving_transitions) {
  const TimeZone z = Zone("America/New_York");
  // 2026: DST from 8 March 07:00 UTC to 1 November 06:00 UTC.
  BOOST_TEST(FormatLocal(At("2026-03-08T06:59:59Z"), z) == "2026-03-08 01:59:59 EST");
  BOOST_TEST(FormatLocal(At("2026-03-08T07:00:00Z"), z) == "2026-03-08 03:00:00 EDT");
  BOOST_TEST(FormatLocal(At("2026-11-01T05:59:59Z"), z) == "2026-11-01 01:59:59 EDT");
  BOOST_TEST(FormatLocal(At("2026-11-01T06:00:00Z"), z) == "2026-11-01 01:00:00 EST");
  BOOST_TEST(z.OffsetAt(At("2026-07-01T00:00:00Z")).utc_offset_seconds == -4 * 3600);
  BOOST_TEST(z.OffsetAt(At("2026-07-01T00:00:00Z")).dst);
  // Beyond the last listed transition (2037) the POSIX rule of the footer applies: 2050 starts on 13 March.
  BOOST_TEST(FormatLocal(At("2050-03-13T06:59:59Z"), z) == "2050-03-13 01:59:59 EST");
  BOOST_TEST(FormatLocal(At("2050-03-13T07:00:00Z"), z) == "2050-03-13 03:00:00 EDT");
  BOOST_TEST(FormatLocal(At("2050-11-06T05:59:59Z"), z) == "2050-11-06 01:59:59 EDT");
  BOOST_TEST(FormatLocal(At("2050-11-06T06:00:00Z"), z) == "2050-11-06 01:00:00 EST");
  // Before the first transition: local mean time, type 0.
  BOOST_TEST(z.OffsetAt(At("1800-01-01T00:00:00Z")).abbreviation == "LMT");
}

BOOST_AUTO_TEST_CASE(southern_hemisphere_rule) {
  // Australia/Sydney: daylight time spans the new year (start in October, end in April).
  const TimeZone z = Zone("Australia/Sydney");
  BOOST_TEST(FormatLocal(At("2060-01-15T00:00:00Z"), z) == "2060-01-15 11:00:00 AEDT");
  BOOST_TEST(FormatLocal(At("2060-07-15T00:00:00Z"), z) == "2060-07-15 10:00:00 AEST");
}

BOOST_AUTO_TEST_CASE(utc_and_offsets) {
  BOOST_TEST(FormatLocal(At("2026-12-01T10:32:05.999Z"), TimeZone::Utc()) == "2026-12-01 10:32:05 UTC");
  BOOST_TEST(FormatLocal(At("1969-12-31T23:59:59.500Z"), TimeZone::Utc()) == "1969-12-31 23:59:59 UTC");
  BOOST_TEST(FormatUtcOffset(19800) == "+05:30");
  BOOST_TEST(FormatUtcOffset(-14400) == "-04:00");
  BOOST_TEST(FormatUtcOffset(0) == "+00:00");
}

BOOST_AUTO_TEST_CASE(posix_rules) {
  auto ny = TimeZone::ParsePosixTz("EST5EDT,M3.2.0,M11.1.0");
  BOOST_REQUIRE(ny.ok());
  BOOST_TEST(ny->standard.utc_offset_seconds == -5 * 3600);
  BOOST_TEST(ny->daylight->utc_offset_seconds == -4 * 3600);
  BOOST_TEST(ny->start.month == 3);
  BOOST_TEST(ny->start.week == 2);
  BOOST_TEST(ny->end.time_seconds == 7200);
  auto quoted = TimeZone::ParsePosixTz("<+0330>-3:30");
  BOOST_REQUIRE(quoted.ok());
  BOOST_TEST(quoted->standard.abbreviation == "+0330");
  BOOST_TEST(quoted->standard.utc_offset_seconds == 12600);
  auto times = TimeZone::ParsePosixTz("<-03>3<-02>,M3.5.0/-2,M10.5.0/-1");
  BOOST_REQUIRE(times.ok());
  BOOST_TEST(times->start.time_seconds == -7200);
  for (const char* bad : {"", "E5", "EST", "EST5EDT,M13.1.0,M11.1.0", "EST5EDT,M3.2.0", "EST5EDT,M3.2.0,M11.1.0x"}) {
    BOOST_TEST(!TimeZone::ParsePosixTz(bad).ok(), bad);
  }
}

BOOST_AUTO_TEST_CASE(rejects_what_is_not_tzif) {
  auto none = TimeZone::FromTzif("Nowhere/Zone", "not a zone file at all, long enough to hold a header....");
  BOOST_REQUIRE(!none.ok());
  BOOST_TEST(none.error() == "time zone 'Nowhere/Zone': not a TZif file");
  const std::string real = ReadZone("America/New_York");
  auto cut = TimeZone::FromTzif("America/New_York", real.substr(0, real.size() / 2));
  BOOST_REQUIRE(!cut.ok());
  BOOST_TEST(cut.error().rfind("time zone 'America/New_York': truncated", 0) == 0u, cut.error());
  BOOST_TEST(!TimeZone::FromTzif("X", "").ok());
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(run_figures)

BOOST_AUTO_TEST_CASE(json_round_trip) {
  RunFigures f;
  f.checked = 10;
  f.errors = 2;
  f.transitions = 3;
  f.discrepancies = 1;
  f.gateway_calls = 10;
  f.latency_p99_us = 250000;
  f.pending = {{"0-1m", 4, 9223372036854775807}, {"7d+", 0, 0}};
  f.open_discrepancies = {{DiscrepancyCode::kNotFound, 2, 3000}};
  const std::string json = RunFiguresToJson(f);
  BOOST_TEST(json ==
             "{\"checked\":10,\"errors\":2,\"transitions\":3,\"discrepancies\":1,\"gateway_calls\":10,"
             "\"latency_p99_us\":250000,\"latency_p99_above\":false,\"pending\":[{\"age\":\"0-1m\",\"count\":4,"
             "\"amount_paise\":9223372036854775807},{\"age\":\"7d+\",\"count\":0,\"amount_paise\":0}],"
             "\"open_discrepancies\":[{\"code\":\"NOT_FOUND\",\"count\":2,\"amount_paise\":3000}]}");
  const auto back = RunFiguresFromJson(json);
  BOOST_REQUIRE(back.has_value());
  BOOST_TEST(RunFiguresToJson(*back) == json);
  BOOST_TEST(!RunFiguresFromJson("{}").has_value());
  BOOST_TEST(!RunFiguresFromJson("not json").has_value());
  BOOST_TEST(!RunFiguresFromJson("{\"checked\":1,\"pending\":[{\"age\":\"0-1m\"}]}").has_value());
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(html_index)

BOOST_AUTO_TEST_CASE(charts_and_list) {
  IndexInput in;
  in.generated_at = At("2026-12-01T10:00:00Z");
  in.zone = Zone("Asia/Kolkata");
  in.limit = 200;
  IndexRun failed;
  failed.run_id = "run-<3>";
  failed.mode = "run";
  failed.started_at = At("2026-12-01T09:00:00Z");
  in.runs.push_back(failed);
  IndexRun ok;
  ok.run_id = "run-2";
  ok.mode = "backfill";
  ok.started_at = At("2026-12-01T08:00:00Z");
  ok.finished_at = At("2026-12-01T08:01:00Z");
  ok.exit_code = 0;
  ok.folder = "20261201T080000Z-run-2";
  RunFigures f;
  f.checked = 200;
  f.errors = 3;
  f.transitions = 50;
  f.discrepancies = 2;
  f.gateway_calls = 200;
  f.latency_p99_us = 25000;
  f.pending = {{"0-1m", 4, 12345678}, {"7d+", 1, 1000000000}};
  f.open_discrepancies = {{DiscrepancyCode::kAmountMismatch, 2, 3000}};
  ok.figures = f;
  in.runs.push_back(ok);
  const std::string h = RenderIndexHtml(in);
  BOOST_TEST(h.rfind("<!DOCTYPE html>", 0) == 0u);
  BOOST_TEST(h.find("<script") == std::string::npos);
  BOOST_TEST(h.find("http") == std::string::npos);
  for (const char* expected :
       {"id=\"svg-pending-count\"", "id=\"svg-pending-amount\"", "id=\"svg-open\"", "id=\"svg-checks\"",
        "id=\"svg-latency\"", "2 runs (at most 200)", "times in Asia/Kolkata", "written 2026-12-01 15:30:00 IST",
        "<tr id=\"run-run-&lt;3&gt;\"><td>2026-12-01 14:30:00 IST</td>", ">did not finish</span>",
        "<td colspan=\"6\" class=\"muted\">no figures recorded</td>",
        "<td class=\"num\">200</td><td class=\"num\">3</td><td class=\"num\">50</td><td class=\"num\">2</td>"
        "<td class=\"num\">5</td><td class=\"num\">\u20b91,01,23,456.78</td>",
        "<a href=\"20261201T080000Z-run-2/summary.html\">summary</a>",
        "<a href=\"20261201T080000Z-run-2/pending.csv\">pending</a>",
        "200 checks, 3 failed (1.5%)", "p99 \u2264 25.0 ms over 200 calls", "AMOUNT_MISMATCH: 2 (\u20b930.00)",
        "7d+: \u20b91,00,00,000.00", "class=\"failed\"", "no figures recorded"}) {
    BOOST_TEST(h.find(expected) != std::string::npos, expected);
  }
  // A folder written under reports.compress: gzip links its .csv.gz files.
  in.runs.back().compression = ReportCompression::kGzip;
  const std::string gz = RenderIndexHtml(in);
  for (const char* expected : {"<a href=\"20261201T080000Z-run-2/transitions.csv.gz\">transitions</a>",
                               "<a href=\"20261201T080000Z-run-2/pending.csv.gz\">pending</a>"}) {
    BOOST_TEST(gz.find(expected) != std::string::npos, expected);
  }
  BOOST_TEST(gz.find("run-2/pending.csv\"") == std::string::npos);
  // Oldest first in the charts: the backfill's bar comes before the failed run's mark.
  const auto checks = h.substr(h.find("id=\"svg-checks\""));
  BOOST_TEST(checks.find("backfill run-2") < checks.find("run run-&lt;3&gt;"));
}

BOOST_AUTO_TEST_CASE(no_runs_yet) {
  const std::string h = RenderIndexHtml(IndexInput{});
  BOOST_TEST(h.find("no runs yet") != std::string::npos);
  BOOST_TEST(h.find("0 runs (at most 200)") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
