#pragma once
// What a run does beside checking, as the engine's Runner reports each checked transaction and its progress: the
// report rows of a dry run (built from the decisions, nothing being in the database), the failed checks of a live
// run (to run_errors, in batches), and the progress lines (an in-place bar on a terminal, a periodic log line).
// Used by ReconcileRun (jobs/run.h) on the runner's coordinating thread only.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/report_rows.h"
#include "core/time.h"
#include "db/pg_store.h"
#include "engine/runner.h"
#include "jobs/database.h"
#include "jobs/log.h"
#include "jobs/report_writer.h"
#include "jobs/run_report.h"

namespace payrecon::jobs {

// Failed checks are written to run_errors in batches of this many.
inline constexpr std::size_t kErrorBatch = 500;

// The transitions.csv row of a checked transaction whose update moved its status (outcome.applied, a new status
// other than the claimed one), as the audit trail records it: the decision's values where it set them, else the
// claimed ones; `at` is the row's time.
inline core::TransitionRow TransitionRowOf(const std::string& run_id, const engine::CheckRecord& rec,
                                          core::Instant at) {
  const core::Transaction& t = rec.transaction;
  const core::TransactionUpdate& u = rec.decision.update;
  core::TransitionRow row;
  row.run_id = run_id;
  row.transaction_id = t.id;
  row.kind = t.kind;
  row.merchant_id = t.merchant_id;
  row.merchant_txn_id = t.merchant_txn_id;
  row.amazon_txn_id = u.amazon_txn_id.empty() ? t.amazon_txn_id : u.amazon_txn_id;
  row.from_status = t.status;
  row.to_status = *u.new_status;
  row.amount = t.amount;
  row.approved_amount = u.approved_amount ? u.approved_amount : t.approved_amount;
  row.gateway_updated_at = u.gateway_updated_at ? u.gateway_updated_at : t.gateway_updated_at;
  row.checked_at = at;
  row.request_id = u.request_id;
  row.response_digest = u.response_digest;
  return row;
}

// Whether the update of a checked transaction wrote a transition event.
inline bool WroteTransition(const engine::CheckRecord& rec, const core::UpdateOutcome& outcome) {
  const core::TransactionUpdate& u = rec.decision.update;
  return outcome.applied && u.new_status && *u.new_status != rec.transaction.status;
}

// The rows a checked transaction contributes to the reports, built from the decision (dry runs, where nothing
// is in the database to read back).
class DryRunRows : public engine::RunObserver {
 public:
  DryRunRows(std::string run_id, ReportWriter& report, core::RunSummary& summary)
      : run_id_(std::move(run_id)), report_(report), summary_(summary) {}

  void OnChecked(const engine::CheckRecord& rec, const core::UpdateOutcome& outcome) override {
    const core::Transaction& t = rec.transaction;
    const core::TransactionUpdate& u = rec.decision.update;
    const std::string amazon_id = u.amazon_txn_id.empty() ? t.amazon_txn_id : u.amazon_txn_id;
    if (WroteTransition(rec, outcome)) {
      const core::TransitionRow row = TransitionRowOf(run_id_, rec, rec.checked_at);
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
class RunErrorRecorder : public engine::RunObserver {
 public:
  RunErrorRecorder(std::string run_id, Database& db) : run_id_(std::move(run_id)), db_(db) {}

  void OnChecked(const engine::CheckRecord& rec, const core::UpdateOutcome&) override {
    if (!rec.decision.error) return;
    const core::Transaction& t = rec.transaction;
    core::RunError e;
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
    core::RunErrorsParams p{run_id_, std::move(pending_)};
    pending_.clear();
    db_.store().RunErrorsRecord(p);
  }

 private:
  std::string run_id_;
  Database& db_;
  std::vector<core::RunError> pending_;
};

// A live run's rows as its applies commit: each transition into transitions.csv (with the apply's time, the
// audit event's created_at: the row `report --run` reads back), counted into the summary, and each failed check
// to run_errors. Reading the transitions back at the end instead cost a query over the run's events and a serial
// tail of about 0.3 s per 100,000 checks. `report` null: transitions are left to WriteRunRows (a resumed
// backfill, whose earlier parts' transitions are in the database only).
class LiveRunRows : public engine::RunObserver {
 public:
  LiveRunRows(std::string run_id, Database& db, ReportWriter* report, core::RunSummary& summary)
      : run_id_(run_id), errors_(std::move(run_id), db), report_(report), summary_(summary) {}

  void OnChecked(const engine::CheckRecord& rec, const core::UpdateOutcome& outcome) override {
    if (report_ != nullptr && WroteTransition(rec, outcome)) {
      const core::TransitionRow row = TransitionRowOf(run_id_, rec, outcome.applied_at);
      try {
        report_->Transition(row);
      } catch (...) {
        // The reports cannot be written (a full disk): the run still does its database work, as when its reports
        // were written at the end, and fails with the reports' error once it has (Flush).
        report_failure_ = std::current_exception();
        report_ = nullptr;
      }
      if (report_ != nullptr) CountTransition(summary_, row);
    }
    errors_.OnChecked(rec, outcome);
  }

  // Writes the failed checks not yet written; then rethrows a failure to write transitions.csv, if any.
  void Flush() {
    errors_.Flush();
    if (report_failure_) std::rethrow_exception(report_failure_);
  }

 private:
  std::string run_id_;
  RunErrorRecorder errors_;
  ReportWriter* report_;
  core::RunSummary& summary_;
  std::exception_ptr report_failure_;
};

// "backfill: 12000 done, 850/s, 00:14 left" on a terminal, rewritten in place.
class ProgressLine {
 public:
  explicit ProgressLine(std::optional<std::int64_t> total)
      : total_(total), start_(std::chrono::steady_clock::now()) {}
  void Show(std::int64_t done) {
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
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
  std::chrono::steady_clock::time_point start_;
  bool shown_ = false;
};


// The periodic progress line of the logs: every `interval`, the counts so far and the rate; with a known total
// (backfill), the share done and the time left.
class ProgressLog {
 public:
  ProgressLog(std::string mode, core::Millis interval, std::optional<std::int64_t> total)
      : mode_(std::move(mode)),
        interval_(interval),
        total_(total),
        start_(std::chrono::steady_clock::now()),
        last_(start_) {}
  void Maybe(const engine::RunStats& s) {
    const auto now = std::chrono::steady_clock::now();
    if (now - last_ < interval_) return;
    last_ = now;
    const auto elapsed_ms = std::chrono::duration_cast<std::chrono::milliseconds>(now - start_).count();
    const std::int64_t rate = elapsed_ms > 0 ? s.counts.checked * 1000 / elapsed_ms : 0;
    LogFields f = {{"mode", mode_},
                   {"checked", s.counts.checked},
                   {"transitions", s.transitions},
                   {"discrepancies", s.discrepancies},
                   {"errors", s.errors},
                   {"rate_per_s", rate},
                   {"elapsed_s", static_cast<std::int64_t>(elapsed_ms / 1000)}};
    if (total_) {
      f.emplace_back("total", *total_);
      if (rate > 0) f.emplace_back("left_s", std::max<std::int64_t>(0, (*total_ - s.counts.checked) / rate));
    }
    LogInfo(mode_ + " progress", f);
  }

 private:
  std::string mode_;
  core::Millis interval_;
  std::optional<std::int64_t> total_;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_;
};

}  // namespace payrecon::jobs
