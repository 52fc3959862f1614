// reports.compress: a gzip'd run folder holds exactly the rows a plain one holds, under ".csv.gz" names, as one
// complete gzip stream per file, also after a listing restarts; the same rows give the same bytes.
#include <boost/test/unit_test.hpp>

#include <filesystem>
#include <random>
#include <string>

#include "core/report_rows.h"
#include "core/time.h"
#include "jobs/report_writer.h"
#include "tests/support/gzip_reader.h"
#include "tests/support/sandbox_process.h"

namespace fs = std::filesystem;
using payrecon::core::ReportCompression;
using payrecon::jobs::ReportWriter;
using payrecon::testing::Gunzip;
using payrecon::testing::ReadGzipFile;

namespace {

constexpr const char* kFolder = "20260101T000000Z-6f1c2a9e-0b6d-4c3e-9a51-2d8f6e4b1c07";
constexpr const char* kCsvs[] = {"transitions.csv", "discrepancies.csv", "errors.csv", "pending.csv"};

using Dir = payrecon::testing::TempDir;

std::string Slurp(const fs::path& path) { return payrecon::testing::ReadFile(path.string()); }

constexpr const char* kRunId = "6f1c2a9e-0b6d-4c3e-9a51-2d8f6e4b1c07";

payrecon::core::Instant At(const char* iso) { return *payrecon::core::ParseIso8601(iso); }

payrecon::core::ErrorRow Error(const std::string& merchant_txn_id, const std::string& message) {
  payrecon::core::ErrorRow e;
  e.run_id = kRunId;
  e.merchant_id = "MID1";
  e.merchant_txn_id = merchant_txn_id;
  e.message = message;
  return e;
}

payrecon::core::TransitionRow Transition(int i) {
  payrecon::core::TransitionRow row;
  row.run_id = kRunId;
  row.merchant_id = "MID1";
  row.merchant_txn_id = "order-" + std::to_string(i);
  row.amazon_txn_id = "P04-" + std::to_string(1000000 + i * 7919 % 1000000);
  row.amount = 10000 + i % 9973;
  row.approved_amount = row.amount;
  row.gateway_updated_at = At("2026-01-01T00:00:00Z") + payrecon::core::Millis{i * 1000LL};
  row.checked_at = At("2026-01-01T00:05:00Z");
  return row;
}

// Writes `rows` transitions and one row of each other file, then commits; the folder's path.
std::string WriteFolder(const std::string& reports, ReportCompression compression, int rows) {
  ReportWriter w(reports, kFolder, compression);
  for (int i = 0; i < rows; ++i) w.Transition(Transition(i));
  payrecon::core::DiscrepancyRow d;
  d.run_id = kRunId;
  d.merchant_id = "MID1";
  d.merchant_txn_id = "order-\"quoted\", with comma";
  d.detail = "=cmd|' /C calc'!A0";  // neutralised by the CSV formatting, compressed like any text
  w.Discrepancy(d);
  w.Error(Error("order-e", "read timeout"));
  payrecon::core::PendingRow p;
  p.merchant_id = "MID1";
  p.merchant_txn_id = "order-p";
  w.Pending(p);
  return w.Commit("{}", "<html></html>");
}

}  // namespace

BOOST_AUTO_TEST_SUITE(report_writer)

BOOST_AUTO_TEST_CASE(gzip_files_hold_exactly_the_rows_of_the_plain_files) {
  Dir plain_dir;
  Dir gzip_dir;
  // 20,000 rows (about 3 MB of CSV) pass through many 64 KiB flushes and deflate chunks.
  const fs::path plain = WriteFolder(plain_dir.path(), ReportCompression::kNone, 20000);
  const fs::path gzip = WriteFolder(gzip_dir.path(), ReportCompression::kGzip, 20000);
  for (const char* csv : kCsvs) {
    BOOST_TEST_CONTEXT(csv) {
      BOOST_TEST(fs::exists(plain / csv));
      BOOST_TEST(!fs::exists(plain / (std::string(csv) + ".gz")));
      BOOST_TEST(!fs::exists(gzip / csv));
      const std::string text = Slurp(plain / csv);
      BOOST_TEST(ReadGzipFile(gzip / (std::string(csv) + ".gz")) == text);
    }
  }
  BOOST_TEST(Slurp(plain / "transitions.csv").size() > 2'500'000u);
  BOOST_TEST(fs::file_size(gzip / "transitions.csv.gz") * 4 < fs::file_size(plain / "transitions.csv"));
  // The summaries stay plain in both.
  BOOST_TEST(Slurp(gzip / "summary.json") == "{}");
  BOOST_TEST(Slurp(gzip / "summary.html") == "<html></html>");
}

// A row that does not compress (random printable text, 300 KiB in one flush) fills the 64 KiB output chunk several
// times in one call: the loop must go on until the input is used up.
BOOST_AUTO_TEST_CASE(an_incompressible_row_passes_through_whole) {
  Dir plain_dir;
  Dir gzip_dir;
  std::mt19937 random(20261203);
  std::string noise;
  for (int i = 0; i < 300 * 1024; ++i) noise += static_cast<char>('!' + random() % 90);
  const auto write = [&](const std::string& reports, ReportCompression c) {
    ReportWriter w(reports, kFolder, c);
    w.Error(Error("order-noise", noise));
    w.Error(Error("order-noise", noise));
    return fs::path(w.Commit("{}", "<html></html>"));
  };
  const fs::path plain = write(plain_dir.path(), ReportCompression::kNone);
  const fs::path gzip = write(gzip_dir.path(), ReportCompression::kGzip);
  const std::string text = Slurp(plain / "errors.csv");
  BOOST_TEST(text.size() > 600'000u);
  BOOST_TEST((ReadGzipFile(gzip / "errors.csv.gz") == text));  // (( )): no 600 KB values in a failure message
}

BOOST_AUTO_TEST_CASE(the_same_rows_give_the_same_gzip_bytes) {
  Dir a;
  Dir b;
  const fs::path first = WriteFolder(a.path(), ReportCompression::kGzip, 3000);
  const fs::path second = WriteFolder(b.path(), ReportCompression::kGzip, 3000);
  for (const char* csv : kCsvs) {
    const std::string name = std::string(csv) + ".gz";
    const std::string bytes = Slurp(first / name);
    BOOST_TEST(bytes == Slurp(second / name), name);
    // RFC 1952's header: deflate (8), no flags (so no file name or comment), modification time 0: nothing in the
    // file depends on when or where it was written.
    BOOST_REQUIRE(bytes.size() > 10u);
    BOOST_TEST(static_cast<int>(bytes[2]) == 8, name);
    BOOST_TEST(static_cast<int>(bytes[3]) == 0, name);
    BOOST_TEST(bytes.substr(4, 4) == std::string(4, '\0'), name);
  }
}

BOOST_AUTO_TEST_CASE(a_restarted_gzip_listing_holds_only_what_follows_the_restart) {
  Dir reports;
  fs::path folder;
  {
    ReportWriter w(reports.path(), kFolder, ReportCompression::kGzip);
    // Enough to have written compressed bytes to disk before the restart, and some held in the stream.
    for (int i = 0; i < 5000; ++i) w.Transition(Transition(i));
    w.RestartTransitions();
    w.Transition(Transition(7));
    w.Transition(Transition(8));
    BOOST_TEST(w.transitions() == 2);
    folder = w.Commit("{}", "<html></html>");
  }
  const std::string expected = payrecon::core::TransitionsHeader() + payrecon::core::FormatTransition(Transition(7)) +
                               payrecon::core::FormatTransition(Transition(8));
  BOOST_TEST(ReadGzipFile(folder / "transitions.csv.gz") == expected);
  BOOST_TEST(ReadGzipFile(folder / "pending.csv.gz") ==
             payrecon::core::PendingHeader());  // untouched listings: header only
}

BOOST_AUTO_TEST_CASE(an_empty_gzip_listing_is_its_header_row) {
  Dir reports;
  fs::path folder;
  {
    ReportWriter w(reports.path(), kFolder, ReportCompression::kGzip);
    folder = w.Commit("{}", "<html></html>");
  }
  BOOST_TEST(ReadGzipFile(folder / "transitions.csv.gz") == payrecon::core::TransitionsHeader());
  BOOST_TEST(ReadGzipFile(folder / "discrepancies.csv.gz") == payrecon::core::DiscrepanciesHeader());
  BOOST_TEST(ReadGzipFile(folder / "errors.csv.gz") == payrecon::core::ErrorsHeader());
}

// The reader the tests rely on is strict: it refuses what is not one whole gzip stream.
BOOST_AUTO_TEST_CASE(the_test_reader_refuses_plain_truncated_and_trailing_data) {
  Dir reports;
  const fs::path folder = WriteFolder(reports.path(), ReportCompression::kGzip, 100);
  const std::string data = Slurp(folder / "transitions.csv.gz");
  BOOST_TEST(Gunzip(data).rfind(payrecon::core::TransitionsHeader(), 0) == 0u);
  BOOST_CHECK_THROW(Gunzip("run_id,kind\r\n"), std::runtime_error);
  BOOST_CHECK_THROW(Gunzip(data.substr(0, data.size() - 4)), std::runtime_error);
  BOOST_CHECK_THROW(Gunzip(data + "x"), std::runtime_error);
  std::string bad_crc = data;
  bad_crc[bad_crc.size() - 8] = static_cast<char>(bad_crc[bad_crc.size() - 8] ^ 0x01);
  BOOST_CHECK_THROW(Gunzip(bad_crc), std::runtime_error);
}

BOOST_AUTO_TEST_SUITE_END()
