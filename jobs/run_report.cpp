#include "jobs/run_report.h"

#include <algorithm>
#include <cassert>
#include <charconv>
#include <climits>
#include <iterator>
#include <optional>
#include <type_traits>
#include <vector>

#include "core/json.h"
#include "jobs/run_metrics.h"

#include <sys/resource.h>

namespace payrecon::jobs {

namespace {
std::int64_t IntMember(const core::JsonValue& obj, std::string_view key) {
  const core::JsonValue* v = obj.Find(key);
  if (!v || v->type() != core::JsonValue::Type::kNumber) return 0;
  try {
    return std::stoll(v->text());
  } catch (...) {
    return 0;
  }
}

// Non-negative integers of a JSON array, or nullopt.
template <class T>
std::optional<std::vector<T>> IntArray(const core::JsonValue* v) {
  if (!v || v->type() != core::JsonValue::Type::kArray) return std::nullopt;
  std::vector<T> out;
  for (const core::JsonValue& item : v->items()) {
    if (item.type() != core::JsonValue::Type::kNumber) return std::nullopt;
    T n{};
    const std::string& t = item.text();
    auto [ptr, ec] = std::from_chars(t.data(), t.data() + t.size(), n);
    if (ec != std::errc() || ptr != t.data() + t.size()) return std::nullopt;
    if constexpr (std::is_signed_v<T>) {
      if (n < 0) return std::nullopt;
    }
    out.push_back(n);
  }
  return out;
}

std::optional<core::LatencyHistogram> LatencyFromJson(const core::JsonValue* v) {
  if (!v || !v->is_object()) return std::nullopt;
  auto bounds = IntArray<std::int64_t>(v->Find("bounds_us"));
  auto counts = IntArray<std::uint64_t>(v->Find("counts"));
  if (!bounds || !counts) return std::nullopt;
  return core::LatencyHistogram::FromCounts(std::move(*bounds), std::move(*counts), IntMember(*v, "sum_us"));
}

}  // namespace

RunCounts CountsFrom(const RunStats& stats) {
  RunCounts c;
  c.checked = stats.checked;
  c.checked_by_kind = stats.by_kind;
  c.gateway_calls = stats.calls;
  c.gateway_latency_total_us = stats.latency_total_us;
  c.gateway_latency_max_us = stats.latency_max_us;
  c.conflicts = stats.conflicts;
  c.released = stats.released;
  c.stop = std::string(StopReasonName(stats.stop));
  c.latency = stats.latency;
  c.claims = static_cast<std::int64_t>(stats.claim_us.size());
  c.claim_p50_us = Percentile(stats.claim_us, 50);
  c.claim_p99_us = Percentile(stats.claim_us, 99);
  c.applies = static_cast<std::int64_t>(stats.apply_us.size());
  c.apply_p50_us = Percentile(stats.apply_us, 50);
  c.apply_p99_us = Percentile(stats.apply_us, 99);
  return c;
}

std::int64_t ProcessCpuMicros() {
  struct rusage ru {};
  if (::getrusage(RUSAGE_SELF, &ru) != 0) return 0;
  const auto us = [](const timeval& tv) {
    return static_cast<std::int64_t>(tv.tv_sec) * 1000000 + static_cast<std::int64_t>(tv.tv_usec);
  };
  return us(ru.ru_utime) + us(ru.ru_stime);
}

void SummaryFromCounts(const RunCounts& counts, core::RunSummary& summary) {
  summary.checked = counts.checked;
  summary.checked_by_kind = counts.checked_by_kind;
  summary.gateway_calls = counts.gateway_calls;
  summary.gateway_latency_total_us = counts.gateway_latency_total_us;
  summary.gateway_latency_max_us = counts.gateway_latency_max_us;
  summary.cpu_us = counts.cpu_us;
  summary.claims = counts.claims;
  summary.claim_p50_us = counts.claim_p50_us;
  summary.claim_p99_us = counts.claim_p99_us;
  summary.applies = counts.applies;
  summary.apply_p50_us = counts.apply_p50_us;
  summary.apply_p99_us = counts.apply_p99_us;
}

void AddCounts(RunCounts& base, const RunCounts& more) {
  base.checked += more.checked;
  for (const auto& [k, n] : more.checked_by_kind) base.checked_by_kind[k] += n;
  base.gateway_calls += more.gateway_calls;
  base.gateway_latency_total_us += more.gateway_latency_total_us;
  base.gateway_latency_max_us = std::max(base.gateway_latency_max_us, more.gateway_latency_max_us);
  base.conflicts += more.conflicts;
  base.released += more.released;
  base.stop = more.stop;
  base.cpu_us += more.cpu_us;
  // Percentiles cannot be added up: a resumed backfill shows its latest part's.
  base.claims += more.claims;
  base.claim_p50_us = more.claim_p50_us;
  base.claim_p99_us = more.claim_p99_us;
  base.applies += more.applies;
  base.apply_p50_us = more.apply_p50_us;
  base.apply_p99_us = more.apply_p99_us;
  // Counts stored by a payrecon with other bucket bounds cannot be added up: the newer ones are kept.
  if (base.latency.bounds_us() == more.latency.bounds_us()) {
    base.latency.Merge(more.latency);
  } else {
    base.latency = more.latency;
  }
}

std::string CountsToJson(const RunCounts& c) {
  core::JsonValue by_kind = core::JsonValue::Object();
  for (core::Kind k : core::kAllKinds) {
    auto it = c.checked_by_kind.find(k);
    by_kind.Add(std::string(core::KindName(k)),
                core::JsonValue::Number(std::to_string(it == c.checked_by_kind.end() ? 0 : it->second)));
  }
  core::JsonValue obj = core::JsonValue::Object();
  obj.Add("checked", core::JsonValue::Number(std::to_string(c.checked)));
  obj.Add("checked_by_kind", std::move(by_kind));
  obj.Add("gateway_calls", core::JsonValue::Number(std::to_string(c.gateway_calls)));
  obj.Add("gateway_latency_total_us", core::JsonValue::Number(std::to_string(c.gateway_latency_total_us)));
  obj.Add("gateway_latency_max_us", core::JsonValue::Number(std::to_string(c.gateway_latency_max_us)));
  obj.Add("conflicts", core::JsonValue::Number(std::to_string(c.conflicts)));
  obj.Add("released", core::JsonValue::Number(std::to_string(c.released)));
  obj.Add("stop", core::JsonValue::String(c.stop));
  obj.Add("cpu_us", core::JsonValue::Number(std::to_string(c.cpu_us)));
  obj.Add("claims", core::JsonValue::Number(std::to_string(c.claims)));
  obj.Add("claim_p50_us", core::JsonValue::Number(std::to_string(c.claim_p50_us)));
  obj.Add("claim_p99_us", core::JsonValue::Number(std::to_string(c.claim_p99_us)));
  obj.Add("applies", core::JsonValue::Number(std::to_string(c.applies)));
  obj.Add("apply_p50_us", core::JsonValue::Number(std::to_string(c.apply_p50_us)));
  obj.Add("apply_p99_us", core::JsonValue::Number(std::to_string(c.apply_p99_us)));
  core::JsonValue bounds = core::JsonValue::Array();
  for (std::int64_t b : c.latency.bounds_us()) bounds.Push(core::JsonValue::Number(std::to_string(b)));
  core::JsonValue buckets = core::JsonValue::Array();
  for (std::uint64_t n : c.latency.counts()) buckets.Push(core::JsonValue::Number(std::to_string(n)));
  core::JsonValue latency = core::JsonValue::Object();
  latency.Add("bounds_us", std::move(bounds));
  latency.Add("counts", std::move(buckets));
  latency.Add("sum_us", core::JsonValue::Number(std::to_string(c.latency.sum_us())));
  obj.Add("gateway_latency_histogram", std::move(latency));
  return core::SerializeJson(obj);
}

RunCounts CountsFromJson(const std::string& json) {
  RunCounts c;
  auto parsed = core::ParseJson(json);
  if (!parsed || !parsed->is_object()) return c;
  const core::JsonValue& o = *parsed;
  c.checked = IntMember(o, "checked");
  if (const core::JsonValue* by_kind = o.Find("checked_by_kind")) {
    for (core::Kind k : core::kAllKinds) {
      if (auto n = IntMember(*by_kind, core::KindName(k))) c.checked_by_kind[k] = n;
    }
  }
  c.gateway_calls = IntMember(o, "gateway_calls");
  c.gateway_latency_total_us = IntMember(o, "gateway_latency_total_us");
  c.gateway_latency_max_us = IntMember(o, "gateway_latency_max_us");
  c.conflicts = IntMember(o, "conflicts");
  c.released = IntMember(o, "released");
  c.cpu_us = IntMember(o, "cpu_us");
  c.claims = IntMember(o, "claims");
  c.claim_p50_us = IntMember(o, "claim_p50_us");
  c.claim_p99_us = IntMember(o, "claim_p99_us");
  c.applies = IntMember(o, "applies");
  c.apply_p50_us = IntMember(o, "apply_p50_us");
  c.apply_p99_us = IntMember(o, "apply_p99_us");
  if (const core::JsonValue* stop = o.Find("stop"); stop && stop->type() == core::JsonValue::Type::kString) {
    c.stop = stop->text();
  }
  if (auto latency = LatencyFromJson(o.Find("gateway_latency_histogram"))) c.latency = std::move(*latency);
  return c;
}

void CountTransition(core::RunSummary& s, const core::TransitionRow& row) {
  ++s.transitions;
  ++s.transitions_by_status[{row.from_status, row.to_status}];
  s.transition_amounts[{row.from_status, row.to_status}] += row.amount;
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

void WriteRunRows(Database& db, const std::string& run_id, ReportWriter& report, core::RunSummary& summary) {
  core::RunSummary counted = summary;
  core::ReportStore& store = db.store();
  // A read retried after a lost connection streams again from its first row: each restart empties its file.
  store.RunTransitionsForEach(run_id, {[&] {
                                         report.RestartTransitions();
                                         counted.transitions = 0;
                                         counted.transitions_by_status.clear();
                                         counted.transition_amounts.clear();
                                       },
                                       [&](const core::TransitionRow& row) {
                                         report.Transition(row);
                                         CountTransition(counted, row);
                                       }});
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

void ReadTotals(Database& db, const std::string* run_id, core::RunSummary& summary) {
  summary.open_discrepancies.clear();
  for (const core::OpenTotal& t : db.store().DiscrepanciesTotalsOpen()) {
    summary.open_discrepancies.push_back(core::CodeTotal{t.code, t.count, t.amount});
  }
  if (run_id) {
    const auto totals = db.store().RunTransitionTotals(*run_id);
    summary.transition_amounts.clear();
    for (const core::TransitionTotal& t : totals) summary.transition_amounts[{t.from_status, t.to_status}] += t.amount;
  }
}

core::RunFigures FiguresOf(const core::RunSummary& s, const core::LatencyHistogram& latency) {
  core::RunFigures f;
  f.checked = s.checked;
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

std::string CommitReport(ReportWriter& report, const core::RunSummary& summary, const core::LatencyHistogram& latency,
                         std::vector<core::AgeBucket> pending_ages, const core::TimeZone& zone) {
  core::HtmlSummaryInput html{summary, latency, std::move(pending_ages), zone};
  return report.Commit(core::RenderSummaryJson(summary), core::RenderSummaryHtml(html));
}

}  // namespace payrecon::jobs
