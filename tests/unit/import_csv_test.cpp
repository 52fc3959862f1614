#include <boost/test/unit_test.hpp>

#include <string>
#include <vector>

#include "core/import_csv.h"

using namespace payrecon::core;

namespace {

const std::string kHeader = std::string(kImportCsvHeader) + "\n";
const Instant kImportNow = *ParseIso8601("2026-06-01T00:00:00Z");

std::vector<std::string> Problems(const std::string& text) {
  std::vector<std::string> out;
  for (const auto& p : ImportCsvParse(text, kImportNow).problems) out.push_back(p.ToString());
  return out;
}

// The problems of one data line after a good header, as "line 2: ...".
std::string ProblemOf(const std::string& line) {
  const auto problems = Problems(kHeader + line + "\n");
  if (problems.size() != 1) return "expected one problem, got " + std::to_string(problems.size());
  return problems[0];
}

}  // namespace

BOOST_AUTO_TEST_SUITE(import_csv)

BOOST_AUTO_TEST_CASE(reads_good_rows) {
  const auto result = ImportCsvParse(kHeader +
                                     "charge,M1,c1,,,1500.00,INR,CapturePending,2026-01-01T00:00:00Z\r\n"
                                     "refund,M1,r1,S04-R,c1,0.5,INR,Approved,2026-01-01T05:30:00.250+05:30\n"
                                     "\"topup\",\"M 2\"\"x\",t1,,,7,INR,Failed,2026-01-01 00:00:01Z", kImportNow);
  BOOST_TEST(result.problems.size() == 1u);  // "M 2"x" has a space and a quote: not an id
  const auto ok = ImportCsvParse(kHeader +
                                 "charge,M1,c1,,,1500.00,INR,CapturePending,2026-01-01T00:00:00Z\r\n"
                                 "refund,M1,r1,S04-R,c1,0.5,INR,Approved,2026-01-01T05:30:00.250+05:30\n"
                                 "\"topup\",\"M2\"\"x\",\"t,1\",,,7,INR,Failed,2026-01-01 00:00:01Z", kImportNow);
  BOOST_TEST(ok.problems.empty());
  BOOST_REQUIRE(ok.rows.size() == 3u);
  const ImportRow& c = ok.rows[0];
  BOOST_TEST(c.line == 2);
  BOOST_TEST((c.kind == Kind::kCharge));
  BOOST_TEST(c.merchant_id == "M1");
  BOOST_TEST(c.merchant_txn_id == "c1");
  BOOST_TEST(c.amazon_txn_id == "");
  BOOST_TEST(c.amount == 150000);
  BOOST_TEST(c.currency == "INR");
  BOOST_TEST((c.status == Status::kCapturePending));
  BOOST_TEST(c.created_at.time_since_epoch().count() == 1767225600000);
  const ImportRow& r = ok.rows[1];
  BOOST_TEST(r.line == 3);
  BOOST_TEST(r.parent_merchant_txn_id == "c1");
  BOOST_TEST(r.amazon_txn_id == "S04-R");
  BOOST_TEST(r.amount == 50);
  BOOST_TEST(r.created_at.time_since_epoch().count() == 1767225600250);
  const ImportRow& t = ok.rows[2];
  BOOST_TEST(t.merchant_id == "M2\"x");
  BOOST_TEST(t.merchant_txn_id == "t,1");
  BOOST_TEST((t.kind == Kind::kTopup));
}

BOOST_AUTO_TEST_CASE(every_bad_line_is_reported_with_its_number_and_why) {
  const std::vector<std::string> problems = Problems(
      kHeader +
      "payment,M1,c1,,,1.00,INR,CapturePending,2026-01-01T00:00:00Z\n"   // 2
      "charge,M1,c2,,,1.00,INR,CapturePending,2026-01-01T00:00:00Z\n"    // 3 good
      "charge,M1,c3,,,1.234,INR,CapturePending,2026-01-01T00:00:00Z\n"   // 4
      "charge,M1,c4,,,-1,INR,CapturePending,2026-01-01T00:00:00Z\n"      // 5
      "charge,M1,c5,,,1,inr,CapturePending,2026-01-01T00:00:00Z\n"       // 6
      "charge,M1,c6,,,1,INR,Approved,2026-01-01T00:00:00Z\n"             // 7
      "charge,M1,c7,,,1,INR,Captured,2026-01-01T00:00:00Z\n"             // 8
      "charge,M1,c8,,,1,INR,CapturePending,2026-01-01T00:00:00\n"        // 9
      "refund,M1,r1,,,1,INR,Pending,2026-01-01T00:00:00Z\n"              // 10
      "charge,M1,c2,,,1.00,INR,CapturePending,2026-01-01T00:00:00Z\n"    // 11
      "charge,,,,,1,INR,CapturePending,2026-02-30T00:00:00Z\n"           // 12
      "charge,M1,c9\n"                                                   // 13
      "\n"                                                               // 14
      "charge,M1,c10,,p,1,INR,Failed,2026-01-01T00:00:00Z,extra\n");     // 15
  const std::vector<std::string> expected = {
      "line 2: unknown kind \"payment\" (expected charge, refund or topup)",
      "line 4: invalid amount \"1.234\": more than two decimals",
      "line 5: invalid amount \"-1\": negative amounts are not allowed",
      "line 6: invalid currency \"inr\": expected three upper-case letters",
      "line 7: status \"Approved\" is not a charge status",
      "line 8: unknown status \"Captured\"",
      "line 9: created_at: invalid timestamp \"2026-01-01T00:00:00\": missing time zone (use Z or +HH:MM)",
      "line 10: a refund needs its parent_merchant_txn_id",
      "line 11: duplicate of line 3 (same merchant_id, kind and merchant_txn_id)",
      "line 12: merchant_id is empty; merchant_txn_id is empty; created_at: invalid timestamp "
      "\"2026-02-30T00:00:00Z\": field out of range",
      "line 13: expected 9 fields, got 3",
      "line 14: empty line",
      "line 15: expected 9 fields, got 10",
  };
  BOOST_TEST(problems == expected, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(rows_of_a_bad_file_still_reach_the_sink_only_when_valid) {
  std::vector<std::int64_t> lines;
  ImportCsvParser parser([&](const ImportRow& row) { lines.push_back(row.line); }, kImportNow);
  parser.Feed(kHeader + "charge,M1,c1,,,1,INR,Failed,2026-01-01T00:00:00Z\n" + "junk\n" +
              "charge,M1,c2,,,1,INR,Failed,2026-01-01T00:00:00Z\n");
  parser.Finish();
  BOOST_TEST(lines == (std::vector<std::int64_t>{2, 4}), boost::test_tools::per_element());
  BOOST_TEST(parser.rows() == 2);
  BOOST_TEST(parser.problems().size() == 1u);  // the caller rejects the file
}

BOOST_AUTO_TEST_CASE(the_header_must_be_exact) {
  BOOST_TEST(Problems("") == std::vector<std::string>{"line 1: the file is empty: expected the header " +
                                                      std::string(kImportCsvHeader)},
             boost::test_tools::per_element());
  BOOST_TEST(Problems("kind,merchant_id\ncharge,M1\n") ==
                 std::vector<std::string>{"line 1: the header must be " + std::string(kImportCsvHeader) +
                                          ", got \"kind,merchant_id\""},
             boost::test_tools::per_element());
  // Only the header is reported: the columns of the rest cannot be trusted.
  BOOST_TEST(Problems("KIND,merchant_id,merchant_txn_id,amazon_txn_id,parent_merchant_txn_id,amount,currency,status,"
                      "created_at\nx\ny\n")
                 .size() == 1u);
  // A UTF-8 byte order mark (as spreadsheets write) is not part of the header, even split across chunks.
  std::vector<ImportRow> rows;
  ImportCsvParser parser([&](const ImportRow& row) { rows.push_back(row); }, kImportNow);
  const std::string text = "\xEF\xBB\xBF" + kHeader + "charge,M1,c1,,,1,INR,Failed,2026-01-01T00:00:00Z\n";
  for (char c : text) parser.Feed(std::string_view(&c, 1));
  parser.Finish();
  BOOST_TEST(parser.problems().empty());
  BOOST_TEST(rows.size() == 1u);
}

BOOST_AUTO_TEST_CASE(hostile_quoting_is_reported) {
  BOOST_TEST(ProblemOf("charge,M1,c\"1,,,1,INR,Failed,2026-01-01T00:00:00Z") ==
             "line 2: field 3: a quote inside an unquoted field");
  BOOST_TEST(ProblemOf("charge,M1,\"c1\"x,,,1,INR,Failed,2026-01-01T00:00:00Z") ==
             "line 2: field 3: text after the closing quote");
  BOOST_TEST(ProblemOf("charge,M1,c1,,,1,INR,Failed,2026-01-01T00:00:00Z\rcharge") ==
             "line 2: carriage return without a line feed");
  // An unterminated quote swallows the rest of the file; it is reported where the record started.
  const auto problems = Problems(kHeader + "charge,M1,\"c1,,,1,INR,Failed,2026-01-01T00:00:00Z\n" +
                                 "charge,M1,c2,,,1,INR,Failed,2026-01-01T00:00:00Z\n");
  BOOST_TEST(problems == std::vector<std::string>{"line 2: quoted field not closed before the end of the file; "
                                                  "expected 9 fields, got 3"},
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(a_quoted_newline_keeps_line_numbers_right) {
  const auto problems = Problems(kHeader + "charge,M1,\"c\n1\",,,1,INR,Failed,2026-01-01T00:00:00Z\n" +
                                 "charge,M1,c2,,,x,INR,Failed,2026-01-01T00:00:00Z\n");
  BOOST_TEST(problems == (std::vector<std::string>{
                             "line 2: merchant_txn_id \"c\\x0a1\" must be printable ASCII without spaces",
                             "line 4: invalid amount \"x\": not a decimal number"}),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(ids_are_bounded_and_printable) {
  const std::string long_merchant(kMaxMerchantIdLength + 1, 'm');
  const std::string long_txn(kMaxTxnIdLength + 1, 't');
  BOOST_TEST(ProblemOf("charge," + long_merchant + ",c1,,,1,INR,Failed,2026-01-01T00:00:00Z") ==
             "line 2: merchant_id is longer than 64 bytes");
  BOOST_TEST(ProblemOf("charge,M1," + long_txn + ",,,1,INR,Failed,2026-01-01T00:00:00Z") ==
             "line 2: merchant_txn_id is longer than 128 bytes");
  BOOST_TEST(ImportCsvParse(kHeader + "charge," + std::string(kMaxMerchantIdLength, 'm') + "," +
                            std::string(kMaxTxnIdLength, 't') + ",,,1,INR,Failed,2026-01-01T00:00:00Z\n", kImportNow)
                 .problems.empty());
  BOOST_TEST(ProblemOf("charge,M1,=cmd|' /C calc'!A0,,,1,INR,Failed,2026-01-01T00:00:00Z") ==
             "line 2: merchant_txn_id \"=cmd|' /C calc'!A0\" must be printable ASCII without spaces");
  BOOST_TEST(ProblemOf("charge,M\x1b[31m,c1,,,1,INR,Failed,2026-01-01T00:00:00Z") ==
             "line 2: merchant_id \"M\\x1b[31m\" must be printable ASCII without spaces");
  BOOST_TEST(ProblemOf("charge,M1,c1,,p1,1,INR,Failed,2026-01-01T00:00:00Z") ==
             "line 2: parent_merchant_txn_id is only for refunds");
  const std::string huge(kMaxImportFieldLength + 10, 'x');
  BOOST_TEST(ProblemOf("charge,M1,c1,,," + huge + ",INR,Failed,2026-01-01T00:00:00Z") ==
             "line 2: field 6 is longer than 1024 bytes");
}

BOOST_AUTO_TEST_CASE(chunk_boundaries_do_not_matter) {
  const std::string text = kHeader +
                           "charge,M1,\"c\"\"1\",,,1,INR,Failed,2026-01-01T00:00:00Z\r\n"
                           "refund,M1,r1,,\"c\"\"1\",0.01,INR,Pending,2026-01-01T00:00:00Z\r\n"
                           "charge,M1,c2,,,1.5.5,INR,Failed,2026-01-01T00:00:00Z";
  const auto whole = ImportCsvParse(text, kImportNow);
  for (std::size_t size : {1u, 2u, 3u, 7u, 64u}) {
    std::vector<ImportRow> rows;
    ImportCsvParser parser([&](const ImportRow& row) { rows.push_back(row); }, kImportNow);
    for (std::size_t i = 0; i < text.size(); i += size) parser.Feed(std::string_view(text).substr(i, size));
    parser.Finish();
    BOOST_TEST_INFO("chunk " << size);
    BOOST_TEST(rows.size() == whole.rows.size());
    BOOST_TEST(parser.problems().size() == 1u);
    BOOST_TEST(parser.problems()[0].ToString() == "line 4: invalid amount \"1.5.5\": not a decimal number");
  }
  BOOST_REQUIRE(whole.rows.size() == 2u);
  BOOST_TEST(whole.rows[0].merchant_txn_id == "c\"1");
  BOOST_TEST(whole.rows[1].parent_merchant_txn_id == "c\"1");
}

// A created_at that would hide the transaction for ever, or that is not what it says, is refused with the line
// and why; the bound is relative to the import's time, passed in.
BOOST_AUTO_TEST_CASE(rejects_created_at_far_in_the_future_before_2000_or_beyond_milliseconds) {
  const std::string row = "charge,M1,c1,,,15.00,INR,CapturePending,";
  BOOST_TEST(ProblemOf(row + "9999-12-31T00:00:00Z") ==
             "line 2: created_at: \"9999-12-31T00:00:00Z\" is more than 24 hours after the import's time "
             "2026-06-01T00:00:00Z: the transaction would not be checked before then");
  BOOST_TEST(ProblemOf(row + "2026-06-02T00:00:00.001Z") ==
             "line 2: created_at: \"2026-06-02T00:00:00.001Z\" is more than 24 hours after the import's time "
             "2026-06-01T00:00:00Z: the transaction would not be checked before then");
  BOOST_TEST(ProblemOf(row + "0000-01-01T00:00:00Z") ==
             "line 2: created_at: \"0000-01-01T00:00:00Z\" is before 2000-01-01T00:00:00Z");
  BOOST_TEST(ProblemOf(row + "1999-12-31T23:59:59.999Z") ==
             "line 2: created_at: \"1999-12-31T23:59:59.999Z\" is before 2000-01-01T00:00:00Z");
  BOOST_TEST(ProblemOf(row + "2026-01-01T00:00:00.123456789Z") ==
             "line 2: created_at: \"2026-01-01T00:00:00.123456789Z\" is more precise than a millisecond: at most "
             "three decimals of a second are kept");
  BOOST_TEST(ProblemOf(row + "2026-01-01T00:00:00.0001Z") ==
             "line 2: created_at: \"2026-01-01T00:00:00.0001Z\" is more precise than a millisecond: at most three "
             "decimals of a second are kept");
  // At the bounds, and extra zero digits, are accepted exactly.
  const auto ok = ImportCsvParse(kHeader + row + "2026-06-02T00:00:00Z\n" +
                                     "charge,M1,c2,,,15.00,INR,CapturePending,2000-01-01T00:00:00Z\n" +
                                     "charge,M1,c3,,,15.00,INR,CapturePending,2026-01-01T00:00:00.250000000Z\n" +
                                     "charge,M1,c4,,,15.00,INR,CapturePending,2026-01-01T00:00:00.5Z\n",
                                 kImportNow);
  BOOST_TEST(ok.problems.empty());
  BOOST_REQUIRE(ok.rows.size() == 4u);
  BOOST_TEST((ok.rows[0].created_at == kImportNow + Millis{24 * 3600 * 1000}));
  BOOST_TEST(ok.rows[2].created_at.time_since_epoch().count() == 1767225600250);
  BOOST_TEST(ok.rows[3].created_at.time_since_epoch().count() == 1767225600500);
}

// The README's grammar: digits before an optional point, at least 0.01.
BOOST_AUTO_TEST_CASE(rejects_amounts_zero_and_without_whole_digits) {
  const auto line = [](const std::string& amount) {
    return "charge,M1,c1,,," + amount + ",INR,CapturePending,2026-01-01T00:00:00Z";
  };
  BOOST_TEST(ProblemOf(line("0")) == "line 2: invalid amount \"0\": must be at least 0.01");
  BOOST_TEST(ProblemOf(line("0.00")) == "line 2: invalid amount \"0.00\": must be at least 0.01");
  BOOST_TEST(ProblemOf(line(".5")) == "line 2: invalid amount \".5\": no digits before the decimal point");
  BOOST_TEST(ImportCsvParse(kHeader + line("0.01") + "\n", kImportNow).rows.at(0).amount == 1);
}

BOOST_AUTO_TEST_SUITE_END()
