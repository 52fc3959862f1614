#pragma once
// reports/index.html: one self-contained page (inline CSS and SVG, no scripts) over the last runs, drawn from the
// runs table: charts of the pending backlog (count and rupees) by age, open discrepancies by code, checks per run
// with their failure share and p99 gateway latency, then the list of runs linking each run's summary and CSVs.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/report_rows.h"
#include "core/run_figures.h"
#include "core/time.h"
#include "core/time_zone.h"

namespace payrecon::core {

struct IndexRun {
  std::string run_id;
  std::string mode;                    // "run" or "backfill"
  Instant started_at{};
  std::optional<Instant> finished_at;  // nullopt: it never recorded its end (crashed, killed, failed early)
  std::optional<int> exit_code;
  std::string folder;                  // its report folder relative to index.html; empty: no reports on disk
  ReportCompression compression = ReportCompression::kNone;  // how that folder holds its CSVs (their names)
  std::optional<RunFigures> figures;   // nullopt: it recorded none (charts leave a gap, marked as failed)
};

struct IndexInput {
  std::vector<IndexRun> runs;          // newest first, as listed; charts run oldest to newest
  Instant generated_at{};
  TimeZone zone = TimeZone::Utc();     // reports.display_timezone
  std::int64_t limit = 200;            // reports.index_runs, for the page's wording
};

std::string RenderIndexHtml(const IndexInput& input);

}  // namespace payrecon::core
