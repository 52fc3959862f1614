// Report files hold payment data: 0640 files in 0750 folders, whatever the umask of the process.
#include <sys/stat.h>

#include <boost/test/unit_test.hpp>
#include <filesystem>
#include <random>
#include <string>

#include "jobs/report_writer.h"

namespace fs = std::filesystem;

namespace {

// Sets the umask for one scope.
class ScopedUmask {
 public:
  explicit ScopedUmask(mode_t mask) : old_(::umask(mask)) {}
  ~ScopedUmask() { ::umask(old_); }

 private:
  mode_t old_;
};

struct ScratchDir {
  fs::path path;
  ScratchDir() {
    path = fs::temp_directory_path() / ("payrecon-perm-" + std::to_string(std::random_device{}()));
    fs::create_directories(path);
  }
  ~ScratchDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

unsigned Mode(const fs::path& p) {
  struct stat st {};
  BOOST_REQUIRE_MESSAGE(::stat(p.c_str(), &st) == 0, "stat " << p);
  return st.st_mode & 07777;
}

// Every folder and file under `dir` (itself included) has the expected mode.
void CheckTree(const fs::path& dir) {
  BOOST_TEST(Mode(dir) == 0750u, dir);
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    BOOST_TEST(Mode(e.path()) == (e.is_directory() ? 0750u : 0640u), e.path());
  }
}

}  // namespace

BOOST_AUTO_TEST_SUITE(report_permissions)

BOOST_AUTO_TEST_CASE(files_0640_in_0750_folders_under_a_permissive_umask) {
  ScratchDir scratch;
  const ScopedUmask mask(0000);
  const fs::path reports = scratch.path / "a" / "reports";  // two folders the writer creates
  std::string final_path;
  {
    payrecon::jobs::ReportWriter w(reports.string(), "20260101T000000Z-r1", payrecon::core::ReportCompression::kGzip);
    // The temporary folder is already closed to others while the run writes into it.
    BOOST_TEST(Mode(reports / ".20260101T000000Z-r1.tmp") == 0750u);
    final_path = w.Commit("{}", "<html></html>");
  }
  BOOST_TEST(Mode(scratch.path / "a") == 0750u);
  CheckTree(reports);
  BOOST_TEST(fs::exists(fs::path(final_path) / "summary.json"));
  BOOST_TEST(fs::exists(fs::path(final_path) / "transitions.csv.gz"));
}

BOOST_AUTO_TEST_CASE(same_modes_under_a_strict_umask_and_a_rewritten_folder) {
  ScratchDir scratch;
  const ScopedUmask mask(0077);
  const fs::path reports = scratch.path / "reports";
  for (int i = 0; i < 2; ++i) {  // the second Commit replaces the folder, as `report --run` does
    payrecon::jobs::ReportWriter w(reports.string(), "20260101T000000Z-r2", payrecon::core::ReportCompression::kNone);
    w.Commit("{}", "<html></html>");
  }
  CheckTree(reports);
}

// A reports folder the operator made keeps its mode: only what payrecon creates is set.
BOOST_AUTO_TEST_CASE(an_existing_reports_folder_keeps_its_mode) {
  ScratchDir scratch;
  const ScopedUmask mask(0000);
  const fs::path reports = scratch.path / "reports";
  fs::create_directories(reports);
  fs::permissions(reports, fs::perms(0770));
  payrecon::jobs::ReportWriter w(reports.string(), "20260101T000000Z-r3", payrecon::core::ReportCompression::kGzip);
  const fs::path folder = w.Commit("{}", "<html></html>");
  BOOST_TEST(Mode(reports) == 0770u);
  BOOST_TEST(Mode(folder) == 0750u);
  BOOST_TEST(Mode(folder / "summary.html") == 0640u);
}

BOOST_AUTO_TEST_SUITE_END()
