// Scenario loading, control endpoints, statistics, start-up errors and shutdown of payrecon-sandbox.
#include <boost/test/unit_test.hpp>

#include <signal.h>

#include <Poco/Net/SocketAddress.h>
#include <Poco/Net/StreamSocket.h>

#include <sstream>
#include <thread>

#include "sandbox/fault.h"
#include "sandbox/merchants.h"
#include "sandbox/scenario.h"
#include "sandbox/store.h"
#include "tests/e2e/sandbox_fixture.h"

using namespace payrecon;
using payrecon::testing::SandboxFixture;
using payrecon::testing::Status;
using core::CheckOutcome;

namespace {

// Starts the binary expecting it to fail; returns (exit code, stderr).
std::pair<int, std::string> StartFailing(const std::vector<std::string>& args) {
  try {
    testing::SandboxProcess p({PAYRECON_SANDBOX_BIN, args, std::chrono::milliseconds(10000), false});
  } catch (const std::runtime_error& e) {
    return {0, e.what()};
  }
  return {-1, "it started"};
}

}  // namespace

BOOST_AUTO_TEST_SUITE(sandbox_control)

BOOST_AUTO_TEST_CASE(bad_scenario_line_stops_start_up_with_its_line_number) {
  testing::TempDir dir;
  const std::string merchants = dir.Write("m.yaml", testing::kMerchantsYaml);
  const struct {
    const char* rows;
    const char* error;
  } cases[] = {
      {"MID1,charge,a,,,1,INR,CaptureApproved,,,,\nMID1,charge,b,,,1,INR,Pending,,,,\n",
       "line 3: status \"Pending\" is not a charge status"},
      {"MID1,charge,a,,,1,INR,CaptureApproved,,,\n", "line 2: expected 12 fields, got 11"},
      {"MID9,charge,a,,,1,INR,CaptureApproved,,,,\n", "line 2: unknown merchant_id \"MID9\""},
      {"MID1,charge,a,,,1.001,INR,CaptureApproved,,,,\n",
       "line 2: amount: invalid amount \"1.001\": more than two decimals"},
      {"MID1,charge,a,,,1,INR,CaptureApproved,,,,\nMID1,refund,a,,,1,,Pending,,,,\n",
       "line 3: duplicate merchant_txn_id \"a\""},
      {"MID1,charge,a,,,1,INR,CapturePending,10,,,\n", "line 2: settle_after_ms and settle_to go together"},
      {"MID1,charge,a,,,1,INR,CaptureApproved,,,,boom\n", "line 2: invalid fault \"boom\": unknown fault name \"boom\""},
      {"MID1,refund,r,,nope,1,,Pending,,,,\n",
       "line 2: parent_txn_id \"nope\" is not loaded (list charges before their refunds)"},
  };
  for (const auto& c : cases) {
    const std::string scenario = dir.Write("s.csv", std::string(testing::kScenarioHeader) + c.rows);
    const auto [code, message] = StartFailing({"--merchants", merchants, "--scenario", scenario});
    BOOST_TEST_INFO(c.rows);
    BOOST_TEST(message.find("exited (2)") != std::string::npos, message);
    BOOST_TEST(message.find("payrecon-sandbox: scenario \"" + scenario + "\": " + c.error + "\n") != std::string::npos,
               message);
  }
  const std::string headless = dir.Write("h.csv", "merchant_id,kind\n");
  const auto [code, message] = StartFailing({"--merchants", merchants, "--scenario", headless});
  BOOST_TEST(message.find("line 1: the header must be") != std::string::npos, message);
}

BOOST_AUTO_TEST_CASE(bad_flags_and_merchants_exit_2) {
  testing::TempDir dir;
  BOOST_TEST(StartFailing({"--merchants", dir.Write("m.yaml", testing::kMerchantsYaml), "--port-typo", "1"})
                 .second.find("payrecon-sandbox: unknown flag '--port-typo'") != std::string::npos);
  const auto bad = StartFailing({"--merchants", dir.Write("bad.yaml", "merchants:\n  - merchant_id: M\n")});
  BOOST_TEST(bad.second.find("exited (2)") != std::string::npos, bad.second);
  BOOST_TEST(bad.second.find("merchants[0]: missing \"access_key_id\"") != std::string::npos, bad.second);
  BOOST_TEST(bad.second.find("SECRET") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(control_load_is_all_or_nothing) {
  SandboxFixture f;
  const std::string good = std::string(testing::kScenarioHeader) +
                           "MID1,charge,c1,,,10,INR,CaptureApproved,,,,\n"
                           "# comments and blank lines are skipped\n\n"
                           "MID1,refund,r1,,c1,10,,Approved,,,,\n";
  const auto loaded = f.ControlPost("/sandbox/transactions", good);
  BOOST_TEST(loaded.Find("loaded")->text() == "2");
  const std::string bad = std::string(testing::kScenarioHeader) +
                          "MID1,charge,c2,,,10,INR,CaptureApproved,,,,\n"
                          "MID1,refund,r2,,c1,0.01,,Pending,5,Approved,,\n";
  const auto r = f.sandbox().Post("/sandbox/transactions", bad);
  BOOST_TEST(r.status == 400);
  BOOST_TEST(r.body ==
             R"({"code":"InvalidScenario","message":"line 3: refunds of \"c1\" would exceed its approved amount 10.00"})");
  const auto stats = f.ControlGet("/sandbox/stats");
  BOOST_TEST(stats.Find("transactions")->text() == "2");
  // The rolled-back c2 can be loaded again.
  f.ControlPost("/sandbox/transactions", std::string(testing::kScenarioHeader) + "MID1,charge,c2,,,10,INR,Failed,,,,\n");
}

BOOST_AUTO_TEST_CASE(stats_count_checks_per_transaction) {
  SandboxFixture f({"MID1,charge,a,,,1,INR,CaptureApproved,,,,\n"
                    "MID1,charge,b,,,1,INR,CaptureApproved,,,,\n"
                    "MID1,charge,c,,,1,INR,CaptureApproved,,,,\n",
                    {}, false});
  auto mid1 = f.Caller();
  mid1.Status("a");
  mid1.Status("b");
  mid1.Status("b");
  mid1.Status("zzz");
  const auto stats = f.ControlGet("/sandbox/stats");
  BOOST_TEST(core::SerializeJson(*stats.Find("checks")) == R"({"never":1,"once":1,"more_than_once":1,"total":3})");
  BOOST_TEST(core::SerializeJson(*stats.Find("checked_more_than_once")) ==
             R"([{"merchant_id":"MID1","merchant_txn_id":"b","kind":"charge","checks":2}])");
  BOOST_TEST(stats.Find("per_transaction")->items().size() == 3u);
  BOOST_TEST(core::SerializeJson(*stats.Find("requests")->Find("status")) ==
             R"({"200":3,"400 InvalidChargeId":1})");
  BOOST_TEST(f.Checks("b") == 2);
  BOOST_TEST(f.sandbox().Get("/sandbox/stats/checks?merchant_txn_id=zzz").status == 404);
}

BOOST_AUTO_TEST_CASE(control_endpoints_reject_bad_input) {
  SandboxFixture f;
  BOOST_TEST(f.sandbox().Post("/sandbox/clock?advance_ms=-5", "").body ==
             R"({"code":"InvalidArguments","message":"advance_ms must be a non-negative integer"})");
  // Found by sandbox_fuzz: the largest integer overflowed the sandbox time computed from the offset.
  const std::string too_far =
      R"({"code":"InvalidArguments","message":"advance_ms would move the sandbox clock more than 100 years ahead"})";
  BOOST_TEST(f.sandbox().Post("/sandbox/clock?advance_ms=9223372036854775807", "").body == too_far);
  BOOST_TEST(f.sandbox().Post("/sandbox/clock?advance_ms=3153600000000", "").status == 200);  // 100 years
  BOOST_TEST(f.sandbox().Post("/sandbox/clock?advance_ms=1", "").body == too_far);
  BOOST_TEST(f.sandbox().Post("/sandbox/faults", R"({"rules":[{"fault":"http500","probability":"1.5"}]})").body ==
             R"({"code":"InvalidArguments","message":"\"probability\" must be a decimal from 0 to 1 with at most six decimals"})");
  BOOST_TEST(f.sandbox().Post("/sandbox/lifecycle?refund_settle_to=Pending", "").status == 400);
  BOOST_TEST(f.sandbox().Get("/sandbox/nothing").status == 404);
  const auto faults = f.ControlPost("/sandbox/faults", R"({"latency_ms":3,"rules":[{"fault":"hang:100","probability":0.25}]})");
  BOOST_TEST(core::SerializeJson(faults) ==
             R"({"latency_ms":3,"latency_spread_ms":0,"rules":[{"fault":"hang:100","probability":"0.25"}]})");
}

// `curl -X POST …/sandbox/clock?advance_ms=…` sends neither a length nor a body: the request ends with its
// headers. The sandbox waited for a body until the client closed (or for its 60 s idle timeout).
BOOST_AUTO_TEST_CASE(a_post_without_length_has_no_body_and_is_answered) {
  SandboxFixture f;
  Poco::Net::StreamSocket socket(Poco::Net::SocketAddress("127.0.0.1", f.sandbox().port()));
  socket.setReceiveTimeout(Poco::Timespan(10, 0));  // only a bound for the failure; the answer comes at once
  const std::string request = "POST /sandbox/clock?advance_ms=1000 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
  socket.sendBytes(request.data(), static_cast<int>(request.size()));
  std::string answer;
  char buffer[4096];
  while (answer.find("\r\n\r\n") == std::string::npos) {
    int n = 0;
    try {
      n = socket.receiveBytes(buffer, sizeof buffer);
    } catch (const Poco::TimeoutException&) {
      BOOST_FAIL("no answer to a POST without Content-Length");
    }
    if (n <= 0) break;
    answer.append(buffer, static_cast<std::size_t>(n));
  }
  BOOST_TEST(answer.rfind("HTTP/1.1 200", 0) == 0, answer);
}

BOOST_AUTO_TEST_CASE(sigterm_stops_cleanly_with_open_and_hanging_connections) {
  SandboxFixture f({"MID1,charge,slow,,,1,INR,CaptureApproved,,,,hang:60000\n"
                    "MID1,charge,ok,,,1,INR,CaptureApproved,,,,\n",
                    {}, false});
  auto idle = f.MakeClient();
  const gateway::Merchant mid1(testing::Mid1());
  BOOST_TEST(Status(idle, mid1, "ok").outcome == CheckOutcome::kObserved);  // a kept-alive, idle connection
  core::CheckResult hung;
  std::thread hanging([&] {
    auto client = f.MakeClient();
    hung = Status(client, mid1, "slow");
  });
  // Bounded polling until the hanging request has been counted (30 s: only reached when something is broken).
  for (int i = 0; i < 6000 && f.Checks("slow") == 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  BOOST_REQUIRE(f.Checks("slow") == 1);
  const auto start = std::chrono::steady_clock::now();
  BOOST_TEST(f.sandbox().Stop() == 0);
  hanging.join();
  // Well under the 60 s hang and the 60 s idle timeout, whatever the machine's load.
  BOOST_TEST((std::chrono::steady_clock::now() - start < std::chrono::seconds(30)));
  BOOST_TEST(hung.outcome == CheckOutcome::kNetwork);
  BOOST_TEST(f.sandbox().Stderr().find("payrecon-sandbox: stopped on signal 15") != std::string::npos);
}

// The pure parts, in process.
BOOST_AUTO_TEST_CASE(fault_specs_parse_strictly) {
  using sandbox::FaultKind;
  using sandbox::ParseFaultSpec;
  BOOST_TEST(sandbox::FormatFaultSpec(*ParseFaultSpec("http429:5*3", true)) == "http429:5*3");
  BOOST_TEST((ParseFaultSpec("hang", false)->kind == FaultKind::kHang));
  BOOST_TEST(ParseFaultSpec("reset:1", false).error() == "invalid fault \"reset:1\": \"reset\" takes no parameter");
  BOOST_TEST(ParseFaultSpec("http500*2", false).error() ==
             "invalid fault \"http500*2\": a repeat count is only allowed per transaction");
  BOOST_TEST(ParseFaultSpec("latency", false).error() == "invalid fault \"latency\": latency needs milliseconds, e.g. latency:50");
  BOOST_TEST(sandbox::ParseGlobalFaults(R"({"rules":[{"fault":"reset","every":2,"probability":1}]})").error() ==
             "a rule takes \"probability\" or \"every\", not both");
  BOOST_TEST(sandbox::ParseGlobalFaults(R"({"rule":[]})").error() == "unknown faults key \"rule\"");
}

BOOST_AUTO_TEST_CASE(store_keeps_ids_unique_per_merchant) {
  const auto merchants = sandbox::MerchantDirectory::FromYaml(testing::kMerchantsYaml);
  sandbox::Store store(1);
  std::istringstream in(std::string(testing::kScenarioHeader) +
                        "MID1,charge,x,P04-0000001-0000001,,1,INR,CaptureApproved,,,,\n"
                        "MID2,charge,x,P04-0000001-0000001,,2,INR,CaptureApproved,,,,\n");
  BOOST_TEST(sandbox::LoadScenario(in, merchants, store, 0) == 2u);
  std::istringstream dup(std::string(testing::kScenarioHeader) + "MID1,charge,y,P04-0000001-0000001,,1,INR,Failed,,,,\n");
  BOOST_CHECK_EXCEPTION(sandbox::LoadScenario(dup, merchants, store, 0), sandbox::ScenarioError,
                        [](const sandbox::ScenarioError& e) {
                          return std::string(e.what()) == "line 2: duplicate amazon_txn_id \"P04-0000001-0000001\"";
                        });
  BOOST_TEST(store.size() == 2u);
  core::Paise amount = 0;
  BOOST_TEST(store.WithTxn(1, "P04-0000001-0000001", true, [&](sandbox::Txn& t) { amount = t.amount; }));
  BOOST_TEST(amount == 200);
}

BOOST_AUTO_TEST_SUITE_END()
