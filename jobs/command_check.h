#pragma once
// `payrecon check --merchant M --txn ID [--kind K] [--dry-run]`: checks one transaction now, whatever its schedule
// or status, through the same Runner as `run` (the signed Get Status call, response verification, core::Decide and
// the compare-and-set apply), under a new run id of mode `check` whose row keeps the result (runs.figures).
// A final transaction is verified, never changed (the apply refuses any change of a final status). --dry-run makes
// the call and the decision but writes nothing: no run row, no lease, no event.
//
// Prints one JSON line: the run id, the transaction, our status before and after, the gateway's answer (check
// outcome, HTTP status, status word, amounts in paise, currency, request id, response digest), the decision (new
// status, error class, next check, a short rendering), whether it was applied, and the discrepancies it carried
// (each with whether it was newly raised). Exit codes: 0 checked (whatever the answer); 2 unknown transaction
// (named), several kinds share the id without --kind, or another run holds its lease; 3 database; 4 the gateway
// refused the merchant's credentials; 6 interrupted.
#include <string>

#include "core/json.h"
#include "jobs/commands.h"
#include "engine/runner.h"

namespace payrecon::jobs {

int CommandCheck(const CommandContext& ctx);

// The JSON line of a check (pure; for tests). `after` is our status afterwards (the would-be status in a dry run).
core::JsonValue CheckResultJson(const std::string& run_id, bool dry_run, const engine::CheckRecord& record,
                                const core::UpdateOutcome& outcome, core::Status after);

}  // namespace payrecon::jobs
