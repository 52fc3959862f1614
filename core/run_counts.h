#pragma once
// The counts of one run, one type from the runner (engine::RunStats::counts) through the runs row's `counts` JSON
// (so `report --run` and a resumed backfill can read them back) to summary.json and the stdout line
// (RunSummary::counts). Pure: the process's CPU time is measured by the caller and added in.
#include <cstdint>
#include <map>
#include <string>

#include "core/metrics.h"
#include "core/transaction.h"

namespace payrecon::core {

struct RunCounts {
  std::int64_t checked = 0;                     // results applied or found conflicting
  std::map<Kind, std::int64_t> checked_by_kind;
  std::int64_t gateway_calls = 0;               // status calls made (answered or not)
  std::int64_t gateway_latency_total_us = 0;    // their summed wall time
  std::int64_t gateway_latency_max_us = 0;
  LatencyHistogram latency;                     // their buckets, so `report --run` can draw them again
  std::int64_t conflicts = 0;   // compare-and-set found another status: someone else moved it first
  std::int64_t released = 0;    // handed back unchecked
  std::string stop;             // the runner's stop reason ("done", "deadline", ...) or the failure's outcome
  std::int64_t cpu_us = 0;      // the process's CPU time (user + system), added by the command at its end
  std::int64_t claims = 0;      // claim batches and their wall time percentiles
  std::int64_t claim_p50_us = 0;
  std::int64_t claim_p99_us = 0;
  std::int64_t applies = 0;     // apply batches, likewise
  std::int64_t apply_p50_us = 0;
  std::int64_t apply_p99_us = 0;
};

// Adds `more` to `base` (a resumed backfill accumulates its parts). Percentiles cannot be added up: the latest
// part's are kept; a histogram with other bucket bounds (an older payrecon's) is replaced by the newer one.
void AddCounts(RunCounts& base, const RunCounts& more);
// The runs row's `counts` JSON.
std::string CountsToJson(const RunCounts& counts);
// Reads what CountsToJson wrote; unknown or missing members are zero ("{}" gives all zeros; a missing or
// malformed latency histogram gives an empty one).
RunCounts CountsFromJson(const std::string& json);

}  // namespace payrecon::core
