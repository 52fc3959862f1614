#include "jobs/report_retention.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <iterator>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>

#include "core/duration.h"
#include "core/report_rows.h"
#include "jobs/log.h"

namespace payrecon::jobs {

namespace {

bool Digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

bool LowerHex(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

// 8-4-4-4-12 lower-case hex digits: the run ids `run` and `backfill` make.
bool IsRunId(std::string_view id) {
  if (id.size() != 36) return false;
  for (std::size_t i : {8u, 13u, 18u, 23u}) {
    if (id[i] != '-') return false;
  }
  return LowerHex(id.substr(0, 8)) && LowerHex(id.substr(9, 4)) && LowerHex(id.substr(14, 4)) &&
         LowerHex(id.substr(19, 4)) && LowerHex(id.substr(24, 12));
}

// The files a report folder holds (its CSVs plain or gzip'd, per reports.compress when it was written); anything
// else in it means someone else put it there.
bool IsReportFile(std::string_view name) {
  if (name == core::kSummaryJson || name == "summary.html") return true;
  return std::any_of(std::begin(core::kReportCsvs), std::end(core::kReportCsvs), [name](const core::ReportCsv& csv) {
    return name == csv.file || name == core::ReportFileName(csv.file, core::ReportCompression::kGzip);
  });
}

// Removes a report folder file by file and then the folder itself, refusing (false, with why) when it holds
// anything but regular report files.
bool RemoveReportFolder(const std::string& path, std::string& why) {
  namespace fs = std::filesystem;
  std::error_code ec;
  std::vector<fs::path> files;
  for (fs::directory_iterator it(path, ec), end; !ec && it != end; it.increment(ec)) {
    const fs::file_status st = it->symlink_status(ec);
    if (ec) break;
    const std::string name = it->path().filename().string();
    if (!fs::is_regular_file(st) || !IsReportFile(name)) {
      why = "it holds \"" + name + "\", which payrecon does not write";
      return false;
    }
    files.push_back(it->path());
  }
  if (ec) {
    why = ec.message();
    return false;
  }
  for (const fs::path& f : files) {
    if (::unlink(f.c_str()) != 0 && errno != ENOENT) {
      why = "cannot remove \"" + f.string() + "\": " + std::strerror(errno);
      return false;
    }
  }
  if (::rmdir(path.c_str()) != 0) {
    why = std::strerror(errno);
    return false;
  }
  return true;
}

// Longer than the longest deadline a run may have (worker.deadline and --deadline: at most 7 days).
constexpr core::Millis kLongestRun = std::chrono::hours{24 * 8};

}  // namespace

std::optional<core::Instant> ReportFolderStartedAt(std::string_view name) {
  if (name.starts_with('.')) {
    name.remove_prefix(1);
    if (name.ends_with(".tmp.old")) {
      name.remove_suffix(8);
    } else if (name.ends_with(".tmp")) {
      name.remove_suffix(4);
    } else {
      return std::nullopt;
    }
  }
  // "20260102T030405Z-" + 36
  if (name.size() != 17 + 36 || name[8] != 'T' || name[15] != 'Z' || name[16] != '-') return std::nullopt;
  if (!Digits(name.substr(0, 8)) || !Digits(name.substr(9, 6)) || !IsRunId(name.substr(17))) return std::nullopt;
  const std::string iso = std::string(name.substr(0, 4)) + "-" + std::string(name.substr(4, 2)) + "-" +
                          std::string(name.substr(6, 2)) + "T" + std::string(name.substr(9, 2)) + ":" +
                          std::string(name.substr(11, 2)) + ":" + std::string(name.substr(13, 2)) + "Z";
  auto t = core::ParseIso8601(iso);
  if (!t.ok()) return std::nullopt;
  return *t;
}

RetentionResult RemoveOldReports(const std::string& reports_dir, core::Millis keep, core::Instant now,
                                 const std::string& current) {
  namespace fs = std::filesystem;
  RetentionResult result;
  if (keep.count() <= 0) return result;
  const core::Instant cutoff = now - keep;
  // A temporary folder may belong to a run still going in another process (deadlines reach 7 days): those are
  // only stale once older than any run can last.
  const core::Instant tmp_cutoff = now - std::max<core::Millis>(keep, kLongestRun);
  std::error_code ec;
  std::vector<std::string> candidates;
  for (fs::directory_iterator it(reports_dir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    const auto started = ReportFolderStartedAt(name);
    if (!started || *started >= (name.starts_with('.') ? tmp_cutoff : cutoff)) continue;
    std::error_code st_ec;
    // symlink_status: a symlink that points at a folder is not a folder of ours.
    if (!fs::is_directory(it->symlink_status(st_ec)) || st_ec) continue;
    const std::string path = reports_dir + "/" + name;
    if (path == current) continue;
    candidates.push_back(path);
  }
  if (ec) {
    LogWarn("reports.keep: cannot list \"" + reports_dir + "\": " + ec.message());
    return result;
  }
  std::sort(candidates.begin(), candidates.end());
  for (const std::string& path : candidates) {
    std::string why;
    if (RemoveReportFolder(path, why)) {
      LogInfo("reports.keep: removed \"" + path + "\"", {{"path", path}});
      result.removed.push_back(path);
    } else {
      LogWarn("reports.keep: left \"" + path + "\": " + why, {{"path", path}});
      result.kept.push_back(path);
    }
  }
  if (!result.removed.empty()) {
    LogInfo("reports.keep: removed " + std::to_string(result.removed.size()) + " report folder(s) older than " +
                core::FormatDuration(keep),
            {{"removed", static_cast<std::int64_t>(result.removed.size())}});
  }
  return result;
}

}  // namespace payrecon::jobs
