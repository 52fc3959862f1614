// The sandbox's API endpoints, request checks and response signatures, driven through the gateway client.
#include <boost/test/unit_test.hpp>

#include <regex>

#include "core/time.h"
#include "gateway/response.h"
#include "tests/e2e/sandbox_fixture.h"

using namespace payrecon;
using payrecon::testing::SandboxFixture;
using payrecon::testing::Status;
using core::CheckOutcome;
using gateway::TxnIdType;

namespace {

const char* kRows =
    "MID1,charge,order-1,,,100.00,INR,CapturePending,60000,CaptureApproved,,\n"
    "MID1,charge,order-2,P04-1111111-2222222,,5,INR,CaptureApproved,,,4.50,\n"
    "MID1,refund,refund-1,,order-2,1.25,,Pending,1000,Declined,,\n"
    "MID1,topup,topup-1,,,300,INR,CapturePending,500,Failed,,\n"
    "MID2,charge,order-1,,,7,INR,Failed,,,,\n";

}  // namespace

BOOST_AUTO_TEST_SUITE(sandbox_api)

BOOST_AUTO_TEST_CASE(charge_status_by_merchant_and_amazon_id_settles_with_the_sandbox_clock) {
  SandboxFixture f({kRows, {}, false});
  auto client = f.MakeClient();
  const gateway::Merchant mid1(testing::Mid1());

  const auto first = Status(client, mid1, "order-1");
  BOOST_REQUIRE_MESSAGE(first.outcome == CheckOutcome::kObserved, first.message);
  BOOST_TEST(first.http_status == 200);
  BOOST_TEST(first.observation.status_word == "CapturePending");
  BOOST_TEST(first.observation.merchant_txn_id == "order-1");
  BOOST_TEST(*first.observation.requested_amount == 10000);
  BOOST_TEST(!first.observation.approved_amount.has_value());
  BOOST_TEST(first.observation.currency == "INR");
  BOOST_TEST(std::regex_match(first.observation.amazon_txn_id, std::regex("P04-[0-9]{7}-[0-9]{7}")));
  BOOST_TEST(std::regex_match(first.request_id,
                              std::regex("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")));

  f.AdvanceClock(59000);
  BOOST_TEST(Status(client, mid1, "order-1").observation.status_word == "CapturePending");
  f.AdvanceClock(1000);
  const auto settled =
      Status(client, mid1, first.observation.amazon_txn_id, core::Kind::kCharge, TxnIdType::kAmazonTxnId);
  BOOST_REQUIRE_MESSAGE(settled.outcome == CheckOutcome::kObserved, settled.message);
  BOOST_TEST(settled.observation.status_word == "CaptureApproved");
  BOOST_TEST(*settled.observation.approved_amount == 10000);
  BOOST_TEST((*settled.observation.update_time - *settled.observation.create_time).count() == 60000);
  BOOST_TEST(f.Checks("order-1") == 3);
}

BOOST_AUTO_TEST_CASE(approved_amount_refund_and_topup_come_from_the_scenario) {
  SandboxFixture f({kRows, {}, false});
  auto client = f.MakeClient();
  const gateway::Merchant mid1(testing::Mid1());
  const gateway::Merchant mid2(testing::Mid2());

  const auto charge = Status(client, mid1, "P04-1111111-2222222", core::Kind::kCharge, TxnIdType::kAmazonTxnId);
  BOOST_REQUIRE(charge.outcome == CheckOutcome::kObserved);
  BOOST_TEST(charge.observation.merchant_txn_id == "order-2");
  BOOST_TEST(*charge.observation.requested_amount == 500);
  BOOST_TEST(*charge.observation.approved_amount == 450);

  const auto refund = Status(client, mid1, "refund-1", core::Kind::kRefund);
  BOOST_REQUIRE_MESSAGE(refund.outcome == CheckOutcome::kObserved, refund.message);
  BOOST_TEST(refund.observation.status_word == "Pending");
  BOOST_TEST(*refund.observation.amount == 125);
  BOOST_TEST(std::regex_match(refund.observation.amazon_txn_id, std::regex("P04-1111111-2222222-R[0-9]{7}")));
  f.AdvanceClock(1000);
  const auto declined =
      Status(client, mid1, refund.observation.amazon_txn_id, core::Kind::kRefund, TxnIdType::kAmazonTxnId);
  BOOST_REQUIRE(declined.outcome == CheckOutcome::kObserved);
  BOOST_TEST(declined.observation.status_word == "Declined");

  const auto topup = Status(client, mid1, "topup-1", core::Kind::kTopup);
  BOOST_REQUIRE(topup.outcome == CheckOutcome::kObserved);
  BOOST_TEST(topup.observation.status_word == "Failed");

  // The same merchant txn id under another merchant is another transaction.
  const auto other = Status(client, mid2, "order-1");
  BOOST_REQUIRE(other.outcome == CheckOutcome::kObserved);
  BOOST_TEST(other.observation.status_word == "Failed");
  BOOST_TEST(*other.observation.requested_amount == 700);
}

BOOST_AUTO_TEST_CASE(unknown_ids_are_invalid_charge_or_refund_ids) {
  SandboxFixture f({kRows, {}, false});
  auto client = f.MakeClient();
  const gateway::Merchant mid1(testing::Mid1());
  const auto charge = Status(client, mid1, "no-such-order");
  BOOST_TEST(charge.outcome == CheckOutcome::kNotFound);
  BOOST_TEST(charge.http_status == 400);
  BOOST_TEST(charge.gateway_code == "InvalidChargeId");
  BOOST_TEST(charge.message == "Specified chargeId does not exist.");
  const auto refund =
      Status(client, mid1, "P04-1111111-2222222-R0000000", core::Kind::kRefund, TxnIdType::kAmazonTxnId);
  BOOST_TEST(refund.outcome == CheckOutcome::kNotFound);
  BOOST_TEST(refund.gateway_code == "InvalidRefundId");
}

BOOST_AUTO_TEST_CASE(post_charge_refund_and_topup_follow_their_lifecycles) {
  SandboxFixture f({"", {"--settle-ms", "2000"}, false});
  auto client = f.MakeClient();
  const gateway::Merchant mid1(testing::Mid1());

  gateway::ChargeRequest charge = testing::ChargeOf(10000, "web-1", "ref-1");
  charge.custom_data = "cart 42";
  const auto created = gateway::Charge(client, mid1, charge);
  BOOST_REQUIRE_MESSAGE(created.check.outcome == CheckOutcome::kObserved, created.check.message);
  BOOST_TEST(created.value->observation.status_word == "CapturePending");
  BOOST_TEST(created.value->amazon_pay_url.starts_with("https://127.0.0.1/pay?amazonChargeId=P04-"));

  const auto duplicate = gateway::Charge(client, mid1, charge);
  BOOST_TEST(duplicate.check.outcome == CheckOutcome::kInvalidRequest);
  BOOST_TEST(duplicate.check.gateway_code == "DuplicateChargeId");

  gateway::RefundRequest refund = testing::RefundOf(4000, "rf-1", "web-1");
  const auto early = gateway::Refund(client, mid1, refund);
  BOOST_TEST(early.check.gateway_code == "ChargeNotApproved");

  f.AdvanceClock(2000);
  const auto approved = Status(client, mid1, "web-1");
  BOOST_REQUIRE(approved.outcome == CheckOutcome::kObserved);
  BOOST_TEST(approved.observation.status_word == "CaptureApproved");

  const auto refunded = gateway::Refund(client, mid1, refund);
  BOOST_REQUIRE_MESSAGE(refunded.check.outcome == CheckOutcome::kObserved, refunded.check.message);
  BOOST_TEST(refunded.value->observation.status_word == "Pending");
  BOOST_TEST(*refunded.value->observation.amount == 4000);
  BOOST_TEST(*refunded.value->refunded_fee == 0);

  refund.refund_id = "rf-2";
  refund.amount = 6001;
  const auto excess = gateway::Refund(client, mid1, refund);
  BOOST_TEST(excess.check.outcome == CheckOutcome::kInvalidRequest);
  BOOST_TEST(excess.check.gateway_code == "ExcessRefundAmount");
  refund.amount = 6000;
  refund.charge_id = created.value->observation.amazon_txn_id;
  refund.charge_id_type = TxnIdType::kAmazonTxnId;
  BOOST_TEST(gateway::Refund(client, mid1, refund).check.outcome == CheckOutcome::kObserved);

  f.AdvanceClock(2000);
  const auto refund_status = Status(client, mid1, "rf-1", core::Kind::kRefund);
  BOOST_TEST(refund_status.observation.status_word == "Approved");

  const auto t = gateway::Topup(client, mid1, testing::TopupOf(30000, "topup-9", "ref-9"));
  BOOST_REQUIRE_MESSAGE(t.check.outcome == CheckOutcome::kObserved, t.check.message);
  BOOST_TEST(t.value->observation.status_word == "CapturePending");
  BOOST_TEST(*t.value->observation.requested_amount == 30000);
}

BOOST_AUTO_TEST_CASE(charges_can_be_approved_at_once_and_stale_tokens_are_refused) {
  SandboxFixture f({"", {"--charge-status", "CaptureApproved"}, false});
  auto client = f.MakeClient();
  const gateway::Merchant mid1(testing::Mid1());
  gateway::ChargeRequest charge = testing::ChargeOf(150, "instant-1");
  const auto created = gateway::Charge(client, mid1, charge);
  BOOST_REQUIRE(created.check.outcome == CheckOutcome::kObserved);
  BOOST_TEST(created.value->observation.status_word == "CaptureApproved");
  BOOST_TEST(*created.value->observation.approved_amount == 150);
  BOOST_TEST(created.value->amazon_pay_url.empty());

  charge.charge_id = "instant-2";
  charge.access_token = "stale-token";
  const auto stale = gateway::Charge(client, mid1, charge);
  BOOST_TEST(stale.check.outcome == CheckOutcome::kAuth);
  BOOST_TEST(stale.check.http_status == 403);
  BOOST_TEST(stale.check.gateway_code == "InvalidAccessToken");

  // The lifecycle of new transactions can be changed while running.
  f.ControlPost("/sandbox/lifecycle?charge_status=CapturePending&charge_settle_to=Failed&settle_ms=10");
  charge.charge_id = "later-fails";
  charge.access_token = "Atza|ok";
  BOOST_TEST(gateway::Charge(client, mid1, charge).value->observation.status_word == "CapturePending");
  f.AdvanceClock(10);
  BOOST_TEST(Status(client, mid1, "later-fails").observation.status_word == "Failed");
}

BOOST_AUTO_TEST_CASE(instruments_balance_and_pay_later) {
  SandboxFixture f;
  auto client = f.MakeClient();
  const gateway::Merchant mid2(testing::Mid2());

  const auto balance = gateway::GetBalance(client, mid2, {"Atza|IwEB"});
  BOOST_REQUIRE_MESSAGE(balance.check.outcome == CheckOutcome::kObserved, balance.check.message);
  BOOST_TEST(balance.value->enabled);
  BOOST_TEST(balance.value->total_balance == 726350);
  BOOST_TEST(balance.value->redeemable_balance == 726350);

  const auto eligible = gateway::GetPayLater(client, mid2, {"Atza|IwEB", 10000});
  BOOST_REQUIRE_MESSAGE(eligible.check.outcome == CheckOutcome::kObserved, eligible.check.message);
  BOOST_TEST(eligible.value->enabled);
  BOOST_TEST(eligible.value->available_credit == 50000);
  BOOST_TEST(eligible.value->ineligibility_code_text.empty());
  BOOST_TEST(!eligible.value->key_fact_statement_url.empty());

  const auto too_much = gateway::GetPayLater(client, mid2, {"Atza|IwEB", 50001});
  BOOST_REQUIRE(too_much.check.outcome == CheckOutcome::kObserved);
  BOOST_TEST(!too_much.value->enabled);
  BOOST_TEST(too_much.value->ineligibility_code_text == "APL_INSUFFICIENT_CREDIT");
  BOOST_TEST(too_much.value->ineligibility_reason == "Your Amazon Pay Later credit is not available at this merchant.");

  const auto kyc = gateway::GetPayLater(client, mid2, {"Atza|APL_KYC_EXPIRED", 100});
  BOOST_REQUIRE(kyc.check.outcome == CheckOutcome::kObserved);
  BOOST_TEST(kyc.value->ineligibility_code_text == "APL_KYC_EXPIRED");
  BOOST_TEST(kyc.value->ineligibility_reason == "Your KYC has expired, please update on the Amazon app.");
  BOOST_TEST(kyc.value->available_credit == 0);

  const auto zero = gateway::GetPayLater(client, mid2, {"Atza|IwEB", 0});
  BOOST_TEST(zero.check.outcome == CheckOutcome::kInvalidRequest);
  BOOST_TEST(zero.check.gateway_code == "InvalidArguments");
  BOOST_TEST(zero.check.message == "amount must be greater than or equal to 0.01");
}

BOOST_AUTO_TEST_CASE(wrong_secret_is_authorization_failed_and_counted) {
  SandboxFixture f({kRows, {}, false});
  auto client = f.MakeClient();
  const gateway::Merchant wrong(testing::Mid1("NOT_THE_SECRET"));
  const auto r = Status(client, wrong, "order-1");
  BOOST_TEST(r.outcome == CheckOutcome::kAuth);
  BOOST_TEST(r.http_status == 401);
  BOOST_TEST(r.gateway_code == "AuthorizationFailed");
  BOOST_TEST(r.message == "Specified signature is invalid.");
  const auto stats = f.ControlGet("/sandbox/stats");
  BOOST_TEST(stats.Find("signature_failures")->text() == "1");
  BOOST_TEST(stats.Find("requests")->Find("status")->Find("401 AuthorizationFailed")->text() == "1");
  BOOST_TEST(f.Checks("order-1") == 0);
}

BOOST_AUTO_TEST_CASE(expired_signature_is_authorization_expired) {
  SandboxFixture f({kRows, {"--clock-skew-s", "60"}, false});
  auto options = f.Options();
  options.expires_seconds = 300;
  // Our clock is minutes behind here, so the sandbox's answers look minutes ahead: allow that, it is not the point.
  options.response_max_skew = std::chrono::minutes(10);
  // Signed 300 + 60 + 5 seconds ago: past x-amz-expires and the skew allowance.
  auto client = f.MakeClient(options, [] { return env::WallNow() - std::chrono::seconds(365); });
  const gateway::Merchant mid1(testing::Mid1());
  const auto r = Status(client, mid1, "order-1");
  BOOST_TEST(r.outcome == CheckOutcome::kAuth);
  BOOST_TEST(r.http_status == 401);
  BOOST_TEST(r.gateway_code == "AuthorizationExpired");

  // Within the allowance it is accepted.
  auto fresh = f.MakeClient(options, [] { return env::WallNow() - std::chrono::seconds(330); });
  BOOST_TEST(Status(fresh, mid1, "order-1").outcome == CheckOutcome::kObserved);
}

BOOST_AUTO_TEST_CASE(mismatched_merchant_id_is_refused) {
  SandboxFixture f({kRows, {}, false});
  auto client = f.MakeClient();
  const gateway::Merchant mid1(testing::Mid1());
  const auto r = testing::ClassifyRaw(
      client, mid1,
      {"GET", "/v1/payments/charge", {{"merchantId", "MID2"}, {"txnIdType", "MerchantTxnId"}, {"txnId", "order-1"}}, {}});
  BOOST_TEST(r.outcome == CheckOutcome::kInvalidRequest);
  BOOST_TEST(r.http_status == 400);
  BOOST_TEST(r.gateway_code == "MerchantIdMismatch");
  BOOST_TEST(r.message == "Specified merchant id does not match with x-amz-client-id header value.");
}

BOOST_AUTO_TEST_CASE(bad_arguments_are_invalid_arguments) {
  SandboxFixture f({kRows, {}, false});
  auto client = f.MakeClient();
  const gateway::Merchant mid1(testing::Mid1());
  auto classify = [&](const gateway::Request& request) { return testing::ClassifyRaw(client, mid1, request); };
  const auto type = classify(
      {"GET", "/v1/payments/charge", {{"merchantId", "MID1"}, {"txnIdType", "OrderId"}, {"txnId", "order-1"}}, {}});
  BOOST_TEST(type.gateway_code == "InvalidArguments");
  BOOST_TEST(type.message == "txnIdType must be one of [MerchantTxnId, AmazonTxnId]");
  const auto types = classify({"GET",
                               "/v1/payments/instruments",
                               {{"merchantId", "MID1"}, {"accessToken", "t"}, {"instrumentTypes", "Cash"}},
                               {}});
  BOOST_TEST(types.message == "instrumentTypes must be one of following: [AmazonPayBalance, AmazonPayLater, Card, UPI]");
  const auto refund = classify({"POST", "/v1/payments/refund", {}, {{"merchantId", "MID1"}, {"amount", "1"}}});
  BOOST_TEST(refund.outcome == CheckOutcome::kInvalidRequest);
  BOOST_TEST(refund.message == "currencyCode is required");
}

BOOST_AUTO_TEST_CASE(response_signature_verifies_and_a_spoiled_one_does_not) {
  SandboxFixture f({"MID1,charge,good,,,1,INR,CaptureApproved,,,,\n"
                    "MID1,charge,spoiled,,,1,INR,CaptureApproved,,,,wrong_signature\n"
                    "MID1,charge,unsigned,,,1,INR,CaptureApproved,,,,missing_signature\n",
                    {}, false});
  auto client = f.MakeClient();
  const gateway::Merchant mid1(testing::Mid1());
  const auto good = Status(client, mid1, "good");
  BOOST_TEST(good.outcome == CheckOutcome::kObserved);
  BOOST_TEST(good.response_digest.size() == 64u);
  const auto spoiled = Status(client, mid1, "spoiled");
  BOOST_TEST(spoiled.outcome == CheckOutcome::kBadSignature);
  BOOST_TEST(spoiled.http_status == 200);
  const auto missing = Status(client, mid1, "unsigned");
  BOOST_TEST(missing.outcome == CheckOutcome::kBadSignature);
  // Error answers are signed too: a 400 verifies and is classified by its code.
  BOOST_TEST(Status(client, mid1, "absent").outcome == CheckOutcome::kNotFound);
}

BOOST_AUTO_TEST_CASE(signing_host_is_configurable) {
  SandboxFixture f({kRows, {"--signing-host", "amazonpay.amazon.in"}, false});
  const gateway::Merchant mid1(testing::Mid1());
  auto options = f.Options();
  options.signing_host = "amazonpay.amazon.in";
  auto client = f.MakeClient(options);
  BOOST_TEST(Status(client, mid1, "order-1").outcome == CheckOutcome::kObserved);
  auto default_host = f.MakeClient();  // signs 127.0.0.1
  BOOST_TEST(Status(default_host, mid1, "order-1").gateway_code == "AuthorizationFailed");
}

BOOST_AUTO_TEST_CASE(status_checker_port_over_https) {
  SandboxFixture f({kRows, {}, true});
  gateway::GatewayStatusChecker checker(f.Options(), std::vector<gateway::MerchantCredentials>{testing::Mid1(), testing::Mid2()});
  const auto one = checker.StatusCheck({"MID1", core::Kind::kCharge, "order-2", false});
  BOOST_REQUIRE_MESSAGE(one.outcome == CheckOutcome::kObserved, one.message);
  BOOST_TEST(*one.observation.approved_amount == 450);
  const auto two = checker.StatusCheck({"MID2", core::Kind::kCharge, "order-1", false});
  BOOST_TEST(two.observation.status_word == "Failed");
  BOOST_TEST(checker.client().connections_opened() == 1);
}

BOOST_AUTO_TEST_SUITE_END()
