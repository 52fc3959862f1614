#include "jobs/command_prune.h"

#include <chrono>
#include <ostream>

#include "core/duration.h"
#include "jobs/database.h"
#include "jobs/exit_code.h"
#include "jobs/log.h"

namespace payrecon::jobs {

int CommandPrune(const CommandContext& ctx) {
  const core::Millis older_than = ctx.command_line.older_than.value_or(core::Millis{0});
  if (older_than.count() <= 0) {
    throw JobError(ExitCode::kUsage, "option '--older-than': must be more than 0s (prune never deletes a run "
                                     "that has just ended)");
  }
  const core::Instant now = std::chrono::time_point_cast<core::Millis>(std::chrono::system_clock::now());
  Database db(ctx.settings.database.conninfo);
  db.RequireCurrentSchema();
  const core::HistoryPruneParams p{now - older_than};
  const core::HistoryPruneResult r = db.store().HistoryPrune(p);
  const std::string before = core::FormatIso8601(p.before);
  LogInfo("pruned " + std::to_string(r.runs) + " run(s) and " + std::to_string(r.run_errors) +
              " run error(s) started before " + before + "; audit events and discrepancies are kept",
          {{"runs", r.runs}, {"run_errors", r.run_errors}, {"before", before}});
  ctx.out << "{\"before\":\"" << before << "\",\"runs\":" << r.runs << ",\"run_errors\":" << r.run_errors << "}\n"
          << std::flush;
  return ToInt(ExitCode::kOk);
}

}  // namespace payrecon::jobs
