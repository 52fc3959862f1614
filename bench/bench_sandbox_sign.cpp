// Writes a wrk Lua script that cycles through pre-signed Get Status requests (x-amz-expires 3600, so a run of
// a few minutes stays valid), for benchmarking payrecon-sandbox with wrk. Usage:
//   bench_sandbox_sign MERCHANT_ID ACCESS_KEY_ID SECRET SIGNING_HOST TXN_PREFIX COUNT > status.lua
// The requests ask for TXN_PREFIX1 … TXN_PREFIXCOUNT by MerchantTxnId.
#include <chrono>
#include <cstdio>
#include <iostream>
#include <string>

#include "core/time.h"
#include "signing/canonical.h"
#include "signing/signer.h"

using namespace payrecon;

int main(int argc, char** argv) {
  if (argc != 7) {
    std::cerr << "usage: bench_sandbox_sign MERCHANT_ID ACCESS_KEY_ID SECRET SIGNING_HOST TXN_PREFIX COUNT\n";
    return 2;
  }
  const std::string merchant_id = argv[1];
  const std::string key = argv[2];
  const signing::Signer signer{core::Secret(argv[3])};
  const std::string host = argv[4];
  const std::string prefix = argv[5];
  const int count = std::stoi(argv[6]);
  const auto now = std::chrono::time_point_cast<core::Millis>(std::chrono::system_clock::now());
  signing::RequestSigningHeaders h{
      merchant_id, core::FormatAmzDate(core::Instant(now)), "3600", "Server", "payrecon-bench", "127.0.0.1"};
  // The requests are formatted in init(), once wrk.host is known (wrk.format fills in Host from it).
  std::cout << "local requests = {}\ninit = function(args)\n";
  for (int i = 1; i <= count; ++i) {
    const std::string txn = prefix + std::to_string(i);
    std::vector<signing::Pair> query = {{"merchantId", merchant_id}, {"txnIdType", "MerchantTxnId"}, {"txnId", txn}};
    const std::string path = "/v1/payments/charge?" + signing::CanonicalPairs(query);
    const std::string canonical =
        signing::CanonicalText({"GET", host + "/v1/payments/charge", query, signing::SignedHeaderPairs(h), {}});
    std::cout << "  requests[" << i << "] = wrk.format(\"GET\", \"" << path << "\", {";
    for (const auto& p : signing::SignedHeaderPairs(h)) std::cout << "[\"" << p.key << "\"] = \"" << p.value << "\", ";
    std::cout << "[\"Authorization\"] = \"" << signing::AuthorizationHeader(key, signer.Sign(canonical, h.amz_date))
              << "\"})\n";
  }
  std::cout << "end\n"
               "local n = 0\n"
               "request = function()\n"
               "  n = n % #requests + 1\n"
               "  return requests[n]\n"
               "end\n"
               "done = function(summary, latency, requests)\n"
               "  io.write(string.format(\"non2xx_reported_by_wrk=%d\\n\", summary.errors.status))\n"
               "end\n";
  return 0;
}
