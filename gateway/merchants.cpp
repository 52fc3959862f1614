#include "gateway/merchants.h"

namespace payrecon::gateway {

Merchant::Merchant(MerchantCredentials credentials)
    : credentials_(std::move(credentials)), signer_(credentials_.secret_key) {
  if (credentials_.merchant_id.empty()) throw InvalidOptions("merchant credentials: empty merchant id");
  if (credentials_.access_key_id.empty()) {
    throw InvalidOptions("merchant '" + credentials_.merchant_id + "': empty access key id");
  }
  if (credentials_.secret_key.empty()) {
    throw InvalidOptions("merchant '" + credentials_.merchant_id + "': empty secret key");
  }
}

Merchants::Merchants(std::vector<MerchantCredentials> credentials) {
  for (auto& c : credentials) {
    auto merchant = std::make_unique<Merchant>(std::move(c));
    const std::string id = merchant->merchant_id();
    if (!by_id_.emplace(id, std::move(merchant)).second) {
      throw InvalidOptions("merchant '" + id + "': configured twice");
    }
  }
}

const Merchant* Merchants::Find(std::string_view merchant_id) const {
  const auto it = by_id_.find(merchant_id);
  return it == by_id_.end() ? nullptr : it->second.get();
}

}  // namespace payrecon::gateway
