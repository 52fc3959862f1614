#pragma once
// The rupees beside the counts in the metrics: amounts as integer paise, the unit in the name
// (payrecon_pending_amount_paise, payrecon_open_discrepancies_amount_paise, payrecon_last_run_transitions_amount_paise).
// Every family lists every label combination with zeros, like the count families beside them.
#include <string>

#include "core/metrics.h"
#include "core/report_rows.h"
#include "jobs/database.h"
#include "jobs/run_metrics.h"

namespace payrecon::jobs {

// Fills the amount members of `gauges` from `summary`: pending and open totals (summed in SQL by WritePending and
// ReadTotals), and the run's transitions per kind (summed over the rows written into transitions.csv: see
// ReadTotals in jobs/run_report.h).
void AddAmountGauges(const core::RunSummary& summary, DatabaseGauges& gauges);

// Appends the amount families to `m`, each sample labelled with `mode`.
void RenderAmountMetrics(core::MetricsText& m, const core::MetricLabels& mode, const DatabaseGauges& gauges);

}  // namespace payrecon::jobs
