// libFuzzer target for the import file reader (core::ImportCsvParser: the RFC 4180 tokenizer and the row
// validator). Properties:
//   - feeding the file in chunks of any size gives the same rows and problems as feeding it whole;
//   - problems come in line order and their messages hold no control characters (they go to a terminal);
//   - an accepted file holds only valid rows (identifiers, kinds and statuses, refunds' parents, currency,
//     amounts of at least 0.01, created_at from 2000-01-01 to 24 hours after the import's time, no duplicate
//     keys), and those rows written back as CSV read back identically.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <set>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "core/import_csv.h"

using namespace payrecon;

namespace {

void Require(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "import_csv_fuzz: property violated: %s\n", what);
    std::abort();
  }
}

// The import's time: a fixed instant (2026-01-01T00:00:00Z, the seeds' date), so an input behaves the same in every
// run.
const core::Instant kNow{core::Millis(1767225600000)};
const core::Instant kEarliest{core::Millis(946684800000)};  // 2000-01-01T00:00:00Z

struct Parsed {
  std::vector<core::ImportRow> rows;
  std::vector<core::ImportProblem> problems;
};

Parsed ParseInChunks(std::string_view text, std::size_t chunk) {
  Parsed out;
  core::ImportCsvParser parser([&](const core::ImportRow& row) { out.rows.push_back(row); }, kNow);
  for (std::size_t at = 0; at < text.size(); at += chunk) parser.Feed(text.substr(at, chunk));
  parser.Finish();
  out.problems = parser.problems();
  Require(parser.rows() == static_cast<std::int64_t>(out.rows.size()), "rows() differs from the rows sunk");
  return out;
}

bool SameRow(const core::ImportRow& a, const core::ImportRow& b) {
  return a.kind == b.kind && a.merchant_id == b.merchant_id && a.merchant_txn_id == b.merchant_txn_id &&
         a.amazon_txn_id == b.amazon_txn_id && a.parent_merchant_txn_id == b.parent_merchant_txn_id &&
         a.amount == b.amount && a.currency == b.currency && a.status == b.status && a.created_at == b.created_at;
}

void RequireSame(const Parsed& a, const Parsed& b, bool compare_lines) {
  Require(a.rows.size() == b.rows.size(), "a different number of rows");
  for (std::size_t i = 0; i < a.rows.size(); ++i) {
    Require(SameRow(a.rows[i], b.rows[i]), "a different row");
    if (compare_lines) Require(a.rows[i].line == b.rows[i].line, "a row on a different line");
  }
  Require(a.problems.size() == b.problems.size(), "a different number of problems");
  for (std::size_t i = 0; i < a.problems.size(); ++i) {
    Require(a.problems[i].line == b.problems[i].line && a.problems[i].message == b.problems[i].message,
            "a different problem");
  }
}

bool IsId(const std::string& s, std::size_t max, bool required) {
  if (s.empty()) return !required;
  if (s.size() > max) return false;
  for (unsigned char c : s) {
    if (c < 0x21 || c > 0x7e) return false;
  }
  return true;
}

// A field as RFC 4180 writes it: always quoted, quotes doubled.
std::string Quoted(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const core::ImportCsvResult whole = core::ImportCsvParse(text, kNow);
  const Parsed all{whole.rows, whole.problems};

  // ImportCsvParse feeds the file whole, so one chunked parse is the whole comparison (a second parse in one
  // chunk of size + 1 bytes would repeat ImportCsvParse's path and cost a third of every execution).
  const std::size_t chunk = size == 0 ? 1 : 1 + data[0] % 13;
  RequireSame(all, ParseInChunks(text, chunk), true);

  std::int64_t last_line = 0;
  for (const auto& p : all.problems) {
    Require(p.line >= last_line, "problems out of line order");
    Require(p.line >= 1, "a problem before line 1");
    last_line = p.line;
    Require(!p.message.empty(), "a problem without a reason");
    for (unsigned char c : p.message) Require(c >= 0x20 && c != 0x7f, "a control character in a problem");
  }
  if (!all.problems.empty()) return 0;

  std::set<std::tuple<std::string, core::Kind, std::string>> keys;
  last_line = 1;
  std::string csv(core::kImportCsvHeader);
  csv += "\r\n";
  for (const auto& r : all.rows) {
    Require(r.line > last_line, "rows out of line order");
    last_line = r.line;
    Require(IsId(r.merchant_id, core::kMaxMerchantIdLength, true), "an invalid merchant_id accepted");
    Require(IsId(r.merchant_txn_id, core::kMaxTxnIdLength, true), "an invalid merchant_txn_id accepted");
    Require(IsId(r.amazon_txn_id, core::kMaxTxnIdLength, false), "an invalid amazon_txn_id accepted");
    Require(IsId(r.parent_merchant_txn_id, core::kMaxTxnIdLength, false),
            "an invalid parent_merchant_txn_id accepted");
    Require((r.kind == core::Kind::kRefund) == !r.parent_merchant_txn_id.empty(),
            "a parent on a charge or top-up, or a refund without one");
    Require(core::StatusBelongsTo(r.kind, r.status), "a status outside the kind's lifecycle accepted");
    Require(r.amount >= 1, "an amount below 0.01 accepted");
    Require(r.created_at >= kEarliest, "a created_at before 2000 accepted");
    Require(r.created_at <= kNow + core::Millis(24LL * 3600 * 1000), "a created_at over a day ahead accepted");
    Require(r.currency.size() == 3 && r.currency[0] >= 'A' && r.currency[0] <= 'Z' && r.currency[1] >= 'A' &&
                r.currency[1] <= 'Z' && r.currency[2] >= 'A' && r.currency[2] <= 'Z',
            "an invalid currency accepted");
    Require(keys.insert({r.merchant_id, r.kind, r.merchant_txn_id}).second, "a duplicate key accepted");
    csv += Quoted(core::KindName(r.kind)) + "," + Quoted(r.merchant_id) + "," + Quoted(r.merchant_txn_id) + "," +
           Quoted(r.amazon_txn_id) + "," + Quoted(r.parent_merchant_txn_id) + "," +
           Quoted(core::FormatAmount(r.amount)) + "," + Quoted(r.currency) + "," +
           Quoted(core::StatusName(r.status)) + "," + Quoted(core::FormatIso8601Millis(r.created_at)) + "\r\n";
  }
  const core::ImportCsvResult back = core::ImportCsvParse(csv, kNow);
  if (!back.problems.empty()) {
    std::fprintf(stderr, "import_csv_fuzz: rewritten file rejected: %s\n", back.problems.front().ToString().c_str());
  }
  RequireSame(all, Parsed{back.rows, back.problems}, false);
  return 0;
}
