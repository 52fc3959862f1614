#include "gateway/status_checker.h"

#include "gateway/calls.h"

namespace payrecon::gateway {

core::CheckResult MerchantNotConfigured(const std::string& merchant_id) {
  core::CheckResult r;
  r.outcome = core::CheckOutcome::kInvalidRequest;
  r.gateway_code = std::string(kMerchantNotConfigured);
  r.message = "no credentials for merchant '" + merchant_id + "'";
  return r;
}

GatewayStatusChecker::GatewayStatusChecker(GatewayOptions options, std::shared_ptr<const Merchants> merchants,
                                           Clock clock)
    : merchants_(std::move(merchants)), client_(std::move(options), std::move(clock)) {
  if (!merchants_) throw InvalidOptions("gateway status checker: no merchants given");
}

GatewayStatusChecker::GatewayStatusChecker(GatewayOptions options, std::vector<MerchantCredentials> credentials,
                                           Clock clock)
    : GatewayStatusChecker(std::move(options), std::make_shared<const Merchants>(std::move(credentials)),
                           std::move(clock)) {}

core::CheckResult GatewayStatusChecker::StatusCheck(const core::StatusQuery& query) {
  const Merchant* merchant = merchants_->Find(query.merchant_id);
  if (merchant == nullptr) return MerchantNotConfigured(query.merchant_id);
  return GetStatus(client_, *merchant,
                   {query.kind, query.txn_id, query.by_amazon_id ? TxnIdType::kAmazonTxnId : TxnIdType::kMerchantTxnId});
}

}  // namespace payrecon::gateway
