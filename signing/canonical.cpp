#include "signing/canonical.h"

#include <algorithm>

namespace payrecon::signing {

using core::JsonValue;

namespace {

// For each byte: 0 when it stays as is (A-Z a-z 0-9 - _ . ~), 1 when it becomes %XX.
struct EncodeTable {
  bool encode[256];
  constexpr EncodeTable() : encode() {
    for (int c = 0; c < 256; ++c) {
      const bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                              c == '-' || c == '_' || c == '.' || c == '~';
      encode[c] = !unreserved;
    }
  }
};
constexpr EncodeTable kEncode;

}  // namespace

void AppendPercentEncoded(std::string& out, std::string_view raw) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::size_t run = 0;  // bytes copied as they are, appended in one go
  for (std::size_t i = 0; i < raw.size(); ++i) {
    const auto c = static_cast<unsigned char>(raw[i]);
    if (!kEncode.encode[c]) continue;
    out.append(raw.data() + run, i - run);
    const char escaped[3] = {'%', kHex[c >> 4], kHex[c & 0x0F]};
    out.append(escaped, 3);
    run = i + 1;
  }
  out.append(raw.data() + run, raw.size() - run);
}

std::string PercentEncode(std::string_view raw) {
  std::string out;
  out.reserve(raw.size() + raw.size() / 4);
  AppendPercentEncoded(out, raw);
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

namespace {

// Sorts `items` (pointers) by key in byte order, keeping equal keys in their order: an insertion sort, since a
// request or response has a handful of pairs and this allocates nothing.
template <class T, class Key>
void StableSortByKey(T** items, std::size_t n, Key key) {
  for (std::size_t i = 1; i < n; ++i) {
    T* item = items[i];
    std::size_t j = i;
    while (j > 0 && key(*item) < key(*items[j - 1])) {
      items[j] = items[j - 1];
      --j;
    }
    items[j] = item;
  }
}

// Up to this many pairs are sorted in place on the stack; more (never in this protocol) in a vector.
constexpr std::size_t kStackPairs = 32;

// Room for `n` pointers to T: on the stack up to kStackPairs, else on the heap.
template <class T>
class PointerBuffer {
 public:
  explicit PointerBuffer(std::size_t n) {
    if (n > kStackPairs) {
      heap_.resize(n);
      data_ = heap_.data();
    }
  }
  PointerBuffer(const PointerBuffer&) = delete;
  PointerBuffer& operator=(const PointerBuffer&) = delete;
  const T** data() { return data_; }

 private:
  const T* stack_[kStackPairs];
  std::vector<const T*> heap_;
  const T** data_ = stack_;
};

}  // namespace

void AppendCanonicalPairs(std::string& out, const std::vector<Pair>& pairs) {
  PointerBuffer<Pair> buffer(pairs.size());
  const Pair** sorted = buffer.data();
  for (std::size_t i = 0; i < pairs.size(); ++i) sorted[i] = &pairs[i];
  StableSortByKey(sorted, pairs.size(), [](const Pair& p) -> std::string_view { return p.key; });
  for (std::size_t i = 0; i < pairs.size(); ++i) {
    if (i > 0) out += '&';
    AppendPercentEncoded(out, sorted[i]->key);
    out += '=';
    AppendPercentEncoded(out, sorted[i]->value);
  }
}

std::string CanonicalPairs(std::vector<Pair> pairs) {
  std::string out;
  AppendCanonicalPairs(out, pairs);
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

void AppendCanonicalBody(std::string& out, const JsonValue& body) {
  if (!body.is_object()) return;
  using Member = std::pair<std::string, JsonValue>;
  const auto& members = body.members();
  PointerBuffer<Member> buffer(members.size());
  const Member** sorted = buffer.data();
  std::size_t n = 0;
  for (const Member& m : members) {
    if (!m.second.is_null()) sorted[n++] = &m;
  }
  StableSortByKey(sorted, n, [](const Member& m) -> std::string_view { return m.first; });
  std::string scratch;
  for (std::size_t i = 0; i < n; ++i) {
    if (i > 0) out += '&';
    AppendPercentEncoded(out, sorted[i]->first);
    out += '=';
    const JsonValue& v = sorted[i]->second;
    if (v.type() == JsonValue::Type::kString || v.type() == JsonValue::Type::kNumber) {
      AppendPercentEncoded(out, v.text());  // rendered as its text: no copy needed
    } else {
      scratch.clear();
      AppendValue(scratch, v);
      AppendPercentEncoded(out, scratch);
    }
  }
}

void AppendCanonicalText(std::string& out, const CanonicalParts& parts) {
  out += parts.method;
  out += '\n';
  out += parts.host_path;
  out += '\n';
  AppendCanonicalPairs(out, parts.query);
  out += '\n';
  AppendCanonicalPairs(out, parts.headers);
  out += '\n';
  AppendCanonicalPairs(out, parts.body);
}

std::string CanonicalText(CanonicalParts parts) {
  std::string out;
  out.reserve(512);
  AppendCanonicalText(out, parts);
  return out;
}

}  // namespace payrecon::signing
