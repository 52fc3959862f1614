#include "jobs/amount_metrics.h"

#include <map>
#include <tuple>

namespace payrecon::jobs {

void AddAmountGauges(const core::RunSummary& summary, DatabaseGauges& g) {
  const std::vector<std::string>& labels = PendingAgeLabels();
  g.pending_totals.clear();
  for (const core::KindAgeTotal& t : summary.pending_totals) {
    std::size_t bucket = 0;
    while (bucket < labels.size() && labels[bucket] != t.age) ++bucket;
    g.pending_totals.push_back(core::PendingTotal{t.kind, bucket, t.count, t.amount});
  }
  g.open_totals.clear();
  for (const core::CodeTotal& t : summary.open_discrepancies) g.open_totals.push_back({t.code, t.count, t.amount});
  g.run_transition_amounts = summary.transition_amounts_by_kind;
}

void RenderAmountMetrics(core::MetricsText& m, const core::MetricLabels& mode, const DatabaseGauges& d) {
  auto with = [&](std::initializer_list<std::pair<std::string, std::string>> more) {
    core::MetricLabels l = mode;
    l.insert(l.end(), more.begin(), more.end());
    return l;
  };
  const std::vector<std::string>& labels = PendingAgeLabels();
  for (core::Kind kind : core::kAllKinds) {
    for (std::size_t b = 0; b < labels.size(); ++b) {
      core::Paise amount = 0;
      for (const core::PendingTotal& t : d.pending_totals) {
        if (t.kind == kind && t.bucket == b) amount += t.amount;
      }
      m.Gauge("payrecon_pending_amount_paise",
              "Amount of the pending transactions in paise, by kind and age bucket (database, end of run).",
              with({{"kind", std::string(core::KindName(kind))}, {"age", labels[b]}}), amount);
    }
  }
  for (core::DiscrepancyCode code : core::kAllDiscrepancyCodes) {
    core::Paise amount = 0;
    for (const core::OpenTotal& t : d.open_totals) {
      if (t.code == code) amount = t.amount;
    }
    m.Gauge("payrecon_open_discrepancies_amount_paise",
            "Our amount in paise of the transactions with an open discrepancy, by code (database, end of run).",
            with({{"code", std::string(core::DiscrepancyCodeName(code))}}), amount);
  }
  // Every transition a kind's lifecycle allows, zeros included, like payrecon_last_run_transitions.
  std::map<std::tuple<core::Kind, core::Status, core::Status>, core::Paise> moved;
  for (core::Kind kind : core::kAllKinds) {
    for (core::Status to : core::kAllStatuses) {
      if (core::IsFinal(to) && core::StatusBelongsTo(kind, to)) moved[{kind, core::PendingStatusOf(kind), to}] = 0;
    }
  }
  for (const auto& [key, amount] : d.run_transition_amounts) moved[key] += amount;
  for (const auto& [key, amount] : moved) {
    const auto& [kind, from, to] = key;
    m.Gauge("payrecon_last_run_transitions_amount_paise",
              "Amount in paise of the transactions whose status changed in the last run, by kind and from/to status.",
              with({{"kind", std::string(core::KindName(kind))}, {"from", std::string(core::StatusName(from))},
                    {"to", std::string(core::StatusName(to))}}),
              amount);
  }
}

}  // namespace payrecon::jobs
