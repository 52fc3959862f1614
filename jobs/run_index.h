#pragma once
// reports/index.html: rewritten after each run and backfill from the runs table (their stored figures), never from
// old report folders. Written atomically: a hidden temporary file in the reports folder, fsync, rename, folder
// fsync; a failure is JobError(kReports) (exit 5) naming the path and the cause.
#include <string>

#include "config/settings.h"
#include "core/time.h"
#include "jobs/database.h"

namespace payrecon::jobs {

inline constexpr const char* kIndexHtml = "index.html";

// Reads the last reports.index_runs runs and writes <reports.dir>/index.html; returns its path. A run links to
// its report folder when that folder's summary.html exists.
std::string WriteIndex(Database& db, const config::ReportsSettings& reports, core::Instant now);

// WriteIndex where the command's own work is already done (a failed run's line, `report --run`'s folder): a
// failure is logged as a warning, never thrown.
void WriteIndexOrWarn(Database& db, const config::ReportsSettings& reports, core::Instant now) noexcept;

}  // namespace payrecon::jobs
