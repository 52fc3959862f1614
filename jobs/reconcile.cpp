// `run` and `backfill`: wire the database, the gateway and the reports around the Runner.
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <memory>
#include <ostream>
#include <random>

#include "core/json.h"
#include "core/run_figures.h"
#include "core/report_rows.h"
#include "db/migrate.h"
#include "env/clock.h"
#include "env/host.h"
#include "gateway/merchants.h"
#include "gateway/options.h"
#include "gateway/status_checker.h"
#include "jobs/amount_metrics.h"
#include "jobs/commands.h"
#include "jobs/database.h"
#include "jobs/exit_code.h"
#include "jobs/log.h"
#include "jobs/metrics_output.h"
#include "jobs/report_retention.h"
#include "jobs/report_writer.h"
#include "jobs/run_index.h"
#include "jobs/run_setup.h"
#include "jobs/run_report.h"
#include "jobs/runner.h"
#include "jobs/sources.h"

namespace payrecon::jobs {

namespace {

using SteadyClock = std::chrono::steady_clock;

// A database blip right at the deadline still gets this long to come back before the run gives up (exit 3).
constexpr std::chrono::seconds kMinReconnectWindow{5};
// After a failure, closing the run's row and giving its claims back get this long (the database may be gone).
constexpr std::chrono::seconds kCleanupWindow{1};
// Failed checks are written to run_errors in batches of this many.
constexpr std::size_t kErrorBatch = 500;

// The backfill window as stored in the run's `arguments` (so --resume can continue the same window).
struct Window {
  core::Instant from{};
  core::Instant to{};
  std::optional<core::Kind> kind;
  std::optional<std::string> merchant;
};

std::string ArgumentsJson(const CommandLine& cl, const std::optional<Window>& window, core::Millis deadline) {
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

Window WindowFromArguments(const std::string& run_id, const std::string& json) {
  auto bad = [&](const std::string& why) {
    return JobError(ExitCode::kUsage, "run '" + run_id + "' cannot be resumed: " + why);
  };
  auto parsed = core::ParseJson(json);
  if (!parsed || !parsed->is_object()) throw bad("its arguments are not a JSON object");
  Window w;
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

// The rows a checked transaction contributes to the reports, built from the decision (dry runs, where nothing
// is in the database to read back).
class DryRunRows : public RunObserver {
 public:
  DryRunRows(std::string run_id, ReportWriter& report, core::RunSummary& summary)
      : run_id_(std::move(run_id)), report_(report), summary_(summary) {}

  void OnChecked(const CheckRecord& rec, const core::UpdateOutcome& outcome) override {
    const core::Transaction& t = rec.transaction;
    const core::TransactionUpdate& u = rec.decision.update;
    const std::string amazon_id = u.amazon_txn_id.empty() ? t.amazon_txn_id : u.amazon_txn_id;
    if (outcome.applied && u.new_status) {
      core::TransitionRow row;
      row.run_id = run_id_;
      row.kind = t.kind;
      row.merchant_id = t.merchant_id;
      row.merchant_txn_id = t.merchant_txn_id;
      row.amazon_txn_id = amazon_id;
      row.from_status = t.status;
      row.to_status = *u.new_status;
      row.amount = t.amount;
      row.approved_amount = u.approved_amount ? u.approved_amount : t.approved_amount;
      row.gateway_updated_at = u.gateway_updated_at ? u.gateway_updated_at : t.gateway_updated_at;
      row.checked_at = rec.checked_at;
      report_.Transition(row);
      CountTransition(summary_, row);
    }
    for (core::DiscrepancyCode code : outcome.raised) {
      for (const core::DiscrepancyRecord& d : u.discrepancies) {
        if (d.code != code) continue;
        core::DiscrepancyRow row;
        row.run_id = run_id_;
        row.kind = t.kind;
        row.merchant_id = t.merchant_id;
        row.merchant_txn_id = t.merchant_txn_id;
        row.amazon_txn_id = amazon_id;
        row.code = code;
        row.local_status = t.status;
        row.gateway_status = d.gateway_status;
        row.local_amount = t.amount;
        row.gateway_amount = d.gateway_amount;
        row.detail = d.detail;
        report_.Discrepancy(row);
        CountDiscrepancy(summary_, row);
        break;
      }
    }
    if (rec.decision.error) {
      core::ErrorRow row;
      row.run_id = run_id_;
      row.kind = t.kind;
      row.merchant_id = t.merchant_id;
      row.merchant_txn_id = t.merchant_txn_id;
      row.error_class = *rec.decision.error;
      row.http_status = rec.check.http_status;
      row.gateway_code = rec.check.gateway_code;
      row.message = rec.check.message;
      row.attempts = t.error_count + 1;
      if (!core::IsFinal(t.status)) row.next_check_at = u.next_check_at;
      report_.Error(row);
      CountError(summary_, row);
    }
  }

 private:
  std::string run_id_;
  ReportWriter& report_;
  core::RunSummary& summary_;
};

// Live runs: failed checks go to run_errors (the other rows are in the database already: events, discrepancies).
class RunErrorRecorder : public RunObserver {
 public:
  RunErrorRecorder(std::string run_id, Database& db) : run_id_(std::move(run_id)), db_(db) {}

  void OnChecked(const CheckRecord& rec, const core::UpdateOutcome&) override {
    if (!rec.decision.error) return;
    const core::Transaction& t = rec.transaction;
    db::RunError e;
    e.transaction_id = t.id;
    e.error_class = std::string(core::CheckOutcomeName(*rec.decision.error));
    e.http_status = rec.check.http_status;
    e.gateway_code = rec.check.gateway_code;
    e.message = rec.check.message;
    e.attempts = t.error_count + 1;
    if (!core::IsFinal(t.status)) e.next_check_at = rec.decision.update.next_check_at;
    e.at = rec.checked_at;
    pending_.push_back(std::move(e));
    if (pending_.size() >= kErrorBatch) Flush();
  }

  void Flush() {
    if (pending_.empty()) return;
    db::RunErrorsParams p{run_id_, std::move(pending_)};
    pending_.clear();
    db_.Retry("RunErrorsRecord", [&](db::PgStore& store) { store.RunErrorsRecord(p); });
  }

 private:
  std::string run_id_;
  Database& db_;
  std::vector<db::RunError> pending_;
};

// "backfill: 12000 done, 850/s, 00:14 left" on a terminal, rewritten in place.
class ProgressLine {
 public:
  explicit ProgressLine(std::optional<std::int64_t> total) : total_(total), start_(SteadyClock::now()) {}
  void Show(std::int64_t done) {
    const double secs = std::chrono::duration<double>(SteadyClock::now() - start_).count();
    const auto rate = secs > 0 ? static_cast<std::int64_t>(static_cast<double>(done) / secs) : 0;
    std::string line = "\rbackfill: " + std::to_string(done);
    if (total_) line += "/" + std::to_string(*total_);
    line += " done, " + std::to_string(rate) + "/s";
    if (total_ && rate > 0) {
      const std::int64_t left = std::max<std::int64_t>(0, (*total_ - done) / rate);
      char buf[32];
      std::snprintf(buf, sizeof buf, "%02lld:%02lld", static_cast<long long>(left / 60),
                    static_cast<long long>(left % 60));
      line += ", ";
      line += buf;
      line += " left";
    }
    line += "   ";
    std::fputs(line.c_str(), stderr);
    std::fflush(stderr);
    shown_ = true;
  }
  void End() {
    if (shown_) std::fputs("\n", stderr);
  }

 private:
  std::optional<std::int64_t> total_;
  SteadyClock::time_point start_;
  bool shown_ = false;
};

// What the metrics of a run are made of, filled in as the run gets there.
struct RunOutcome {
  bool started = false;  // the runs row exists (a new run's RunStart, or a resumed backfill)
  std::optional<RunStats> stats;
  std::optional<DatabaseGauges> database;
  bool dry_run = false;
};

// The periodic progress line of the logs: every `interval`, the counts so far and the rate; with a known total
// (backfill), the share done and the time left.
class ProgressLog {
 public:
  ProgressLog(std::string mode, core::Millis interval, std::optional<std::int64_t> total)
      : mode_(std::move(mode)), interval_(interval), total_(total), start_(SteadyClock::now()), last_(start_) {}
  void Maybe(const RunStats& s) {
    const auto now = SteadyClock::now();
    if (now - last_ < interval_) return;
    last_ = now;
    const auto elapsed_ms = std::chrono::duration_cast<std::chrono::milliseconds>(now - start_).count();
    const std::int64_t rate = elapsed_ms > 0 ? s.checked * 1000 / elapsed_ms : 0;
    LogFields f = {{"mode", mode_},
                   {"checked", s.checked},
                   {"transitions", s.transitions},
                   {"discrepancies", s.discrepancies},
                   {"errors", s.errors},
                   {"rate_per_s", rate},
                   {"elapsed_s", static_cast<std::int64_t>(elapsed_ms / 1000)}};
    if (total_) {
      f.emplace_back("total", *total_);
      if (rate > 0) f.emplace_back("left_s", std::max<std::int64_t>(0, (*total_ - s.checked) / rate));
    }
    LogInfo(mode_ + " progress", f);
  }

 private:
  std::string mode_;
  core::Millis interval_;
  std::optional<std::int64_t> total_;
  SteadyClock::time_point start_;
  SteadyClock::time_point last_;
};

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

// The stdout line of a run that ended with an error, with what it did until then (applied transitions and
// raised discrepancies as the runner counted them: the database may be gone, so nothing is read back).
void FailedRunLine(const CommandContext& ctx, core::RunSummary summary, const std::optional<RunStats>& stats,
                   const RunCounts& prior, ExitCode code) {
  summary.exit_code = ToInt(code);
  summary.report_dir.clear();
  if (stats) {
    summary.checked = prior.checked + stats->checked;
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
void CloseFailedRun(Database& db, const std::string& run_id, const std::optional<RunStats>& stats,
                    const RunCounts& prior, core::Instant finished_at, ExitCode code) {
  db.SetInterrupt(nullptr);
  db.SetGiveUp([](SteadyTime first_failure) { return first_failure + kCleanupWindow; });
  try {
    db.Retry("LeasesReleaseRun", [&](db::PgStore& store) { store.LeasesReleaseRun(run_id); });
  } catch (const core::StoreUnavailable& e) {
    LogWarn(std::string("claims not given back (they expire with their lease): ") + e.what());
  }
  RunCounts counts = prior;
  if (stats) AddCounts(counts, CountsFrom(*stats));
  counts.stop = FailureOutcome(code);
  db::RunFinishParams p{run_id, finished_at, CountsToJson(counts), FailureOutcome(code), ToInt(code)};
  try {
    db.Retry("RunFinish", [&](db::PgStore& store) { store.RunFinish(p); });
  } catch (const core::StoreUnavailable& e) {
    LogWarn(std::string("run not recorded as finished (the next run marks it abandoned): ") + e.what());
  }
}

int ReconcileBody(const CommandContext& ctx, Database& db, ReportWriter& report, core::RunSummary& summary,
                  const std::optional<Window>& window, std::int64_t resume_after_id, const RunCounts& prior,
                  SteadyTime deadline, core::Millis budget, const std::shared_ptr<const gateway::Merchants>& merchants,
                  const gateway::GatewayOptions& gateway_options, RunOutcome& outcome);

long PeakRssMiB() {
  struct rusage ru {};
  if (::getrusage(RUSAGE_SELF, &ru) != 0) return -1;
  return ru.ru_maxrss / 1024;  // kilobytes on Linux
}

bool ThrottledOut(const RunStats& stats) {
  return stats.stop == StopReason::kDeadline && stats.throttle_paused.count() > 0 &&
         2 * stats.throttle_paused >= stats.elapsed;
}

// `discrepancies` is the run's count as recorded (read back from the database for a live run, so a retried apply
// whose first reply was lost still counts what it raised).
int ExitCodeFor(const RunStats& stats, std::int64_t discrepancies, bool strict) {
  switch (stats.stop) {
    case StopReason::kInterrupted: return ToInt(ExitCode::kInterrupted);
    case StopReason::kAuth: return ToInt(ExitCode::kGateway);
    case StopReason::kDone:
    case StopReason::kLimit:
    case StopReason::kDeadline: break;
  }
  // Some merchants' credentials were refused while the others were reconciled: still an unusable gateway.
  if (!stats.auth_refused.empty()) return ToInt(ExitCode::kGateway);
  // Stopped by its deadline after the gateway's throttling held every worker back for half its time or more.
  if (ThrottledOut(stats)) return ToInt(ExitCode::kGateway);
  return strict && discrepancies > 0 ? ToInt(ExitCode::kNewDiscrepancies) : ToInt(ExitCode::kOk);
}

}  // namespace

namespace {

int Reconcile(const CommandContext& ctx, RunOutcome& outcome) {
  const CommandLine& cl = ctx.command_line;
  const config::Settings& s = ctx.settings;
  const bool backfill = cl.command == Command::kBackfill;
  const std::string mode = backfill ? "backfill" : "run";
  const core::Instant started_at = env::WallNow();
  const core::Millis budget = cl.deadline.value_or(s.worker.deadline);
  const auto deadline = SteadyClock::now() + budget;

  // Everything that can refuse to start does so before anything changes: config, database, schema, reports.
  auto merchants = MerchantsFrom(s);
  const gateway::GatewayOptions gateway_options = GatewayOptionsFrom(s.amazonpay);
  gateway::ValidateOptions(gateway_options);

  Database db(s.database.conninfo);
  db.RequireCurrentSchema();
  db.SetGiveUp([deadline](SteadyTime first_failure) { return std::max(deadline, first_failure + kMinReconnectWindow); });
  db.SetInterrupt(&ctx.interrupt);
  if (!cl.dry_run) {
    // Rows of runs that died without closing them (kill -9, a lost node, the database gone at the end).
    const auto abandoned = db.Retry("RunsMarkAbandoned", [&](db::PgStore& store) {
      return store.RunsMarkAbandoned(env::WallNow(), s.worker.lease);
    });
    for (const std::string& id : abandoned) {
      LogWarn("run '" + id + "' never recorded its end and holds no claims: marked abandoned");
    }
  }

  std::string run_id;
  std::optional<Window> window;
  std::int64_t resume_after_id = 0;
  RunCounts prior;
  if (cl.resume) {
    if (cl.dry_run) throw JobError(ExitCode::kUsage, "option '--resume' cannot be combined with '--dry-run'");
    run_id = *cl.resume;
    auto run = db.Retry("RunGet", [&](db::PgStore& store) { return store.RunGet(run_id); });
    if (!run) throw JobError(ExitCode::kUsage, "run '" + run_id + "' not found");
    if (run->mode != "backfill" || run->dry_run) {
      throw JobError(ExitCode::kUsage, "run '" + run_id + "' is not a backfill that changed the database");
    }
    window = WindowFromArguments(run_id, run->arguments_json);
    if ((cl.from && *cl.from != window->from) || (cl.to && *cl.to != window->to) ||
        (cl.kind && cl.kind != window->kind) || (cl.merchant && cl.merchant != window->merchant)) {
      throw JobError(ExitCode::kUsage, "run '" + run_id + "' covers another window; leave out '--from', '--to', "
                                       "'--kind' and '--merchant' or repeat them exactly");
    }
    resume_after_id = run->resume_after_id;
    prior = CountsFromJson(run->counts_json);
    LogInfo("resuming backfill '" + run_id + "' after transaction id " + std::to_string(resume_after_id));
  } else {
    run_id = NewRunId();
    if (backfill) window = Window{*cl.from, *cl.to, cl.kind, cl.merchant};
  }
  SetLogRunId(run_id);

  ReportWriter report(s.reports.dir, ReportFolderName(started_at, run_id));
  core::RunSummary summary;
  summary.run_id = run_id;
  summary.mode = mode;
  summary.dry_run = cl.dry_run;
  summary.report_dir = report.final_path();
  summary.started_at = started_at;

  // From here on the run has an id: a failure that ends it still prints its line (without reports) with the
  // counts so far, and closes its row when the database lets it.
  const auto fail = [&](ExitCode code) {
    FailedRunLine(ctx, summary, outcome.stats, prior, code);
    if (!cl.dry_run && outcome.started) CloseFailedRun(db, run_id, outcome.stats, prior, env::WallNow(), code);
  };
  try {
    return ReconcileBody(ctx, db, report, summary, window, resume_after_id, prior, deadline, budget, merchants,
                         gateway_options, outcome);
  } catch (const core::StoreUnavailable&) {
    fail(ExitCode::kDatabase);
    throw;
  } catch (const JobError& e) {
    fail(e.code());
    if (!cl.dry_run && e.code() != ExitCode::kReports) {
      // The index shows the run as not finished; it cannot when the reports folder is what failed.
      try {
        WriteIndex(db, s.reports, env::WallNow());
      } catch (const std::exception& ie) {
        LogWarn(std::string("index.html not rewritten: ") + ie.what());
      }
    }
    throw;
  }
}

// The exit code app.cpp maps the current exception to.
int ExitCodeOfCurrentException() {
  try {
    throw;
  } catch (const JobError& e) {
    return ToInt(e.code());
  } catch (const core::StoreUnavailable&) {
    return ToInt(ExitCode::kDatabase);
  } catch (const gateway::InvalidOptions&) {
    return ToInt(ExitCode::kUsage);
  } catch (...) {
    return ToInt(ExitCode::kInternal);
  }
}

}  // namespace

int CommandReconcile(const CommandContext& ctx) {
  const std::string mode = ctx.command_line.command == Command::kBackfill ? "backfill" : "run";
  const core::Instant started_at = env::WallNow();
  const auto started = SteadyClock::now();
  RunOutcome outcome;
  outcome.dry_run = ctx.command_line.dry_run;
  const auto publish = [&](int exit_code) {
    const config::MetricsSettings& m = ctx.settings.metrics;
    if (m.textfile.empty() && m.pushgateway_url.empty()) return;
    if (outcome.dry_run) {
      // A dry run changes nothing, so it reports nothing: its figures would replace the last real run's.
      LogInfo("dry run: no metrics written or pushed");
      return;
    }
    RunMetricsInput in;
    in.mode = mode;
    in.exit_code = exit_code;
    in.finished_at = env::WallNow();
    in.duration = std::chrono::duration_cast<core::Millis>(SteadyClock::now() - started);
    in.stats = outcome.stats ? &*outcome.stats : nullptr;
    in.database = outcome.database;
    PublishRunMetrics(m, in);
  };
  int exit_code = 0;
  try {
    exit_code = Reconcile(ctx, outcome);
  } catch (...) {
    const int code = ExitCodeOfCurrentException();
    const RunStats none;
    const RunStats& st = outcome.stats ? *outcome.stats : none;
    LogError(mode + " failed", {{"mode", mode},
                                {"exit_code", static_cast<std::int64_t>(code)},
                                {"checked", st.checked},
                                {"transitions", st.transitions},
                                {"discrepancies", st.discrepancies},
                                {"errors", st.errors},
                                {"conflicts", st.conflicts},
                                {"released", st.released},
                                {"calls", st.calls},
                                {"elapsed_ms", static_cast<std::int64_t>((env::WallNow() - started_at).count())}});
    publish(code);
    throw;
  }
  publish(exit_code);
  return exit_code;
}

namespace {

int ReconcileBody(const CommandContext& ctx, Database& db, ReportWriter& report, core::RunSummary& summary,
                  const std::optional<Window>& window, std::int64_t resume_after_id, const RunCounts& prior,
                  SteadyTime deadline, core::Millis budget, const std::shared_ptr<const gateway::Merchants>& merchants,
                  const gateway::GatewayOptions& gateway_options, RunOutcome& outcome) {
  const CommandLine& cl = ctx.command_line;
  const config::Settings& s = ctx.settings;
  const bool backfill = cl.command == Command::kBackfill;
  const std::string& mode = summary.mode;
  const std::string& run_id = summary.run_id;
  const core::Instant started_at = summary.started_at;
  if (!cl.dry_run && !cl.resume) {
    db::RunStartParams p{run_id, mode, ArgumentsJson(cl, window, budget), started_at, env::HostName(), false};
    db.Retry("RunStart", [&](db::PgStore& store) { store.RunStart(p); });
  }
  outcome.started = true;
  {
    LogFields f = {{"mode", mode}, {"dry_run", cl.dry_run}, {"report_dir", report.final_path()}};
    if (window) {
      f.emplace_back("from", core::FormatIso8601Millis(window->from));
      f.emplace_back("to", core::FormatIso8601Millis(window->to));
    }
    if (cl.limit) f.emplace_back("limit", *cl.limit);
    f.emplace_back("deadline_s", static_cast<std::int64_t>(budget.count() / 1000));
    LogInfo(mode + (cl.dry_run ? " (dry run)" : "") + " started", f);
  }

  // The source of work.
  const core::Instant far_past = *core::ParseIso8601("1970-01-01T00:00:00Z");
  const core::Instant far_future = *core::ParseIso8601("9999-01-01T00:00:00Z");
  core::WindowClaimParams wp;
  wp.run_id = run_id;
  wp.lease = s.worker.lease;
  wp.created_from = window ? window->from : far_past;
  wp.created_to = window ? window->to : far_future;
  wp.kind = window ? window->kind : std::nullopt;
  wp.merchant_id = window ? window->merchant : std::nullopt;
  wp.after_id = resume_after_id;

  std::unique_ptr<WorkSource> source;
  ClaimWindowSource* window_source = nullptr;  // backfill: rows other runs held
  std::int64_t dry_cursor = 0;
  if (cl.dry_run) {
    // Read without claiming: pages of the window in id order; `run` keeps the pending ones due at its start.
    source = std::make_unique<ReadOnlySource>([&, backfill](std::int64_t, int max) {
      std::vector<core::Transaction> out;
      while (out.empty()) {
        core::WindowClaimParams p = wp;
        p.now = env::WallNow();
        p.limit = max;
        p.after_id = dry_cursor;
        auto page = db.Retry("TransactionsListWindow",
                             [&](db::PgStore& store) { return store.TransactionsListWindow(p); });
        if (page.empty()) break;
        dry_cursor = page.back().id;
        for (auto& t : page) {
          if (backfill || (!core::IsFinal(t.status) && t.next_check_at <= started_at)) out.push_back(std::move(t));
        }
      }
      return out;
    });
  } else if (backfill) {
    auto claiming = std::make_unique<ClaimWindowSource>(db.transactions(), wp, [&](std::int64_t through) {
      db::RunCheckpointParams p{run_id, through, CountsToJson(prior)};
      db.Retry("RunCheckpoint", [&](db::PgStore& store) { store.RunCheckpoint(p); });
    });
    window_source = claiming.get();
    source = std::move(claiming);
  } else {
    source = std::make_unique<ClaimDueSource>(db.transactions(), run_id, started_at, s.worker.lease);
  }

  DryRunRows dry_rows(run_id, report, summary);
  RunErrorRecorder error_recorder(run_id, db);
  // The in-place bar only on a terminal showing text logs; the progress log line always.
  const bool progress_line =
      backfill && ::isatty(STDERR_FILENO) == 1 && CurrentLogFormat() == LogFormat::kText;
  std::optional<std::int64_t> total;
  if (backfill) {
    total = db.Retry("TransactionsCountWindow", [&](db::PgStore& store) { return store.TransactionsCountWindow(wp); });
  }
  ProgressLine progress(total);
  ProgressLog progress_log(mode, s.worker.progress_interval, total);

  RunnerOptions options;
  options.batch_size = s.worker.batch_size;
  options.in_flight = s.worker.in_flight;
  options.max_rps = s.worker.max_rps;
  options.limit = cl.limit;
  options.deadline = deadline;
  options.auth_failures_to_stop = s.worker.auth_failures_to_stop;
  options.merchant_count = static_cast<int>(s.merchants.size());
  // A claim is only checked while its lease still covers a whole call (a retry on a stale keep-alive connection
  // may run past it; the compare-and-set on the lease keeps that from being recorded twice).
  if (!cl.dry_run) {
    const auto call = s.amazonpay.connect_timeout + s.amazonpay.read_timeout;
    options.claim_valid_for = std::max(std::chrono::milliseconds{0}, s.worker.lease - call);
  }
  options.policy = s.worker.ToPolicy();
  options.retry_after_max = s.worker.retry_after_max;

  RunnerDeps deps;
  deps.source = source.get();
  deps.make_checker = [&]() -> std::unique_ptr<core::StatusChecker> {
    return std::make_unique<gateway::GatewayStatusChecker>(gateway_options, merchants);
  };
  deps.merchant_configured = [&](std::string_view m) { return merchants->Find(m) != nullptr; };
  deps.now = env::WallNow;
  deps.seed = std::random_device{}();
  deps.observer = cl.dry_run ? static_cast<RunObserver*>(&dry_rows) : &error_recorder;
  deps.interrupt = &ctx.interrupt;
  deps.on_progress = [&](const RunStats& so_far) {
    if (progress_line) progress.Show(so_far.checked);
    progress_log.Maybe(so_far);
  };

  Runner runner(options, deps);
  try {
    outcome.stats.emplace(runner.Run());
  } catch (...) {
    outcome.stats.emplace(runner.stats());  // the failure path reports and records what was applied
    throw;
  }
  const RunStats& stats = *outcome.stats;
  progress.End();
  if (!cl.dry_run) error_recorder.Flush();

  RunCounts counts = prior;
  AddCounts(counts, CountsFrom(stats));

  if (!cl.dry_run) WriteRunRows(db, run_id, report, summary);
  const core::Instant finished_at = env::WallNow();
  auto ages = WritePending(db, finished_at, s.reports.pending_limit, report, summary);
  ReadTotals(db, cl.dry_run ? nullptr : &run_id, summary);
  const int exit_code = ExitCodeFor(stats, summary.discrepancies, cl.strict);
  summary.exit_code = exit_code;
  summary.finished_at = finished_at;
  // The CPU of this process up to the reports, start-up and the listings included (a resumed backfill adds its
  // earlier parts').
  counts.cpu_us += ProcessCpuMicros();
  SummaryFromCounts(counts, summary);
  CommitReport(report, summary, counts.latency, std::move(ages), s.reports.display_zone);  // a resumed backfill's too
  RemoveOldReports(s.reports.dir, s.reports.keep, finished_at, report.final_path());

  if (!cl.dry_run) {
    db::RunFinishParams p{run_id, finished_at, CountsToJson(counts), std::string(StopReasonName(stats.stop)),
                          exit_code};
    db.Retry("RunFinish", [&](db::PgStore& store) { store.RunFinish(p); });
    const std::string figures = core::RunFiguresToJson(FiguresOf(summary, counts.latency));
    db.Retry("RunFiguresSet", [&](db::PgStore& store) { store.RunFiguresSet(run_id, figures); });
    LogDebug("index written to \"" + WriteIndex(db, s.reports, env::WallNow()) + "\"");
  }
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
  if (window_source && window_source->unverified() > 0) {
    LogWarn(std::to_string(window_source->unverified()) + " transactions of the window were held by another run "
                "until the end and are not verified: 'backfill --resume " + run_id + "' checks them",
            {{"unverified", static_cast<std::int64_t>(window_source->unverified())}});
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
    case StopReason::kInterrupted: LogWarn("interrupted by a signal: claims released, reports written"); break;
    case StopReason::kAuth:
      LogError("the gateway refused authentication " + std::to_string(s.worker.auth_failures_to_stop) +
               " times in a row: check the merchants' access keys and secrets; stopped without spending attempts");
      break;
    case StopReason::kDeadline: LogWarn("deadline of " + std::to_string(budget.count() / 1000) + " s reached"); break;
    case StopReason::kDone:
    case StopReason::kLimit: break;
  }
  if (!cl.dry_run && (!s.metrics.textfile.empty() || !s.metrics.pushgateway_url.empty())) {
    // Gauges of the whole database for the metrics; a failure here costs those gauges, never the run.
    try {
      DatabaseGauges g;
      g.now = env::WallNow();
      db.Retry("DiscrepanciesCountOpen", [&](db::PgStore& store) { g.open_discrepancies = store.DiscrepanciesCountOpen(); });
      db.Retry("TransactionsPendingAges", [&](db::PgStore& store) {
        g.pending = store.TransactionsPendingAges({g.now, PendingAgeBounds()});
      });
      AddAmountGauges(db, run_id, summary, g);
      outcome.database = std::move(g);
    } catch (const core::StoreUnavailable& e) {
      LogWarn(std::string("metrics: database gauges not read: ") + e.what());
    }
  }
  LogInfo(mode + " finished", {{"mode", mode},
                               {"exit_code", static_cast<std::int64_t>(exit_code)},
                               {"stop", std::string(StopReasonName(stats.stop))},
                               {"checked", stats.checked},
                               {"transitions", stats.transitions},
                               {"discrepancies", stats.discrepancies},
                               {"errors", stats.errors},
                               {"conflicts", stats.conflicts},
                               {"released", stats.released},
                               {"calls", stats.calls},
                               {"still_pending", summary.still_pending},
                               {"elapsed_ms", static_cast<std::int64_t>(stats.elapsed.count())},
                               {"peak_rss_mib", static_cast<std::int64_t>(PeakRssMiB())}});
  ctx.out << core::RenderRunLine(summary) << '\n' << std::flush;
  return exit_code;
}

}  // namespace

}  // namespace payrecon::jobs
