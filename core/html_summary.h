#pragma once
// summary.html: one self-contained page per run (inline CSS and SVG, no scripts, no remote assets) that someone
// who has never seen the CSV files can read: outcomes, changes, discrepancies, pending ages, gateway latency, with
// the rupees concerned beside each count (Indian grouping, core/rupees.h).
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "core/metrics.h"
#include "core/report_rows.h"
#include "core/time_zone.h"

namespace payrecon::core {

struct AgeBucket {
  std::string label;      // e.g. "< 1 min", "1-15 min"
  std::int64_t count = 0;
};

struct HtmlSummaryInput {
  RunSummary summary;
  LatencyHistogram latency;              // gateway call latency of this run
  std::vector<AgeBucket> pending_ages;   // every pending transaction after the run, by age
  TimeZone zone = TimeZone::Utc();       // reports.display_timezone: the page's times, with the zone written
};

std::string RenderSummaryHtml(const HtmlSummaryInput& input);

// Escapes &, <, >, " and ' for HTML text and attribute values.
std::string HtmlEscape(std::string_view text);

}  // namespace payrecon::core
