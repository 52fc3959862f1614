#include "core/import_csv.h"

#include <cstdio>
#include <optional>

namespace payrecon::core {
namespace {

constexpr std::size_t kColumns = 9;
constexpr std::size_t kKeptFields = 16;  // more than this many fields are only counted
constexpr std::size_t kQuoteLimit = 40;

// Quotes hostile text for a message: at most kQuoteLimit bytes, control bytes shown as \xNN.
std::string Quote(std::string_view text) {
  std::string out = "\"";
  const std::size_t n = text.size() < kQuoteLimit ? text.size() : kQuoteLimit;
  for (std::size_t i = 0; i < n; ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c < 0x20 || c == 0x7f || c == '"' || c == '\\') {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  if (n < text.size()) out += "...";
  return out + "\"";
}

// Messages from other parsers quote the input verbatim; control bytes must not reach a terminal.
std::string Sanitize(std::string_view text) {
  std::string out;
  for (char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if (c < 0x20 || c == 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    } else {
      out += ch;
    }
  }
  return out;
}

void CheckId(std::string_view column, std::string_view value, std::size_t max, bool required,
             std::vector<std::string>& reasons) {
  if (value.empty()) {
    if (required) reasons.push_back(std::string(column) + " is empty");
    return;
  }
  if (value.size() > max) {
    reasons.push_back(std::string(column) + " is longer than " + std::to_string(max) + " bytes");
    return;
  }
  for (char ch : value) {
    const auto c = static_cast<unsigned char>(ch);
    if (c < 0x21 || c > 0x7e) {
      reasons.push_back(std::string(column) + " " + Quote(value) +
                        " must be printable ASCII without spaces");
      return;
    }
  }
}

bool IsCurrency(std::string_view s) {
  if (s.size() != 3) return false;
  for (char c : s) {
    if (c < 'A' || c > 'Z') return false;
  }
  return true;
}

// Why a created_at cannot be imported, or nullopt. See kImportMaxFuture and kImportEarliestText.
std::optional<std::string> CreatedAtProblem(std::string_view text, Instant now) {
  const auto parsed = ParseIso8601(text);
  if (!parsed) return parsed.error();
  if (text.size() > 20 && text[19] == '.') {
    std::size_t end = 20;
    while (end < text.size() && text[end] >= '0' && text[end] <= '9') ++end;
    if (end > 23 && text.substr(23, end - 23).find_first_not_of('0') != std::string_view::npos) {
      return Quote(text) + " is more precise than a millisecond: at most three decimals of a second are kept";
    }
  }
  static const Instant kEarliest = *ParseIso8601(kImportEarliestText);
  if (*parsed < kEarliest) return Quote(text) + " is before " + std::string(kImportEarliestText);
  if (*parsed > now + kImportMaxFuture) {
    return Quote(text) + " is more than 24 hours after the import's time " + FormatIso8601(now) +
           ": the transaction would not be checked before then";
  }
  return std::nullopt;
}

}  // namespace

void ImportCsvParser::Feed(std::string_view chunk) {
  if (!bom_checked_) {
    // A UTF-8 byte order mark (spreadsheets write one) is not part of the header. It may arrive split.
    static constexpr std::string_view kBom = "\xEF\xBB\xBF";
    const std::size_t have = field_.size();  // bytes of a partial BOM held back from earlier chunks
    std::string probe = field_ + std::string(chunk.substr(0, kBom.size()));
    if (probe.size() < kBom.size() && kBom.substr(0, probe.size()) == probe) {
      field_ = probe;
      return;
    }
    bom_checked_ = true;
    field_.clear();
    if (probe.compare(0, kBom.size(), kBom) == 0) {
      chunk.remove_prefix(kBom.size() - have);
    } else {
      for (char c : probe.substr(0, have)) Char(c);
    }
  }
  for (char c : chunk) Char(c);
}

void ImportCsvParser::Finish() {
  if (!bom_checked_) {
    bom_checked_ = true;
    const std::string held = std::move(field_);
    field_.clear();
    for (char c : held) Char(c);
  }
  if (pending_cr_) {
    pending_cr_ = false;
    reasons_.push_back("carriage return without a line feed");
    record_started_ = true;
  }
  if (in_quotes_ && !after_quote_) {
    reasons_.push_back("quoted field not closed before the end of the file");
  }
  in_quotes_ = false;
  after_quote_ = false;
  if (record_started_) {
    EndField();
    EndRecord();
  }
  if (!header_done_ && !header_bad_) {
    problems_.push_back({1, "the file is empty: expected the header " + std::string(kImportCsvHeader)});
    header_bad_ = true;
  }
}

void ImportCsvParser::Append(char c) {
  if (field_too_long_) return;
  if (field_.size() >= kMaxImportFieldLength) {
    field_too_long_ = true;
    reasons_.push_back("field " + std::to_string(field_count_ + 1) + " is longer than " +
                       std::to_string(kMaxImportFieldLength) + " bytes");
    return;
  }
  field_ += c;
}

void ImportCsvParser::Char(char c) {
  if (pending_cr_) {
    pending_cr_ = false;
    if (c == '\n') {
      EndField();
      EndRecord();
      ++line_;
      return;
    }
    reasons_.push_back("carriage return without a line feed");
  }
  if (!record_started_) {
    record_started_ = true;
    record_line_ = line_;
  }
  if (in_quotes_) {
    if (after_quote_) {
      after_quote_ = false;
      if (c == '"') {
        Append('"');
        return;
      }
      in_quotes_ = false;  // that quote closed the field; c is read as outside
    } else {
      if (c == '"') {
        after_quote_ = true;
      } else {
        if (c == '\n') ++line_;
        Append(c);
      }
      return;
    }
  }
  switch (c) {
    case ',':
      EndField();
      return;
    case '\n':
      EndField();
      EndRecord();
      ++line_;
      return;
    case '\r':
      pending_cr_ = true;
      return;
    case '"':
      if (field_.empty() && !field_was_quoted_) {
        in_quotes_ = true;
        field_was_quoted_ = true;
      } else {
        reasons_.push_back("field " + std::to_string(field_count_ + 1) + ": a quote inside an unquoted field");
        Append(c);
      }
      return;
    default:
      if (field_was_quoted_) {
        reasons_.push_back("field " + std::to_string(field_count_ + 1) + ": text after the closing quote");
        field_was_quoted_ = false;  // report once per field
      }
      Append(c);
  }
}

void ImportCsvParser::EndField() {
  if (fields_.size() < kKeptFields) fields_.push_back(std::move(field_));
  ++field_count_;
  field_.clear();
  field_was_quoted_ = false;
  field_too_long_ = false;
}

void ImportCsvParser::EndRecord() {
  if (!header_bad_) Validate();
  fields_.clear();
  reasons_.clear();
  field_count_ = 0;
  record_started_ = false;
}

void ImportCsvParser::Validate() {
  const std::int64_t line = record_line_;
  if (!header_done_) {
    header_done_ = true;
    std::string got;
    for (std::size_t i = 0; i < fields_.size(); ++i) got += (i ? "," : "") + fields_[i];
    if (!reasons_.empty() || field_count_ != kColumns || got != kImportCsvHeader) {
      header_bad_ = true;
      problems_.push_back({line, "the header must be " + std::string(kImportCsvHeader) + ", got " + Quote(got)});
    }
    return;
  }
  std::vector<std::string> reasons = std::move(reasons_);
  reasons_.clear();
  if (field_count_ == 1 && fields_[0].empty() && reasons.empty()) {
    problems_.push_back({line, "empty line"});
    return;
  }
  if (!reasons.empty() || field_count_ != kColumns) {
    if (field_count_ != kColumns) {
      reasons.push_back("expected " + std::to_string(kColumns) + " fields, got " + std::to_string(field_count_));
    }
    std::string message;
    for (const auto& r : reasons) message += (message.empty() ? "" : "; ") + r;
    problems_.push_back({line, Sanitize(message)});
    return;
  }

  ImportRow row;
  row.line = line;
  const auto kind = KindFromName(fields_[0]);
  if (kind) {
    row.kind = *kind;
  } else {
    reasons.push_back("unknown kind " + Quote(fields_[0]) + " (expected charge, refund or topup)");
  }
  CheckId("merchant_id", fields_[1], kMaxMerchantIdLength, true, reasons);
  CheckId("merchant_txn_id", fields_[2], kMaxTxnIdLength, true, reasons);
  CheckId("amazon_txn_id", fields_[3], kMaxTxnIdLength, false, reasons);
  CheckId("parent_merchant_txn_id", fields_[4], kMaxTxnIdLength, false, reasons);
  if (kind == Kind::kRefund && fields_[4].empty()) {
    reasons.push_back("a refund needs its parent_merchant_txn_id");
  } else if (kind && kind != Kind::kRefund && !fields_[4].empty()) {
    reasons.push_back("parent_merchant_txn_id is only for refunds");
  }
  const auto amount = ParseAmount(fields_[5]);
  if (!amount) {
    reasons.push_back(amount.error());
  } else if (*amount == 0) {
    reasons.push_back("invalid amount " + Quote(fields_[5]) + ": must be at least 0.01");
  } else {
    row.amount = *amount;
  }
  if (!IsCurrency(fields_[6])) {
    reasons.push_back("invalid currency " + Quote(fields_[6]) + ": expected three upper-case letters");
  }
  const auto status = StatusFromName(fields_[7]);
  if (!status) {
    reasons.push_back("unknown status " + Quote(fields_[7]));
  } else if (kind && !StatusBelongsTo(*kind, *status)) {
    reasons.push_back("status " + Quote(fields_[7]) + " is not a " + std::string(KindName(*kind)) + " status");
  } else {
    row.status = *status;
  }
  if (auto why = CreatedAtProblem(fields_[8], now_)) {
    reasons.push_back("created_at: " + *why);
  } else {
    row.created_at = *ParseIso8601(fields_[8]);
  }
  if (kind && !fields_[1].empty() && !fields_[2].empty()) {
    std::string key = fields_[1];
    key += '\0';
    key += KindName(*kind);
    key += '\0';
    key += fields_[2];
    const auto [it, inserted] = seen_.try_emplace(std::move(key), line);
    if (!inserted) {
      reasons.push_back("duplicate of line " + std::to_string(it->second) +
                        " (same merchant_id, kind and merchant_txn_id)");
    }
  }
  if (!reasons.empty()) {
    std::string message;
    for (const auto& r : reasons) message += (message.empty() ? "" : "; ") + r;
    problems_.push_back({line, Sanitize(message)});
    return;
  }
  row.merchant_id = std::move(fields_[1]);
  row.merchant_txn_id = std::move(fields_[2]);
  row.amazon_txn_id = std::move(fields_[3]);
  row.parent_merchant_txn_id = std::move(fields_[4]);
  row.currency = std::move(fields_[6]);
  ++rows_;
  sink_(row);
}

ImportCsvResult ImportCsvParse(std::string_view text, Instant now) {
  ImportCsvResult result;
  ImportCsvParser parser([&](const ImportRow& row) { result.rows.push_back(row); }, now);
  parser.Feed(text);
  parser.Finish();
  result.problems = parser.problems();
  return result;
}

}  // namespace payrecon::core
