// The test vectors V1-V3 of docs/amazon-pay-protocol.md §7, signing details and response verification.
#include <boost/test/unit_test.hpp>

#include "core/json.h"
#include "signing/canonical.h"
#include "signing/signer.h"

using namespace payrecon;
using signing::RequestSigningHeaders;
using signing::Signer;

namespace {

std::string StatusCanonical(const std::string& mid, const std::string& txn, const RequestSigningHeaders& h) {
  return signing::CanonicalText({"GET",
                              "amazonpay-sandbox.amazon.in/v1/payments/charge",
                              {{"merchantId", mid}, {"txnId", txn}, {"txnIdType", "MerchantTxnId"}},
                              signing::SignedHeaderPairs(h),
                              {}});
}

}  // namespace

BOOST_AUTO_TEST_SUITE(signer)

BOOST_AUTO_TEST_CASE(vector_v1_status_request) {
  const RequestSigningHeaders h{"MID", "20260920T010203Z", "900", "Browser", "Vitest", "127.0.0.1"};
  const Signer signer(core::Secret("SECRET"));
  BOOST_TEST(signer.Sign(StatusCanonical("MID", "order_1", h), h.amz_date) ==
             "QA0ePVcNn1hyvsAUQ4GSbn8gkajaVqW_7OPUZVjhCMKV4qKjStncm6Ym80uai9C2");
}

BOOST_AUTO_TEST_CASE(vector_v2_status_request) {
  const RequestSigningHeaders h{"A2XMNOQAN8MC64", "20200906T055702Z", "500", "Browser", "Postman", "52.95.75.13"};
  const Signer signer(core::Secret("TEST_SECRET_DO_NOT_USE"));
  const std::string canonical = StatusCanonical("A2XMNOQAN8MC64", "order001", h);
  BOOST_TEST(signer.Sign(canonical, h.amz_date) ==
             "Ly6Ou-crOpE_LhGw0-jimszf_RlnIImPm1hViMcIUQiC-eLKDBqU4tAPiFf5CCHS");
  const std::string head = "AWS4-HMAC-SHA384\n20200906T055702Z\n20200906/eu-west-1/AmazonPay/aws4_request\n";
  const std::string sts = signing::StringToSign(canonical, h.amz_date);
  BOOST_TEST(sts.substr(0, head.size()) == head);
  BOOST_TEST(sts.size() == head.size() + 96);
}

BOOST_AUTO_TEST_CASE(vector_v3_balance_response) {
  const auto body =
      core::ParseJson(R"({"amazonPayBalance":{"enabled":true,"priority":0,"totalBalance":"7263.50","redeemableBalance":"7263.50"}})");
  BOOST_REQUIRE(body.ok());
  const std::string canonical = signing::CanonicalText(
      {"GET", "amazonpay.amazon.in/v1/payments/instruments", {},
       signing::SignedResponseHeaderPairs({"20200831T061018Z", "2ac13167-d424-4407-9c2d-6105d2d858b2"}),
       signing::BodyPairs(*body)});
  const Signer signer(core::Secret("TEST_SECRET_DO_NOT_USE"));
  const std::string expected = "_nxgifh1L_zO25pgPqr0CRYzQ-A-HU9O9XY_TydG8cpdrMISgO3HHSBhSOEygm8k";
  BOOST_TEST(signer.Sign(canonical, "20200831T061018Z") == expected);
  BOOST_TEST(signer.Verify(canonical, "20200831T061018Z", expected));
  std::string spoiled = expected;
  spoiled[10] = spoiled[10] == 'A' ? 'B' : 'A';
  BOOST_TEST(!signer.Verify(canonical, "20200831T061018Z", spoiled));
  BOOST_TEST(!signer.Verify(canonical, "20200831T061018Z", ""));
  BOOST_TEST(!signer.Verify(canonical + "x", "20200831T061018Z", expected));
}

BOOST_AUTO_TEST_CASE(key_cache_follows_the_day) {
  const Signer signer(core::Secret("S"));
  const std::string a1 = signer.Sign("c", "20260101T000000Z");
  const std::string b = signer.Sign("c", "20260102T000000Z");
  const std::string a2 = signer.Sign("c", "20260101T000000Z");
  BOOST_TEST(a1 == a2);
  BOOST_TEST(a1 != b);
  BOOST_TEST(a1.size() == 64u);
}

BOOST_AUTO_TEST_CASE(canonical_response_text_layout) {
  const auto body = core::ParseJson(R"({"b":0.010,"a":"x y","n":null})");
  BOOST_REQUIRE(body.ok());
  BOOST_TEST(signing::CanonicalResponseText("GET", "h/p", "AWS4-HMAC-SHA384", "20200101T000000Z", "r", *body) ==
             "GET\nh/p\n\nx-amz-algorithm=AWS4-HMAC-SHA384&x-amz-date=20200101T000000Z&x-amz-request-id=r\n"
             "a=x%20y&b=0.010");
}

BOOST_AUTO_TEST_CASE(canonical_response_text_equals_the_response_header_pairs_layout) {
  const auto body = core::ParseJson(R"({"status":"Approved","amount":0.01})");
  BOOST_REQUIRE(body.ok());
  BOOST_TEST(signing::CanonicalResponseText("POST", "h/v1/payments/refund", signing::kAlgorithm, "20200101T000000Z",
                                            "r", *body) ==
             signing::CanonicalText({"POST", "h/v1/payments/refund", {},
                                     signing::SignedResponseHeaderPairs({"20200101T000000Z", "r"}),
                                     signing::BodyPairs(*body)}));
}

BOOST_AUTO_TEST_CASE(signed_header_pairs_follow_the_one_list_of_names) {
  const auto pairs = signing::SignedHeaderPairs({"MID", "20260920T010203Z", "900", "Server", "payrecon", "::1"});
  BOOST_REQUIRE(pairs.size() == signing::kSignedHeaderNames.size());
  for (std::size_t i = 0; i < pairs.size(); ++i) {
    BOOST_TEST(pairs[i].key == signing::kSignedHeaderNames[i]);
    if (i > 0) BOOST_TEST((signing::kSignedHeaderNames[i - 1] < signing::kSignedHeaderNames[i]));  // sorted
  }
  BOOST_TEST(pairs[0].value == "AWS4-HMAC-SHA384");
  BOOST_TEST(pairs[6].value == "::1");
}

BOOST_AUTO_TEST_CASE(authorization_parses_both_separators_and_refuses_the_rest) {
  const auto space = signing::ParseAuthorization("AMZ f57bbc68-fa6a:sig");
  BOOST_REQUIRE(space.has_value());
  BOOST_TEST(space->access_key_id == "f57bbc68-fa6a");
  BOOST_TEST(space->signature == "sig");
  const auto plus = signing::ParseAuthorization("AMZ+f57bbc68-fa6a:s:g");
  BOOST_REQUIRE(plus.has_value());
  BOOST_TEST(plus->access_key_id == "f57bbc68-fa6a");
  BOOST_TEST(plus->signature == "s:g");
  const auto empty_signature = signing::ParseAuthorization("AMZ key:");
  BOOST_REQUIRE(empty_signature.has_value());
  BOOST_TEST(empty_signature->signature.empty());
  for (const char* bad : {"", "AMZ", "AMZ ", "AMZ :sig", "AMZ key", "AMZ-key:sig", "AMZkey:sig", "amz key:sig",
                          "Bearer key:sig"}) {
    BOOST_TEST(!signing::ParseAuthorization(bad).has_value(), "accepted '" << bad << "'");
  }
  const std::string header = signing::AuthorizationHeader("key", "sig");
  BOOST_TEST(signing::ParseAuthorization(header)->access_key_id == "key");
}

BOOST_AUTO_TEST_CASE(authorization_header_and_helpers) {
  BOOST_TEST(signing::AuthorizationHeader("f57bbc68-fa6a", "sig") == "AMZ f57bbc68-fa6a:sig");
  const unsigned char bytes[] = {0xfb, 0xff, 0x01};
  BOOST_TEST(signing::Base64UrlNoPad(bytes, 3) == "-_8B");
  BOOST_TEST(signing::Base64UrlNoPad(bytes, 2) == "-_8");
  BOOST_TEST(signing::Base64UrlNoPad(bytes, 1) == "-w");
  BOOST_TEST(signing::Sha384Hex("").substr(0, 16) == "38b060a751ac9638");
  BOOST_TEST(signing::ConstantTimeEquals("abc", "abc"));
  BOOST_TEST(!signing::ConstantTimeEquals("abc", "abd"));
  BOOST_TEST(!signing::ConstantTimeEquals("abc", "ab"));
}

BOOST_AUTO_TEST_SUITE_END()
