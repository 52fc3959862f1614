#pragma once
// Shared set-up for the sandbox's end-to-end tests: the real payrecon-sandbox binary with two merchants, and the
// gateway client (gateway/client.h, gateway/calls.h) pointed at it.
#include <boost/test/unit_test.hpp>

#include <memory>
#include <ostream>
#include <optional>
#include <string>
#include <vector>

#include "core/json.h"
#include "gateway/calls.h"
#include "gateway/client.h"
#include "gateway/merchants.h"
#include "gateway/status_checker.h"
#include "tests/support/gateway_requests.h"
#include "tests/support/sandbox_merchants.h"
#include "tests/support/sandbox_process.h"

namespace payrecon::core {
// Boost.Test prints outcomes by name.
inline std::ostream& boost_test_print_type(std::ostream& os, CheckOutcome outcome) {
  return os << CheckOutcomeName(outcome);
}
}  // namespace payrecon::core

namespace payrecon::testing {

inline gateway::MerchantCredentials Mid1(std::string secret = kSecretOne) {
  return {kMid1, kMid1AccessKey, core::Secret(std::move(secret))};
}
inline gateway::MerchantCredentials Mid2() { return {kMid2, kMid2AccessKey, core::Secret(kSecretTwo)}; }

struct SandboxSetup {
  std::string scenario_rows;           // lines after the header; empty: no --scenario
  std::vector<std::string> extra_args;
  bool tls = false;
};

inline core::CheckResult Status(gateway::Client& client, const gateway::Merchant& merchant, const std::string& id,
                                core::Kind kind = core::Kind::kCharge,
                                gateway::TxnIdType type = gateway::TxnIdType::kMerchantTxnId) {
  return gateway::GetStatus(client, merchant, {kind, id, type});
}

// A gateway client to the sandbox and the merchant it signs as: how most sandbox tests start.
struct SandboxCaller {
  gateway::Client client;
  gateway::Merchant merchant;
  core::CheckResult Status(const std::string& id, core::Kind kind = core::Kind::kCharge,
                           gateway::TxnIdType type = gateway::TxnIdType::kMerchantTxnId) {
    return testing::Status(client, merchant, id, kind, type);
  }
};

// One sandbox process and helpers to reach it through the gateway client.
class SandboxFixture {
 public:
  explicit SandboxFixture(SandboxSetup setup = {}) {
    std::vector<std::string> args = {"--merchants", dir_.Write("merchants.yaml", kMerchantsYaml)};
    if (!setup.scenario_rows.empty()) {
      args.push_back("--scenario");
      args.push_back(dir_.Write("scenario.csv", std::string(kScenarioHeader) + setup.scenario_rows));
    }
    if (setup.tls) {
      tls_.emplace();
      args.insert(args.end(), {"--tls-cert", tls_->cert_file(), "--tls-key", tls_->key_file()});
    }
    args.insert(args.end(), setup.extra_args.begin(), setup.extra_args.end());
    sandbox_ = std::make_unique<SandboxProcess>(SandboxProcessOptions{PAYRECON_SANDBOX_BIN, args, std::chrono::milliseconds(15000), setup.tls});
  }

  SandboxProcess& sandbox() { return *sandbox_; }
  const TempDir& dir() const { return dir_; }
  const std::optional<TestTls>& tls() const { return tls_; }

  gateway::GatewayOptions Options() const {
    gateway::GatewayOptions o;
    o.endpoint = sandbox_->endpoint();
    o.allow_insecure_http = true;
    o.connect_timeout = std::chrono::milliseconds(5000);
    o.read_timeout = std::chrono::milliseconds(10000);
    if (tls_) o.ca_file = tls_->ca_file();
    return o;
  }
  gateway::Client MakeClient() const { return gateway::Client(Options()); }
  gateway::Client MakeClient(gateway::GatewayOptions o, gateway::Clock clock = env::WallNow) const {
    return gateway::Client(std::move(o), std::move(clock));
  }
  // A client with Options() (or `o`) signing as MID1.
  SandboxCaller Caller() const { return Caller(Options()); }
  SandboxCaller Caller(gateway::GatewayOptions o) const {
    return SandboxCaller{MakeClient(std::move(o)), gateway::Merchant(Mid1())};
  }

  // Control endpoints; every call must answer 200.
  core::JsonValue ControlGet(const std::string& target) {
    const HttpResult r = sandbox_->Get(target);
    BOOST_REQUIRE_MESSAGE(r.status == 200, target + " answered " + std::to_string(r.status) + ": " + r.body);
    return Json(r.body);
  }
  core::JsonValue ControlPost(const std::string& target, const std::string& body = "") {
    const HttpResult r = sandbox_->Post(target, body);
    BOOST_REQUIRE_MESSAGE(r.status == 200, target + " answered " + std::to_string(r.status) + ": " + r.body);
    return Json(r.body);
  }
  void AdvanceClock(std::int64_t ms) { ControlPost("/sandbox/clock?advance_ms=" + std::to_string(ms)); }
  // How often the sandbox was asked about a transaction.
  std::int64_t Checks(const std::string& merchant_txn_id, const std::string& merchant_id = "MID1") {
    const auto j = ControlGet("/sandbox/stats/checks?merchant_id=" + merchant_id + "&merchant_txn_id=" + merchant_txn_id);
    return std::stoll(j.Find("checks")->text());
  }

  static core::JsonValue Json(const std::string& text) {
    auto parsed = core::ParseJson(text);
    BOOST_REQUIRE_MESSAGE(parsed.ok(), "not JSON: " + text);
    return std::move(parsed).value();
  }

 private:
  TempDir dir_;
  std::optional<TestTls> tls_;
  std::unique_ptr<SandboxProcess> sandbox_;
};

}  // namespace payrecon::testing
