#pragma once
// What a run's reports are made of, shared by `run`/`backfill` (at their end) and `report --run` (later): the
// run's rows read back from the database, the pending listing, and the counts kept in the run's row.
#include <cstdint>
#include <map>
#include <string>

#include "core/html_summary.h"
#include "core/report_rows.h"
#include "jobs/database.h"
#include "jobs/report_writer.h"

namespace payrecon::jobs {

// The process's user + system CPU time so far, in microseconds (getrusage).
std::int64_t ProcessCpuMicros();

// Fills the summary's per-row maps and totals as rows are written.
void CountTransition(core::RunSummary& s, const core::TransitionRow& row);
void CountDiscrepancy(core::RunSummary& s, const core::DiscrepancyRow& row);
void CountError(core::RunSummary& s, const core::ErrorRow& row);

// Which of a run's rows WriteRunRows reads back from the database.
enum class RunRows {
  kAll,             // `report --run`, a resumed backfill (its earlier parts' rows are in the database only)
  kAllButTransitions,  // a live run: its transitions went into the report as their applies committed (LiveRunRows)
};

// Writes the run's transitions, discrepancies and errors from the database into `report` (restarting a listing
// after a reconnect) and counts them into `summary`; with kAllButTransitions, keeps the transitions already
// written and counted unless the audit trail holds a different number of them (then reads them all back).
void WriteRunRows(Database& db, const std::string& run_id, ReportWriter& report, core::RunSummary& summary,
                  RunRows rows = RunRows::kAll);
// Writes the oldest `limit` pending transactions as of `now` into pending.csv, and counts and sums every pending
// transaction by kind and PendingAgeLabels() bucket in one aggregate query (amounts summed in SQL): sets
// summary.still_pending, pending_listed, pending_ages and pending_totals, and returns the counts by age for
// summary.html.
std::vector<core::AgeBucket> WritePending(Database& db, core::Instant now, std::int64_t limit, ReportWriter& report,
                                          core::RunSummary& summary);

// Reads the open discrepancies by code (amounts summed in SQL) into `summary`. A run's transition amounts are
// summed over the rows written into transitions.csv: as its applies commit (a live run), from the audit trail
// (WriteRunRows: `report --run`, a resumed backfill), or from the decisions (a dry run's would-be rows).
void ReadTotals(Database& db, core::RunSummary& summary);

// What index.html charts for this run (runs.figures).
core::RunFigures FiguresOf(const core::RunSummary& summary);

// summary.json and summary.html of a finished report (times in `zone`), then Commit.
std::string CommitReport(ReportWriter& report, const core::RunSummary& summary,
                         std::vector<core::AgeBucket> pending_ages, const core::TimeZone& zone = core::TimeZone::Utc());

}  // namespace payrecon::jobs
