#include "signing/canonical.h"

#include <algorithm>

namespace payrecon::signing {

using core::JsonValue;

std::string PercentEncode(std::string_view raw) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(raw.size() + raw.size() / 4);
  for (char ch : raw) {
    const auto c = static_cast<unsigned char>(ch);
    const bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                            c == '-' || c == '_' || c == '.' || c == '~';
    if (unreserved) {
      out += ch;
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 0x0F];
    }
  }
  return out;
}

namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

}  // namespace

std::optional<std::string> PercentDecode(std::string_view encoded) {
  std::string out;
  out.reserve(encoded.size());
  for (std::size_t i = 0; i < encoded.size(); ++i) {
    if (encoded[i] != '%') {
      out += encoded[i];
      continue;
    }
    if (i + 2 >= encoded.size()) return std::nullopt;
    const int hi = HexValue(encoded[i + 1]);
    const int lo = HexValue(encoded[i + 2]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out += static_cast<char>(hi * 16 + lo);
    i += 2;
  }
  return out;
}

std::string CanonicalPairs(std::vector<Pair> pairs) {
  std::stable_sort(pairs.begin(), pairs.end(), [](const Pair& a, const Pair& b) { return a.key < b.key; });
  std::string out;
  for (const Pair& p : pairs) {
    if (!out.empty()) out += '&';
    out += PercentEncode(p.key);
    out += '=';
    out += PercentEncode(p.value);
  }
  return out;
}

namespace {

void AppendValue(std::string& out, const JsonValue& v) {
  switch (v.type()) {
    case JsonValue::Type::kNull: out += "null"; break;
    case JsonValue::Type::kBool: out += v.as_bool() ? "true" : "false"; break;
    case JsonValue::Type::kNumber:
    case JsonValue::Type::kString: out += v.text(); break;
    case JsonValue::Type::kArray: {
      out += '[';
      bool first = true;
      for (const auto& item : v.items()) {
        if (!first) out += ", ";
        first = false;
        AppendValue(out, item);
      }
      out += ']';
      break;
    }
    case JsonValue::Type::kObject: {
      out += '{';
      bool first = true;
      for (const auto& [k, m] : v.members()) {
        if (!first) out += ", ";
        first = false;
        out += k;
        out += '=';
        AppendValue(out, m);
      }
      out += '}';
      break;
    }
  }
}

}  // namespace

std::string CanonicalValue(const JsonValue& value) {
  std::string out;
  AppendValue(out, value);
  return out;
}

std::vector<Pair> BodyPairs(const JsonValue& body) {
  std::vector<Pair> pairs;
  if (!body.is_object()) return pairs;
  pairs.reserve(body.members().size());
  for (const auto& [k, v] : body.members()) {
    if (v.is_null()) continue;
    pairs.push_back({k, CanonicalValue(v)});
  }
  return pairs;
}

std::string CanonicalText(CanonicalParts parts) {
  std::string out;
  out.reserve(512);
  out += parts.method;
  out += '\n';
  out += parts.host_path;
  out += '\n';
  out += CanonicalPairs(std::move(parts.query));
  out += '\n';
  out += CanonicalPairs(std::move(parts.headers));
  out += '\n';
  out += CanonicalPairs(std::move(parts.body));
  return out;
}

}  // namespace payrecon::signing
