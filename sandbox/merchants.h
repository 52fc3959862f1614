#pragma once
// The merchants the sandbox knows: ids, access keys and secrets, read from a small YAML file. A sandbox secret
// is a test secret, so a file is the right place for it here (never for the worker's real keys).
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "core/money.h"
#include "core/secret.h"
#include "signing/signer.h"

namespace payrecon::sandbox {

struct Merchant {
  std::uint16_t index = 0;           // position in the directory
  std::string merchant_id;           // x-amz-client-id and merchantId
  std::string access_key_id;         // the key id in "Authorization: AMZ <key>:<signature>"
  std::shared_ptr<signing::Signer> signer;  // holds the secret
  core::Paise balance = 1000000;          // AmazonPayBalance totalBalance / redeemableBalance (default 10000.00)
  core::Paise pay_later_credit = 5000000; // AmazonPayLater availableCredit (default 50000.00)
};

class MerchantsError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class MerchantDirectory {
 public:
  // Parses YAML text:
  //   merchants:
  //     - merchant_id: A2XMNOQAN8MC64
  //       access_key_id: 5e0f3c7a-…
  //       secret: TEST_SECRET
  //       balance: "7263.50"            # optional
  //       pay_later_credit: "50000"     # optional
  // Unknown keys, missing fields, duplicate ids or keys and bad amounts throw MerchantsError naming the entry.
  static MerchantDirectory FromYaml(std::string_view yaml_text);
  static MerchantDirectory FromFile(const std::string& path);

  const Merchant* ById(std::string_view merchant_id) const;
  const Merchant* ByAccessKey(std::string_view access_key_id) const;
  const Merchant& At(std::uint16_t index) const { return merchants_[index]; }
  std::size_t size() const { return merchants_.size(); }

 private:
  std::vector<Merchant> merchants_;
};

}  // namespace payrecon::sandbox
