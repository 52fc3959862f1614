// Canonical text: the rules of docs/amazon-pay-protocol.md §1.1, and every canonical request and response Amazon's
// pages print (tests/testdata/seed002_*.txt, see §7), byte for byte.
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "core/json.h"
#include "signing/canonical.h"

using namespace payrecon::core;
using namespace payrecon::signing;

namespace {

std::string ReadTestdata(const std::string& name) {
  std::ifstream in(std::string(PAYRECON_TESTDATA_DIR) + "/" + name, std::ios::binary);
  BOOST_REQUIRE_MESSAGE(in, "cannot open testdata " << name);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<std::string> Lines(const std::string& s) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : s) {
    if (c == '\n') {
      out.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  out.push_back(cur);
  return out;
}

std::string Decode(const std::string& s) {
  auto decoded = PercentDecode(s);
  BOOST_REQUIRE_MESSAGE(decoded.has_value(), "bad escape in " << s);
  return *decoded;
}

// The raw pairs behind an encoded line, in reverse order so that sorting is exercised.
std::vector<Pair> DecodePairs(const std::string& line) {
  std::vector<Pair> pairs;
  if (line.empty()) return pairs;
  std::stringstream ss(line);
  std::string item;
  while (std::getline(ss, item, '&')) {
    const auto eq = item.find('=');
    pairs.push_back({Decode(item.substr(0, eq)), Decode(item.substr(eq + 1))});
  }
  std::reverse(pairs.begin(), pairs.end());
  return pairs;
}

// Rebuilds a seed request from its raw parameters and compares the canonical text.
void CheckSeedRequest(const std::string& name) {
  const std::string expected = ReadTestdata(name);
  const auto lines = Lines(expected);
  BOOST_REQUIRE(lines.size() == 5u);
  const std::string got = CanonicalText(
      {lines[0], lines[1], DecodePairs(lines[2]), DecodePairs(lines[3]), DecodePairs(lines[4])});
  BOOST_TEST(got == expected);
}

// Verifies a seed response from its JSON body as the gateway sends it.
void CheckSeedResponse(const std::string& name, const std::string& body_json) {
  const std::string expected = ReadTestdata(name);
  const auto lines = Lines(expected);
  BOOST_REQUIRE(lines.size() == 5u);
  const auto body = ParseJson(body_json);
  BOOST_REQUIRE_MESSAGE(body.ok(), (body.ok() ? std::string() : body.error()));
  const std::string got = CanonicalText({lines[0], lines[1], {}, DecodePairs(lines[3]), BodyPairs(*body)});
  BOOST_TEST(got == expected);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(canonical)

BOOST_AUTO_TEST_CASE(percent_encoding) {
  BOOST_TEST(PercentEncode("Atza|IwEB") == "Atza%7CIwEB");
  BOOST_TEST(PercentEncode("http://ar-deepthi.com/x") == "http%3A%2F%2Far-deepthi.com%2Fx");
  BOOST_TEST(PercentEncode("2020-12-14T16:45:49.862Z") == "2020-12-14T16%3A45%3A49.862Z");
  BOOST_TEST(PercentEncode("a b*c~d_e.f-g") == "a%20b%2Ac~d_e.f-g");
  BOOST_TEST(PercentEncode("%2B") == "%252B");
  BOOST_TEST(PercentEncode("\xC3\xA9") == "%C3%A9");
  BOOST_TEST(PercentEncode("{enabled=true, priority=0}") == "%7Benabled%3Dtrue%2C%20priority%3D0%7D");
}

BOOST_AUTO_TEST_CASE(percent_decoding_inverts_encoding_and_refuses_bad_escapes) {
  for (const std::string raw : {"Atza|IwEB", "http://a.example/x?y=1&z", "a b+c*", "%2B", "\xE2\x82\xB9 100", ""}) {
    BOOST_TEST(PercentDecode(PercentEncode(raw)).value_or("<bad>") == raw);
  }
  BOOST_TEST(PercentDecode("%7c%7C+").value_or("<bad>") == "||+");  // either hex case; '+' is not a space
  for (const char* bad : {"%", "%7", "a%G1", "%1x", "x%"}) {
    BOOST_TEST(!PercentDecode(bad).has_value(), bad);
  }
}

BOOST_AUTO_TEST_CASE(pairs_sort_by_raw_key_in_byte_order) {
  BOOST_TEST(CanonicalPairs({{"chargeIdType", "b"}, {"chargeId", "a"}, {"Zeta", "z"}, {"alpha", ""}}) ==
             "Zeta=z&alpha=&chargeId=a&chargeIdType=b");
  BOOST_TEST(CanonicalPairs({}) == "");
}

BOOST_AUTO_TEST_CASE(value_rendering) {
  const auto v = ParseJson(R"({"s":"x y","t":true,"f":false,"n":0.01,"z":null,"o":{"b":1,"a":null,"c":{"d":"e"}},"l":[1,"a",null]})");
  BOOST_REQUIRE(v.ok());
  const auto pairs = BodyPairs(*v);
  const std::vector<Pair> expected = {{"s", "x y"},  {"t", "true"},
                                      {"f", "false"}, {"n", "0.01"},
                                      {"o", "{b=1, a=null, c={d=e}}"}, {"l", "[1, a, null]"}};
  BOOST_REQUIRE(pairs.size() == expected.size());
  for (std::size_t i = 0; i < pairs.size(); ++i) {
    BOOST_TEST(pairs[i].key == expected[i].key);
    BOOST_TEST(pairs[i].value == expected[i].value);
  }
  BOOST_TEST(BodyPairs(JsonValue::Array()).empty());
}

BOOST_AUTO_TEST_CASE(get_ends_with_newline_post_has_empty_query_line) {
  BOOST_TEST(CanonicalText({"GET", "h/p", {{"q", "1"}}, {{"x", "2"}}, {}}) == "GET\nh/p\nq=1\nx=2\n");
  BOOST_TEST(CanonicalText({"POST", "h/p", {}, {{"x", "2"}}, {{"b", "3"}}}) == "POST\nh/p\n\nx=2\nb=3");
}

BOOST_AUTO_TEST_CASE(seed002_balance_request) { CheckSeedRequest("seed002_balance_request.txt"); }
BOOST_AUTO_TEST_CASE(seed002_charge_request) { CheckSeedRequest("seed002_charge_request.txt"); }
BOOST_AUTO_TEST_CASE(seed002_topup_request) { CheckSeedRequest("seed002_topup_request.txt"); }
BOOST_AUTO_TEST_CASE(seed002_status_request) { CheckSeedRequest("seed002_status_request.txt"); }
BOOST_AUTO_TEST_CASE(seed002_refund_request) { CheckSeedRequest("seed002_refund_request.txt"); }

BOOST_AUTO_TEST_CASE(seed002_balance_response) {
  CheckSeedResponse("seed002_balance_response.txt",
                    R"({"amazonPayBalance":{"enabled":true,"priority":0,"totalBalance":"7263.50","redeemableBalance":"7263.50"}})");
}

BOOST_AUTO_TEST_CASE(seed002_status_response) {
  CheckSeedResponse("seed002_status_response.txt", R"({
    "merchantId": "AZ4WQCLDT2DF0", "chargeId": "test12345k121wseddwr", "amazonChargeId": "P04-9627949-2839206",
    "status": "CaptureApproved", "requestedAmount": "1.00", "approvedAmount": "1.00", "currencyCode": "INR",
    "customData": "web-request", "createTime": "2020-12-14T16:45:49.862Z", "updateTime": "2020-12-14T16:47:03.629Z"})");
}

BOOST_AUTO_TEST_CASE(seed002_refund_response) {
  // refundedFee as a JSON number: its token text is signed, never a re-formatted float.
  CheckSeedResponse("seed002_refund_response.txt", R"({
    "refundId": "1M4CVMGAX6", "amazonRefundId": "P04-9627949-2839206-R067668", "refundedFee": 0.00,
    "currencyCode": "INR", "status": "Pending", "createTime": "2020-12-20T18:10:49.053Z",
    "updateTime": "2020-12-20T18:10:49.053Z", "amount": null})");
}

BOOST_AUTO_TEST_CASE(seed002_charge_response) {
  const std::string expected = ReadTestdata("seed002_charge_response.txt");
  const auto lines = Lines(expected);
  BOOST_REQUIRE(lines.size() == 5u);
  JsonValue body = JsonValue::Object();
  for (auto& p : DecodePairs(lines[4])) body.Add(p.key, JsonValue::String(p.value));
  const auto reparsed = ParseJson(SerializeJson(body));
  BOOST_REQUIRE(reparsed.ok());
  BOOST_TEST(CanonicalText({lines[0], lines[1], {}, DecodePairs(lines[3]), BodyPairs(*reparsed)}) == expected);
}

BOOST_AUTO_TEST_SUITE_END()
