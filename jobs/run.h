#pragma once
// One `run` or `backfill`, from its command line to its last report, as the named steps of one type. Its facts
// (mode, dry run, deadline; then run id, window or resume point) are worked out once, as the run starts and in
// Plan, and only read after.
// Execute runs the steps in order:
//   Prepare       everything that can refuse to start does so before anything changes (settings, database,
//                 schema); rows of runs that died unfinished are marked abandoned
//   Plan          the run's identity: a new run id and window, or the row of the backfill it resumes
//   Open          the report folder (it can refuse, exit 5, before anything is recorded) and the summary's header
//   Start         the runs row, the "started" log line
//   ChooseSource  due rows (run), the window's rows (backfill), or read without claiming (dry run)
//   Check         the engine's Runner over that source, with progress lines and the failed checks recorded
//   Finish        the reports, the runs row closed with its counts, the index, old reports removed
//   Explain       what the operator must know: refused merchants, expired claims, throttling, the stop reason
//   ReadGauges    the whole database's gauges for the metrics
//   Announce      the "finished" log line and the stdout line
// A failure after Open takes the failure path (Fail): the stdout line with the counts so far, the runs row closed
// and the claims given back when the database lets it, the index rewritten. Whatever the end, PublishMetrics
// writes or pushes the run's metrics (dry runs excepted) and the exception, if any, goes on to app.cpp.
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "core/report_rows.h"
#include "core/run_counts.h"
#include "core/time.h"
#include "engine/runner.h"
#include "engine/sources.h"
#include "gateway/merchants.h"
#include "gateway/options.h"
#include "jobs/commands.h"
#include "jobs/database.h"
#include "jobs/exit_code.h"
#include "jobs/report_writer.h"
#include "jobs/run_metrics.h"
#include "jobs/run_report.h"

namespace payrecon::jobs {

// The backfill window as stored in the run's `arguments` (so --resume can continue the same window).
struct RunWindow {
  core::Instant from{};
  core::Instant to{};
  std::optional<core::Kind> kind;
  std::optional<std::string> merchant;
};

// What a run is. The first group comes from the command line and settings as the run starts; the second from
// Plan (a new run, or the row of the backfill it resumes).
struct RunFacts {
  std::string mode;                       // "run" or "backfill"
  bool backfill = false;
  bool dry_run = false;
  bool strict = false;
  std::optional<std::int64_t> limit;
  core::Millis budget{0};                 // --deadline, else worker.deadline
  core::Instant started_at{};             // wall clock
  std::chrono::steady_clock::time_point started{};
  std::chrono::steady_clock::time_point deadline{};  // started + budget

  std::string run_id;                     // empty until Plan
  bool resumed = false;                   // backfill --resume: the runs row exists already
  std::optional<RunWindow> window;        // backfill only
  std::int64_t resume_after_id = 0;       // backfill --resume: its checkpoint
  core::RunCounts prior;                  // backfill --resume: the counts of its earlier parts
};

class ReconcileRun {
 public:
  explicit ReconcileRun(const CommandContext& ctx);
  ReconcileRun(const ReconcileRun&) = delete;
  ReconcileRun& operator=(const ReconcileRun&) = delete;
  ~ReconcileRun();

  // The steps in order; returns the exit code, or throws what ended the run (after its failure path).
  int Execute();

 private:
  void Prepare();
  void Plan();
  void Open();
  void Start();
  void ChooseSource();
  void Check();
  int Finish();
  void Explain() const;
  void ReadGauges();
  void Announce(int exit_code) const;

  void Fail(ExitCode code);
  void PublishMetrics(int exit_code) const;

  const CommandContext& ctx_;
  RunFacts facts_;
  std::shared_ptr<const gateway::Merchants> merchants_;
  std::optional<gateway::GatewayOptions> gateway_options_;
  std::unique_ptr<Database> db_;
  // A live run's applies go over a connection of their own, from the runner's apply thread, while db_ claims.
  std::unique_ptr<Database> apply_db_;
  std::unique_ptr<ReportWriter> report_;
  core::RunSummary summary_;
  bool opened_ = false;  // the runs row exists (a new run's RunStart, or a resumed backfill)
  std::unique_ptr<engine::WorkSource> source_;
  engine::ClaimWindowSource* window_source_ = nullptr;  // backfill: reports rows other runs held
  std::optional<std::int64_t> window_total_;            // backfill: the window's size, for the progress lines
  std::optional<engine::RunStats> stats_;               // set once the runner returned or threw
  std::optional<DatabaseGauges> gauges_;
};

}  // namespace payrecon::jobs
