#include "jobs/run_index.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "core/html_index.h"
#include "jobs/exit_code.h"
#include "jobs/report_writer.h"

namespace payrecon::jobs {

namespace {

[[noreturn]] void Fail(const std::string& what, const std::string& path, int err) {
  throw JobError(ExitCode::kReports, "cannot " + what + " report path \"" + path + "\": " + std::strerror(err));
}

void WriteAtomically(const std::string& dir, const std::string& name, const std::string& text) {
  const std::string path = dir + "/" + name;
  // A leading dot: a half-written page is never served under its final name.
  const std::string tmp = dir + "/." + name + ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) Fail("create", tmp, errno);
  const char* data = text.data();
  std::size_t left = text.size();
  while (left > 0) {
    const ssize_t n = ::write(fd, data, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      const int err = errno;
      ::close(fd);
      ::unlink(tmp.c_str());
      Fail("write", tmp, err);
    }
    data += n;
    left -= static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0) {
    const int err = errno;
    ::close(fd);
    ::unlink(tmp.c_str());
    Fail("sync", tmp, err);
  }
  if (::close(fd) != 0) Fail("close", tmp, errno);
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    const int err = errno;
    ::unlink(tmp.c_str());
    Fail("rename", path, err);
  }
  const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0) Fail("open", dir, errno);
  const int synced = ::fsync(dfd);
  const int err = errno;
  ::close(dfd);
  if (synced != 0) Fail("sync", dir, err);
}

}  // namespace

std::string WriteIndex(Database& db, const config::ReportsSettings& reports, core::Instant now) {
  const auto runs = db.Retry("RunsListRecent", [&](db::PgStore& store) { return store.RunsListRecent(reports.index_runs); });
  core::IndexInput in;
  in.generated_at = now;
  in.zone = reports.display_zone;
  in.limit = reports.index_runs;
  for (const db::RunListed& r : runs) {
    core::IndexRun run;
    run.run_id = r.run_id;
    run.mode = r.mode;
    run.started_at = r.started_at;
    run.finished_at = r.finished_at;
    run.exit_code = r.exit_code;
    run.figures = core::RunFiguresFromJson(r.figures_json);
    const std::string folder = ReportFolderName(r.started_at, r.run_id);
    struct stat st {};
    if (::stat((reports.dir + "/" + folder + "/summary.html").c_str(), &st) == 0) run.folder = folder;
    in.runs.push_back(std::move(run));
  }
  if (::mkdir(reports.dir.c_str(), 0755) != 0 && errno != EEXIST) Fail("create", reports.dir, errno);
  WriteAtomically(reports.dir, kIndexHtml, core::RenderIndexHtml(in));
  return reports.dir + "/" + kIndexHtml;
}

}  // namespace payrecon::jobs
