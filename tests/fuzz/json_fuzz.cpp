// libFuzzer target for core::ParseJson, the reader of every gateway body and of the sandbox's requests.
// Properties: a parsed document is within the depth limit, its number tokens are JSON numbers, and it serializes
// to text that parses back to the same document; any bytes written with AppendJsonString read back unchanged.
// The JSON log line (jobs::FormatLogLine) of any message, run id and text field is one line of well-formed UTF-8
// that parses as an object, and holds the message and the field unchanged when they are well-formed UTF-8.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "core/json.h"
#include "core/time.h"
#include "jobs/log.h"

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

// Well-formed UTF-8 (RFC 3629: shortest forms only, no surrogates, nothing above U+10FFFF), written from the RFC's
// table rather than shared with the code under test.
bool IsUtf8(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    const auto b = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
    const unsigned char c = b(i);
    std::size_t n = 0;
    unsigned char lo = 0x80, hi = 0xBF;
    if (c < 0x80) {
      ++i;
      continue;
    } else if (c >= 0xC2 && c <= 0xDF) {
      n = 1;
    } else if (c >= 0xE0 && c <= 0xEF) {
      n = 2;
      if (c == 0xE0) lo = 0xA0;
      if (c == 0xED) hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      n = 3;
      if (c == 0xF0) lo = 0x90;
      if (c == 0xF4) hi = 0x8F;
    } else {
      return false;
    }
    if (i + n >= s.size()) return false;
    if (b(i + 1) < lo || b(i + 1) > hi) return false;
    for (std::size_t k = 2; k <= n; ++k) {
      if (b(i + k) < 0x80 || b(i + k) > 0xBF) return false;
    }
    i += n + 1;
  }
  return true;
}

// The input split at its first NUL byte (or in the middle): the message, then a run id and a field value.
void CheckLogLine(std::string_view text) {
  std::size_t cut = text.find('\0');
  if (cut == std::string_view::npos) cut = text.size() / 2;
  const std::string_view message = text.substr(0, cut);
  const std::string_view rest = text.substr(std::min(cut + 1, text.size()));
  const std::string_view run_id = rest.substr(0, rest.size() / 2);
  const std::string field(rest.substr(rest.size() / 2));
  const jobs::LogFields fields{{"file", field}, {"line", std::int64_t{-7}}, {"ok", true}};
  const std::string line = jobs::FormatLogLine(jobs::LogFormat::kJson, core::Instant(core::Millis(1764547200123)),
                                               jobs::LogLevel::kWarn, run_id, message, fields);
  Require(!line.empty() && line.back() == '\n', "a JSON log line without its newline");
  const std::string_view body(line.data(), line.size() - 1);
  for (unsigned char c : body) Require(c >= 0x20, "a control character in a JSON log line");
  Require(IsUtf8(body), "a JSON log line that is not well-formed UTF-8");
  const auto parsed = core::ParseJson(body);
  Require(parsed.ok() && parsed->type() == core::JsonValue::Type::kObject, "a JSON log line that does not parse");
  const core::JsonValue* msg = parsed->Find("msg");
  Require(msg != nullptr && msg->type() == core::JsonValue::Type::kString, "a JSON log line without msg");
  if (IsUtf8(message)) Require(msg->text() == message, "a well-formed message changed in the JSON log");
  const core::JsonValue* file = parsed->Find("file");
  Require(file != nullptr && file->type() == core::JsonValue::Type::kString, "a JSON log line without its field");
  if (IsUtf8(field)) Require(file->text() == field, "a well-formed field value changed in the JSON log");
  const core::JsonValue* id = parsed->Find("run_id");
  Require((id != nullptr) == !run_id.empty(), "run_id present exactly when there is one");
  if (id != nullptr && IsUtf8(run_id)) Require(id->text() == run_id, "a well-formed run id changed in the JSON log");
  const core::JsonValue* n = parsed->Find("line");
  Require(n != nullptr && n->type() == core::JsonValue::Type::kNumber && n->text() == "-7",
          "an integer field is not its JSON number");
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
  CheckLogLine(text);
  return 0;
}
