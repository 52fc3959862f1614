#pragma once
// Validation of an import file (`payrecon import FILE.csv`): RFC 4180 CSV with the exact header kImportCsvHeader.
// Pure: text in, rows and problems out. The whole file is rejected when any line is bad, so every problem is
// collected (with its line number and why) rather than stopping at the first.
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/money.h"
#include "core/status.h"
#include "core/time.h"

namespace payrecon::core {

inline constexpr std::string_view kImportCsvHeader =
    "kind,merchant_id,merchant_txn_id,amazon_txn_id,parent_merchant_txn_id,amount,currency,status,created_at";

// Identifiers are printable ASCII without spaces (0x21-0x7e), non-empty, at most this many bytes.
inline constexpr std::size_t kMaxMerchantIdLength = 64;
inline constexpr std::size_t kMaxTxnIdLength = 128;
// A field longer than this is a problem (and is not kept in memory).
inline constexpr std::size_t kMaxImportFieldLength = 1024;
// created_at bounds. A transaction is first checked at its created_at: one far in the future would be hidden
// for ever, so created_at may be at most kImportMaxFuture after the import's `now` (a day absorbs clock skew
// between the exporting system and ours). Nothing Amazon Pay India holds predates kImportEarliest (years like
// 0000 are typing errors). A fraction of a second is kept to the millisecond: more digits must be zeros.
inline constexpr Millis kImportMaxFuture{24LL * 3600 * 1000};
inline constexpr std::string_view kImportEarliestText = "2000-01-01T00:00:00Z";

struct ImportRow {
  std::int64_t line = 0;                // the line the record starts on (1 is the header)
  Kind kind = Kind::kCharge;
  std::string merchant_id;
  std::string merchant_txn_id;
  std::string amazon_txn_id;            // may be empty
  std::string parent_merchant_txn_id;   // a refund's charge; empty for charges and top-ups
  Paise amount = 0;
  std::string currency;                 // three upper-case letters, e.g. "INR"
  Status status = Status::kCapturePending;
  Instant created_at{};
};

struct ImportProblem {
  std::int64_t line = 0;
  std::string message;
  // "line 7: unknown kind \"payment\"".
  std::string ToString() const { return "line " + std::to_string(line) + ": " + message; }
};

// Streaming parser: feed the file in chunks of any size, then Finish(). Each valid record goes to the sink at
// once (so a large file need not be held in memory); the caller must discard them all when problems() is not
// empty after Finish(). Duplicate keys (merchant_id, kind, merchant_txn_id) are remembered for the whole file.
class ImportCsvParser {
 public:
  using RowSink = std::function<void(const ImportRow&)>;

  // `now` is the import's time, for the created_at bound.
  ImportCsvParser(RowSink sink, Instant now) : sink_(std::move(sink)), now_(now) {}

  void Feed(std::string_view chunk);
  // Ends the input: a final record without a newline is processed; an unterminated quote is a problem.
  void Finish();

  // Every problem so far, in line order.
  const std::vector<ImportProblem>& problems() const { return problems_; }
  // Valid records passed to the sink.
  std::int64_t rows() const { return rows_; }

 private:
  void Char(char c);
  void Append(char c);
  void EndField();
  void EndRecord();
  void Validate();

  RowSink sink_;
  Instant now_;
  std::vector<ImportProblem> problems_;
  std::unordered_map<std::string, std::int64_t> seen_;  // key -> first line
  std::int64_t rows_ = 0;
  // Tokenizer state.
  std::vector<std::string> fields_;
  std::string field_;
  std::int64_t line_ = 1;          // the current physical line
  std::int64_t record_line_ = 1;   // where the current record started
  bool in_quotes_ = false;
  bool after_quote_ = false;       // a quote inside a quoted field: closing, or the first of a doubled pair
  bool field_was_quoted_ = false;
  bool pending_cr_ = false;        // a CR waiting for its LF
  bool record_started_ = false;
  bool field_too_long_ = false;
  std::size_t field_count_ = 0;    // fields of the current record, also those beyond what is kept
  std::vector<std::string> reasons_;  // problems of the current record
  bool bom_checked_ = false;
  bool header_done_ = false;
  bool header_bad_ = false;        // a wrong header: the rest cannot be read, only the header is reported
};

struct ImportCsvResult {
  std::vector<ImportRow> rows;
  std::vector<ImportProblem> problems;
};

// Parses a whole file held in memory (`now` as for ImportCsvParser).
ImportCsvResult ImportCsvParse(std::string_view text, Instant now);

}  // namespace payrecon::core
