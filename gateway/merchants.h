#pragma once
// The merchants the gateway can sign for: credentials plus a signer (which caches the day's signing key).
// Built once from configuration and shared, read-only, by every worker thread's client.
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "gateway/options.h"
#include "signing/signer.h"

namespace payrecon::gateway {

class Merchant {
 public:
  // Throws InvalidOptions when merchant_id, access_key_id or the secret is empty.
  explicit Merchant(MerchantCredentials credentials);
  const std::string& merchant_id() const { return credentials_.merchant_id; }
  const std::string& access_key_id() const { return credentials_.access_key_id; }
  // Thread-safe.
  const signing::Signer& signer() const { return signer_; }

 private:
  MerchantCredentials credentials_;
  signing::Signer signer_;
};

// Merchants by id. Thread-safe for lookups.
class Merchants {
 public:
  // Throws InvalidOptions for a duplicate or invalid merchant (the message quotes the merchant id, never a secret).
  explicit Merchants(std::vector<MerchantCredentials> credentials);
  // The merchant, or nullptr when it has no credentials.
  const Merchant* Find(std::string_view merchant_id) const;
  std::size_t size() const { return by_id_.size(); }

 private:
  std::map<std::string, std::unique_ptr<Merchant>, std::less<>> by_id_;
};

}  // namespace payrecon::gateway
