#include "jobs/report_writer.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>
#include <vector>

#include "jobs/exit_code.h"

namespace payrecon::jobs {

namespace {

constexpr std::size_t kFlushAt = 1 << 16;
// zlib's fastest level. The CSV files of a 30 s run that checked 427,500 transactions (320,000 transitions, 74 MiB
// plain) came to a tenth of that at level 1 for 0.44 s of CPU, and to a twelfth at zlib's default level 6 for
// 0.78 s.
constexpr int kGzipLevel = Z_BEST_SPEED;
// A 32 KiB window (15) with a gzip header and trailer (+16) rather than zlib's own wrapper; no file name or time
// in the header, so the same rows always give the same bytes.
constexpr int kGzipWindowBits = 15 + 16;
constexpr int kGzipMemLevel = 8;  // zlib's default: about 256 KiB per stream
constexpr std::size_t kDeflateChunk = 1 << 16;
// Reports hold payment data: owner read-write, group read, nothing for others, whatever the process umask (which
// only removes bits, so each mode is set again explicitly after creation).
constexpr mode_t kFileMode = 0640;
constexpr mode_t kDirMode = 0750;

[[noreturn]] void Fail(const std::string& what, const std::string& path, int err) {
  throw JobError(ExitCode::kReports,
                 "cannot " + what + " report path \"" + path + "\": " + std::strerror(err));
}

void SyncPath(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) Fail("open", path, errno);
  if (::fsync(fd) != 0) {
    const int err = errno;
    ::close(fd);
    Fail("sync", path, err);
  }
  ::close(fd);
}

void WriteAll(int fd, const char* data, std::size_t size, const std::string& path) {
  while (size > 0) {
    const ssize_t n = ::write(fd, data, size);
    if (n < 0) {
      if (errno == EINTR) continue;
      Fail("write", path, errno);
    }
    data += n;
    size -= static_cast<std::size_t>(n);
  }
}

// Creates (or truncates) a report file with mode kFileMode; returns the descriptor or -1 with errno set.
int CreateReportFile(const std::string& path) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, kFileMode);
  if (fd >= 0 && ::fchmod(fd, kFileMode) != 0) {
    const int err = errno;
    ::close(fd);
    errno = err;
    return -1;
  }
  return fd;
}

// Creates the folder `path` with mode kDirMode (an existing one keeps its mode).
void MakeReportDir(const std::string& path) {
  if (::mkdir(path.c_str(), kDirMode) != 0) {
    if (errno == EEXIST) return;
    Fail("create", path, errno);
  }
  if (::chmod(path.c_str(), kDirMode) != 0) Fail("chmod", path, errno);
}

// Creates `path`, writes `text` and syncs it.
void WriteWhole(const std::string& path, std::string_view text) {
  const int fd = CreateReportFile(path);
  if (fd < 0) Fail("create", path, errno);
  try {
    WriteAll(fd, text.data(), text.size(), path);
  } catch (...) {
    ::close(fd);
    throw;
  }
  if (::fsync(fd) != 0) {
    const int err = errno;
    ::close(fd);
    Fail("sync", path, err);
  }
  if (::close(fd) != 0) Fail("close", path, errno);
}

[[noreturn]] void FailCompress(const std::string& path, const z_stream& z, int rc) {
  throw JobError(ExitCode::kReports, "cannot compress report path \"" + path + "\": " +
                                         (z.msg != nullptr ? std::string(z.msg) : std::string(zError(rc))) +
                                         " (zlib " + std::to_string(rc) + ")");
}

}  // namespace

struct ReportWriter::Gzip {
  z_stream z{};
  std::string out = std::string(kDeflateChunk, '\0');
  bool open = false;
  Gzip() = default;
  Gzip(const Gzip&) = delete;
  Gzip& operator=(const Gzip&) = delete;
  ~Gzip() {
    if (open) deflateEnd(&z);
  }
};

ReportWriter::File::File() = default;
ReportWriter::File::~File() = default;

std::string ReportFolderName(core::Instant started_at, std::string_view run_id) {
  return core::FormatAmzDate(started_at) + "-" + std::string(run_id);
}

ReportWriter::ReportWriter(std::string reports_dir, std::string name, core::ReportCompression compression)
    : reports_dir_(std::move(reports_dir)), compression_(compression) {
  namespace fs = std::filesystem;
  if (reports_dir_.empty()) reports_dir_ = ".";
  tmp_path_ = reports_dir_ + "/." + name + ".tmp";
  final_path_ = reports_dir_ + "/" + name;
  std::error_code ec;
  // The missing folders of the reports path, outermost first, each created 0750.
  std::vector<fs::path> missing;
  for (fs::path p = reports_dir_; !p.empty() && !fs::exists(p, ec); p = p.parent_path()) {
    missing.push_back(p);
    if (p == p.parent_path()) break;
  }
  for (auto it = missing.rbegin(); it != missing.rend(); ++it) MakeReportDir(it->string());
  fs::remove_all(tmp_path_, ec);
  if (::mkdir(tmp_path_.c_str(), kDirMode) != 0) Fail("create", tmp_path_, errno);
  if (::chmod(tmp_path_.c_str(), kDirMode) != 0) Fail("chmod", tmp_path_, errno);

  const std::pair<std::string_view, std::string> specs[kFileCount] = {
      {core::kTransitionsCsv, core::TransitionsHeader()},
      {core::kDiscrepanciesCsv, core::DiscrepanciesHeader()},
      {core::kErrorsCsv, core::ErrorsHeader()},
      {core::kPendingCsv, core::PendingHeader()}};
  for (int i = 0; i < kFileCount; ++i) {
    files_[i].name = core::ReportFileName(specs[i].first, compression);
    files_[i].header = specs[i].second;
  }
  for (File& f : files_) {
    const std::string path = tmp_path_ + "/" + f.name;
    f.fd = CreateReportFile(path);
    if (f.fd < 0) {
      const int err = errno;
      CloseAll();
      fs::remove_all(tmp_path_, ec);
      Fail("create", path, err);
    }
    f.buffer = f.header;
    if (compression == core::ReportCompression::kGzip) {
      f.gzip = std::make_unique<Gzip>();
      const int rc = deflateInit2(&f.gzip->z, kGzipLevel, Z_DEFLATED, kGzipWindowBits, kGzipMemLevel,
                                  Z_DEFAULT_STRATEGY);
      if (rc != Z_OK) {
        CloseAll();
        fs::remove_all(tmp_path_, ec);
        FailCompress(path, f.gzip->z, rc);
      }
      f.gzip->open = true;
    }
  }
}

ReportWriter::~ReportWriter() {
  CloseAll();
  if (!committed_) {
    std::error_code ec;
    std::filesystem::remove_all(tmp_path_, ec);
  }
}

void ReportWriter::CloseAll() noexcept {
  for (File& f : files_) {
    if (f.fd >= 0) ::close(f.fd);
    f.fd = -1;
  }
}

void ReportWriter::Flush(File& f, bool finish) {
  const std::string path = tmp_path_ + "/" + f.name;
  if (!f.gzip) {
    WriteAll(f.fd, f.buffer.data(), f.buffer.size(), path);
    f.buffer.clear();
    return;
  }
  z_stream& z = f.gzip->z;
  std::string& out = f.gzip->out;
  // The buffer holds at most kFlushAt bytes and one line, far below uInt's range.
  z.next_in = reinterpret_cast<Bytef*>(f.buffer.data());
  z.avail_in = static_cast<uInt>(f.buffer.size());
  for (;;) {
    z.next_out = reinterpret_cast<Bytef*>(out.data());
    z.avail_out = static_cast<uInt>(out.size());
    const int rc = deflate(&z, finish ? Z_FINISH : Z_NO_FLUSH);
    // Z_BUF_ERROR is "no progress possible", harmless while the input is used up, never expected with room
    // left when finishing.
    if (rc == Z_STREAM_ERROR || (rc == Z_BUF_ERROR && finish)) FailCompress(path, z, rc);
    WriteAll(f.fd, out.data(), out.size() - z.avail_out, path);
    if (finish ? rc == Z_STREAM_END : z.avail_out != 0) break;
  }
  f.buffer.clear();
}

void ReportWriter::Append(Index i, const std::string& line) {
  File& f = files_[i];
  f.buffer += line;
  ++f.rows;
  if (f.buffer.size() >= kFlushAt) Flush(f);
}

void ReportWriter::Restart(Index i) {
  File& f = files_[i];
  const std::string path = tmp_path_ + "/" + f.name;
  if (::ftruncate(f.fd, 0) != 0 || ::lseek(f.fd, 0, SEEK_SET) != 0) Fail("truncate", path, errno);
  if (f.gzip) {
    // Drops what the stream held back and restarts it, header included: still one stream in the file.
    const int rc = deflateReset(&f.gzip->z);
    if (rc != Z_OK) FailCompress(path, f.gzip->z, rc);
  }
  f.buffer = f.header;
  f.rows = 0;
}

void ReportWriter::Transition(const core::TransitionRow& row) { Append(kTransitions, core::FormatTransition(row)); }
void ReportWriter::Discrepancy(const core::DiscrepancyRow& row) {
  Append(kDiscrepancies, core::FormatDiscrepancy(row));
}
void ReportWriter::Error(const core::ErrorRow& row) { Append(kErrors, core::FormatError(row)); }
void ReportWriter::Pending(const core::PendingRow& row) { Append(kPending, core::FormatPending(row)); }
void ReportWriter::RestartTransitions() { Restart(kTransitions); }
void ReportWriter::RestartDiscrepancies() { Restart(kDiscrepancies); }
void ReportWriter::RestartErrors() { Restart(kErrors); }
void ReportWriter::RestartPending() { Restart(kPending); }

std::string ReportWriter::Commit(std::string_view summary_json, std::string_view summary_html) {
  for (File& f : files_) {
    Flush(f, /*finish=*/true);
    f.gzip.reset();
    if (::fsync(f.fd) != 0) Fail("sync", tmp_path_ + "/" + f.name, errno);
    if (::close(f.fd) != 0) {
      f.fd = -1;
      Fail("close", tmp_path_ + "/" + f.name, errno);
    }
    f.fd = -1;
  }
  WriteWhole(tmp_path_ + "/" + std::string(core::kSummaryJson), summary_json);
  WriteWhole(tmp_path_ + "/summary.html", summary_html);
  SyncPath(tmp_path_);
  // `report --run` may rewrite a folder that exists: move the old one aside first (rename cannot replace a
  // non-empty folder), so the final name only ever holds a complete set.
  std::error_code ec;
  std::string old_path;
  if (std::filesystem::exists(final_path_, ec)) {
    old_path = tmp_path_ + ".old";
    std::filesystem::remove_all(old_path, ec);
    if (::rename(final_path_.c_str(), old_path.c_str()) != 0) Fail("replace", final_path_, errno);
  }
  if (::rename(tmp_path_.c_str(), final_path_.c_str()) != 0) Fail("rename", final_path_, errno);
  committed_ = true;
  if (!old_path.empty()) std::filesystem::remove_all(old_path, ec);
  SyncPath(reports_dir_);
  return final_path_;
}

}  // namespace payrecon::jobs
