// reports.keep: only payrecon's own run folders (and its stale temporary folders) are ever removed.
#include <boost/test/unit_test.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "core/time.h"
#include "jobs/report_retention.h"

namespace fs = std::filesystem;
using payrecon::core::Instant;
using payrecon::core::Millis;
using payrecon::jobs::RemoveOldReports;
using payrecon::jobs::ReportFolderStartedAt;

namespace {

constexpr const char* kId = "6f1c2a9e-0b6d-4c3e-9a51-2d8f6e4b1c07";
const Millis kDay{24LL * 3600 * 1000};

Instant At(const char* iso) { return *payrecon::core::ParseIso8601(iso); }

class Dir {
 public:
  Dir() {
    char tmpl[] = "/tmp/prretention.XXXXXX";
    path_ = ::mkdtemp(tmpl);
  }
  ~Dir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  std::string operator/(const std::string& name) const { return path_ + "/" + name; }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

void Touch(const std::string& path, const std::string& text = "x") { std::ofstream(path) << text; }

// A complete report folder as payrecon writes it, its CSVs plain or (reports.compress: gzip) as .csv.gz.
void ReportFolder(const std::string& path, bool gzip = false) {
  fs::create_directory(path);
  for (const char* f : {"transitions.csv", "discrepancies.csv", "errors.csv", "pending.csv"}) {
    Touch(path + "/" + f + (gzip ? ".gz" : ""));
  }
  for (const char* f : {"summary.json", "summary.html"}) Touch(path + "/" + f);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(report_retention)

BOOST_AUTO_TEST_CASE(only_payrecon_names_are_recognised) {
  const std::string name = std::string("20260102T030405Z-") + kId;
  BOOST_TEST(ReportFolderStartedAt(name).has_value());
  BOOST_TEST((*ReportFolderStartedAt(name) == At("2026-01-02T03:04:05Z")));
  BOOST_TEST(ReportFolderStartedAt("." + name + ".tmp").has_value());
  BOOST_TEST(ReportFolderStartedAt("." + name + ".tmp.old").has_value());
  for (const std::string& bad :
       {name + "x", name.substr(1), "." + name, name + ".tmp", "." + name + ".tmpx", "x" + name,
        std::string("20260102T030405Z-6F1C2A9E-0B6D-4C3E-9A51-2D8F6E4B1C07"),  // upper case: not ours
        std::string("20260102T030405Z-6f1c2a9e_0b6d-4c3e-9a51-2d8f6e4b1c07"),
        std::string("20261302T030405Z-") + kId,                                 // month 13
        std::string("2026010XT030405Z-") + kId, std::string("20260102 030405Z-") + kId, std::string(""),
        std::string("reports"), std::string("..")}) {
    BOOST_TEST(!ReportFolderStartedAt(bad).has_value(), bad);
  }
}

BOOST_AUTO_TEST_CASE(removes_old_run_folders_and_stale_temporary_ones_and_nothing_else) {
  Dir reports;
  Dir outside;
  const Instant now = At("2026-03-01T00:00:00Z");
  const std::string old_name = std::string("20260101T000000Z-") + kId;          // 59 days old
  const std::string old_name2 = std::string("20260115T120000Z-") + kId;         // 45 days old
  const std::string recent = std::string("20260225T000000Z-") + kId;            // 4 days old
  const std::string tmp_old = "." + std::string("20260110T000000Z-") + kId + ".tmp";    // 50 days old
  const std::string tmp_week = "." + std::string("20260225T000000Z-") + kId + ".tmp";   // 4 days: a run may go on
  const std::string current = std::string("20260101T000001Z-") + kId;            // old by name, but this run's
  ReportFolder(reports / old_name);
  ReportFolder(reports / old_name2, /*gzip=*/true);
  ReportFolder(reports / recent);
  ReportFolder(reports / current);
  fs::create_directory(reports / tmp_old);
  Touch(reports / tmp_old + "/pending.csv");
  fs::create_directory(reports / tmp_week);
  // Look-alikes and things that are not folders of ours, all "old".
  const std::string foreign = std::string("20260102T000000Z-") + kId;  // an old name holding someone's file
  ReportFolder(reports / foreign);
  Touch(reports / foreign + "/notes.txt");
  fs::create_directory(reports / "20260101T000000Z-not-a-run-id");
  Touch(reports / "20260101T000000Z-not-a-run-id/summary.json");
  fs::create_directory(reports / "backup");
  Touch(reports / "backup/summary.json");
  Touch(reports / (std::string("20260103T000000Z-") + kId));  // a file with a folder's name
  // A symlink named like an old run folder, pointing outside: neither it nor its target is touched.
  ReportFolder(outside / "target");
  const std::string link = reports / (std::string("20260104T000000Z-") + kId);
  fs::create_directory_symlink(outside / "target", link);
  // A symlink inside an old run folder is not a report file: the folder is left whole.
  const std::string with_link = std::string("20260105T000000Z-") + kId;
  ReportFolder(reports / with_link);
  fs::create_symlink(outside / "target/summary.json", reports / with_link + "/summary.html.link");
  // A name payrecon never gives a file (gzip applies to the CSVs only) keeps the folder too.
  const std::string with_gz_summary = std::string("20260106T000000Z-") + kId;
  ReportFolder(reports / with_gz_summary, /*gzip=*/true);
  Touch(reports / with_gz_summary + "/summary.json.gz");

  const auto r = RemoveOldReports(reports.path(), 30 * kDay, now, reports / current);

  BOOST_TEST(r.removed == (std::vector<std::string>{reports / tmp_old, reports / old_name, reports / old_name2}),
             boost::test_tools::per_element());
  BOOST_TEST(r.kept == (std::vector<std::string>{reports / foreign, reports / with_link, reports / with_gz_summary}),
             boost::test_tools::per_element());
  BOOST_TEST(!fs::exists(reports / old_name));
  BOOST_TEST(!fs::exists(reports / old_name2));
  BOOST_TEST(!fs::exists(reports / tmp_old));
  BOOST_TEST(fs::exists(reports / recent + "/summary.json"));
  BOOST_TEST(fs::exists(reports / current + "/summary.json"));
  BOOST_TEST(fs::exists(reports / tmp_week));
  BOOST_TEST(fs::exists(reports / foreign + "/notes.txt"));
  BOOST_TEST(fs::exists(reports / foreign + "/summary.json"));
  BOOST_TEST(fs::exists(reports / "20260101T000000Z-not-a-run-id/summary.json"));
  BOOST_TEST(fs::exists(reports / "backup/summary.json"));
  BOOST_TEST(fs::is_regular_file(reports / (std::string("20260103T000000Z-") + kId)));
  BOOST_TEST(fs::is_symlink(link));
  BOOST_TEST(fs::exists(outside / "target/summary.json"));
  BOOST_TEST(fs::exists(reports / with_link + "/summary.json"));
  BOOST_TEST(fs::exists(reports / with_gz_summary + "/transitions.csv.gz"));
  BOOST_TEST(fs::exists(outside / "target/transitions.csv"));
}

BOOST_AUTO_TEST_CASE(keep_zero_removes_nothing_and_a_missing_folder_is_no_error) {
  Dir reports;
  const std::string old_name = std::string("20200101T000000Z-") + kId;
  ReportFolder(reports / old_name);
  const auto r = RemoveOldReports(reports.path(), Millis{0}, At("2026-03-01T00:00:00Z"), "");
  BOOST_TEST(r.removed.empty());
  BOOST_TEST(fs::exists(reports / old_name + "/summary.json"));
  const auto missing = RemoveOldReports(reports / "nope", 30 * kDay, At("2026-03-01T00:00:00Z"), "");
  BOOST_TEST(missing.removed.empty());
}

BOOST_AUTO_TEST_SUITE_END()
