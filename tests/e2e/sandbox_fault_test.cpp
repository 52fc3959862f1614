// Every injected fault, per transaction and global, as the gateway client classifies it.
#include <boost/test/unit_test.hpp>

#include "tests/e2e/sandbox_fixture.h"

using namespace payrecon;
using payrecon::testing::SandboxFixture;
using payrecon::testing::Status;
using core::CheckOutcome;

namespace {

std::string Row(const std::string& id, const std::string& fault) {
  return "MID1,charge," + id + ",,,10.00,INR,CaptureApproved,,,," + fault + "\n";
}

}  // namespace

BOOST_AUTO_TEST_SUITE(sandbox_faults)

BOOST_AUTO_TEST_CASE(http_errors_per_transaction) {
  SandboxFixture f({Row("e500", "http500") + Row("e503", "http503:7") + Row("e429", "http429:3") +
                        Row("e429d", "http429"),
                    {}, false});
  auto mid1 = f.Caller();
  const auto e500 = mid1.Status("e500");
  BOOST_TEST(e500.outcome == CheckOutcome::kHttp5xx);
  BOOST_TEST(e500.http_status == 500);
  BOOST_TEST(e500.gateway_code == "InternalServerError");
  const auto e503 = mid1.Status("e503");
  BOOST_TEST(e503.outcome == CheckOutcome::kRateLimited);
  BOOST_TEST(e503.http_status == 503);
  BOOST_TEST(*e503.retry_after_seconds == 7);
  const auto e429 = mid1.Status("e429");
  BOOST_TEST(e429.outcome == CheckOutcome::kRateLimited);
  BOOST_TEST(e429.http_status == 429);
  BOOST_TEST(*e429.retry_after_seconds == 3);
  BOOST_TEST(*mid1.Status("e429d").retry_after_seconds == 1);
}

BOOST_AUTO_TEST_CASE(hang_past_the_client_timeout_is_a_timeout) {
  SandboxFixture f({Row("slow", "hang:5000") + Row("fine", ""), {}, false});
  auto options = f.Options();
  options.read_timeout = std::chrono::milliseconds(300);
  auto mid1 = f.Caller(options);
  const auto r = mid1.Status("slow");
  BOOST_TEST(r.outcome == CheckOutcome::kTimeout);
  BOOST_TEST(r.http_status == 0);
  // The client recovers on a new connection.
  BOOST_TEST(mid1.Status("fine").outcome == CheckOutcome::kObserved);
}

BOOST_AUTO_TEST_CASE(reset_is_a_network_failure) {
  SandboxFixture f({Row("rst", "reset") + Row("fine", ""), {}, false});
  auto mid1 = f.Caller();
  const auto r = mid1.Status("rst");
  BOOST_TEST(r.outcome == CheckOutcome::kNetwork);
  BOOST_TEST(r.http_status == 0);
  BOOST_TEST(mid1.Status("fine").outcome == CheckOutcome::kObserved);
}

BOOST_AUTO_TEST_CASE(malformed_and_truncated_bodies_are_malformed) {
  SandboxFixture f({Row("bad-json", "malformed_json") + Row("cut", "truncated_body") + Row("fine", ""), {}, false});
  auto mid1 = f.Caller();
  const auto bad = mid1.Status("bad-json");
  BOOST_TEST(bad.outcome == CheckOutcome::kMalformed);
  BOOST_TEST(bad.http_status == 200);
  const auto cut = mid1.Status("cut");
  BOOST_TEST(cut.outcome == CheckOutcome::kMalformed);
  BOOST_TEST(mid1.Status("fine").outcome == CheckOutcome::kObserved);
}

BOOST_AUTO_TEST_CASE(wrong_amount_and_unknown_status_are_signed_observations) {
  SandboxFixture f({Row("amount", "wrong_amount") + Row("word", "unknown_status") +
                        "MID1,refund,rf,,amount,2.00,,Approved,,,,wrong_amount\n",
                    {}, false});
  auto mid1 = f.Caller();
  const auto amount = mid1.Status("amount");
  BOOST_REQUIRE(amount.outcome == CheckOutcome::kObserved);
  BOOST_TEST(*amount.observation.requested_amount == 1000);
  BOOST_TEST(*amount.observation.approved_amount == 900);
  const auto refund = mid1.Status("rf", core::Kind::kRefund);
  BOOST_REQUIRE(refund.outcome == CheckOutcome::kObserved);
  BOOST_TEST(*refund.observation.amount == 100);
  const auto word = mid1.Status("word");
  BOOST_REQUIRE(word.outcome == CheckOutcome::kObserved);
  BOOST_TEST(word.observation.status_word == "Processing");
  BOOST_TEST(!word.observation.status.has_value());
}

BOOST_AUTO_TEST_CASE(latency_delays_the_answer) {
  SandboxFixture f({Row("late", "latency:250"), {}, false});
  auto mid1 = f.Caller();
  const auto r = mid1.Status("late");
  BOOST_TEST(r.outcome == CheckOutcome::kObserved);
  BOOST_TEST(r.latency_us >= 250000);
}

BOOST_AUTO_TEST_CASE(a_counted_fault_clears_after_its_checks) {
  SandboxFixture f({Row("flaky", "http500*2"), {}, false});
  auto mid1 = f.Caller();
  BOOST_TEST(mid1.Status("flaky").outcome == CheckOutcome::kHttp5xx);
  BOOST_TEST(mid1.Status("flaky").outcome == CheckOutcome::kHttp5xx);
  BOOST_TEST(mid1.Status("flaky").outcome == CheckOutcome::kObserved);
  BOOST_TEST(f.Checks("flaky") == 3);
}

BOOST_AUTO_TEST_CASE(global_rules_by_endpoint_and_every_nth_request) {
  SandboxFixture f({Row("a", ""), {}, false});
  auto client = f.MakeClient();
  const gateway::Merchant mid1(testing::Mid1());
  f.ControlPost("/sandbox/faults", R"({"rules": [{"fault": "http503:2", "every": 3, "endpoint": "status"},
                                                 {"fault": "http500", "endpoint": "charge"}]})");
  std::string seen;
  for (int i = 0; i < 6; ++i) seen += Status(client, mid1, "a").outcome == CheckOutcome::kObserved ? "o" : "x";
  BOOST_TEST(seen == "ooxoox");
  const gateway::ChargeRequest charge = testing::ChargeOf(100, "c");
  BOOST_TEST(gateway::Charge(client, mid1, charge).check.outcome == CheckOutcome::kHttp5xx);
  // Clearing the rules restores normal answers.
  f.ControlPost("/sandbox/faults", "{}");
  BOOST_TEST(gateway::Charge(client, mid1, charge).check.outcome == CheckOutcome::kObserved);
  const auto stats = f.ControlGet("/sandbox/stats");
  BOOST_TEST(stats.Find("requests")->Find("status")->Find("fault http503")->text() == "2");
  BOOST_TEST(stats.Find("requests")->Find("charge")->Find("fault http500")->text() == "1");
}

BOOST_AUTO_TEST_CASE(global_probability_is_deterministic_under_the_seed) {
  auto run = [](const std::string& seed) {
    std::string rows;
    for (int i = 0; i < 40; ++i) rows += Row("t" + std::to_string(i), "");
    SandboxFixture f({rows,
                      {"--seed", seed, "--faults",
                       R"({"latency_ms": 1, "latency_spread_ms": 2,
                           "rules": [{"fault": "wrong_signature", "probability": "0.5"}]})"},
                      false});
    auto client = f.MakeClient();
    const gateway::Merchant mid1(testing::Mid1());
    std::string seen;
    for (int i = 0; i < 40; ++i) {
      const auto outcome = Status(client, mid1, "t" + std::to_string(i)).outcome;
      BOOST_TEST((outcome == CheckOutcome::kObserved || outcome == CheckOutcome::kBadSignature));
      seen += outcome == CheckOutcome::kObserved ? "o" : "x";
    }
    return seen;
  };
  const std::string first = run("7");
  BOOST_TEST(first == run("7"));
  BOOST_TEST(first != run("8"));
  BOOST_TEST(first.find('o') != std::string::npos);
  BOOST_TEST(first.find('x') != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
