// `run` and `backfill` as one type's steps (jobs/run.h): the database, the gateway and the reports wired around
// the engine's Runner.
#include "jobs/run.h"

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <ostream>
#include <random>

#include "core/json.h"
#include "core/run_figures.h"
#include "env/clock.h"
#include "env/host.h"
#include "gateway/concurrent_checker.h"
#include "gateway/status_checker.h"
#include "jobs/amount_metrics.h"
#include "jobs/log.h"
#include "jobs/metrics_output.h"
#include "jobs/report_retention.h"
#include "jobs/run_index.h"
#include "jobs/run_observers.h"
#include "jobs/run_setup.h"

namespace payrecon::jobs {

namespace {

using SteadyClock = std::chrono::steady_clock;

// A database blip right at the deadline still gets this long to come back before the run gives up (exit 3).
constexpr std::chrono::seconds kMinReconnectWindow{5};
// After a failure, closing the run's row and giving its claims back get this long (the database may be gone).
constexpr std::chrono::seconds kCleanupWindow{1};

std::string ArgumentsJson(const CommandLine& cl, const std::optional<RunWindow>& window, core::Millis deadline) {
  core::JsonValue o = core::JsonValue::Object();
  if (cl.limit) o.Add("limit", core::JsonValue::Number(std::to_string(*cl.limit)));
  o.Add("deadline_ms", core::JsonValue::Number(std::to_string(deadline.count())));
  o.Add("strict", core::JsonValue::Bool(cl.strict));
  if (window) {
    o.Add("from", core::JsonValue::String(core::FormatIso8601Millis(window->from)));
    o.Add("to", core::JsonValue::String(core::FormatIso8601Millis(window->to)));
    if (window->kind) o.Add("kind", core::JsonValue::String(std::string(core::KindName(*window->kind))));
    if (window->merchant) o.Add("merchant", core::JsonValue::String(*window->merchant));
  }
  return core::SerializeJson(o);
}

RunWindow WindowFromArguments(const std::string& run_id, const std::string& json) {
  auto bad = [&](const std::string& why) {
    return JobError(ExitCode::kUsage, "run '" + run_id + "' cannot be resumed: " + why);
  };
  auto parsed = core::ParseJson(json);
  if (!parsed || !parsed->is_object()) throw bad("its arguments are not a JSON object");
  RunWindow w;
  auto instant = [&](const char* key) {
    const core::JsonValue* v = parsed->Find(key);
    if (!v || v->type() != core::JsonValue::Type::kString) throw bad(std::string("no '") + key + "' in its arguments");
    auto t = core::ParseIso8601(v->text());
    if (!t) throw bad(std::string("bad '") + key + "' in its arguments");
    return *t;
  };
  w.from = instant("from");
  w.to = instant("to");
  if (const core::JsonValue* k = parsed->Find("kind"); k && k->type() == core::JsonValue::Type::kString) {
    w.kind = core::KindFromName(k->text());
  }
  if (const core::JsonValue* m = parsed->Find("merchant"); m && m->type() == core::JsonValue::Type::kString) {
    w.merchant = m->text();
  }
  return w;
}

// The runs row's outcome of a run that ended with an error.
std::string FailureOutcome(ExitCode code) {
  switch (code) {
    case ExitCode::kDatabase: return "database_unavailable";
    case ExitCode::kReports: return "reports_not_writable";
    case ExitCode::kInterrupted: return "interrupted";
    case ExitCode::kGateway: return "gateway_unusable";
    case ExitCode::kUsage: return "usage";
    default: return "failed";
  }
}

// What a run that ended with an error did until then: its earlier parts' counts (a resumed backfill) and what the
// runner applied (as it counted them: the database may be gone, so nothing is read back).
core::RunCounts CountsSoFar(const core::RunCounts& prior, const std::optional<engine::RunStats>& stats) {
  core::RunCounts counts = prior;
  if (stats) core::AddCounts(counts, stats->counts);
  return counts;
}

// The stdout line of a run that ended with an error, with what it did until then.
void FailedRunLine(const CommandContext& ctx, core::RunSummary summary, const std::optional<engine::RunStats>& stats,
                   const core::RunCounts& prior, ExitCode code) {
  summary.exit_code = ToInt(code);
  summary.report_dir.clear();
  if (stats) {
    summary.counts = CountsSoFar(prior, stats);
    summary.transitions = std::max(summary.transitions, stats->transitions);
    summary.discrepancies = std::max(summary.discrepancies, stats->discrepancies);
    summary.errors = std::max(summary.errors, stats->errors);
  }
  ctx.out << core::RenderRunLine(summary) << '\n' << std::flush;
}

// A run that ends with an error still closes its row with the real counts, exit code and outcome, and gives its
// claims back, whenever the database can be written: a short attempt (the database may be what failed; a stop
// request must stay prompt). When it cannot, the claims expire with their lease and the next run or
// `report --run` marks the row abandoned.
void CloseFailedRun(Database& db, const std::string& run_id, const std::optional<engine::RunStats>& stats,
                    const core::RunCounts& prior, core::Instant finished_at, ExitCode code) {
  db.SetInterrupt(nullptr);
  db.SetGiveUp([](SteadyTime first_failure) { return first_failure + kCleanupWindow; });
  try {
    db.store().LeasesReleaseRun(run_id);
  } catch (const core::StoreUnavailable& e) {
    LogWarn(std::string("claims not given back (they expire with their lease): ") + e.what());
  }
  core::RunCounts counts = CountsSoFar(prior, stats);
  counts.stop = FailureOutcome(code);
  const core::RunFinishParams p{run_id, finished_at, core::CountsToJson(counts), FailureOutcome(code), ToInt(code)};
  try {
    db.store().RunFinish(p);
  } catch (const core::StoreUnavailable& e) {
    LogWarn(std::string("run not recorded as finished (the next run marks it abandoned): ") + e.what());
  }
}

long PeakRssMiB() {
  struct rusage ru {};
  if (::getrusage(RUSAGE_SELF, &ru) != 0) return -1;
  return ru.ru_maxrss / 1024;  // kilobytes on Linux
}

bool ThrottledOut(const engine::RunStats& stats) {
  return stats.stop == engine::StopReason::kDeadline && stats.throttle_paused.count() > 0 &&
         2 * stats.throttle_paused >= stats.elapsed;
}

// `discrepancies` is the run's count as recorded (read back from the database for a live run, so a retried apply
// whose first reply was lost still counts what it raised).
int ExitCodeFor(const engine::RunStats& stats, std::int64_t discrepancies, bool strict) {
  switch (stats.stop) {
    case engine::StopReason::kInterrupted: return ToInt(ExitCode::kInterrupted);
    case engine::StopReason::kAuth: return ToInt(ExitCode::kGateway);
    case engine::StopReason::kDone:
    case engine::StopReason::kLimit:
    case engine::StopReason::kDeadline: break;
  }
  // Some merchants' credentials were refused while the others were reconciled: still an unusable gateway.
  if (!stats.auth_refused.empty()) return ToInt(ExitCode::kGateway);
  // Stopped by its deadline after the gateway's throttling held every worker back for half its time or more.
  if (ThrottledOut(stats)) return ToInt(ExitCode::kGateway);
  return strict && discrepancies > 0 ? ToInt(ExitCode::kNewDiscrepancies) : ToInt(ExitCode::kOk);
}

}  // namespace

ReconcileRun::ReconcileRun(const CommandContext& ctx) : ctx_(ctx) {
  const CommandLine& cl = ctx.command_line;
  facts_.backfill = cl.command == Command::kBackfill;
  facts_.mode = facts_.backfill ? "backfill" : "run";
  facts_.dry_run = cl.dry_run;
  facts_.strict = cl.strict;
  facts_.limit = cl.limit;
  facts_.budget = cl.deadline.value_or(ctx.settings.worker.deadline);
  facts_.started_at = env::WallNow();
  facts_.started = SteadyClock::now();
  facts_.deadline = facts_.started + facts_.budget;
}

ReconcileRun::~ReconcileRun() = default;

int ReconcileRun::Execute() {
  int exit_code = 0;
  try {
    Prepare();
    Plan();
    Open();
    // From here on the run has an id and a report folder: a failure that ends it takes the failure path.
    try {
      Start();
      ChooseSource();
      Check();
      exit_code = Finish();
      Explain();
      ReadGauges();
      Announce(exit_code);
    } catch (...) {
      Fail(ExitReasonOf(std::current_exception()).code);
      throw;
    }
  } catch (...) {
    const int code = ToInt(ExitReasonOf(std::current_exception()).code);
    const engine::RunStats none;
    const engine::RunStats& st = stats_ ? *stats_ : none;
    LogError(facts_.mode + " failed",
             {{"mode", facts_.mode},
              {"exit_code", static_cast<std::int64_t>(code)},
              {"checked", st.counts.checked},
              {"transitions", st.transitions},
              {"discrepancies", st.discrepancies},
              {"errors", st.errors},
              {"conflicts", st.counts.conflicts},
              {"released", st.counts.released},
              {"calls", st.counts.gateway_calls},
              {"elapsed_ms", static_cast<std::int64_t>((env::WallNow() - facts_.started_at).count())}});
    PublishMetrics(code);
    throw;
  }
  PublishMetrics(exit_code);
  return exit_code;
}

// Everything that can refuse to start does so before anything changes: settings, database, schema.
void ReconcileRun::Prepare() {
  const config::Settings& s = ctx_.settings;
  merchants_ = MerchantsFrom(s);
  gateway_options_ = GatewayOptionsFrom(s.amazonpay);
  gateway::ValidateOptions(*gateway_options_);

  const auto give_up = [deadline = facts_.deadline](SteadyTime first_failure) {
    return std::max(deadline, first_failure + kMinReconnectWindow);
  };
  db_ = std::make_unique<Database>(s.database.conninfo);
  db_->RequireCurrentSchema();
  db_->SetGiveUp(give_up);
  db_->SetInterrupt(&ctx_.interrupt);
  if (!facts_.dry_run) {
    // The applies' connection, opened here so that a database refusing it stops the run before it starts; the
    // same give-up time and stop request as the first.
    apply_db_ = std::make_unique<Database>(s.database.conninfo);
    apply_db_->SetGiveUp(give_up);
    apply_db_->SetInterrupt(&ctx_.interrupt);
    // Rows of runs that died without closing them (kill -9, a lost node, the database gone at the end).
    const auto abandoned = db_->store().RunsMarkAbandoned(core::RunsAbandonParams{env::WallNow(), s.worker.lease, {}});
    for (const std::string& id : abandoned) {
      LogWarn("run '" + id + "' never recorded its end and holds no claims: marked abandoned");
    }
  }
}

// The run's identity: a new id (and, for a backfill, its window from the command line), or the row of the backfill
// that --resume continues (its window, checkpoint and counts so far).
void ReconcileRun::Plan() {
  const CommandLine& cl = ctx_.command_line;
  if (cl.resume) {
    if (cl.dry_run) throw JobError(ExitCode::kUsage, "option '--resume' cannot be combined with '--dry-run'");
    const std::string& run_id = *cl.resume;
    auto run = db_->store().RunGet(run_id);
    if (!run) throw JobError(ExitCode::kUsage, "run '" + run_id + "' not found");
    if (run->mode != "backfill" || run->dry_run) {
      throw JobError(ExitCode::kUsage, "run '" + run_id + "' is not a backfill that changed the database");
    }
    RunWindow window = WindowFromArguments(run_id, run->arguments_json);
    if ((cl.from && *cl.from != window.from) || (cl.to && *cl.to != window.to) ||
        (cl.kind && cl.kind != window.kind) || (cl.merchant && cl.merchant != window.merchant)) {
      throw JobError(ExitCode::kUsage, "run '" + run_id + "' covers another window; leave out '--from', '--to', "
                                       "'--kind' and '--merchant' or repeat them exactly");
    }
    facts_.run_id = run_id;
    facts_.resumed = true;
    facts_.window = std::move(window);
    facts_.resume_after_id = run->resume_after_id;
    facts_.prior = core::CountsFromJson(run->counts_json);
    LogInfo("resuming backfill '" + run_id + "' after transaction id " + std::to_string(facts_.resume_after_id));
  } else {
    facts_.run_id = NewRunId();
    if (facts_.backfill) facts_.window = RunWindow{*cl.from, *cl.to, cl.kind, cl.merchant};
  }
  SetLogRunId(facts_.run_id);
}

// The report folder (its temporary name until Finish commits it) and the summary's header.
void ReconcileRun::Open() {
  report_ = std::make_unique<ReportWriter>(ctx_.settings.reports.dir,
                                           ReportFolderName(facts_.started_at, facts_.run_id),
                                           ctx_.settings.reports.compress);
  summary_.compression = report_->compression();
  summary_.run_id = facts_.run_id;
  summary_.mode = facts_.mode;
  summary_.dry_run = facts_.dry_run;
  summary_.report_dir = report_->final_path();
  summary_.started_at = facts_.started_at;
}

// The runs row (a resumed backfill has one already) and the "started" log line.
void ReconcileRun::Start() {
  if (!facts_.dry_run && !facts_.resumed) {
    const core::RunStartParams p{facts_.run_id, facts_.mode, ArgumentsJson(ctx_.command_line, facts_.window, facts_.budget),
                         facts_.started_at, env::HostName(), false};
    db_->store().RunStart(p);
  }
  opened_ = true;
  LogFields f = {{"mode", facts_.mode}, {"dry_run", facts_.dry_run}, {"report_dir", report_->final_path()}};
  if (facts_.window) {
    f.emplace_back("from", core::FormatIso8601Millis(facts_.window->from));
    f.emplace_back("to", core::FormatIso8601Millis(facts_.window->to));
  }
  if (facts_.limit) f.emplace_back("limit", *facts_.limit);
  f.emplace_back("deadline_s", static_cast<std::int64_t>(facts_.budget.count() / 1000));
  LogInfo(facts_.mode + (facts_.dry_run ? " (dry run)" : "") + " started", f);
}

// Where the work comes from: a dry run reads without claiming; `run` claims the due rows; `backfill` claims the
// window's rows in id order after its checkpoint.
void ReconcileRun::ChooseSource() {
  const core::Instant far_past = *core::ParseIso8601("1970-01-01T00:00:00Z");
  const core::Instant far_future = *core::ParseIso8601("9999-01-01T00:00:00Z");
  const std::optional<RunWindow>& window = facts_.window;
  core::WindowClaimParams wp;
  wp.run_id = facts_.run_id;
  wp.lease = ctx_.settings.worker.lease;
  wp.created_from = window ? window->from : far_past;
  wp.created_to = window ? window->to : far_future;
  wp.kind = window ? window->kind : std::nullopt;
  wp.merchant_id = window ? window->merchant : std::nullopt;
  wp.after_id = facts_.resume_after_id;

  if (facts_.dry_run) {
    // Pages of the window in id order; `run` keeps the pending ones due at its start.
    source_ = std::make_unique<engine::ReadOnlySource>(
        [this, wp, cursor = std::int64_t{0}](std::int64_t, int max) mutable {
          std::vector<core::Transaction> out;
          while (out.empty()) {
            core::WindowClaimParams p = wp;
            p.now = env::WallNow();
            p.limit = max;
            p.after_id = cursor;
            auto page = db_->store().TransactionsListWindow(p);
            if (page.empty()) break;
            cursor = page.back().id;
            for (auto& t : page) {
              if (facts_.backfill || (!core::IsFinal(t.status) && t.next_check_at <= facts_.started_at)) {
                out.push_back(std::move(t));
              }
            }
          }
          return out;
        });
  } else {
    if (facts_.backfill) {
      auto claiming = std::make_unique<engine::ClaimWindowSource>(
          db_->transactions(), wp,
          [this](std::int64_t through) {
            db_->store().RunCheckpoint(
                core::RunCheckpointParams{facts_.run_id, through, core::CountsToJson(facts_.prior)});
          },
          &apply_db_->transactions());
      window_source_ = claiming.get();
      source_ = std::move(claiming);
    } else {
      source_ = std::make_unique<engine::ClaimDueSource>(db_->transactions(), facts_.run_id, facts_.started_at,
                                                         ctx_.settings.worker.lease, &apply_db_->transactions());
    }
  }
  if (facts_.backfill) {
    window_total_ = db_->store().TransactionsCountWindow(wp);
  }
}

// The engine's Runner over the source: progress lines as it goes; a dry run's rows go straight into the reports,
// a live run's transitions into transitions.csv as their applies commit and its failed checks into run_errors.
void ReconcileRun::Check() {
  const config::Settings& s = ctx_.settings;
  DryRunRows dry_rows(facts_.run_id, *report_, summary_);
  LiveRunRows live_rows(facts_.run_id, *db_, facts_.resumed ? nullptr : report_.get(), summary_);
  // The in-place bar only on a terminal showing text logs; the progress log line always.
  const bool progress_line =
      facts_.backfill && ::isatty(STDERR_FILENO) == 1 && CurrentLogFormat() == LogFormat::kText;
  ProgressLine progress(window_total_);
  ProgressLog progress_log(facts_.mode, s.worker.progress_interval, window_total_);

  engine::RunnerOptions options;
  options.batch_size = s.worker.batch_size;
  options.in_flight = s.worker.in_flight;
  options.max_rps = s.worker.max_rps;
  options.limit = facts_.limit;
  options.deadline = facts_.deadline;
  options.auth_failures_to_stop = s.worker.auth_failures_to_stop;
  options.merchant_count = static_cast<int>(s.merchants.size());
  // A claim is only checked while its lease still covers a whole call (a retry on a stale keep-alive connection
  // may run past it; the compare-and-set on the lease keeps that from being recorded twice).
  if (!facts_.dry_run) {
    const auto call = s.amazonpay.connect_timeout + s.amazonpay.read_timeout;
    options.claim_valid_for = std::max(std::chrono::milliseconds{0}, s.worker.lease - call);
  }
  options.policy = s.worker.ToPolicy();
  options.retry_after_max = s.worker.retry_after_max;

  engine::RunnerDeps deps;
  deps.source = source_.get();
  deps.make_checker = [this]() -> std::unique_ptr<core::StatusChecker> {
    return std::make_unique<gateway::GatewayStatusChecker>(*gateway_options_, merchants_);
  };
  if (s.worker.io_threads > 0) {
    options.io_threads = s.worker.io_threads;
    deps.make_concurrent_checker = [this](int capacity) -> std::unique_ptr<core::ConcurrentStatusChecker> {
      return std::make_unique<gateway::ConcurrentGatewayChecker>(*gateway_options_, merchants_, capacity);
    };
  }
  deps.merchant_configured = [this](std::string_view m) { return merchants_->Find(m) != nullptr; };
  deps.now = env::WallNow;
  deps.seed = std::random_device{}();
  deps.observer = facts_.dry_run ? static_cast<engine::RunObserver*>(&dry_rows) : &live_rows;
  deps.interrupt = &ctx_.interrupt;
  deps.on_progress = [&](const engine::RunStats& so_far) {
    if (progress_line) progress.Show(so_far.counts.checked);
    progress_log.Maybe(so_far);
  };

  engine::Runner runner(options, deps);
  try {
    stats_.emplace(runner.Run());
  } catch (...) {
    stats_.emplace(runner.stats());  // the failure path reports and records what was applied
    throw;
  }
  progress.End();
  if (!facts_.dry_run) live_rows.Flush();
}

// The reports (the run's discrepancies and errors read back from the database, and its transitions unless they
// went in as they were applied; the pending listing, the totals), the runs row closed
// with its counts and figures, the index, and old report folders removed. Returns the exit code.
int ReconcileRun::Finish() {
  const config::Settings& s = ctx_.settings;
  const engine::RunStats& stats = *stats_;

  if (!facts_.dry_run) {
    WriteRunRows(*db_, facts_.run_id, *report_, summary_,
                 facts_.resumed ? RunRows::kAll : RunRows::kAllButTransitions);
  }
  const core::Instant finished_at = env::WallNow();
  auto ages = WritePending(*db_, finished_at, s.reports.pending_limit, *report_, summary_);
  ReadTotals(*db_, summary_);
  const int exit_code = ExitCodeFor(stats, summary_.discrepancies, facts_.strict);
  summary_.exit_code = exit_code;
  summary_.finished_at = finished_at;
  // The CPU of this process up to the reports, start-up and the listings included (a resumed backfill adds its
  // earlier parts').
  summary_.counts = facts_.prior;
  core::AddCounts(summary_.counts, stats.counts);
  summary_.counts.cpu_us += ProcessCpuMicros();
  CommitReport(*report_, summary_, std::move(ages), s.reports.display_zone);
  RemoveOldReports(s.reports.dir, s.reports.keep, finished_at, report_->final_path());

  if (!facts_.dry_run) {
    db_->store().RunFinish(core::RunFinishParams{facts_.run_id, finished_at, core::CountsToJson(summary_.counts),
                                                 std::string(engine::StopReasonName(stats.stop)), exit_code});
    const std::string figures = core::RunFiguresToJson(FiguresOf(summary_));
    db_->store().RunFiguresSet(core::RunFiguresParams{facts_.run_id, figures});
    LogDebug("index written to \"" + WriteIndex(*db_, s.reports, env::WallNow()) + "\"");
  }
  return exit_code;
}

// What the operator must know about how the run went, beyond its counts.
void ReconcileRun::Explain() const {
  const config::Settings& s = ctx_.settings;
  const engine::RunStats& stats = *stats_;
  for (const std::string& m : stats.auth_refused) {
    LogError("the gateway refused merchant '" + m + "' " + std::to_string(s.worker.auth_failures_to_stop) +
             " times in a row: its transactions were given back unchecked, attempts not spent; check its access key"
             " and secret");
  }
  if (stats.expired_claims > 0) {
    LogWarn(std::to_string(stats.expired_claims) +
            " claims waited longer than their lease allows and were given back unchecked: raise worker.lease or"
            " lower worker.batch_size");
  }
  if (window_source_ && window_source_->unverified() > 0) {
    LogWarn(std::to_string(window_source_->unverified()) + " transactions of the window were held by another run "
                "until the end and are not verified: 'backfill --resume " + facts_.run_id + "' checks them",
            {{"unverified", static_cast<std::int64_t>(window_source_->unverified())}});
  }
  if (stats.throttled > 0) {
    const LogFields f = {{"throttled", stats.throttled},
                         {"paused_ms", static_cast<std::int64_t>(stats.throttle_paused.count())},
                         {"elapsed_ms", static_cast<std::int64_t>(stats.elapsed.count())}};
    if (ThrottledOut(stats)) {
      LogError("the gateway throttled the run until its deadline: " + std::to_string(stats.throttled) +
                   " answers were 429/503 and every worker was held back for half the run or more (exit 4); lower "
                   "worker.max_rps or ask the gateway team for a higher limit",
               f);
    } else {
      LogWarn("the gateway throttled " + std::to_string(stats.throttled) + " answers (429/503): those transactions "
                  "wait their Retry-After, and every worker was held back " +
                  std::to_string(stats.throttle_paused.count()) + " ms in all",
              f);
    }
  }
  switch (stats.stop) {
    case engine::StopReason::kInterrupted: LogWarn("interrupted by a signal: claims released, reports written"); break;
    case engine::StopReason::kAuth:
      LogError("the gateway refused authentication " + std::to_string(s.worker.auth_failures_to_stop) +
               " times in a row: check the merchants' access keys and secrets; stopped without spending attempts");
      break;
    case engine::StopReason::kDeadline:
      LogWarn("deadline of " + std::to_string(facts_.budget.count() / 1000) + " s reached");
      break;
    case engine::StopReason::kDone:
    case engine::StopReason::kLimit: break;
  }
}

// Gauges of the whole database for the metrics, when there are metrics to write; a failure here costs those
// gauges, never the run.
void ReconcileRun::ReadGauges() {
  const config::MetricsSettings& m = ctx_.settings.metrics;
  if (facts_.dry_run || (m.textfile.empty() && m.pushgateway_url.empty())) return;
  try {
    DatabaseGauges g;
    g.now = env::WallNow();
    g.open_discrepancies = db_->store().DiscrepanciesCountOpen();
    g.pending = db_->store().TransactionsPendingAges(core::PendingAgesParams{g.now, PendingAgeBounds()});
    AddAmountGauges(summary_, g);
    gauges_ = std::move(g);
  } catch (const core::StoreUnavailable& e) {
    LogWarn(std::string("metrics: database gauges not read: ") + e.what());
  }
}

// The "finished" log line, then the stdout line (a contract: core::RenderRunLine).
void ReconcileRun::Announce(int exit_code) const {
  const engine::RunStats& stats = *stats_;
  LogInfo(facts_.mode + " finished", {{"mode", facts_.mode},
                                      {"exit_code", static_cast<std::int64_t>(exit_code)},
                                      {"stop", std::string(engine::StopReasonName(stats.stop))},
                                      {"checked", stats.counts.checked},
                                      {"transitions", stats.transitions},
                                      {"discrepancies", stats.discrepancies},
                                      {"errors", stats.errors},
                                      {"conflicts", stats.counts.conflicts},
                                      {"released", stats.counts.released},
                                      {"calls", stats.counts.gateway_calls},
                                      {"still_pending", summary_.still_pending},
                                      {"elapsed_ms", static_cast<std::int64_t>(stats.elapsed.count())},
                                      {"peak_rss_mib", static_cast<std::int64_t>(PeakRssMiB())}});
  ctx_.out << core::RenderRunLine(summary_) << '\n' << std::flush;
}

// The failure path: the stdout line (without reports) with the counts so far; the runs row closed and the claims
// given back when the database lets it; the index rewritten to show the run as not finished (it cannot be when the
// reports folder is what failed, and is not tried when the database is).
void ReconcileRun::Fail(ExitCode code) {
  FailedRunLine(ctx_, summary_, stats_, facts_.prior, code);
  if (facts_.dry_run) return;
  if (opened_) CloseFailedRun(*db_, facts_.run_id, stats_, facts_.prior, env::WallNow(), code);
  if (code != ExitCode::kReports && code != ExitCode::kDatabase) {
    WriteIndexOrWarn(*db_, ctx_.settings.reports, env::WallNow());
  }
}

// The run's metrics, whatever its end. A dry run changes nothing, so it reports nothing: its figures would replace
// the last real run's.
void ReconcileRun::PublishMetrics(int exit_code) const {
  const config::MetricsSettings& m = ctx_.settings.metrics;
  if (m.textfile.empty() && m.pushgateway_url.empty()) return;
  if (facts_.dry_run) {
    LogInfo("dry run: no metrics written or pushed");
    return;
  }
  RunMetricsInput in;
  in.mode = facts_.mode;
  in.exit_code = exit_code;
  in.finished_at = env::WallNow();
  in.duration = std::chrono::duration_cast<core::Millis>(SteadyClock::now() - facts_.started);
  in.stats = stats_ ? &*stats_ : nullptr;
  in.database = gauges_;
  PublishRunMetrics(m, in);
}

}  // namespace payrecon::jobs
