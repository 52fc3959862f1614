#include "jobs/run_index.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "core/html_index.h"
#include "env/files.h"
#include "jobs/exit_code.h"
#include "jobs/log.h"
#include "jobs/report_writer.h"

namespace payrecon::jobs {

namespace {

[[noreturn]] void Fail(const std::string& what, const std::string& path, int err) {
  throw JobError(ExitCode::kReports, "cannot " + what + " report path \"" + path + "\": " + std::strerror(err));
}

}  // namespace

std::string WriteIndex(Database& db, const config::ReportsSettings& reports, core::Instant now) {
  const auto runs = db.store().RunsListRecent(core::RunsListParams{reports.index_runs});
  core::IndexInput in;
  in.generated_at = now;
  in.zone = reports.display_zone;
  in.limit = reports.index_runs;
  for (const core::RunListed& r : runs) {
    core::IndexRun run;
    run.run_id = r.run_id;
    run.mode = r.mode;
    run.started_at = r.started_at;
    run.finished_at = r.finished_at;
    run.exit_code = r.exit_code;
    run.figures = core::RunFiguresFromJson(r.figures_json);
    const std::string folder = ReportFolderName(r.started_at, r.run_id);
    struct stat st {};
    if (::stat((reports.dir + "/" + folder + "/summary.html").c_str(), &st) == 0) {
      run.folder = folder;
      // Folders written under either reports.compress keep their own file names.
      const std::string gz = core::ReportFileName(core::kTransitionsCsv, core::ReportCompression::kGzip);
      if (::stat((reports.dir + "/" + folder + "/" + gz).c_str(), &st) == 0) {
        run.compression = core::ReportCompression::kGzip;
      }
    }
    in.runs.push_back(std::move(run));
  }
  // Like the run folders: 0750 when payrecon creates it, 0640 for the page, whatever the umask.
  if (::mkdir(reports.dir.c_str(), 0750) != 0 && errno != EEXIST) Fail("create", reports.dir, errno);
  try {
    env::WriteFileAtomically(reports.dir + "/" + kIndexHtml, core::RenderIndexHtml(in), 0640);
  } catch (const std::runtime_error& e) {
    throw JobError(ExitCode::kReports, std::string("cannot write the index: ") + e.what());
  }
  return reports.dir + "/" + kIndexHtml;
}

void WriteIndexOrWarn(Database& db, const config::ReportsSettings& reports, core::Instant now) noexcept {
  try {
    WriteIndex(db, reports, now);
  } catch (const std::exception& e) {
    LogWarn(std::string("index.html not rewritten: ") + e.what());
  }
}

}  // namespace payrecon::jobs
