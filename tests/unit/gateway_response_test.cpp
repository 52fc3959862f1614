// Gateway logic without sockets: the classification table, Retry-After, endpoint and option checks, and reading
// status bodies into observations.
#include <boost/test/unit_test.hpp>

#include <string>

#include "core/json.h"
#include "gateway/calls.h"
#include "gateway/merchants.h"
#include "gateway/options.h"
#include "gateway/response.h"

using namespace payrecon;
using gateway::Exchange;
using gateway::SignatureCheck;
using gateway::Transport;

namespace {

core::Instant At(const char* amz_date) { return core::ParseAmzDate(amz_date).value(); }

Exchange Answer(int status, const std::string& body, SignatureCheck signature) {
  Exchange e;
  e.transport = Transport::kCompleted;
  e.http_status = status;
  e.body = body;
  auto json = core::ParseJson(body);
  if (json.ok()) e.json = std::move(json).value();
  e.signature = signature;
  if (signature == SignatureCheck::kVerified) e.response_digest = std::string(64, 'a');
  e.headers.request_id = "rid";
  return e;
}

const gateway::BodyReader kAccept = [](const core::JsonValue&) { return std::optional<std::string>(); };

// "OUTCOME code message" for one-line assertions.
std::string Row(const core::CheckResult& r) {
  return std::string(core::CheckOutcomeName(r.outcome)) + " " + std::to_string(r.http_status) + " " +
         r.gateway_code + " " + r.message;
}

constexpr char kErr[] = R"({"code":"C","message":"m"})";

}  // namespace

BOOST_AUTO_TEST_SUITE(gateway_response)

BOOST_AUTO_TEST_CASE(classification_table) {
  using S = SignatureCheck;
  struct Case {
    int status;
    const char* body;
    S signature;
    const char* row;
  };
  const Case cases[] = {
      {200, R"({"status":"x"})", S::kVerified, "OBSERVED 200  "},
      {201, R"({"status":"x"})", S::kVerified, "OBSERVED 201  "},
      {200, R"({"status":"x"})", S::kMissing, "BAD_SIGNATURE 200  response signature missing"},
      {200, R"({"status":"x"})", S::kWrong, "BAD_SIGNATURE 200  response signature does not verify"},
      {200, "<html>", S::kMissing, "BAD_SIGNATURE 200  response signature missing"},
      {200, R"({"code":"C","message":"m"})", S::kWrong, "BAD_SIGNATURE 200  response signature does not verify"},
      {400, R"({"code":"InvalidChargeId","message":"m"})", S::kMissing, "NOT_FOUND 400 InvalidChargeId m"},
      {400, R"({"code":"InvalidRefundId","message":"m"})", S::kVerified, "NOT_FOUND 400 InvalidRefundId m"},
      {400, R"({"code":"InvalidChargeId","message":"m"})", S::kWrong,
       "BAD_SIGNATURE 400 InvalidChargeId error response signature does not verify"},
      {400, R"({"code":"InvalidArguments","message":"m"})", S::kMissing, "INVALID_REQUEST 400 InvalidArguments m"},
      {400, "<html>", S::kMissing, "MALFORMED 400  400 response body is not a JSON object"},
      {400, R"({"message":"m"})", S::kMissing, "MALFORMED 400  400 response without a code"},
      {401, kErr, S::kMissing, "AUTH 401 C m"},
      {403, "", S::kMissing, "AUTH 403  http 403"},
      {429, "", S::kMissing, "RATE_LIMITED 429  http 429"},
      {503, kErr, S::kMissing, "RATE_LIMITED 503 C m"},
      {500, kErr, S::kMissing, "HTTP_5XX 500 C m"},
      {502, "bad gateway", S::kMissing, "HTTP_5XX 502  http 502"},
      {504, "", S::kUnreadable, "HTTP_5XX 504  http 504"},
      {408, "", S::kMissing, "TIMEOUT 408  http 408"},
      {404, "", S::kMissing, "INVALID_REQUEST 404  unexpected http status 404"},
      {302, "", S::kMissing, "INVALID_REQUEST 302  unexpected http status 302"},
  };
  for (const Case& c : cases) {
    BOOST_TEST_CONTEXT("status " << c.status << " body " << c.body) {
      BOOST_TEST(Row(gateway::Classify(Answer(c.status, c.body, c.signature), kAccept)) == c.row);
    }
  }
}

BOOST_AUTO_TEST_CASE(unreadable_2xx_body_is_malformed) {
  const auto r = gateway::Classify(Answer(200, "{\"status\":", SignatureCheck::kUnreadable), kAccept);
  BOOST_TEST(Row(r) == "MALFORMED 200  response body is not JSON: ");
}

BOOST_AUTO_TEST_CASE(body_reader_decides_malformed_and_digest_is_kept) {
  const auto r = gateway::Classify(Answer(200, "{}", SignatureCheck::kVerified), [](const core::JsonValue&) {
    return std::optional<std::string>("field 'status' is missing");
  });
  BOOST_TEST(Row(r) == "MALFORMED 200  field 'status' is missing");
  BOOST_TEST(r.response_digest == std::string(64, 'a'));
  BOOST_TEST(r.request_id == "rid");
}

BOOST_AUTO_TEST_CASE(transport_failures) {
  Exchange e;
  e.transport = Transport::kTimeout;
  e.transport_error = "timed out: Timeout";
  e.latency_us = 5;
  auto r = gateway::Classify(e, kAccept);
  BOOST_TEST(Row(r) == "TIMEOUT 0  timed out: Timeout");
  BOOST_TEST(r.latency_us == 5);
  e.transport = Transport::kNetwork;
  e.transport_error = "network failure: Connection refused";
  BOOST_TEST(Row(gateway::Classify(e, kAccept)) == "NETWORK 0  network failure: Connection refused");
  e.transport = Transport::kTruncated;
  e.http_status = 200;
  e.transport_error = "response body truncated after 1 of 2 bytes";
  BOOST_TEST(Row(gateway::Classify(e, kAccept)) == "MALFORMED 200  response body truncated after 1 of 2 bytes");
}

BOOST_AUTO_TEST_CASE(retry_after_forms) {
  const core::Instant now = At("20151021T072800Z");
  BOOST_TEST(*gateway::ParseRetryAfter("120", now) == 120);
  BOOST_TEST(*gateway::ParseRetryAfter(" 0 ", now) == 0);
  // Huge values (unsigned, from any proxy) are capped, never overflow.
  BOOST_TEST(*gateway::ParseRetryAfter("3153600000", now) == gateway::kMaxRetryAfterSeconds);
  BOOST_TEST(*gateway::ParseRetryAfter("99999999999999999999999", now) == gateway::kMaxRetryAfterSeconds);
  BOOST_TEST(*gateway::ParseRetryAfter("Fri, 21 Oct 2095 07:28:45 GMT", now) == gateway::kMaxRetryAfterSeconds);
  BOOST_TEST(*gateway::ParseRetryAfter("Wed, 21 Oct 2015 07:28:45 GMT", now) == 45);
  BOOST_TEST(*gateway::ParseRetryAfter("Wed, 21 Oct 2015 07:00:00 GMT", now) == 0);  // in the past
  BOOST_TEST(!gateway::ParseRetryAfter("", now).has_value());
  BOOST_TEST(!gateway::ParseRetryAfter("-5", now).has_value());
  BOOST_TEST(!gateway::ParseRetryAfter("1.5", now).has_value());
  BOOST_TEST(!gateway::ParseRetryAfter("soon", now).has_value());
  BOOST_TEST(!gateway::ParseRetryAfter("Wed, 21 Foo 2015 07:28:00 GMT", now).has_value());
  BOOST_TEST(!gateway::ParseRetryAfter("Wednesday, 21-Oct-15 07:28:00 GMT", now).has_value());
  BOOST_TEST(!gateway::ParseRetryAfter("99999999999999999999999x", now).has_value());
  const auto r = [&] {
    Exchange e = Answer(503, "", SignatureCheck::kMissing);
    e.headers.retry_after = "Wed, 21 Oct 2015 07:29:00 GMT";
    e.received_at = now;
    return gateway::Classify(e, kAccept);
  }();
  BOOST_TEST(*r.retry_after_seconds == 60);
}

BOOST_AUTO_TEST_CASE(inspect_checks_algorithm_and_date_before_signature) {
  const signing::Signer signer(core::Secret("S"));
  const std::string body = R"({"status":"Approved"})";
  const std::string canonical = signing::CanonicalResponseText(
      "GET", "h/p", "AWS4-HMAC-SHA384", "20200101T000000Z", "r", core::ParseJson(body).value());
  Exchange e = Answer(200, body, SignatureCheck::kMissing);
  e.headers.amz_date = "20200101T000000Z";
  e.headers.request_id = "r";
  e.headers.has_signature = true;
  e.headers.signature = signer.Sign(canonical, "20200101T000000Z");
  gateway::InspectResponse(e, "GET", "h/p", signer);  // no algorithm header: read as AWS4-HMAC-SHA384
  BOOST_TEST((e.signature == SignatureCheck::kVerified));
  BOOST_TEST(e.response_digest == signing::Sha256Hex(canonical));
  e.headers.has_algorithm = true;
  e.headers.algorithm = "AWS4-HMAC-SHA256";
  gateway::InspectResponse(e, "GET", "h/p", signer);
  BOOST_TEST((e.signature == SignatureCheck::kWrong));
  BOOST_TEST(e.response_digest.empty());
  e.headers.algorithm = "AWS4-HMAC-SHA384";
  e.headers.amz_date = "2020";
  gateway::InspectResponse(e, "GET", "h/p", signer);
  BOOST_TEST((e.signature == SignatureCheck::kWrong));
  e.headers.amz_date = "20200101T000000Z";
  gateway::InspectResponse(e, "POST", "h/p", signer);  // the method is part of the text
  BOOST_TEST((e.signature == SignatureCheck::kWrong));
  e.body = "{";
  gateway::InspectResponse(e, "GET", "h/p", signer);
  BOOST_TEST((e.signature == SignatureCheck::kUnreadable));
  BOOST_TEST(!e.json.has_value());
}

// The signature covers x-amz-date, so a verified answer dated far from our clock is an old answer replayed (or a
// server whose clock is off): not trusted, a signature failure with the reason.
BOOST_AUTO_TEST_CASE(verified_answer_dated_beyond_the_skew_is_a_bad_signature) {
  const signing::Signer signer(core::Secret("S"));
  const std::string body = R"({"status":"Approved"})";
  const auto signed_at = [&](const std::string& date) {
    Exchange e = Answer(200, body, SignatureCheck::kMissing);
    e.headers.amz_date = date;
    e.headers.request_id = "r";
    e.headers.has_signature = true;
    e.headers.signature = signer.Sign(
        signing::CanonicalResponseText("GET", "h/p", "AWS4-HMAC-SHA384", date, "r", core::ParseJson(body).value()),
        date);
    e.received_at = core::ParseAmzDate("20260101T001000Z").value();
    gateway::InspectResponse(e, "GET", "h/p", signer);
    BOOST_REQUIRE((e.signature == SignatureCheck::kVerified));
    gateway::CheckResponseDate(e, gateway::kDefaultResponseMaxSkew);
    return e;
  };
  BOOST_TEST((signed_at("20260101T000500Z").signature == SignatureCheck::kVerified));  // 300 s behind: the bound
  BOOST_TEST((signed_at("20260101T001500Z").signature == SignatureCheck::kVerified));  // 300 s ahead
  const Exchange old = signed_at("20260101T000459Z");
  BOOST_TEST((old.signature == SignatureCheck::kStale));
  BOOST_TEST(old.response_digest.empty());
  const auto r = gateway::Classify(old, kAccept);
  BOOST_TEST(core::CheckOutcomeName(r.outcome) == "BAD_SIGNATURE");
  BOOST_TEST(r.message == "response signature verifies but x-amz-date 20260101T000459Z is 301 s behind our clock "
                          "(allowed 300 s): a replayed or mis-dated answer");
  const Exchange future = signed_at("20260101T011000Z");
  BOOST_TEST(gateway::Classify(future, kAccept).message ==
             "response signature verifies but x-amz-date 20260101T011000Z is 3600 s ahead of our clock (allowed 300 s): "
             "a replayed or mis-dated answer");
  // A signed error answer too.
  Exchange err = signed_at("20200101T000000Z");
  err.http_status = 429;
  BOOST_TEST(core::CheckOutcomeName(gateway::Classify(err, kAccept).outcome) == "BAD_SIGNATURE");
}

BOOST_AUTO_TEST_CASE(endpoints) {
  auto e = gateway::ParseEndpoint("https://amazonpay.amazon.in");
  BOOST_TEST(e.https);
  BOOST_TEST(e.host == "amazonpay.amazon.in");
  BOOST_TEST(e.port == 443);
  e = gateway::ParseEndpoint("HTTP://127.0.0.1:8080/");
  BOOST_TEST(!e.https);
  BOOST_TEST(e.host == "127.0.0.1");
  BOOST_TEST(e.port == 8080);
  e = gateway::ParseEndpoint("https://[::1]:9443");
  BOOST_TEST(e.host == "::1");
  BOOST_TEST(e.port == 9443);
  for (const char* bad : {"amazonpay.amazon.in", "ftp://x", "https://", "https://h:0", "https://h:70000",
                          "https://h:", "https://h/v1", "https://h?x", "https://u@h", "https://[::1"}) {
    BOOST_CHECK_THROW(gateway::ParseEndpoint(bad), gateway::InvalidOptions);
  }
}

BOOST_AUTO_TEST_CASE(options_are_validated) {
  gateway::GatewayOptions o;
  BOOST_CHECK_NO_THROW(gateway::ValidateOptions(o));
  o.endpoint = "http://127.0.0.1:8080";
  try {
    gateway::ValidateOptions(o);
    BOOST_FAIL("plain http accepted");
  } catch (const gateway::InvalidOptions& e) {
    BOOST_TEST(std::string(e.what()) ==
               "gateway option 'endpoint': 'http://127.0.0.1:8080' is plain http:// and allow_insecure_http is off");
  }
  o.allow_insecure_http = true;
  BOOST_CHECK_NO_THROW(gateway::ValidateOptions(o));
  const auto throws = [](auto edit) {
    gateway::GatewayOptions x;
    edit(x);
    BOOST_CHECK_THROW(gateway::ValidateOptions(x), gateway::InvalidOptions);
  };
  throws([](auto& x) { x.signing_host = "https://h"; });
  throws([](auto& x) { x.connect_timeout = std::chrono::milliseconds(0); });
  throws([](auto& x) { x.read_timeout = std::chrono::milliseconds(-1); });
  throws([](auto& x) { x.expires_seconds = 0; });
  throws([](auto& x) { x.expires_seconds = 3601; });
  throws([](auto& x) { x.user_agent = "pay recon"; });
  throws([](auto& x) { x.user_ip = "1.2.3.4\r\nX: y"; });
  throws([](auto& x) { x.source = ""; });
}

BOOST_AUTO_TEST_CASE(merchants_refuse_duplicates_and_empty_credentials_without_leaking_secrets) {
  try {
    gateway::Merchants m({{"M1", "k", core::Secret("s3cr3t")}, {"M1", "k2", core::Secret("s3cr3t")}});
    BOOST_FAIL("duplicate accepted");
  } catch (const gateway::InvalidOptions& e) {
    BOOST_TEST(std::string(e.what()) == "merchant 'M1': configured twice");
  }
  BOOST_CHECK_THROW(gateway::Merchant({"M1", "", core::Secret("s")}), gateway::InvalidOptions);
  BOOST_CHECK_THROW(gateway::Merchant({"M1", "k", core::Secret("")}), gateway::InvalidOptions);
  BOOST_CHECK_THROW(gateway::Merchant({"", "k", core::Secret("s")}), gateway::InvalidOptions);
  const gateway::Merchants m({{"M1", "k1", core::Secret("a")}, {"M2", "k2", core::Secret("b")}});
  BOOST_TEST(m.size() == 2u);
  BOOST_TEST(m.Find("M2")->access_key_id() == "k2");
  BOOST_TEST(m.Find("M3") == nullptr);
}

BOOST_AUTO_TEST_CASE(observation_from_status_bodies) {
  const auto charge = gateway::ParseObservation(
      core::ParseJson(R"({"chargeId":"c","amazonChargeId":"P04-1","status":"CapturePending","requestedAmount":"1500",)"
                      R"("approvedAmount":null,"currencyCode":"INR","createTime":"2020-01-18T11:11:41.511Z"})")
          .value(),
      core::Kind::kCharge);
  BOOST_REQUIRE(charge.ok());
  BOOST_TEST(charge->merchant_txn_id == "c");
  BOOST_TEST(charge->amazon_txn_id == "P04-1");
  BOOST_TEST(*charge->requested_amount == 150000);
  BOOST_TEST(!charge->approved_amount.has_value());
  BOOST_TEST(!charge->update_time.has_value());
  BOOST_TEST((charge->status == core::Status::kCapturePending));

  const auto refund = gateway::ParseObservation(
      core::ParseJson(R"({"chargeId":"c","refundId":"r","amazonRefundId":"P04-1-R1","status":"Declined","amount":0.5,)"
                      R"("refundedFee":"0.00"})")
          .value(),
      core::Kind::kRefund);
  BOOST_REQUIRE(refund.ok());
  BOOST_TEST(refund->merchant_txn_id == "r");
  BOOST_TEST(refund->amazon_txn_id == "P04-1-R1");
  BOOST_TEST(*refund->amount == 50);

  const auto unknown = gateway::ParseObservation(core::ParseJson(R"({"status":"Weird"})").value(), core::Kind::kTopup);
  BOOST_REQUIRE(unknown.ok());
  BOOST_TEST(unknown->status_word == "Weird");
  BOOST_TEST(!unknown->status.has_value());

  struct Bad {
    const char* body;
    const char* error;
  };
  const Bad bad[] = {
      {R"([])", "response body is not a JSON object"},
      {R"({})", "field 'status' is missing"},
      {R"({"status":null})", "field 'status' is missing"},
      {R"({"status":""})", "field 'status' is empty"},
      {R"({"status":1})", "field 'status' is not a string"},
      {R"({"status":"Approved","amount":true})", "field 'amount' is not an amount"},
      {R"({"status":"Approved","chargeId":5})", "field 'chargeId' is not a string"},
      {R"({"status":"Approved","createTime":"yesterday"})", nullptr},
      {R"({"status":"Approved","amount":-1})", nullptr},
      {R"({"status":"Approved","amount":1e3})", nullptr},
      {R"({"status":"Approved","refundedFee":"1.234"})", nullptr},
      {R"({"status":"Approved","approvedAmount":"99999999999999999999"})", nullptr},
  };
  for (const Bad& b : bad) {
    BOOST_TEST_CONTEXT(b.body) {
      const auto r = gateway::ParseObservation(core::ParseJson(b.body).value(), core::Kind::kCharge);
      BOOST_REQUIRE(!r.ok());
      if (b.error != nullptr) BOOST_TEST(r.error() == b.error);
    }
  }
}

BOOST_AUTO_TEST_CASE(paths_and_names) {
  for (core::Kind k : core::kAllKinds) BOOST_TEST(gateway::StatusPath(k) == "/v1/payments/charge");
  BOOST_TEST(gateway::TxnIdTypeName(gateway::TxnIdType::kAmazonTxnId) == "AmazonTxnId");
  BOOST_TEST(gateway::TxnIdTypeName(gateway::TxnIdType::kMerchantTxnId) == "MerchantTxnId");
  for (auto code : {gateway::IneligibilityCode::kKycExpired, gateway::IneligibilityCode::kUnavailable,
                    gateway::IneligibilityCode::kUnregisteredAccount,
                    gateway::IneligibilityCode::kStandingInstructionExceeded,
                    gateway::IneligibilityCode::kOneMonthInstallmentUnavailable,
                    gateway::IneligibilityCode::kInsufficientCredit}) {
    BOOST_TEST((gateway::IneligibilityCodeFromName(gateway::IneligibilityCodeName(code)) == code));
  }
  BOOST_TEST(!gateway::IneligibilityCodeFromName("APL_SOMETHING_ELSE").has_value());
}

BOOST_AUTO_TEST_SUITE_END()
