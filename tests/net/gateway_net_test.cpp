// The gateway client against local servers started by each test: signed answers, every error class, timeouts,
// resets, truncation, signatures, TLS trust through the configured CA file, and keep-alive reuse.
#include <boost/test/unit_test.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <thread>

#include "core/json.h"
#include "core/time.h"
#include "gateway/calls.h"
#include "gateway/client.h"
#include "gateway/concurrent_checker.h"
#include "gateway/response.h"
#include "gateway/status_checker.h"
#include "tests/net/test_server.h"
#include "tests/support/gateway_requests.h"

using namespace payrecon;
using core::CheckOutcome;
using gateway::Client;
using gateway::GatewayOptions;
using gateway::Merchant;
using testing::RawServer;
using testing::ServerReply;
using testing::ServerRequest;
using testing::SignedServer;

namespace {

constexpr char kSecret[] = "TEST_SECRET_DO_NOT_USE";
constexpr char kMid[] = "AZ4WQCLDT2DF0";
constexpr char kKeyId[] = "f57bbc68-fa6a-4c5e-a281-d39db51a26c6";
constexpr char kSigningHost[] = "amazonpay.amazon.in";

constexpr char kChargeStatusBody[] =
    R"({"merchantId":"AZ4WQCLDT2DF0","chargeId":"test12345k121wseddwr","amazonChargeId":"P04-9627949-2839206",)"
    R"("status":"CaptureApproved","requestedAmount":"1.00","approvedAmount":"1.00","currencyCode":"INR",)"
    R"("customData":"web-request","createTime":"2020-12-14T16:45:49.862Z","updateTime":"2020-12-14T16:47:03.629Z"})";

core::Instant Pinned() { return core::ParseAmzDate("20260920T010203Z").value(); }

GatewayOptions Local(std::uint16_t port) {
  GatewayOptions o;
  o.endpoint = "http://127.0.0.1:" + std::to_string(port);
  o.allow_insecure_http = true;
  o.signing_host = kSigningHost;
  // Generous: a loaded machine (or a sanitizer build) must not turn a slow local answer into a timeout. Tests
  // that want a timeout set their own.
  o.connect_timeout = std::chrono::milliseconds(10000);
  o.read_timeout = std::chrono::milliseconds(30000);
  return o;
}

Merchant TestMerchant() { return Merchant({kMid, kKeyId, core::Secret(kSecret)}); }

ServerReply Json(int status, std::string body, ServerReply::Sign sign = ServerReply::Sign::kValid) {
  ServerReply r;
  r.status = status;
  r.body = std::move(body);
  r.sign = sign;
  return r;
}

ServerReply Error(int status, const std::string& code, const std::string& message) {
  return Json(status, R"({"code":")" + code + R"(","message":")" + message + R"("})", ServerReply::Sign::kNone);
}

core::CheckResult StatusOf(Client& client, core::Kind kind = core::Kind::kCharge,
                           std::string id = "test12345k121wseddwr") {
  const Merchant merchant = TestMerchant();
  return gateway::GetStatus(client, merchant, {kind, std::move(id), gateway::TxnIdType::kMerchantTxnId});
}

// A signed local server answering with `handler` and a client to it on the pinned clock: how most tests here
// start.
struct LocalGateway {
  explicit LocalGateway(testing::Handler handler)
      : server(kSecret, kSigningHost, std::move(handler)), client(Local(server.port()), Pinned) {}
  SignedServer server;
  Client client;
};

// What either client must make of a server that stays silent past a 200 ms read timeout.
void ExpectTimedOutOnce(const core::CheckResult& r, const RawServer& server) {
  BOOST_TEST(core::CheckOutcomeName(r.outcome) == "TIMEOUT");
  BOOST_TEST(r.http_status == 0);
  BOOST_TEST(r.message.rfind("timed out", 0) == 0);
  BOOST_TEST(r.latency_us >= 200000);
  BOOST_TEST(server.connections() == 1);  // a timeout is not retried
}

std::string Testdata(const std::string& name) {
  std::ifstream in(std::string(PAYRECON_TESTDATA_DIR) + "/" + name, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  std::string s = ss.str();
  while (!s.empty() && s.back() == '\n') s.pop_back();
  return s;
}

// A raw server's behaviour: the first request is dropped without an answer (the connection closed), every later
// one gets an unsigned 200 (the client reads it as BAD_SIGNATURE). `seen` counts the requests.
RawServer::OnConnection DropFirstThenAnswer(std::atomic<int>& seen) {
  return [&seen](int fd, const std::string&) {
    if (++seen == 1) return false;  // dropped without an answer
    const std::string body = R"({"status":"CapturePending"})";
    testing::WriteAll(fd, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " +
                              std::to_string(body.size()) + "\r\n\r\n" + body);
    return false;
  };
}

}  // namespace

BOOST_AUTO_TEST_SUITE(gateway_net)

BOOST_AUTO_TEST_CASE(good_signed_status_response_is_observed) {
  SignedServer server(kSecret, kSigningHost, [](const ServerRequest&) {
    ServerReply r = Json(200, kChargeStatusBody);
    r.amz_date = "20201006T081607Z";
    r.request_id = "24db7636-2d3e-401d-b5a3-7791a94d537c";
    return r;
  });
  // The seed's answer is dated 2020: our clock then, or its date is out of bounds.
  Client client(Local(server.port()), [] { return core::ParseAmzDate("20201006T081610Z").value(); });
  const core::CheckResult r = StatusOf(client);
  BOOST_TEST(core::CheckOutcomeName(r.outcome) == "OBSERVED");
  BOOST_TEST(r.http_status == 200);
  BOOST_TEST(r.request_id == "24db7636-2d3e-401d-b5a3-7791a94d537c");
  // The digest is over the canonical response text Amazon's pages print
  // (tests/testdata/seed002_status_response.txt), byte for byte.
  BOOST_TEST(r.response_digest == signing::Sha256Hex(Testdata("seed002_status_response.txt")));
  BOOST_TEST(r.observation.status_word == "CaptureApproved");
  BOOST_TEST((r.observation.status == core::Status::kCaptureApproved));
  BOOST_TEST(r.observation.merchant_txn_id == "test12345k121wseddwr");
  BOOST_TEST(r.observation.amazon_txn_id == "P04-9627949-2839206");
  BOOST_TEST(*r.observation.requested_amount == 100);
  BOOST_TEST(*r.observation.approved_amount == 100);
  BOOST_TEST(!r.observation.amount.has_value());
  BOOST_TEST(r.observation.currency == "INR");
  BOOST_TEST(core::FormatIso8601Millis(*r.observation.update_time) == "2020-12-14T16:47:03.629Z");
  BOOST_TEST(r.latency_us > 0);
}

BOOST_AUTO_TEST_CASE(request_carries_the_signed_headers_of_vector_v1) {
  SignedServer server("SECRET", "amazonpay-sandbox.amazon.in", [](const ServerRequest&) {
    return Json(200, R"({"status":"CapturePending","chargeId":"order_1"})");
  });
  GatewayOptions o = Local(server.port());
  o.signing_host = "amazonpay-sandbox.amazon.in";
  o.source = "Browser";
  o.user_agent = "Vitest";
  o.user_ip = "127.0.0.1";
  o.expires_seconds = 900;
  Client client(o, Pinned);
  const Merchant merchant({"MID", "key-1", core::Secret("SECRET")});
  const auto r = gateway::GetStatus(client, merchant, {core::Kind::kCharge, "order_1", gateway::TxnIdType::kMerchantTxnId});
  BOOST_TEST(core::CheckOutcomeName(r.outcome) == "OBSERVED");
  BOOST_TEST(client.last_sent().canonical ==
             "GET\namazonpay-sandbox.amazon.in/v1/payments/charge\n"
             "merchantId=MID&txnId=order_1&txnIdType=MerchantTxnId\n"
             "x-amz-algorithm=AWS4-HMAC-SHA384&x-amz-client-id=MID&x-amz-date=20260920T010203Z&x-amz-expires=900"
             "&x-amz-source=Browser&x-amz-user-agent=Vitest&x-amz-user-ip=127.0.0.1\n");
  const auto requests = server.requests();
  BOOST_REQUIRE_EQUAL(requests.size(), 1u);
  const auto& h = requests[0].headers;
  BOOST_TEST(requests[0].method == "GET");
  BOOST_TEST(requests[0].uri == "/v1/payments/charge?merchantId=MID&txnId=order_1&txnIdType=MerchantTxnId");
  BOOST_TEST(h.at("authorization") == "AMZ key-1:QA0ePVcNn1hyvsAUQ4GSbn8gkajaVqW_7OPUZVjhCMKV4qKjStncm6Ym80uai9C2");
  BOOST_TEST(h.at("x-amz-algorithm") == "AWS4-HMAC-SHA384");
  BOOST_TEST(h.at("x-amz-client-id") == "MID");
  BOOST_TEST(h.at("x-amz-date") == "20260920T010203Z");
  BOOST_TEST(h.at("x-amz-expires") == "900");
  BOOST_TEST(h.at("x-amz-source") == "Browser");
  BOOST_TEST(h.at("x-amz-user-agent") == "Vitest");
  BOOST_TEST(h.at("x-amz-user-ip") == "127.0.0.1");
  BOOST_TEST(h.count("content-type") == 0u);
}

BOOST_AUTO_TEST_CASE(vector_v3_response_verifies_over_the_wire) {
  // Fixed headers and signature from docs/amazon-pay-protocol.md §7 V3: an independent check of the verification path.
  SignedServer server(kSecret, kSigningHost, [](const ServerRequest&) {
    ServerReply r = Json(200,
                         R"({"amazonPayBalance":{"enabled":true,"priority":0,"totalBalance":"7263.50",)"
                         R"("redeemableBalance":"7263.50"}})",
                         ServerReply::Sign::kNone);
    r.amz_date = "20200831T061018Z";
    r.request_id = "2ac13167-d424-4407-9c2d-6105d2d858b2";
    r.extra_headers = {{"x-amz-signature", "_nxgifh1L_zO25pgPqr0CRYzQ-A-HU9O9XY_TydG8cpdrMISgO3HHSBhSOEygm8k"}};
    return r;
  });
  Client client(Local(server.port()), [] { return core::ParseAmzDate("20200831T061018Z").value(); });
  const Merchant merchant = TestMerchant();
  const auto r = gateway::GetBalance(client, merchant, {"Atza|IwEB"});
  BOOST_TEST(core::CheckOutcomeName(r.check.outcome) == "OBSERVED");
  BOOST_REQUIRE(r.value.has_value());
  BOOST_TEST(r.value->enabled);
  BOOST_TEST(r.value->priority == 0);
  BOOST_TEST(r.value->total_balance == 726350);
  BOOST_TEST(r.value->redeemable_balance == 726350);
  BOOST_TEST(r.check.response_digest == signing::Sha256Hex(Testdata("seed002_balance_response.txt")));
  BOOST_TEST(server.requests().at(0).uri ==
             "/v1/payments/instruments?accessToken=Atza%7CIwEB&instrumentTypes=AmazonPayBalance&merchantId=AZ4WQCLDT2DF0");
}

BOOST_AUTO_TEST_CASE(http_500_is_a_5xx) {
  LocalGateway local([](const ServerRequest&) {
    return Error(500, "InternalServerError", "An internal server error has occurred. Try your request again later");
  });
  const auto r = StatusOf(local.client);
  BOOST_TEST(core::CheckOutcomeName(r.outcome) == "HTTP_5XX");
  BOOST_TEST(r.http_status == 500);
  BOOST_TEST(r.gateway_code == "InternalServerError");
  BOOST_TEST(r.message == "An internal server error has occurred. Try your request again later");
  BOOST_TEST(r.request_id == "11111111-2222-3333-4444-555555555555");
}

BOOST_AUTO_TEST_CASE(http_503_is_rate_limited_with_retry_after_seconds) {
  LocalGateway local([](const ServerRequest&) {
    ServerReply r = Error(503, "ServiceUnavailable", "slow down");
    r.extra_headers = {{"Retry-After", "7"}};
    return r;
  });
  const auto r = StatusOf(local.client);
  BOOST_TEST(core::CheckOutcomeName(r.outcome) == "RATE_LIMITED");
  BOOST_TEST(r.http_status == 503);
  BOOST_REQUIRE(r.retry_after_seconds.has_value());
  BOOST_TEST(*r.retry_after_seconds == 7);
}

BOOST_AUTO_TEST_CASE(http_429_is_rate_limited_with_retry_after_date) {
  LocalGateway local([](const ServerRequest&) {
    ServerReply r = Json(429, "", ServerReply::Sign::kNone);
    r.extra_headers = {{"Retry-After", "Sun, 20 Sep 2026 01:02:33 GMT"}};
    return r;
  });
  const auto r = StatusOf(local.client);
  BOOST_TEST(core::CheckOutcomeName(r.outcome) == "RATE_LIMITED");
  BOOST_TEST(r.http_status == 429);
  BOOST_REQUIRE(r.retry_after_seconds.has_value());
  BOOST_TEST(*r.retry_after_seconds == 30);  // the pinned clock reads 01:02:03
  BOOST_TEST(r.message == "http 429");
}

BOOST_AUTO_TEST_CASE(http_401_authorization_failed_is_auth) {
  LocalGateway local([](const ServerRequest&) {
    return Error(401, "AuthorizationFailed", "Specified signature is invalid.");
  });
  const auto r = StatusOf(local.client);
  BOOST_TEST(core::CheckOutcomeName(r.outcome) == "AUTH");
  BOOST_TEST(r.http_status == 401);
  BOOST_TEST(r.gateway_code == "AuthorizationFailed");
  BOOST_TEST(r.message == "Specified signature is invalid.");
}

BOOST_AUTO_TEST_CASE(http_403_is_auth) {
  LocalGateway local(
      [](const ServerRequest&) { return Error(403, "InvalidAccessToken", "Merchant is not authorized."); });
  BOOST_TEST(core::CheckOutcomeName(StatusOf(local.client).outcome) == "AUTH");
}

BOOST_AUTO_TEST_CASE(http_400_invalid_charge_id_is_not_found) {
  LocalGateway local([](const ServerRequest&) { return Error(400, "InvalidChargeId", "Charge id does not exist"); });
  const auto r = StatusOf(local.client);
  BOOST_TEST(core::CheckOutcomeName(r.outcome) == "NOT_FOUND");
  BOOST_TEST(r.http_status == 400);
  BOOST_TEST(r.gateway_code == "InvalidChargeId");
  BOOST_TEST(r.message == "Charge id does not exist");
}

BOOST_AUTO_TEST_CASE(http_400_invalid_refund_id_is_not_found) {
  LocalGateway local([](const ServerRequest&) { return Error(400, "InvalidRefundId", "Refund id does not exist"); });
  BOOST_TEST(core::CheckOutcomeName(StatusOf(local.client, core::Kind::kRefund, "R1").outcome) == "NOT_FOUND");
}

BOOST_AUTO_TEST_CASE(other_400_is_invalid_request_with_code_and_message) {
  LocalGateway local([](const ServerRequest&) {
    return Error(400, "MerchantIdMismatch", "Specified merchant id does not match with x-amz-client-id header value.");
  });
  const auto r = StatusOf(local.client);
  BOOST_TEST(core::CheckOutcomeName(r.outcome) == "INVALID_REQUEST");
  BOOST_TEST(r.gateway_code == "MerchantIdMismatch");
  BOOST_TEST(r.message == "Specified merchant id does not match with x-amz-client-id header value.");
}

BOOST_AUTO_TEST_CASE(signed_error_response_is_verified_and_a_wrong_one_rejected) {
  SignedServer good(kSecret, kSigningHost, [](const ServerRequest&) {
    return Json(400, R"({"code":"InvalidChargeId","message":"Charge id does not exist"})");
  });
  Client client(Local(good.port()), Pinned);
  const auto r = StatusOf(client);
  BOOST_TEST(core::CheckOutcomeName(r.outcome) == "NOT_FOUND");
  BOOST_TEST(r.response_digest.size() == 64u);

  SignedServer bad(kSecret, kSigningHost, [](const ServerRequest&) {
    return Json(400, R"({"code":"InvalidChargeId","message":"Charge id does not exist"})", ServerReply::Sign::kWrongKey);
  });
  Client client2(Local(bad.port()), Pinned);
  const auto r2 = StatusOf(client2);
  BOOST_TEST(core::CheckOutcomeName(r2.outcome) == "BAD_SIGNATURE");
  BOOST_TEST(r2.message == "error response signature does not verify");
}

BOOST_AUTO_TEST_CASE(read_timeout) {
  RawServer server([&server](int, const std::string&) {
    server.WaitForRelease();  // silent until the test has its answer
    return false;
  });
  GatewayOptions o = Local(server.port());
  o.read_timeout = std::chrono::milliseconds(200);
  Client client(o, Pinned);
  const auto r = StatusOf(client);
  server.Release();
  ExpectTimedOutOnce(r, server);
}

BOOST_AUTO_TEST_CASE(connection_reset_is_network) {
  RawServer server([](int fd, const std::string&) {
    testing::ResetConnection(fd);
    return true;
  });
  Client client(Local(server.port()), Pinned);
  const auto r = StatusOf(client);
  BOOST_TEST(core::CheckOutcomeName(r.outcome) == "NETWORK");
  BOOST_TEST(r.http_status == 0);
  BOOST_TEST(r.message.rfind("network failure", 0) == 0);
  BOOST_TEST(server.connections() == 1);  // a fresh connection is not retried
}

BOOST_AUTO_TEST_CASE(connection_refused_is_network) {
  Client client(Local(testing::UnusedPort()), Pinned);
  const auto r = StatusOf(client);
  BOOST_TEST(core::CheckOutcomeName(r.outcome) == "NETWORK");
  BOOST_TEST(r.message.find("refused") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(truncated_body_is_malformed) {
  RawServer server([](int fd, const std::string&) {
    testing::WriteAll(fd,
                      "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 200\r\n"
                      "x-amz-request-id: r1\r\n\r\n{\"status\":\"Capt");
    return false;  // the server closes after 15 of 200 bytes
  });
  Client client(Local(server.port()), Pinned);
  const auto r = StatusOf(client);
  BOOST_TEST(core::CheckOutcomeName(r.outcome) == "MALFORMED");
  BOOST_TEST(r.http_status == 200);
  BOOST_TEST(r.message == "response body truncated after 15 of 200 bytes");
}

BOOST_AUTO_TEST_CASE(truncated_chunked_body_is_malformed) {
  // Poco ends a cut chunked body as if it were complete; the JSON reader is what refuses it.
  RawServer server([](int fd, const std::string&) {
    testing::WriteAll(fd,
                      "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n"
                      "x-amz-signature: _nxgifh1L_zO25pgPqr0CRYzQ-A-HU9O9XY_TydG8cpdrMISgO3HHSBhSOEygm8k\r\n\r\n"
                      "40\r\n{\"status\":\"Capt");
    return false;
  });
  Client client(Local(server.port()), Pinned);
  const auto r = StatusOf(client);
  BOOST_TEST(core::CheckOutcomeName(r.outcome) == "MALFORMED");
}

BOOST_AUTO_TEST_CASE(malformed_json_is_malformed) {
  SignedServer server(kSecret, kSigningHost, [](const ServerRequest&) {
    ServerReply r = Json(200, R"({"status":"CaptureApproved",)", ServerReply::Sign::kNone);
    r.extra_headers = {{"x-amz-signature", "_nxgifh1L_zO25pgPqr0CRYzQ-A-HU9O9XY_TydG8cpdrMISgO3HHSBhSOEygm8k"}};
    return r;
  });
  Client client(Local(server.port()), [] { return core::ParseAmzDate("20200831T061018Z").value(); });
  const auto r = StatusOf(client);
  BOOST_TEST(core::CheckOutcomeName(r.outcome) == "MALFORMED");
  BOOST_TEST(r.message.rfind("response body is not JSON: invalid JSON at byte", 0) == 0);
}

BOOST_AUTO_TEST_CASE(signed_body_without_status_or_with_bad_amount_is_malformed) {
  LocalGateway local([](const ServerRequest& req) {
    if (req.uri.find("txnId=A") != std::string::npos) return Json(200, R"({"chargeId":"A"})");
    return Json(200, R"({"chargeId":"B","status":"CaptureApproved","approvedAmount":"1.005"})");
  });
  const auto a = StatusOf(local.client, core::Kind::kCharge, "A");
  BOOST_TEST(core::CheckOutcomeName(a.outcome) == "MALFORMED");
  BOOST_TEST(a.message == "field 'status' is missing");
  const auto b = StatusOf(local.client, core::Kind::kCharge, "B");
  BOOST_TEST(core::CheckOutcomeName(b.outcome) == "MALFORMED");
  BOOST_TEST(b.message.rfind("field 'approvedAmount': ", 0) == 0);
  BOOST_TEST(b.response_digest.size() == 64u);  // verified, then refused
}

BOOST_AUTO_TEST_CASE(verified_answer_about_another_transaction_is_malformed) {
  LocalGateway local([](const ServerRequest&) { return Json(200, kChargeStatusBody); });
  const auto r = StatusOf(local.client, core::Kind::kCharge, "order_9");
  BOOST_TEST(core::CheckOutcomeName(r.outcome) == "MALFORMED");
  BOOST_TEST(r.message == "response is about 'test12345k121wseddwr', not the requested 'order_9'");
  const Merchant merchant = TestMerchant();
  const auto by_amazon =
      gateway::GetStatus(local.client, merchant, {core::Kind::kCharge, "P04-9627949-2839206", gateway::TxnIdType::kAmazonTxnId});
  BOOST_TEST(core::CheckOutcomeName(by_amazon.outcome) == "OBSERVED");
  const auto other_amazon =
      gateway::GetStatus(local.client, merchant, {core::Kind::kCharge, "P04-0000000-0000000", gateway::TxnIdType::kAmazonTxnId});
  BOOST_TEST(core::CheckOutcomeName(other_amazon.outcome) == "MALFORMED");
}

BOOST_AUTO_TEST_CASE(verified_answer_that_names_no_transaction_or_another_merchant_is_malformed) {
  LocalGateway local([](const ServerRequest& req) {
    if (req.uri.find("txnId=A") != std::string::npos) {
      return Json(200, R"({"status":"CaptureApproved","requestedAmount":"1.00","currencyCode":"INR"})");
    }
    return Json(200, R"({"merchantId":"OTHER","chargeId":"B","status":"CaptureApproved","currencyCode":"INR"})");
  });
  const auto a = StatusOf(local.client, core::Kind::kCharge, "A");
  BOOST_TEST(core::CheckOutcomeName(a.outcome) == "MALFORMED");
  BOOST_TEST(a.message == "response does not name the transaction (no chargeId/refundId)");
  const auto b = StatusOf(local.client, core::Kind::kCharge, "B");
  BOOST_TEST(core::CheckOutcomeName(b.outcome) == "MALFORMED");
  BOOST_TEST(b.message == "response is for merchant 'OTHER', not '" + std::string(kMid) + "'");
}

BOOST_AUTO_TEST_CASE(wrong_signature_is_bad_signature) {
  LocalGateway local([](const ServerRequest&) { return Json(200, kChargeStatusBody, ServerReply::Sign::kWrongKey); });
  const auto r = StatusOf(local.client);
  BOOST_TEST(core::CheckOutcomeName(r.outcome) == "BAD_SIGNATURE");
  BOOST_TEST(r.message == "response signature does not verify");
  BOOST_TEST(r.observation.status_word.empty());
  BOOST_TEST(r.response_digest.empty());
}

BOOST_AUTO_TEST_CASE(missing_signature_is_bad_signature) {
  LocalGateway local([](const ServerRequest&) { return Json(200, kChargeStatusBody, ServerReply::Sign::kNone); });
  const auto r = StatusOf(local.client);
  BOOST_TEST(core::CheckOutcomeName(r.outcome) == "BAD_SIGNATURE");
  BOOST_TEST(r.message == "response signature missing");
}

BOOST_AUTO_TEST_CASE(signature_for_another_host_is_bad_signature) {
  // The server signs for the sandbox host while the client signs and verifies for production.
  SignedServer server(kSecret, "amazonpay-sandbox.amazon.in",
                      [](const ServerRequest&) { return Json(200, kChargeStatusBody); });
  Client client(Local(server.port()), Pinned);
  BOOST_TEST(core::CheckOutcomeName(StatusOf(client).outcome) == "BAD_SIGNATURE");
}

BOOST_AUTO_TEST_CASE(keep_alive_connection_is_reused) {
  LocalGateway local([](const ServerRequest&) { return Json(200, kChargeStatusBody); });
  for (int i = 0; i < 5; ++i) BOOST_TEST(core::CheckOutcomeName(StatusOf(local.client).outcome) == "OBSERVED");
  BOOST_TEST(local.server.requests().size() == 5u);
  BOOST_TEST(local.server.connections() == 1);
  BOOST_TEST(local.client.connections_opened() == 1);
}

// The runner connects before the rate limiter admits a call, so the request leaves at admission.
BOOST_AUTO_TEST_CASE(a_prepared_connection_carries_the_next_call) {
  LocalGateway local([](const ServerRequest&) { return Json(200, kChargeStatusBody); });
  local.client.PrepareConnection();  // that it connects is shown by a listener's backlog in the test below
  BOOST_TEST(local.client.connections_opened() == 0);  // counted when a request uses it
  BOOST_TEST(core::CheckOutcomeName(StatusOf(local.client).outcome) == "OBSERVED");
  for (int i = 0; i < 3; ++i) {
    local.client.PrepareConnection();  // kept alive: nothing to open
    BOOST_TEST(core::CheckOutcomeName(StatusOf(local.client).outcome) == "OBSERVED");
  }
  BOOST_TEST(local.client.connections_opened() == 1);
  BOOST_TEST(local.server.connections() == 1);
  BOOST_TEST(local.server.requests().size() == 4u);
}

// A loopback listener on a given port that never accepts: whether a client connected shows as a connection
// waiting in its backlog (the kernel completes the handshake without accept).
class BacklogListener {
 public:
  explicit BacklogListener(std::uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    listening_ = fd_ >= 0 && ::bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0 &&
                 ::listen(fd_, 4) == 0;
  }
  ~BacklogListener() {
    if (fd_ >= 0) ::close(fd_);
  }
  bool listening() const { return listening_; }
  // Waits up to `wait_ms` for one (0: only looks).
  bool HasWaitingConnection(int wait_ms = 0) const {
    pollfd p{fd_, POLLIN, 0};
    return ::poll(&p, 1, wait_ms) == 1;
  }

 private:
  int fd_ = -1;
  bool listening_ = false;
};

BOOST_AUTO_TEST_CASE(a_failed_prepare_is_the_next_calls_failure_without_a_second_attempt) {
  const std::uint16_t port = testing::UnusedPort();
  Client client(Local(port), Pinned);
  client.PrepareConnection();  // refused; never throws
  // Something listens there now: a call that tried to connect again would get through.
  const BacklogListener listener(port);
  BOOST_REQUIRE(listener.listening());
  const auto r = StatusOf(client);
  BOOST_TEST(core::CheckOutcomeName(r.outcome) == "NETWORK");
  BOOST_TEST(r.http_status == 0);
  BOOST_TEST(r.message.rfind("network failure", 0) == 0);
  BOOST_TEST(r.message.find("refused") != std::string::npos);
  BOOST_TEST(!listener.HasWaitingConnection());  // the call reported the prepare's failure, without connecting
  // A later prepare tries again, and now connects.
  client.PrepareConnection();
  BOOST_TEST(listener.HasWaitingConnection(30'000));
}

// A connection opened ahead that then waited more than a second for its request may have been dropped meanwhile
// (by the gateway or a proxy), like any kept-alive one: a GET failing on it before any response byte is resent
// once on a new connection.
BOOST_AUTO_TEST_CASE(a_prepared_connection_left_waiting_is_retried_like_a_kept_alive_one) {
  std::atomic<int> seen{0};
  RawServer server(DropFirstThenAnswer(seen));
  auto now = std::chrono::steady_clock::now();
  Client client(Local(server.port()), Pinned, [&now] { return now; });
  client.PrepareConnection();
  now += std::chrono::milliseconds(1100);  // the connection waited more than a second for its request
  const auto r = StatusOf(client);
  BOOST_TEST(core::CheckOutcomeName(r.outcome) == "BAD_SIGNATURE");  // unsigned, but answered on the resend
  BOOST_TEST(server.connections() == 2);
  BOOST_TEST(client.connections_opened() == 2);
}

// A connection opened ahead of its request is fresh, not reused: a failure on it is the call's, not a stale
// connection's, so the GET is not resent.
BOOST_AUTO_TEST_CASE(a_failure_on_a_prepared_connection_is_not_retried) {
  RawServer server([](int fd, const std::string&) {
    testing::ResetConnection(fd);
    return true;
  });
  Client client(Local(server.port()), Pinned);
  client.PrepareConnection();
  const auto r = StatusOf(client);
  BOOST_TEST(core::CheckOutcomeName(r.outcome) == "NETWORK");
  BOOST_TEST(server.connections() == 1);
}

BOOST_AUTO_TEST_CASE(error_answers_keep_the_connection) {
  LocalGateway local([](const ServerRequest& req) {
    if (req.uri.find("txnId=E") != std::string::npos) return Error(500, "InternalServerError", "x");
    return Json(200, kChargeStatusBody);
  });
  BOOST_TEST(core::CheckOutcomeName(StatusOf(local.client, core::Kind::kCharge, "E").outcome) == "HTTP_5XX");
  BOOST_TEST(core::CheckOutcomeName(StatusOf(local.client).outcome) == "OBSERVED");
  BOOST_TEST(core::CheckOutcomeName(StatusOf(local.client, core::Kind::kCharge, "E").outcome) == "HTTP_5XX");
  BOOST_TEST(local.server.connections() == 1);
}

BOOST_AUTO_TEST_CASE(connection_close_makes_the_next_call_reconnect) {
  LocalGateway local([](const ServerRequest&) {
    ServerReply r = Json(200, kChargeStatusBody);
    r.close = true;
    return r;
  });
  BOOST_TEST(core::CheckOutcomeName(StatusOf(local.client).outcome) == "OBSERVED");
  BOOST_TEST(core::CheckOutcomeName(StatusOf(local.client).outcome) == "OBSERVED");
  BOOST_TEST(local.client.connections_opened() == 2);
}

BOOST_AUTO_TEST_CASE(get_on_a_stale_kept_alive_connection_is_retried_once) {
  // The server answers one request per connection without saying Connection: close, then hangs up: the
  // client's second GET meets a dead socket and is resent on a fresh connection.
  const std::string body = R"({"status":"CapturePending"})";
  RawServer server([&](int fd, const std::string&) {
    testing::WriteAll(fd, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " +
                              std::to_string(body.size()) + "\r\n\r\n" + body);
    return false;
  });
  Client client(Local(server.port()), Pinned);
  const auto first = StatusOf(client);
  BOOST_TEST(core::CheckOutcomeName(first.outcome) == "BAD_SIGNATURE");  // unsigned, but an HTTP answer
  const auto second = StatusOf(client);
  BOOST_TEST(core::CheckOutcomeName(second.outcome) == "BAD_SIGNATURE");
  BOOST_TEST(server.connections() == 2);
  BOOST_TEST(client.connections_opened() == 2);
}

BOOST_AUTO_TEST_CASE(status_paths_and_id_types) {
  LocalGateway local([](const ServerRequest& req) {
    if (req.uri.find("txnId=R1") != std::string::npos) {
      return Json(200, R"({"refundId":"R1","amazonRefundId":"P04-1-R1","amount":0.01,"refundedFee":0.00,)"
                       R"("currencyCode":"INR","status":"Approved","createTime":"2020-01-18T11:11:41.511Z"})");
    }
    return Json(200, R"({"chargeId":"T1","amazonChargeId":"TEST-1","status":"SomethingNew"})");
  });
  const Merchant merchant = TestMerchant();
  const auto refund = gateway::GetStatus(local.client, merchant, {core::Kind::kRefund, "R1", gateway::TxnIdType::kMerchantTxnId});
  BOOST_TEST(core::CheckOutcomeName(refund.outcome) == "OBSERVED");
  BOOST_TEST(refund.observation.merchant_txn_id == "R1");
  BOOST_TEST(refund.observation.amazon_txn_id == "P04-1-R1");
  BOOST_TEST(*refund.observation.amount == 1);
  BOOST_TEST((refund.observation.status == core::Status::kApproved));
  const auto topup = gateway::GetStatus(local.client, merchant, {core::Kind::kTopup, "TEST-1", gateway::TxnIdType::kAmazonTxnId});
  BOOST_TEST(core::CheckOutcomeName(topup.outcome) == "OBSERVED");
  BOOST_TEST(topup.observation.status_word == "SomethingNew");
  BOOST_TEST(!topup.observation.status.has_value());
  const auto requests = local.server.requests();
  BOOST_TEST(requests.at(0).uri == "/v1/payments/charge?merchantId=AZ4WQCLDT2DF0&txnId=R1&txnIdType=MerchantTxnId");
  BOOST_TEST(requests.at(1).uri == "/v1/payments/charge?merchantId=AZ4WQCLDT2DF0&txnId=TEST-1&txnIdType=AmazonTxnId");
}

BOOST_AUTO_TEST_CASE(charge_posts_a_json_body_of_strings) {
  SignedServer server(kSecret, kSigningHost, [](const ServerRequest&) {
    return Json(200, R"({"amazonChargeId":"P04-0676664-6073238","amazonPayUrl":"https://amazonpay.amazon.in/auth_sp?x=1",)"
                     R"("chargeId":"K3AJFQODGD","currencyCode":"INR","merchantId":"AZ4WQCLDT2DF0","requestedAmount":"100",)"
                     R"("status":"CapturePending"})");
  });
  GatewayOptions o = Local(server.port());
  o.user_agent = "Postman";
  o.expires_seconds = 300;
  Client client(o, Pinned);
  const Merchant merchant = TestMerchant();
  gateway::ChargeRequest req = testing::ChargeOf(10000, "K3AJFQODGD", "ref_01");
  req.access_token = "Atza|IwEB";
  req.callback_url = "http://ar-deepthi.com/amazonpay/thankyou.php";
  req.note_to_customer = "testingsellerNote";
  const auto r = gateway::Charge(client, merchant, req);
  BOOST_TEST(core::CheckOutcomeName(r.check.outcome) == "OBSERVED");
  BOOST_REQUIRE(r.value.has_value());
  BOOST_TEST(r.value->observation.status_word == "CapturePending");
  BOOST_TEST(r.value->amazon_pay_url == "https://amazonpay.amazon.in/auth_sp?x=1");
  BOOST_TEST(*r.value->observation.requested_amount == 10000);
  BOOST_TEST(client.last_sent().canonical ==
             "POST\namazonpay.amazon.in/v1/payments/charge\n\n"
             "x-amz-algorithm=AWS4-HMAC-SHA384&x-amz-client-id=AZ4WQCLDT2DF0&x-amz-date=20260920T010203Z"
             "&x-amz-expires=300&x-amz-source=Server&x-amz-user-agent=Postman&x-amz-user-ip=127.0.0.1\n"
             "accessToken=Atza%7CIwEB&amount=100.00&attributableProgram=S2SPay"
             "&callbackUrl=http%3A%2F%2Far-deepthi.com%2Famazonpay%2Fthankyou.php&chargeId=K3AJFQODGD"
             "&currencyCode=INR&intent=Capture&merchantId=AZ4WQCLDT2DF0&noteToCustomer=testingsellerNote"
             "&referenceId=ref_01&timeoutInSecs=900");
  const auto sent = server.requests().at(0);
  BOOST_TEST(sent.method == "POST");
  BOOST_TEST(sent.headers.at("content-type") == "application/json");
  BOOST_TEST(sent.body ==
             R"({"intent":"Capture","amount":"100.00","currencyCode":"INR",)"
             R"("callbackUrl":"http://ar-deepthi.com/amazonpay/thankyou.php","accessToken":"Atza|IwEB",)"
             R"("chargeId":"K3AJFQODGD","referenceId":"ref_01","merchantId":"AZ4WQCLDT2DF0",)"
             R"("attributableProgram":"S2SPay","timeoutInSecs":"900","noteToCustomer":"testingsellerNote"})");
}

BOOST_AUTO_TEST_CASE(refund_accepts_number_amounts) {
  LocalGateway local([](const ServerRequest&) {
    return Json(201, R"({"amazonRefundId":"P04-9627949-2839206-R067668","createTime":"2020-12-20T18:10:49.053Z",)"
                     R"("currencyCode":"INR","refundId":"1M4CVMGAX6","amount":0.01,"refundedFee":0.00,"status":"Pending",)"
                     R"("updateTime":"2020-12-20T18:10:49.053Z"})");
  });
  const Merchant merchant = TestMerchant();
  gateway::RefundRequest req =
      testing::RefundOf(1, "1M4CVMGAX6", "P04-9627949-2839206", gateway::TxnIdType::kAmazonTxnId);
  req.soft_descriptor = "refunded";
  const auto r = gateway::Refund(local.client, merchant, req);
  BOOST_TEST(core::CheckOutcomeName(r.check.outcome) == "OBSERVED");
  BOOST_REQUIRE(r.value.has_value());
  BOOST_TEST(*r.value->observation.amount == 1);
  BOOST_TEST(*r.value->refunded_fee == 0);
  BOOST_TEST(r.value->observation.merchant_txn_id == "1M4CVMGAX6");
  BOOST_TEST(local.server.requests().at(0).path == "/v1/payments/refund");
  BOOST_TEST(local.server.requests().at(0).body ==
             R"({"amount":"0.01","currencyCode":"INR","refundId":"1M4CVMGAX6","chargeIdType":"AmazonTxnId",)"
             R"("chargeId":"P04-9627949-2839206","merchantId":"AZ4WQCLDT2DF0","softDescriptor":"refunded"})");
}

BOOST_AUTO_TEST_CASE(topup_and_its_errors_share_the_classification) {
  LocalGateway local([](const ServerRequest& req) {
    if (req.body.find("YD25LQMCW0") != std::string::npos) {
      return Json(200, R"({"chargeId":"YD25LQMCW0","status":"CapturePending","amazonPayUrl":"https://x"})");
    }
    return Error(400, "DuplicateChargeId", "duplicate");
  });
  const Merchant merchant = TestMerchant();
  gateway::TopupRequest req = testing::TopupOf(300, "YD25LQMCW0", "tnp_ref_21");
  req.callback_url = "http://ar-deepthi.com/amazonpay/thankyou.php";
  const auto ok = gateway::Topup(local.client, merchant, req);
  BOOST_TEST(core::CheckOutcomeName(ok.check.outcome) == "OBSERVED");
  BOOST_TEST(local.server.requests().at(0).path == "/v1/payments/topup");
  BOOST_TEST(local.server.requests().at(0).body.find(R"("attributableProgram":"LienAndPay")") != std::string::npos);
  req.charge_id = "OTHER";
  const auto dup = gateway::Topup(local.client, merchant, req);
  BOOST_TEST(core::CheckOutcomeName(dup.check.outcome) == "INVALID_REQUEST");
  BOOST_TEST(dup.check.gateway_code == "DuplicateChargeId");
  BOOST_TEST(!dup.value.has_value());
}

BOOST_AUTO_TEST_CASE(pay_later_reads_ineligibility) {
  LocalGateway local([](const ServerRequest&) {
    return Json(200, R"({"amazonPayLater":{"enabled":false,"priority":3,"availableCredit":"0",)"
                     R"("ineligibilityCode":"APL_KYC_EXPIRED","ineligibilityReason":"Your KYC has expired, please update on the Amazon app."}})");
  });
  const Merchant merchant = TestMerchant();
  const auto r = gateway::GetPayLater(local.client, merchant, {"Atza|IgEB", 100000});
  BOOST_TEST(core::CheckOutcomeName(r.check.outcome) == "OBSERVED");
  BOOST_REQUIRE(r.value.has_value());
  BOOST_TEST(!r.value->enabled);
  BOOST_TEST(r.value->priority == 3);
  BOOST_TEST(r.value->available_credit == 0);
  BOOST_TEST((r.value->ineligibility_code == gateway::IneligibilityCode::kKycExpired));
  BOOST_TEST(r.value->ineligibility_reason == "Your KYC has expired, please update on the Amazon app.");
  BOOST_TEST(local.server.requests().at(0).uri ==
             "/v1/payments/instruments?accessToken=Atza%7CIgEB&amount=1000.00&instrumentTypes=AmazonPayLater"
             "&merchantId=AZ4WQCLDT2DF0");
}

BOOST_AUTO_TEST_CASE(status_checker_signs_per_merchant_and_refuses_unknown_ones) {
  SignedServer server(kSecret, kSigningHost, [](const ServerRequest&) { return Json(200, kChargeStatusBody); });
  gateway::GatewayStatusChecker checker(Local(server.port()),
                                        std::vector<gateway::MerchantCredentials>{
                                            {kMid, kKeyId, core::Secret(kSecret)},
                                            {"OTHERMID", "key-2", core::Secret("another secret")}},
                                        Pinned);
  const auto unknown = checker.StatusCheck({"NOPE", core::Kind::kCharge, "test12345k121wseddwr", false});
  BOOST_TEST(core::CheckOutcomeName(unknown.outcome) == "INVALID_REQUEST");
  BOOST_TEST(unknown.gateway_code == "MerchantNotConfigured");
  BOOST_TEST(unknown.http_status == 0);
  BOOST_TEST(unknown.message == "no credentials for merchant 'NOPE'");
  BOOST_TEST(server.requests().empty());

  const auto ok = checker.StatusCheck({kMid, core::Kind::kCharge, "test12345k121wseddwr", false});
  BOOST_TEST(core::CheckOutcomeName(ok.outcome) == "OBSERVED");
  // The server signs with the first merchant's secret: the other merchant's client cannot verify it.
  const auto other = checker.StatusCheck({"OTHERMID", core::Kind::kCharge, "P04-1", true});
  BOOST_TEST(core::CheckOutcomeName(other.outcome) == "BAD_SIGNATURE");
  const auto requests = server.requests();
  BOOST_REQUIRE_EQUAL(requests.size(), 2u);
  BOOST_TEST(requests[1].headers.at("x-amz-client-id") == "OTHERMID");
  BOOST_TEST(requests[1].headers.at("authorization").rfind("AMZ key-2:", 0) == 0);
  BOOST_TEST(requests[1].uri == "/v1/payments/charge?merchantId=OTHERMID&txnId=P04-1&txnIdType=AmazonTxnId");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(gateway_tls)

BOOST_AUTO_TEST_CASE(server_trusted_only_through_the_configured_ca_file) {
  const testing::TestCa ca;
  const testing::TlsFiles files = ca.Issue("server", "IP:127.0.0.1,DNS:localhost");
  SignedServer server(kSecret, kSigningHost, [](const ServerRequest&) { return Json(200, kChargeStatusBody); }, files);
  GatewayOptions o = Local(server.port());
  o.endpoint = "https://localhost:" + std::to_string(server.port());
  o.allow_insecure_http = false;

  o.ca_file = ca.ca_file();
  Client trusting(o, Pinned);
  const auto ok = StatusOf(trusting);
  BOOST_TEST(core::CheckOutcomeName(ok.outcome) == "OBSERVED");
  BOOST_TEST(core::CheckOutcomeName(StatusOf(trusting).outcome) == "OBSERVED");
  BOOST_TEST(trusting.connections_opened() == 1);

  o.ca_file.clear();  // system CAs only: the test CA is unknown
  Client default_trust(o, Pinned);
  const auto rejected = StatusOf(default_trust);
  BOOST_TEST(core::CheckOutcomeName(rejected.outcome) == "NETWORK");
  BOOST_TEST(rejected.message.rfind("tls failure", 0) == 0);
  BOOST_TEST(server.requests().size() == 2u);  // the rejected handshake never carried a request
}

BOOST_AUTO_TEST_CASE(certificate_for_another_host_is_rejected) {
  const testing::TestCa ca;
  const testing::TlsFiles files = ca.Issue("elsewhere", "DNS:elsewhere.example");
  SignedServer server(kSecret, kSigningHost, [](const ServerRequest&) { return Json(200, kChargeStatusBody); }, files);
  GatewayOptions o = Local(server.port());
  o.endpoint = "https://127.0.0.1:" + std::to_string(server.port());
  o.allow_insecure_http = false;
  o.ca_file = ca.ca_file();
  Client client(o, Pinned);
  const auto r = StatusOf(client);
  BOOST_TEST(core::CheckOutcomeName(r.outcome) == "NETWORK");
  BOOST_TEST(r.message.find("Unacceptable certificate from 127.0.0.1") != std::string::npos);
  BOOST_TEST(server.requests().empty());
}

BOOST_AUTO_TEST_CASE(unreadable_ca_file_is_an_options_error) {
  GatewayOptions o;
  o.ca_file = "/nonexistent/ca.pem";
  BOOST_CHECK_THROW(Client(o, Pinned), gateway::InvalidOptions);
}

BOOST_AUTO_TEST_SUITE_END()

// The concurrent checker: the same wire, signing and verification as Client, many calls from one thread.
BOOST_AUTO_TEST_SUITE(concurrent_checker)

using gateway::ConcurrentGatewayChecker;
using Results = std::map<std::uint64_t, core::CheckResult>;

std::shared_ptr<const gateway::Merchants> TestMerchants() {
  return std::make_shared<const gateway::Merchants>(
      std::vector<gateway::MerchantCredentials>{{kMid, kKeyId, core::Secret(kSecret)}});
}

core::StatusQuery Query(const std::string& txn_id, const std::string& merchant = kMid) {
  return core::StatusQuery{merchant, core::Kind::kCharge, txn_id, false};
}

// Polls until `n` results have come back; every call ends by its own timeouts, so this ends too.
Results Collect(ConcurrentGatewayChecker& checker, std::size_t n) {
  Results out;
  std::vector<std::pair<std::uint64_t, core::CheckResult>> done;
  while (out.size() < n) {
    done.clear();
    checker.Poll(std::chrono::milliseconds(1000), done);
    for (auto& [tag, result] : done) BOOST_TEST(out.emplace(tag, std::move(result)).second);
  }
  return out;
}

// A signed answer about the transaction the request asked for.
ServerReply EchoStatus(const ServerRequest& request) {
  const auto at = request.uri.find("txnId=");
  const std::string txn = at == std::string::npos ? "" : request.uri.substr(at + 6, request.uri.find('&', at) - at - 6);
  return Json(200, R"({"merchantId":")" + std::string(kMid) + R"(","chargeId":")" + txn +
                       R"(","status":"CaptureApproved","requestedAmount":"1.00","approvedAmount":"1.00",)"
                       R"("currencyCode":"INR"})");
}

BOOST_AUTO_TEST_CASE(many_calls_from_one_thread_are_each_verified_and_keep_their_connections) {
  // Four: the test server serves four connections at once, and closes kept-alive ones when more queue up.
  SignedServer server(kSecret, kSigningHost, EchoStatus);
  ConcurrentGatewayChecker checker(Local(server.port()), TestMerchants(), 4, Pinned);
  BOOST_TEST(checker.capacity() == 4);
  for (int round = 0; round < 3; ++round) {
    for (std::uint64_t tag = 0; tag < 4; ++tag) checker.Start(tag, Query("t" + std::to_string(round) + "-" + std::to_string(tag)));
    const Results results = Collect(checker, 4);
    for (const auto& [tag, r] : results) {
      BOOST_TEST_CONTEXT("round " << round << ", call " << tag) {
        BOOST_TEST(core::CheckOutcomeName(r.outcome) == "OBSERVED");
        BOOST_TEST(r.observation.merchant_txn_id == "t" + std::to_string(round) + "-" + std::to_string(tag));
        BOOST_TEST(!r.response_digest.empty());  // the signature verified
        BOOST_TEST(r.latency_us > 0);
      }
    }
  }
  BOOST_TEST(server.requests().size() == 12u);
  // At most one per slot, kept alive from round to round: twelve requests on four connections or fewer (fewer when
  // an answer came back within the Start that sent it and the next call found that connection free).
  BOOST_TEST(server.connections() <= 4);
  BOOST_TEST(checker.connections_opened() == server.connections());
}

BOOST_AUTO_TEST_CASE(a_merchant_without_credentials_is_answered_without_a_call) {
  SignedServer server(kSecret, kSigningHost, EchoStatus);
  ConcurrentGatewayChecker checker(Local(server.port()), TestMerchants(), 2, Pinned);
  checker.Start(7, Query("x", "UNKNOWN"));
  const Results results = Collect(checker, 1);
  BOOST_TEST(core::CheckOutcomeName(results.at(7).outcome) == "INVALID_REQUEST");
  BOOST_TEST(results.at(7).gateway_code == std::string(gateway::kMerchantNotConfigured));
  BOOST_TEST(server.requests().empty());
}

BOOST_AUTO_TEST_CASE(read_timeout) {
  RawServer server([&server](int, const std::string&) {
    server.WaitForRelease();  // silent until the test has its answer
    return false;
  });
  GatewayOptions o = Local(server.port());
  o.read_timeout = std::chrono::milliseconds(200);
  ConcurrentGatewayChecker checker(o, TestMerchants(), 2, Pinned);
  checker.Start(1, Query("t"));
  const core::CheckResult r = Collect(checker, 1).at(1);
  server.Release();
  ExpectTimedOutOnce(r, server);
}

BOOST_AUTO_TEST_CASE(connection_refused_and_reset_are_network) {
  ConcurrentGatewayChecker refused(Local(testing::UnusedPort()), TestMerchants(), 1, Pinned);
  refused.Start(1, Query("t"));
  const core::CheckResult r = Collect(refused, 1).at(1);
  BOOST_TEST(core::CheckOutcomeName(r.outcome) == "NETWORK");
  BOOST_TEST(r.message.rfind("network failure", 0) == 0);
  BOOST_TEST(r.message.find("refused") != std::string::npos);

  RawServer server([](int fd, const std::string&) {
    testing::ResetConnection(fd);
    return true;
  });
  ConcurrentGatewayChecker reset(Local(server.port()), TestMerchants(), 1, Pinned);
  reset.Start(2, Query("t"));
  const core::CheckResult rr = Collect(reset, 1).at(2);
  BOOST_TEST(core::CheckOutcomeName(rr.outcome) == "NETWORK");
  BOOST_TEST(rr.message.rfind("network failure", 0) == 0);
  BOOST_TEST(server.connections() == 1);  // a fresh connection is not retried
}

BOOST_AUTO_TEST_CASE(truncated_body_is_malformed) {
  RawServer server([](int fd, const std::string&) {
    testing::WriteAll(fd,
                      "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 200\r\n"
                      "x-amz-request-id: r1\r\n\r\n{\"status\":\"Capt");
    return false;  // the server closes after 15 of 200 bytes
  });
  ConcurrentGatewayChecker checker(Local(server.port()), TestMerchants(), 1, Pinned);
  checker.Start(1, Query("t"));
  const core::CheckResult r = Collect(checker, 1).at(1);
  BOOST_TEST(core::CheckOutcomeName(r.outcome) == "MALFORMED");
  BOOST_TEST(r.http_status == 200);
  BOOST_TEST(r.message == "response body truncated after 15 of 200 bytes");
}

BOOST_AUTO_TEST_CASE(a_get_on_a_kept_alive_connection_the_server_dropped_is_resent_once) {
  // Each connection gets one answer (kept alive, as far as the client can tell); the server then reads the next
  // request and hangs up without answering it. The second GET meets that and is resent on a new connection.
  const std::string body = R"({"status":"CapturePending"})";
  RawServer server([&](int fd, const std::string&) {
    testing::WriteAll(fd, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " +
                              std::to_string(body.size()) + "\r\n\r\n" + body);
    testing::ReadRequestHead(fd);
    return false;
  });
  ConcurrentGatewayChecker checker(Local(server.port()), TestMerchants(), 1, Pinned);
  checker.Start(1, Query("t"));
  BOOST_TEST(core::CheckOutcomeName(Collect(checker, 1).at(1).outcome) == "BAD_SIGNATURE");  // unsigned, answered
  checker.Start(2, Query("t"));
  BOOST_TEST(core::CheckOutcomeName(Collect(checker, 1).at(2).outcome) == "BAD_SIGNATURE");
  BOOST_TEST(server.connections() == 2);
  BOOST_TEST(checker.connections_opened() == 2);
}

// A connection opened ahead that then waited more than a second for its request (detail::kOpenedAheadMayBeStale)
// may have been dropped meanwhile, like a kept-alive one: a GET failing on it before any response byte is resent
// once on a new connection. Used within that second it is fresh: the failure is the call's own. The checker's
// steady clock is moved by hand.
BOOST_AUTO_TEST_CASE(a_prepared_connection_left_waiting_is_retried_like_a_kept_alive_one) {
  for (const bool waited : {true, false}) {
    BOOST_TEST_CONTEXT((waited ? "waited 1.1 s" : "used at once")) {
      std::atomic<int> seen{0};
      RawServer server(DropFirstThenAnswer(seen));
      auto now = std::chrono::steady_clock::now();
      ConcurrentGatewayChecker checker(Local(server.port()), TestMerchants(), 1, Pinned, [&now] { return now; });
      checker.PrepareConnection();
      std::vector<std::pair<std::uint64_t, core::CheckResult>> none;
      for (int i = 0; i < 6000 && !checker.ReadyToSend(); ++i) checker.Poll(std::chrono::milliseconds(10), none);
      BOOST_REQUIRE(checker.ReadyToSend());  // connected (the server accepts, or the kernel's backlog does)
      if (waited) now += std::chrono::milliseconds(1100);
      checker.Start(1, Query("t"));
      const core::CheckResult r = Collect(checker, 1).at(1);
      if (waited) {
        BOOST_TEST(core::CheckOutcomeName(r.outcome) == "BAD_SIGNATURE");  // unsigned, but answered on the resend
        BOOST_TEST(server.connections() == 2);
        BOOST_TEST(checker.connections_opened() == 2);
      } else {
        BOOST_TEST(core::CheckOutcomeName(r.outcome) == "NETWORK");
        BOOST_TEST(server.connections() == 1);
        BOOST_TEST(checker.connections_opened() == 1);
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(a_failed_prepare_is_the_next_calls_failure_without_a_second_attempt) {
  const std::uint16_t port = testing::UnusedPort();
  ConcurrentGatewayChecker checker(Local(port), TestMerchants(), 1, Pinned);
  checker.PrepareConnection();  // refused (now or once polled); never throws
  std::vector<std::pair<std::uint64_t, core::CheckResult>> none;
  checker.Poll(std::chrono::milliseconds(0), none);
  BOOST_TEST(none.empty());
  // Something listens there now: a call that tried to connect again would get through.
  const gateway_net::BacklogListener listener(port);
  BOOST_REQUIRE(listener.listening());
  checker.Start(1, Query("t"));
  const core::CheckResult r = Collect(checker, 1).at(1);
  BOOST_TEST(core::CheckOutcomeName(r.outcome) == "NETWORK");
  BOOST_TEST(r.message.find("refused") != std::string::npos);
  BOOST_TEST(!listener.HasWaitingConnection());  // reported the prepare's failure, without connecting again
}

// Under a rate limit the runner starts a call only when it would leave at once. No open connection: not ready (a
// call would leave a connection's opening later). A TLS connection to a listener that never answers completes TCP
// (the kernel's backlog) but never the handshake: not ready until it times out, and then ready (the failure is
// the next call's, at once).
BOOST_AUTO_TEST_CASE(ready_to_send_waits_for_a_connection_being_opened_but_not_for_a_failed_one) {
  const std::uint16_t port = testing::UnusedPort();
  const gateway_net::BacklogListener listener(port);
  BOOST_REQUIRE(listener.listening());
  GatewayOptions o = Local(port);
  o.endpoint = "https://127.0.0.1:" + std::to_string(port);
  o.allow_insecure_http = false;
  o.connect_timeout = std::chrono::milliseconds(2000);  // long enough that the first look below comes before it
  ConcurrentGatewayChecker checker(o, TestMerchants(), 2, Pinned);
  BOOST_TEST(!checker.ReadyToSend());  // nothing is open: a call would open its own connection, and leave late
  checker.PrepareConnection();
  std::vector<std::pair<std::uint64_t, core::CheckResult>> none;
  checker.Poll(std::chrono::milliseconds(50), none);
  BOOST_TEST(!checker.ReadyToSend());  // the handshake cannot finish: nobody answers
  const auto until = std::chrono::steady_clock::now() + std::chrono::minutes(1);
  while (!checker.ReadyToSend() && std::chrono::steady_clock::now() < until) {
    checker.Poll(std::chrono::milliseconds(100), none);
  }
  BOOST_TEST(none.empty());
  BOOST_TEST(checker.ReadyToSend());  // the opening timed out: a call now fails at once
  checker.Start(1, Query("t"));
  const core::CheckResult r = Collect(checker, 1).at(1);
  BOOST_TEST(core::CheckOutcomeName(r.outcome) == "TIMEOUT");
  BOOST_TEST(r.message.rfind("timed out", 0) == 0);
}

BOOST_AUTO_TEST_CASE(a_prepared_connection_carries_the_next_call) {
  SignedServer server(kSecret, kSigningHost, EchoStatus);
  ConcurrentGatewayChecker checker(Local(server.port()), TestMerchants(), 3, Pinned);
  checker.PrepareConnection();
  std::vector<std::pair<std::uint64_t, core::CheckResult>> none;
  const auto until = std::chrono::steady_clock::now() + std::chrono::minutes(1);
  do {
    checker.Poll(std::chrono::milliseconds(10), none);
  } while (!checker.ReadyToSend() && std::chrono::steady_clock::now() < until);
  BOOST_TEST(checker.connections_opened() == 0);  // counted once a request uses it
  checker.Start(1, Query("t1"));
  BOOST_TEST(core::CheckOutcomeName(Collect(checker, 1).at(1).outcome) == "OBSERVED");
  BOOST_TEST(checker.connections_opened() == 1);
  BOOST_TEST(server.connections() == 1);
}

// A peer that closes during the TLS handshake (a load balancer refusing the connection) ends the call at once as a
// network failure; the thread does not spin on the closed socket until the connect timeout.
BOOST_AUTO_TEST_CASE(a_tls_peer_closing_during_the_handshake_is_a_network_failure_at_once) {
  const std::uint16_t port = testing::UnusedPort();
  const int listener = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  BOOST_REQUIRE(::bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
  BOOST_REQUIRE(::listen(listener, 4) == 0);
  GatewayOptions o = Local(port);
  o.endpoint = "https://127.0.0.1:" + std::to_string(port);
  o.allow_insecure_http = false;
  o.connect_timeout = std::chrono::minutes(1);  // a timeout would show as TIMEOUT, a minute later
  ConcurrentGatewayChecker checker(o, TestMerchants(), 1, Pinned);
  checker.Start(1, Query("t"));  // TCP completes in the kernel's backlog; the ClientHello waits for an answer
  const int accepted = ::accept(listener, nullptr, nullptr);
  BOOST_REQUIRE(accepted >= 0);
  ::close(accepted);
  const core::CheckResult r = Collect(checker, 1).at(1);
  ::close(listener);
  BOOST_TEST(core::CheckOutcomeName(r.outcome) == "NETWORK");
  BOOST_TEST(r.message.rfind("network failure", 0) == 0);
  BOOST_TEST(r.latency_us < 30'000'000);
}

BOOST_AUTO_TEST_CASE(tls_trusts_only_the_configured_ca_and_checks_the_host) {
  const testing::TestCa ca;
  const testing::TlsFiles files = ca.Issue("server", "IP:127.0.0.1,DNS:localhost");
  SignedServer server(kSecret, kSigningHost, EchoStatus, files);
  GatewayOptions o = Local(server.port());
  o.endpoint = "https://localhost:" + std::to_string(server.port());
  o.allow_insecure_http = false;
  o.ca_file = ca.ca_file();
  ConcurrentGatewayChecker trusting(o, TestMerchants(), 2, Pinned);
  for (std::uint64_t tag = 0; tag < 3; ++tag) {
    trusting.Start(tag, Query("t" + std::to_string(tag)));
    BOOST_TEST(core::CheckOutcomeName(Collect(trusting, 1).at(tag).outcome) == "OBSERVED");
  }
  BOOST_TEST(trusting.connections_opened() == 1);  // kept alive across calls (session tickets do not end it)

  o.ca_file.clear();  // system CAs only: the test CA is unknown
  ConcurrentGatewayChecker default_trust(o, TestMerchants(), 1, Pinned);
  default_trust.Start(1, Query("t"));
  const core::CheckResult rejected = Collect(default_trust, 1).at(1);
  BOOST_TEST(core::CheckOutcomeName(rejected.outcome) == "NETWORK");
  BOOST_TEST(rejected.message.rfind("tls failure", 0) == 0);

  // By IP address this time: the certificate names 127.0.0.1, so it passes; one for another host does not.
  const testing::TlsFiles elsewhere = ca.Issue("elsewhere", "DNS:elsewhere.example");
  SignedServer other(kSecret, kSigningHost, EchoStatus, elsewhere);
  o.endpoint = "https://127.0.0.1:" + std::to_string(other.port());
  o.ca_file = ca.ca_file();
  ConcurrentGatewayChecker wrong_host(o, TestMerchants(), 1, Pinned);
  wrong_host.Start(1, Query("t"));
  const core::CheckResult r = Collect(wrong_host, 1).at(1);
  BOOST_TEST(core::CheckOutcomeName(r.outcome) == "NETWORK");
  BOOST_TEST(r.message.rfind("tls failure", 0) == 0);
  BOOST_TEST(r.message.find("IP address mismatch") != std::string::npos);
  BOOST_TEST(server.requests().size() == 3u);  // the rejected handshakes never carried a request
  BOOST_TEST(other.requests().empty());
}

BOOST_AUTO_TEST_CASE(unreadable_ca_file_is_an_options_error) {
  GatewayOptions o;
  o.ca_file = "/nonexistent/ca.pem";
  BOOST_CHECK_THROW(ConcurrentGatewayChecker(o, TestMerchants(), 1, Pinned), gateway::InvalidOptions);
}

BOOST_AUTO_TEST_SUITE_END()
