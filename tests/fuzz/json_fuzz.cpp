// libFuzzer target for core::ParseJson, the reader of every gateway body and of the sandbox's requests.
// Properties: a parsed document is within the depth limit, its number tokens are JSON numbers, and it serializes
// to text that parses back to the same document; any bytes written with AppendJsonString read back unchanged.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "core/json.h"

using namespace payrecon;

namespace {

void Require(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "json_fuzz: property violated: %s\n", what);
    std::abort();
  }
}

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// RFC 8259 number: -? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?
bool IsJsonNumber(std::string_view s) {
  std::size_t i = 0;
  if (i < s.size() && s[i] == '-') ++i;
  if (i >= s.size()) return false;
  if (s[i] == '0') {
    ++i;
  } else if (s[i] >= '1' && s[i] <= '9') {
    while (i < s.size() && IsDigit(s[i])) ++i;
  } else {
    return false;
  }
  if (i < s.size() && s[i] == '.') {
    ++i;
    if (i >= s.size() || !IsDigit(s[i])) return false;
    while (i < s.size() && IsDigit(s[i])) ++i;
  }
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
    if (i >= s.size() || !IsDigit(s[i])) return false;
    while (i < s.size() && IsDigit(s[i])) ++i;
  }
  return i == s.size();
}

// Depth of nesting (a scalar is 0) and checks every number token on the way.
std::size_t Walk(const core::JsonValue& v) {
  switch (v.type()) {
    case core::JsonValue::Type::kNumber:
      Require(IsJsonNumber(v.text()), "a number token that is not a JSON number");
      return 0;
    case core::JsonValue::Type::kArray: {
      std::size_t deepest = 0;
      for (const auto& item : v.items()) deepest = std::max(deepest, Walk(item));
      return deepest + 1;
    }
    case core::JsonValue::Type::kObject: {
      std::size_t deepest = 0;
      for (const auto& [key, member] : v.members()) {
        deepest = std::max(deepest, Walk(member));
        // Find returns the first member of that name.
        const core::JsonValue* found = v.Find(key);
        Require(found != nullptr, "Find misses a member");
      }
      if (!v.members().empty()) Require(v.Find(v.members().front().first) == &v.members().front().second,
                                        "Find does not return the first member");
      return deepest + 1;
    }
    default:
      return 0;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  if (auto json = core::ParseJson(text); json.ok()) {
    Require(Walk(*json) <= core::kJsonMaxDepth, "nesting beyond the depth limit accepted");
    const std::string once = core::SerializeJson(*json);
    const auto again = core::ParseJson(once);
    Require(again.ok(), "serialized JSON does not parse");
    Require(core::SerializeJson(*again) == once, "serialization is not stable");
  } else {
    Require(!json.error().empty(), "a rejection without a reason");
  }
  std::string quoted;
  core::AppendJsonString(quoted, text);
  const auto back = core::ParseJson(quoted);
  Require(back.ok(), "AppendJsonString wrote an unreadable string");
  Require(back->type() == core::JsonValue::Type::kString && back->text() == text,
          "AppendJsonString does not round-trip");
  return 0;
}
