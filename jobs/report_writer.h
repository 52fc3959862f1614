#pragma once
// A run's report folder `<reports dir>/<name>/`, written so that nothing half-written is ever visible under a
// final name: every file is written inside the hidden folder `<reports dir>/.<name>.tmp/`, fsync'd, and the
// folder is renamed to `<name>` only when all six files are complete. Every failure to create, write, sync or
// rename is JobError(kReports) (exit 5) naming the path and the cause. summary.html is the same run for readers
// who never open the CSV files. Files are 0640 and the folders it creates 0750, whatever the umask: reports hold
// payment data. Under ReportCompression::kGzip each CSV file is one gzip stream (zlib, fastest level) named
// "<name>.csv.gz": its rows are compressed as they are written, so no plain copy ever reaches the disk.
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "core/report_rows.h"

namespace payrecon::jobs {

// "<UTC time>-<run_id>", e.g. "20260101T000000Z-6f1c…": sorts by time.
std::string ReportFolderName(core::Instant started_at, std::string_view run_id);

class ReportWriter {
 public:
  // Creates the reports folder if missing and the temporary folder, and opens the four CSV files with their
  // header rows, named and stored per `compression`. A leftover temporary folder of the same name (a crashed
  // earlier attempt) is replaced.
  ReportWriter(std::string reports_dir, std::string name, core::ReportCompression compression);
  ~ReportWriter();  // removes the temporary folder unless committed
  ReportWriter(const ReportWriter&) = delete;
  ReportWriter& operator=(const ReportWriter&) = delete;

  void Transition(const core::TransitionRow& row);
  void Discrepancy(const core::DiscrepancyRow& row);
  void Error(const core::ErrorRow& row);
  void Pending(const core::PendingRow& row);
  // Empties transitions.csv / discrepancies.csv / errors.csv / pending.csv back to its header row (a listing
  // is restarted after a reconnect).
  void RestartTransitions();
  void RestartDiscrepancies();
  void RestartErrors();
  void RestartPending();

  std::int64_t transitions() const { return files_[kTransitions].rows; }
  std::int64_t discrepancies() const { return files_[kDiscrepancies].rows; }
  std::int64_t errors() const { return files_[kErrors].rows; }
  std::int64_t pending() const { return files_[kPending].rows; }

  // Writes summary.json and summary.html, syncs and closes every file, renames the folder to its final name and
  // syncs the reports folder. Returns the final folder's path.
  std::string Commit(std::string_view summary_json, std::string_view summary_html);

  // The path the folder will have once committed.
  const std::string& final_path() const { return final_path_; }
  // How the CSV files are stored, which names them: RunSummary::compression must say the same.
  core::ReportCompression compression() const { return compression_; }

 private:
  enum Index { kTransitions = 0, kDiscrepancies = 1, kErrors = 2, kPending = 3, kFileCount = 4 };
  // One zlib deflate stream (report_writer.cpp), on the heap: zlib's state points back at its z_stream, which
  // must therefore never move.
  struct Gzip;
  struct File {
    File();
    ~File();
    std::string name;
    std::string header;
    int fd = -1;
    std::string buffer;          // CSV text not yet written (or compressed)
    std::int64_t rows = 0;
    std::unique_ptr<Gzip> gzip;  // set under kGzip
  };
  void Append(Index i, const std::string& line);
  // Writes the buffer out (through the deflate stream under kGzip); `finish` ends the gzip stream.
  void Flush(File& f, bool finish = false);
  void Restart(Index i);
  void CloseAll() noexcept;

  std::string reports_dir_;
  std::string tmp_path_;
  std::string final_path_;
  File files_[kFileCount];
  core::ReportCompression compression_;
  bool committed_ = false;
};

}  // namespace payrecon::jobs
