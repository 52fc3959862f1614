#pragma once
// The Prometheus metrics of one `run` or `backfill` (README "Logs and metrics"), rendered with core::MetricsText,
// and the merge rule shared by the textfile and the Pushgateway: a run replaces its own mode's samples, a failed
// run keeps what it cannot say (the last success time, database gauges it could not read). Pure functions.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#include "core/time.h"
#include "core/transaction.h"
#include "db/pg_store.h"
#include "engine/runner.h"

namespace payrecon::jobs {

// Upper bounds of the pending-age buckets: 1 minute, 15 minutes, 1 hour, 1 day, 7 days (then "older").
const std::vector<core::Millis>& PendingAgeBounds();
// The `age` label of each bucket: "0-1m", "1m-15m", "15m-1h", "1h-1d", "1d-7d", "7d+".
const std::vector<std::string>& PendingAgeLabels();

// What the database said at the end of the run.
struct DatabaseGauges {
  core::Instant now{};
  std::vector<core::OpenDiscrepancies> open_discrepancies;
  std::vector<core::PendingAges> pending;  // bucketed by PendingAgeBounds()
  // Amounts in paise (jobs/amount_metrics.h): pending and open summed in SQL, this run's status changes summed
  // over the audit trail's rows that transitions.csv streams.
  std::vector<core::PendingTotal> pending_totals;    // bucketed by PendingAgeBounds()
  std::vector<core::OpenTotal> open_totals;
  std::map<std::tuple<core::Kind, core::Status, core::Status>, core::Paise> run_transition_amounts;
};

struct RunMetricsInput {
  std::string mode;                 // "run" or "backfill": the `mode` label of every sample
  int exit_code = 0;
  core::Instant finished_at{};
  core::Millis duration{0};
  const engine::RunStats* stats = nullptr;  // null: the run ended before it checked anything (all counts zero)
  std::optional<DatabaseGauges> database;  // nullopt: not read (database unavailable)
};

// Exit 0 and 1 are successes (1 is --strict with new discrepancies: the run itself worked).
inline bool IsSuccessfulExit(int exit_code) { return exit_code == 0 || exit_code == 1; }

// Exposition text of one run. Every sample carries `mode`. Everything is a gauge (or, for the gateway latency, a
// histogram) of the last run: a pushed or textfile batch metric is replaced by each run, so no name ends in
// `_total` (a counter would have to grow across runs). Families list every kind / outcome / class / code with
// zeros, so a family is always complete. payrecon_last_success_timestamp_seconds only on success.
std::string RenderRunMetrics(const RunMetricsInput& input);

// Merges `fresh` (one run's text, every sample labelled mode="<mode>") into `previous` (text written earlier by
// this function or RenderRunMetrics). Samples of other modes are kept. Of this mode: with `replace_mode` (a
// successful run) only `fresh` remains; without, families absent from `fresh` keep their previous samples
// (Pushgateway PUT vs POST). A family whose type changed loses its previous samples. Lines of `previous` that are
// not HELP, TYPE or samples are dropped.
std::string MergeExposition(std::string_view previous, std::string_view fresh, std::string_view mode,
                            bool replace_mode);

}  // namespace payrecon::jobs
