// `run` and `backfill`: one ReconcileRun (jobs/run.h) whose steps read from the command to its last report.
#include "jobs/commands.h"
#include "jobs/run.h"

namespace payrecon::jobs {

int CommandReconcile(const CommandContext& ctx) { return ReconcileRun(ctx).Execute(); }

}  // namespace payrecon::jobs
