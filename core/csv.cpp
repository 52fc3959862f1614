#include "core/csv.h"

#include <algorithm>

namespace payrecon::core {

std::string CsvQuote(std::string_view field) {
  // One pass over the bytes (find_first_of with a set searches the set once per byte: a visible cost per row).
  const bool plain = std::none_of(field.begin(), field.end(),
                                  [](char c) { return c == ',' || c == '"' || c == '\r' || c == '\n'; });
  if (plain) return std::string(field);
  std::string out;
  out.reserve(field.size() + 2);
  out += '"';
  for (char c : field) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
  return out;
}

bool CsvNeedsNeutralising(std::string_view text) {
  if (text.empty()) return false;
  switch (text.front()) {
    case '=':
    case '+':
    case '-':
    case '@':
    case '\t':
    case '\r':
      return true;
    default:
      return false;
  }
}

std::string CsvNeutralise(std::string_view text) {
  if (!CsvNeedsNeutralising(text)) return std::string(text);
  std::string out = "'";
  out.append(text);
  return out;
}

void CsvRecord::Append(std::string_view cell_text) {
  if (cells_ > 0) line_ += ',';
  line_ += CsvQuote(cell_text);
  ++cells_;
}

CsvRecord& CsvRecord::Text(std::string_view text) {
  Append(CsvNeutralise(text));
  return *this;
}
CsvRecord& CsvRecord::Integer(std::int64_t value) {
  Append(std::to_string(value));
  return *this;
}
CsvRecord& CsvRecord::Integer(std::optional<std::int64_t> value) {
  return value ? Integer(*value) : Empty();
}
CsvRecord& CsvRecord::Amount(Paise paise) {
  Append(FormatAmount(paise));
  return *this;
}
CsvRecord& CsvRecord::Amount(std::optional<Paise> paise) { return paise ? Amount(*paise) : Empty(); }
CsvRecord& CsvRecord::Time(Instant t) {
  Append(FormatIso8601(t));
  return *this;
}
CsvRecord& CsvRecord::Time(std::optional<Instant> t) { return t ? Time(*t) : Empty(); }
CsvRecord& CsvRecord::Empty() {
  Append({});
  return *this;
}

std::string CsvRecord::Line() const {
  std::string out = line_;
  out.append(kCsvLineEnd);
  return out;
}

std::string CsvHeaderLine(const std::vector<std::string_view>& columns) {
  std::string out;
  for (std::size_t i = 0; i < columns.size(); ++i) {
    if (i > 0) out += ',';
    out += CsvQuote(columns[i]);
  }
  out.append(kCsvLineEnd);
  return out;
}

}  // namespace payrecon::core
