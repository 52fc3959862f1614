// The test vectors V1-V3 of docs/amazon-pay-protocol.md §7, signing details and response verification.
#include <boost/test/unit_test.hpp>

#include "core/canonical.h"
#include "core/json.h"
#include "gateway/signer.h"

using namespace payrecon;
using gateway::RequestSigningHeaders;
using gateway::Signer;

namespace {

std::string StatusCanonical(const std::string& mid, const std::string& txn, const RequestSigningHeaders& h) {
  return core::CanonicalText({"GET",
                              "amazonpay-sandbox.amazon.in/v1/payments/charge",
                              {{"merchantId", mid}, {"txnId", txn}, {"txnIdType", "MerchantTxnId"}},
                              gateway::SignedHeaderPairs(h),
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
  const std::string sts = gateway::StringToSign(canonical, h.amz_date);
  BOOST_TEST(sts.substr(0, head.size()) == head);
  BOOST_TEST(sts.size() == head.size() + 96);
}

BOOST_AUTO_TEST_CASE(vector_v3_balance_response) {
  const auto body =
      core::ParseJson(R"({"amazonPayBalance":{"enabled":true,"priority":0,"totalBalance":"7263.50","redeemableBalance":"7263.50"}})");
  BOOST_REQUIRE(body.ok());
  const std::string canonical = core::CanonicalText(
      {"GET", "amazonpay.amazon.in/v1/payments/instruments", {},
       gateway::SignedResponseHeaderPairs({"20200831T061018Z", "2ac13167-d424-4407-9c2d-6105d2d858b2"}),
       core::BodyPairs(*body)});
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

BOOST_AUTO_TEST_CASE(authorization_header_and_helpers) {
  BOOST_TEST(gateway::AuthorizationHeader("f57bbc68-fa6a", "sig") == "AMZ f57bbc68-fa6a:sig");
  const unsigned char bytes[] = {0xfb, 0xff, 0x01};
  BOOST_TEST(gateway::Base64UrlNoPad(bytes, 3) == "-_8B");
  BOOST_TEST(gateway::Base64UrlNoPad(bytes, 2) == "-_8");
  BOOST_TEST(gateway::Base64UrlNoPad(bytes, 1) == "-w");
  BOOST_TEST(gateway::Sha384Hex("").substr(0, 16) == "38b060a751ac9638");
  BOOST_TEST(gateway::ConstantTimeEquals("abc", "abc"));
  BOOST_TEST(!gateway::ConstantTimeEquals("abc", "abd"));
  BOOST_TEST(!gateway::ConstantTimeEquals("abc", "ab"));
}

BOOST_AUTO_TEST_SUITE_END()
