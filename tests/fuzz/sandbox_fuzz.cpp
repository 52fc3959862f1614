// libFuzzer target for payrecon-sandbox's parsers: the request handling (authentication, query and body
// parsing, the API and /sandbox/* control endpoints, fault rules) and scenario files. A fresh sandbox per input.
// Input (FuzzedDataProvider): a mode; then either scenario text, or up to four requests, each optionally signed
// correctly (so the code behind authentication is reached) with a fuzzed method, path, query and body.
// Properties:
//   - no request reaches an API endpoint's answer (2xx) without a valid signature;
//   - every answer has a valid HTTP status, and JSON bodies parse unless a fault was asked for;
//   - a scenario load is all or nothing: on error nothing of it stays, and the error names a line.
#include <fuzzer/FuzzedDataProvider.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <string>
#include <vector>

#include "core/json.h"
#include "core/time.h"
#include "sandbox/merchants.h"
#include "sandbox/sandbox.h"
#include "sandbox/scenario.h"
#include "signing/canonical.h"
#include "signing/signer.h"

using namespace payrecon;

namespace {

void Require(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "sandbox_fuzz: property violated: %s\n", what);
    std::abort();
  }
}

constexpr const char* kMerchantsYaml =
    "merchants:\n"
    "  - merchant_id: MID1\n"
    "    access_key_id: KEY1\n"
    "    secret: FUZZ_SECRET_ONE\n"
    "  - merchant_id: MID2\n"
    "    access_key_id: KEY2\n"
    "    secret: FUZZ_SECRET_TWO\n";

const sandbox::MerchantDirectory& Merchants() {
  static const sandbox::MerchantDirectory merchants = sandbox::MerchantDirectory::FromYaml(kMerchantsYaml);
  return merchants;
}

constexpr const char* kPaths[] = {"/v1/payments/charge",  "/v1/payments/refund",  "/v1/payments/topup",
                                  "/v1/payments/instruments", "/sandbox/transactions", "/sandbox/faults",
                                  "/sandbox/clock",       "/sandbox/lifecycle",   "/sandbox/health",
                                  "/sandbox/stats",       "/v1/payments/other"};

constexpr const char* kParamNames[] = {"merchantId", "chargeId", "refundId", "txnIdType", "amount", "currencyCode",
                                       "chargeIdType", "intent", "advance_ms", "settle_ms", "charge_status"};

std::string Key(FuzzedDataProvider& in) {
  if (in.ConsumeBool()) return kParamNames[in.ConsumeIntegralInRange<std::size_t>(0, std::size(kParamNames) - 1)];
  return in.ConsumeRandomLengthString(12);
}

std::string Value(FuzzedDataProvider& in) {
  switch (in.ConsumeIntegralInRange<int>(0, 3)) {
    case 0: return "MID1";
    case 1: return std::to_string(in.ConsumeIntegral<std::int64_t>());
    default: return in.ConsumeRandomLengthString(24);
  }
}

bool IsApi(const std::string& path) { return path.rfind("/v1/", 0) == 0; }

void Requests(FuzzedDataProvider& in) {
  sandbox::SandboxOptions options;
  options.seed = in.ConsumeIntegral<std::uint64_t>();
  sandbox::Sandbox box(Merchants(), options);
  bool faults_asked = false;
  const int count = in.ConsumeIntegralInRange<int>(1, 4);
  for (int i = 0; i < count && in.remaining_bytes() > 0; ++i) {
    sandbox::HttpRequest r;
    r.method = in.PickValueInArray({"GET", "POST", "GET", "POST", "PUT"});
    r.path = in.ConsumeIntegralInRange<int>(0, 15) == 0 ? in.ConsumeRandomLengthString(24)
                                                         : kPaths[in.ConsumeIntegralInRange<std::size_t>(
                                                               0, std::size(kPaths) - 1)];
    r.host = in.ConsumeBool() ? "amazonpay.amazon.in" : in.ConsumeRandomLengthString(16);
    const bool sign = in.ConsumeBool();
    std::vector<signing::Pair> query;
    if (sign || in.ConsumeBool()) {
      const int n = in.ConsumeIntegralInRange<int>(0, 5);
      for (int k = 0; k < n; ++k) query.push_back({Key(in), Value(in)});
      for (const auto& p : query) {
        if (!r.query.empty()) r.query += '&';
        r.query += signing::PercentEncode(p.key) + "=" + signing::PercentEncode(p.value);
      }
    } else {
      r.query = in.ConsumeRandomLengthString(48);
    }
    const int extra_headers = in.ConsumeIntegralInRange<int>(0, 3);
    for (int k = 0; k < extra_headers; ++k) {
      r.headers.emplace_back(in.PickValueInArray({"authorization", "x-amz-date", "x-amz-client-id", "x-amz-expires",
                                                  "x-amz-algorithm", "content-type"}),
                             in.ConsumeRandomLengthString(32));
    }
    r.body = in.ConsumeRandomLengthString(512);
    if (sign) {
      const bool second = in.ConsumeBool();
      const std::string merchant_id = second ? "MID2" : "MID1";
      const std::string amz_date = core::FormatAmzDate(core::Instant(core::Millis(sandbox::SandboxClock::RealNowMs())));
      const signing::RequestSigningHeaders h{merchant_id, amz_date, in.PickValueInArray({"900", "0", "99999"}),
                                             "Server", "payrecon", "127.0.0.1"};
      const std::vector<signing::Pair> header_pairs = signing::SignedHeaderPairs(h);
      std::vector<signing::Pair> body_pairs;
      if (r.method == "POST") {
        if (auto json = core::ParseJson(r.body); json.ok()) body_pairs = signing::BodyPairs(*json);
      }
      const std::string canonical = signing::CanonicalText(
          {r.method, r.host + r.path, query, header_pairs, r.method == "POST" ? body_pairs : std::vector<signing::Pair>{}});
      const signing::Signer signer(core::Secret(second ? "FUZZ_SECRET_TWO" : "FUZZ_SECRET_ONE"));
      for (const auto& p : header_pairs) r.headers.emplace_back(p.key, p.value);
      r.headers.emplace_back("authorization",
                             signing::AuthorizationHeader(second ? "KEY2" : "KEY1", signer.Sign(canonical, amz_date)));
    }

    const sandbox::HttpReply reply = box.Handle(r);
    Require(reply.status >= 100 && reply.status <= 599, "an invalid HTTP status");
    Require(reply.delay_ms >= 0 && reply.hang_ms >= 0, "a negative delay");
    if (IsApi(r.path) && !sign) {
      Require(reply.status >= 400, "an API answer without a valid signature");
    }
    if (!IsApi(r.path) && r.method == "POST" && reply.status == 200) {
      faults_asked = faults_asked || r.path == "/sandbox/faults" || r.path == "/sandbox/transactions";
    }
    if (!faults_asked && reply.delivery == sandbox::Delivery::kNormal && reply.content_type == "application/json") {
      Require(core::ParseJson(reply.body).ok(), "a JSON answer that does not parse");
    }
  }
}

void Scenario(FuzzedDataProvider& in) {
  sandbox::Store store(1);
  const std::string text = in.ConsumeRemainingBytesAsString();
  std::istringstream stream(text);
  try {
    const std::size_t loaded = sandbox::LoadScenario(stream, Merchants(), store, 1764547200000);
    Require(loaded == store.size(), "loaded count differs from the store");
  } catch (const sandbox::ScenarioError& e) {
    Require(store.size() == 0, "a failed scenario load left transactions behind");
    Require(e.line() >= 1, "a scenario error without a line");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzedDataProvider in(data, size);
  if (in.ConsumeBool()) {
    Scenario(in);
  } else {
    Requests(in);
  }
  return 0;
}
