#pragma once
// CSV text per RFC 4180 for the reports: typed cells, quoting, CRLF line ends, and neutralisation of text cells
// against spreadsheet formula injection (OWASP "CSV Injection"). No file I/O. (The tests read reports back with
// tests/support/csv_reader.h.)
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/expected.h"
#include "core/money.h"
#include "core/time.h"

namespace payrecon::core {

// RFC 4180 §2.1: records end in CRLF. Readers also accept LF.
inline constexpr std::string_view kCsvLineEnd = "\r\n";

// The RFC 4180 field text: quoted when it contains a comma, a double quote, CR or LF, with inner quotes doubled;
// otherwise unchanged. No neutralisation.
std::string CsvQuote(std::string_view field);

// Whether a text cell would be read as a formula by a spreadsheet: it starts with '=', '+', '-', '@', tab or CR.
bool CsvNeedsNeutralising(std::string_view text);
// The text with a leading single quote when CsvNeedsNeutralising: "=1+2" -> "'=1+2", "-x" -> "'-x".
std::string CsvNeutralise(std::string_view text);

// Builds one record from typed cells. Only text cells are neutralised: numbers, amounts and times are produced by
// payrecon itself, so a negative amount stays "-5.00". Every cell is then quoted per CsvQuote.
class CsvRecord {
 public:
  CsvRecord& Text(std::string_view text);                 // free text from anywhere: neutralised, quoted
  CsvRecord& Integer(std::int64_t value);                  // "42", "-1"
  CsvRecord& Integer(std::optional<std::int64_t> value);   // empty cell when nullopt
  CsvRecord& Amount(Paise paise);                          // FormatAmount: "1500.00", "-5.00"
  CsvRecord& Amount(std::optional<Paise> paise);           // empty cell when nullopt
  CsvRecord& Time(Instant t);                              // FormatIso8601: "2026-01-02T03:04:05Z"
  CsvRecord& Time(std::optional<Instant> t);               // empty cell when nullopt
  CsvRecord& Empty();                                      // an empty cell
  // The cells joined by commas and ended with kCsvLineEnd. An empty record yields just the line end.
  std::string Line() const;
  std::size_t size() const { return cells_; }

 private:
  void Append(std::string_view cell_text);
  std::string line_;
  std::size_t cells_ = 0;
};

// A header line: the column names joined by commas, ended with kCsvLineEnd.
std::string CsvHeaderLine(const std::vector<std::string_view>& columns);

}  // namespace payrecon::core
