#include "tests/support/csv_reader.h"

namespace payrecon::testing {

core::Expected<bool> CsvReader::Next(std::vector<std::string>& fields) {
  fields.clear();
  if (pos_ >= text_.size()) return false;
  record_line_ = current_line_;
  const auto fail = [&](std::string_view why) {
    return core::Error{"line " + std::to_string(current_line_) + ": " + std::string(why)};
  };
  std::string field;
  for (;;) {
    // At the start of a field.
    if (pos_ < text_.size() && text_[pos_] == '"') {
      ++pos_;
      for (;;) {
        if (pos_ >= text_.size()) return fail("unterminated quoted field");
        const char c = text_[pos_++];
        if (c == '"') {
          if (pos_ < text_.size() && text_[pos_] == '"') {
            field += '"';
            ++pos_;
            continue;
          }
          break;
        }
        if (c == '\n') ++current_line_;
        field += c;
      }
      if (pos_ < text_.size() && text_[pos_] != ',' && text_[pos_] != '\r' && text_[pos_] != '\n') {
        return fail("unexpected character after closing quote");
      }
    } else {
      while (pos_ < text_.size() && text_[pos_] != ',' && text_[pos_] != '\r' && text_[pos_] != '\n') {
        if (text_[pos_] == '"') return fail("quote inside an unquoted field");
        field += text_[pos_++];
      }
    }
    fields.push_back(std::move(field));
    field.clear();
    if (pos_ >= text_.size()) return true;  // the last record may lack a line end
    const char c = text_[pos_++];
    if (c == ',') continue;
    if (c == '\r') {
      if (pos_ >= text_.size() || text_[pos_] != '\n') return fail("carriage return without line feed");
      ++pos_;
    }
    ++current_line_;
    return true;
  }
}

}  // namespace payrecon::testing
