#include <boost/test/unit_test.hpp>

#include <string>
#include <vector>

#include "core/csv.h"
#include "tests/support/csv_reader.h"

using namespace payrecon::core;
using payrecon::testing::CsvReader;

namespace {

// Reads every record, or returns the error text as the only field of one record.
std::vector<std::vector<std::string>> ReadAll(std::string_view text) {
  CsvReader reader(text);
  std::vector<std::vector<std::string>> records;
  std::vector<std::string> fields;
  for (;;) {
    const auto more = reader.Next(fields);
    if (!more.ok()) return {{"error: " + more.error()}};
    if (!*more) return records;
    records.push_back(fields);
  }
}

}  // namespace

BOOST_AUTO_TEST_SUITE(csv)

BOOST_AUTO_TEST_CASE(quotes_per_rfc4180) {
  BOOST_TEST(CsvQuote("") == "");
  BOOST_TEST(CsvQuote("plain") == "plain");
  BOOST_TEST(CsvQuote("a,b") == "\"a,b\"");
  BOOST_TEST(CsvQuote("say \"hi\"") == "\"say \"\"hi\"\"\"");
  BOOST_TEST(CsvQuote("\"") == "\"\"\"\"");
  BOOST_TEST(CsvQuote("line1\nline2") == "\"line1\nline2\"");
  BOOST_TEST(CsvQuote("cr\rhere") == "\"cr\rhere\"");
  BOOST_TEST(CsvQuote(" spaced ") == " spaced ");
  BOOST_TEST(CsvQuote("naïve ₹") == "naïve ₹");
}

BOOST_AUTO_TEST_CASE(neutralises_each_dangerous_first_character) {
  const struct {
    const char* text;
    const char* cell;
  } rows[] = {
      {"=1+2", "'=1+2"},
      {"+91 98", "'+91 98"},
      {"-5", "'-5"},
      {"@SUM(A1)", "'@SUM(A1)"},
      {"\tTAB", "'\tTAB"},
      {"\rCR", "\"'\rCR\""},  // neutralised, then quoted because of the CR
      {"=HYPERLINK(\"http://x\",\"y\")", "\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\""},
      {"a=1", "a=1"},
      {"'=already", "'=already"},
      {"", ""},
      {" =1", " =1"},
  };
  for (const auto& row : rows) {
    CsvRecord r;
    r.Text(row.text);
    BOOST_TEST(r.Line() == std::string(row.cell) + "\r\n", row.text);
  }
  BOOST_TEST(CsvNeedsNeutralising("=x"));
  BOOST_TEST(!CsvNeedsNeutralising("x="));
  BOOST_TEST(CsvNeutralise("-x") == "'-x");
}

BOOST_AUTO_TEST_CASE(typed_cells_are_not_neutralised) {
  CsvRecord r;
  r.Amount(Paise{-500})
      .Amount(Paise{150000})
      .Amount(std::optional<Paise>{})
      .Integer(std::int64_t{-7})
      .Integer(std::optional<std::int64_t>{})
      .Time(Instant{Millis{1607964349862}})
      .Time(std::optional<Instant>{})
      .Empty()
      .Text("-5.00");
  BOOST_TEST(r.size() == 9u);
  BOOST_TEST(r.Line() == "-5.00,1500.00,,-7,,2020-12-14T16:45:49Z,,,'-5.00\r\n");
  BOOST_TEST(CsvRecord().Line() == "\r\n");
  BOOST_TEST(CsvHeaderLine({"a", "b,c"}) == "a,\"b,c\"\r\n");
}

BOOST_AUTO_TEST_CASE(reader_round_trips_what_the_writer_writes) {
  const std::vector<std::string> cells{"plain", "a,b", "q\"uote", "multi\r\nline", "", "'=x", "₹"};
  CsvRecord r;
  for (const auto& c : cells) r.Text(c);
  const std::string text = CsvHeaderLine({"h1", "h2"}) + r.Line() + "last,row";
  const auto records = ReadAll(text);
  BOOST_REQUIRE(records.size() == 3u);
  BOOST_TEST((records[0] == std::vector<std::string>{"h1", "h2"}));
  BOOST_TEST((records[1] == cells));
  BOOST_TEST((records[2] == std::vector<std::string>{"last", "row"}));
}

BOOST_AUTO_TEST_CASE(reader_tracks_lines_and_accepts_lf) {
  CsvReader reader("a,\"x\ny\"\nb,c\n\n");
  std::vector<std::string> fields;
  BOOST_TEST(*reader.Next(fields));
  BOOST_TEST(reader.line() == 1u);
  BOOST_TEST(*reader.Next(fields));
  BOOST_TEST(reader.line() == 3u);
  BOOST_TEST((fields == std::vector<std::string>{"b", "c"}));
  BOOST_TEST(*reader.Next(fields));  // an empty line is one record with one empty field
  BOOST_TEST(reader.line() == 4u);
  BOOST_TEST((fields == std::vector<std::string>{""}));
  BOOST_TEST(!*reader.Next(fields));
  BOOST_TEST(ReadAll("").empty());
  BOOST_TEST((ReadAll("a,")[0] == std::vector<std::string>{"a", ""}));
}

BOOST_AUTO_TEST_CASE(reader_rejects_malformed_records) {
  const struct {
    const char* text;
    const char* error;
  } rows[] = {
      {"a,\"unterminated\r\n", "error: line 2: unterminated quoted field"},
      {"ok\r\na,\"x\"y\r\n", "error: line 2: unexpected character after closing quote"},
      {"a,b\"c\r\n", "error: line 1: quote inside an unquoted field"},
      {"a\rb\r\n", "error: line 1: carriage return without line feed"},
  };
  for (const auto& row : rows) {
    const auto records = ReadAll(row.text);
    BOOST_REQUIRE(!records.empty());
    BOOST_TEST(records.back()[0] == row.error, row.text);
  }
}

BOOST_AUTO_TEST_SUITE_END()
