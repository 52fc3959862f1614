#include "jobs/run_report.h"

#include <algorithm>
#include <cassert>
#include <charconv>
#include <climits>
#include <iterator>
#include <optional>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

#include "core/json.h"
#include "jobs/log.h"
#include "jobs/run_metrics.h"

#include <sys/resource.h>

namespace payrecon::jobs {

std::int64_t ProcessCpuMicros() {
  struct rusage ru {};
  if (::getrusage(RUSAGE_SELF, &ru) != 0) return 0;
  const auto us = [](const timeval& tv) {
    return static_cast<std::int64_t>(tv.tv_sec) * 1000000 + static_cast<std::int64_t>(tv.tv_usec);
  };
  return us(ru.ru_utime) + us(ru.ru_stime);
}

namespace {

// sum += amount, refusing to wrap: no realistic run comes near, but a wrapped total would be a wrong amount.
void AddPaise(core::Paise& sum, core::Paise amount, const char* what) {
  if (__builtin_add_overflow(sum, amount, &sum)) {
    throw std::overflow_error(std::string(what) + ": the sum does not fit in int64 paise");
  }
}

}  // namespace

void CountTransition(core::RunSummary& s, const core::TransitionRow& row) {
  ++s.transitions;
  ++s.transitions_by_status[{row.from_status, row.to_status}];
  AddPaise(s.transition_amounts[{row.from_status, row.to_status}], row.amount, "transition amounts");
  AddPaise(s.transition_amounts_by_kind[{row.kind, row.from_status, row.to_status}], row.amount,
           "transition amounts by kind");
}

void CountDiscrepancy(core::RunSummary& s, const core::DiscrepancyRow& row) {
  ++s.discrepancies;
  ++s.discrepancies_by_code[row.code];
  s.discrepancy_amounts[row.code] += row.local_amount;
}

void CountError(core::RunSummary& s, const core::ErrorRow& row) {
  ++s.errors;
  ++s.errors_by_class[row.error_class];
}

void WriteRunRows(Database& db, const std::string& run_id, ReportWriter& report, core::RunSummary& summary,
                  RunRows rows) {
  core::RunSummary counted = summary;
  core::ReportStore& store = db.store();
  if (rows == RunRows::kAllButTransitions) {
    // The audit trail is the record: if it holds a transition the run did not hear of as applied (an apply whose
    // connection was lost while its server process went on and committed, and whose retry then found the rows
    // moved), the file is written again from the events.
    const std::int64_t recorded = store.RunTransitionsCount(run_id);
    if (recorded != summary.transitions) {
      LogWarn("transitions.csv: the audit trail holds " + std::to_string(recorded) + " transitions of run \"" +
              run_id + "\", the run wrote " + std::to_string(summary.transitions) + "; writing them again from it");
      rows = RunRows::kAll;
    }
  }
  // A read retried after a lost connection streams again from its first row: each restart empties its file.
  if (rows == RunRows::kAll) {
    store.RunTransitionsForEach(run_id, {[&] {
                                           report.RestartTransitions();
                                           counted.transitions = 0;
                                           counted.transitions_by_status.clear();
                                           counted.transition_amounts.clear();
                                           counted.transition_amounts_by_kind.clear();
                                         },
                                         [&](const core::TransitionRow& row) {
                                           report.Transition(row);
                                           CountTransition(counted, row);
                                         }});
  }
  store.RunDiscrepanciesForEach(run_id, {[&] {
                                           report.RestartDiscrepancies();
                                           counted.discrepancies = 0;
                                           counted.discrepancies_by_code.clear();
                                           counted.discrepancy_amounts.clear();
                                         },
                                         [&](const core::DiscrepancyRow& row) {
                                           report.Discrepancy(row);
                                           CountDiscrepancy(counted, row);
                                         }});
  store.RunErrorsForEach(run_id, {[&] {
                                    report.RestartErrors();
                                    counted.errors = 0;
                                    counted.errors_by_class.clear();
                                  },
                                  [&](const core::ErrorRow& row) {
                                    report.Error(row);
                                    CountError(counted, row);
                                  }});
  summary = std::move(counted);
}

std::vector<core::AgeBucket> WritePending(Database& db, core::Instant now, std::int64_t limit, ReportWriter& report,
                                          core::RunSummary& summary) {
  // summary.html's wording of PendingAgeLabels(), bucket for bucket.
  static const char* const kDisplay[] = {"< 1 min", "1-15 min", "15-60 min", "1-24 h", "1-7 d", ">= 7 d"};
  const std::vector<std::string>& labels = PendingAgeLabels();
  static_assert(std::size(kDisplay) == 6);
  assert(labels.size() == std::size(kDisplay));
  const auto totals = db.store().TransactionsPendingTotals({now, PendingAgeBounds()});
  std::vector<core::AgeBucket> ages;
  for (const char* label : kDisplay) ages.push_back({label, 0});
  summary.pending_ages = labels;
  summary.pending_totals.clear();
  summary.still_pending = 0;
  for (const core::PendingTotal& t : totals) {
    const std::size_t bucket = std::min(t.bucket, labels.size() - 1);
    summary.pending_totals.push_back(core::KindAgeTotal{t.kind, labels[bucket], t.count, t.amount});
    ages[bucket].count += t.count;
    summary.still_pending += t.count;
  }

  core::PendingListParams lp;
  lp.limit = limit;
  if (limit <= 0) {
    report.RestartPending();
  } else {
    db.store().TransactionsForEachPending(
        lp, {[&] { report.RestartPending(); },
             [&](const core::Transaction& t) { report.Pending(core::PendingRowFrom(t, now)); }});
  }
  summary.pending_listed = report.pending();
  return ages;
}

void ReadTotals(Database& db, core::RunSummary& summary) {
  summary.open_discrepancies.clear();
  for (const core::OpenTotal& t : db.store().DiscrepanciesTotalsOpen()) {
    summary.open_discrepancies.push_back(core::CodeTotal{t.code, t.count, t.amount});
  }
}

core::RunFigures FiguresOf(const core::RunSummary& s) {
  const core::LatencyHistogram& latency = s.counts.latency;
  core::RunFigures f;
  f.checked = s.counts.checked;
  f.errors = s.errors;
  f.transitions = s.transitions;
  f.discrepancies = s.discrepancies;
  f.gateway_calls = static_cast<std::int64_t>(latency.count());
  if (latency.count() > 0) {
    const std::int64_t bound = latency.QuantileUpperBoundUs(99, 100);
    f.latency_p99_above = bound < 0;
    f.latency_p99_us = bound < 0 ? latency.bounds_us().back() : bound;
  }
  for (const std::string& age : s.pending_ages) {
    core::AgeTotal a{age, 0, 0};
    for (const core::KindAgeTotal& t : s.pending_totals) {
      if (t.age != age) continue;
      a.count += t.count;
      a.amount += t.amount;
    }
    f.pending.push_back(a);
  }
  f.open_discrepancies = s.open_discrepancies;
  return f;
}

std::string CommitReport(ReportWriter& report, const core::RunSummary& summary,
                         std::vector<core::AgeBucket> pending_ages, const core::TimeZone& zone) {
  core::HtmlSummaryInput html{summary, summary.counts.latency, std::move(pending_ages), zone};
  return report.Commit(core::RenderSummaryJson(summary), core::RenderSummaryHtml(html));
}

}  // namespace payrecon::jobs
