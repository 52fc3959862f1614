#pragma once
// A strict RFC 4180 reader for tests that read payrecon's CSV reports back. payrecon itself only writes CSV
// (core/csv.h) and reads import files with its own streaming parser (core/import_csv.h).
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "core/expected.h"

namespace payrecon::testing {

// Reads RFC 4180 records from text one at a time, strictly: a quote may only open a field or be doubled inside
// a quoted field; after a closing quote comes a comma or a line end; records end in CRLF or LF (CR alone is
// rejected outside quotes); the last record may lack a line end; quoted fields may span lines. Neutralisation is
// not undone. The text must outlive the reader.
class CsvReader {
 public:
  explicit CsvReader(std::string_view text) : text_(text) {}
  // Reads the next record into `fields`. Returns true when one was read, false at the end of the text, or an
  // error such as `line 3: unexpected character after closing quote`.
  core::Expected<bool> Next(std::vector<std::string>& fields);
  // The 1-based line on which the record last returned by Next started.
  std::size_t line() const { return record_line_; }

 private:
  std::string_view text_;
  std::size_t pos_ = 0;
  std::size_t current_line_ = 1;
  std::size_t record_line_ = 0;
};

}  // namespace payrecon::testing
