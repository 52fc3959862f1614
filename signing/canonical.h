#pragma once
// The canonical text of Amazon Pay India's signing scheme, for requests and responses alike
// (docs/amazon-pay-protocol.md §1.1, §2): percent-encoding, pair sorting, value rendering and the five-line layout.
// Pure standard C++ over core's JSON reader: no keys, no hashing (those are in signing/signer.h).
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/json.h"

namespace payrecon::signing {

using core::JsonValue;

// One key and its raw (not yet encoded) value.
struct Pair {
  std::string key;
  std::string value;
  bool operator==(const Pair&) const = default;
};

// UTF-8 bytes other than A-Z a-z 0-9 - _ . ~ become %XX with uppercase hex; space is %20.
std::string PercentEncode(std::string_view raw);
// The same, appended to `out` (no temporary string).
void AppendPercentEncoded(std::string& out, std::string_view raw);

// The inverse, for text received (a query string): "%XX" with hex digits of either case becomes that byte, every
// other byte ('+' included: the scheme writes space as %20) stays. nullopt when a '%' is not followed by two hex
// digits.
std::optional<std::string> PercentDecode(std::string_view encoded);

// "k1=v1&k2=v2": pairs sorted by raw key in byte order (stable for equal keys), keys and values encoded.
std::string CanonicalPairs(std::vector<Pair> pairs);
// The same, appended to `out`; `pairs` is not reordered (pointers to it are sorted, on the stack).
void AppendCanonicalPairs(std::string& out, const std::vector<Pair>& pairs);

// A JSON value as the signing scheme renders it: strings as is, booleans true/false, numbers as their token
// text, objects as Java's Map.toString ("{k1=v1, k2=v2}", member order kept, nested null as "null"),
// arrays as "[a, b]".
std::string CanonicalValue(const JsonValue& value);

// The top-level members of a JSON object as pairs; null members are omitted. A non-object yields no pairs.
std::vector<Pair> BodyPairs(const JsonValue& body);
// CanonicalPairs(BodyPairs(body)) appended to `out`, without building the pairs.
void AppendCanonicalBody(std::string& out, const JsonValue& body);

// The five lines joined by '\n': METHOD, host+path, query pairs, header pairs, body pairs. With an empty body
// (GET) the text ends in '\n'; with an empty query (POST, and every response) line 3 is empty.
struct CanonicalParts {
  std::string_view method;     // "GET" or "POST"; a response uses its request's method
  std::string_view host_path;  // "amazonpay.amazon.in/v1/payments/charge": no scheme, port or query
  std::vector<Pair> query;
  std::vector<Pair> headers;
  std::vector<Pair> body;
};
std::string CanonicalText(CanonicalParts parts);
// The same, appended to `out`.
void AppendCanonicalText(std::string& out, const CanonicalParts& parts);

}  // namespace payrecon::signing
