#pragma once
// core::StatusChecker over Amazon Pay's Get Status API for many merchants: one keep-alive client, the merchants'
// credentials shared read-only. Not thread-safe: the job creates one per worker thread.
#include <memory>
#include <vector>

#include "core/ports.h"
#include "gateway/client.h"
#include "gateway/merchants.h"
#include "gateway/options.h"

namespace payrecon::gateway {

// gateway_code of the result for a merchant without credentials (outcome kInvalidRequest, http_status 0).
inline constexpr std::string_view kMerchantNotConfigured = "MerchantNotConfigured";

// The result for a merchant without credentials: no call is made.
core::CheckResult MerchantNotConfigured(const std::string& merchant_id);

class GatewayStatusChecker final : public core::StatusChecker {
 public:
  // Throws InvalidOptions. `merchants` may be shared by many checkers (one per thread).
  GatewayStatusChecker(GatewayOptions options, std::shared_ptr<const Merchants> merchants, Clock clock = env::WallNow);
  // Convenience: builds its own Merchants (throws InvalidOptions for bad or duplicate credentials).
  GatewayStatusChecker(GatewayOptions options, std::vector<MerchantCredentials> credentials,
                       Clock clock = env::WallNow);

  // One Get Status call by query.merchant_id's credentials; never throws for per-transaction problems.
  // No credentials for the merchant: kInvalidRequest, gateway_code kMerchantNotConfigured, no network call.
  core::CheckResult StatusCheck(const core::StatusQuery& query) override;
  void PrepareConnection() override { client_.PrepareConnection(); }

  Client& client() { return client_; }

 private:
  std::shared_ptr<const Merchants> merchants_;
  Client client_;
};

}  // namespace payrecon::gateway
