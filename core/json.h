#pragma once
// A strict JSON reader that keeps what signatures depend on: number tokens' original text and object member order. Used
// to verify response signatures (docs/amazon-pay-protocol.md §2) and to read gateway bodies without floating point.
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/expected.h"

namespace payrecon::core {

class JsonValue {
 public:
  enum class Type { kNull, kBool, kNumber, kString, kArray, kObject };
  using Member = std::pair<std::string, JsonValue>;

  JsonValue() = default;  // null
  static JsonValue Null() { return {}; }
  static JsonValue Bool(bool b);
  static JsonValue Number(std::string token);  // the token's text, e.g. "0.01", "-1e3"
  static JsonValue String(std::string s);
  static JsonValue Array(std::vector<JsonValue> items = {});
  static JsonValue Object(std::vector<Member> members = {});

  Type type() const { return type_; }
  bool is_null() const { return type_ == Type::kNull; }
  bool is_object() const { return type_ == Type::kObject; }
  bool as_bool() const { return bool_; }
  // The string's decoded value, or the number's token text.
  const std::string& text() const { return text_; }
  const std::vector<JsonValue>& items() const { return items_; }
  const std::vector<Member>& members() const { return members_; }
  // The first member named `key`, or nullptr (also when this is not an object).
  const JsonValue* Find(std::string_view key) const;

  // Appends a member (objects) or an item (arrays).
  JsonValue& Add(std::string key, JsonValue value);
  JsonValue& Push(JsonValue value);

 private:
  Type type_ = Type::kNull;
  bool bool_ = false;
  std::string text_;
  std::vector<JsonValue> items_;
  std::vector<Member> members_;
};

inline constexpr std::size_t kJsonMaxDepth = 64;

// Parses one JSON document (RFC 8259) with nothing but whitespace after it. Errors give the byte offset and
// what was expected. Nesting deeper than kJsonMaxDepth is rejected.
Expected<JsonValue> ParseJson(std::string_view text);

// Compact JSON text; numbers are written as their token text.
std::string SerializeJson(const JsonValue& value);
// Appends s as a quoted, escaped JSON string.
void AppendJsonString(std::string& out, std::string_view s);

}  // namespace payrecon::core
