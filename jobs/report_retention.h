#pragma once
// reports.keep: when a run ends, run folders older than the keep period are removed from the reports folder,
// and so are the hidden temporary folders that an interrupted run leaves. Only what payrecon itself creates is
// ever touched: a folder (never a symlink) named exactly "<YYYYMMDDTHHMMSSZ>-<run id as a lower-case UUID>",
// or ".<that>.tmp" / ".<that>.tmp.old", that holds nothing but payrecon's report files. Age is the start time
// in the name; a temporary folder counts as stale only once older than the longest possible run (8 days) too.
// Every removal is logged; a folder that cannot be removed is logged and left, never failing the run.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/time.h"

namespace payrecon::jobs {

// The run's start time when `name` is one payrecon gives a run folder or its temporary folder, else nullopt.
std::optional<core::Instant> ReportFolderStartedAt(std::string_view name);

struct RetentionResult {
  std::vector<std::string> removed;  // paths removed, in name order
  std::vector<std::string> kept;     // payrecon-named, old enough, but not removable (foreign content, errors)
};

// Removes the run folders and temporary folders under `reports_dir` whose start time is before now - keep,
// except `current` (the path of the report just written). keep == 0 removes nothing.
RetentionResult RemoveOldReports(const std::string& reports_dir, core::Millis keep, core::Instant now,
                                 const std::string& current);

}  // namespace payrecon::jobs
