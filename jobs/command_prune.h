#pragma once
// `payrecon prune --older-than DURATION`: deletes finished runs started longer ago than DURATION and their
// run_errors rows, in one transaction, and says how many. Never an open run (running, or crashed and resumable)
// and never the audit trail (transaction_events) or discrepancies. No gateway call, no merchant secret needed.
#include "jobs/commands.h"

namespace payrecon::jobs {

int CommandPrune(const CommandContext& ctx);

}  // namespace payrecon::jobs
