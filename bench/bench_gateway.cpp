// Cost of the gateway's CPU work per check: signing one Get Status request (canonical text, string to sign,
// HMAC-SHA384, Authorization) and verifying one status response (JSON read keeping number text, canonical
// response, HMAC-SHA384, constant-time compare, SHA-256 digest, observation). Prints a table of µs per operation:
// the median and p90 over batches of 100 operations, gathered from several runs.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <functional>
#include <string>
#include <vector>

#include "core/json.h"
#include "gateway/calls.h"
#include "gateway/response.h"
#include "signing/canonical.h"
#include "signing/signer.h"

using namespace payrecon;

namespace {

constexpr int kRuns = 7;
constexpr int kBatchesPerRun = 200;
constexpr int kOpsPerBatch = 100;

volatile std::size_t sink = 0;

struct Figures {
  double median_us;
  double p90_us;
  double best_run_us;
};

Figures Measure(const std::function<std::size_t()>& op) {
  for (int i = 0; i < 1000; ++i) sink = sink + op();  // warm-up (caches, key derivation)
  std::vector<double> batches;
  double best_run = 1e18;
  for (int run = 0; run < kRuns; ++run) {
    double run_total = 0;
    for (int b = 0; b < kBatchesPerRun; ++b) {
      const auto t0 = std::chrono::steady_clock::now();
      for (int i = 0; i < kOpsPerBatch; ++i) sink = sink + op();
      const double us = std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count();
      batches.push_back(us / kOpsPerBatch);
      run_total += us;
    }
    best_run = std::min(best_run, run_total / (kBatchesPerRun * kOpsPerBatch));
  }
  std::sort(batches.begin(), batches.end());
  return {batches[batches.size() / 2], batches[batches.size() * 9 / 10], best_run};
}

}  // namespace

int main() {
  const signing::Signer signer(core::Secret("TEST_SECRET_DO_NOT_USE"));
  const signing::RequestSigningHeaders headers{"AZ4WQCLDT2DF0", "20260920T010203Z", "900",
                                               "Server",        "payrecon",         "10.0.0.1"};
  const std::string body =
      R"({"merchantId":"AZ4WQCLDT2DF0","chargeId":"test12345k121wseddwr","amazonChargeId":"P04-9627949-2839206",)"
      R"("status":"CaptureApproved","requestedAmount":"1.00","approvedAmount":"1.00","currencyCode":"INR",)"
      R"("customData":"web-request","createTime":"2020-12-14T16:45:49.862Z","updateTime":"2020-12-14T16:47:03.629Z"})";
  const std::string host_path = "amazonpay.amazon.in/v1/payments/charge";
  const std::string amz_date = "20201006T081607Z";
  const std::string request_id = "24db7636-2d3e-401d-b5a3-7791a94d537c";
  const std::string response_signature = signer.Sign(
      signing::CanonicalResponseText("GET", host_path, signing::kAlgorithm, amz_date, request_id,
                                     core::ParseJson(body).value()),
      amz_date);

  const auto sign_request = [&] {
    const std::string canonical = signing::CanonicalText(
        {"GET",
         host_path,
         {{"merchantId", "AZ4WQCLDT2DF0"}, {"txnIdType", "MerchantTxnId"}, {"txnId", "test12345k121wseddwr"}},
         signing::SignedHeaderPairs(headers),
         {}});
    return signing::AuthorizationHeader("f57bbc68-fa6a-4c5e-a281-d39db51a26c6",
                                        signer.Sign(canonical, headers.amz_date))
        .size();
  };
  const auto verify_response = [&] {
    gateway::Exchange e;
    e.transport = gateway::Transport::kCompleted;
    e.http_status = 200;
    e.body = body;
    e.headers = {"AWS4-HMAC-SHA384", amz_date, request_id, response_signature, "", true, true};
    gateway::InspectResponse(e, "GET", host_path, signer);
    core::Observation observation;
    const core::CheckResult r = gateway::Classify(e, [&](const core::JsonValue& json) -> std::optional<std::string> {
      auto o = gateway::ParseObservation(json, core::Kind::kCharge);
      if (!o.ok()) return o.error();
      observation = std::move(o).value();
      return std::nullopt;
    });
    if (r.outcome != core::CheckOutcome::kObserved) std::abort();
    return observation.status_word.size();
  };
  const std::string canonical_600(600, 'x');
  const auto hmac_only = [&] { return signer.Sign(canonical_600, amz_date).size(); };

  std::printf("gateway CPU cost per operation (µs); %d runs x %d batches x %d ops, median and p90 over batches\n",
              kRuns, kBatchesPerRun, kOpsPerBatch);
  std::printf("| operation | median µs | p90 µs | best run mean µs |\n|---|---|---|---|\n");
  const struct {
    const char* name;
    std::function<std::size_t()> op;
  } rows[] = {
      {"sign one status request (canonical + sign + Authorization)", sign_request},
      {"verify one status response (JSON + canonical + verify + digest + observation)", verify_response},
      {"Signer::Sign of a 600-byte canonical text", hmac_only},
  };
  for (const auto& row : rows) {
    const Figures f = Measure(row.op);
    std::printf("| %s | %.2f | %.2f | %.2f |\n", row.name, f.median_us, f.p90_us, f.best_run_us);
  }
  return sink == 42 ? 1 : 0;
}
