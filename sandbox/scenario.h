#pragma once
// Scenario files: the gateway-side truth of many transactions, one CSV line each, loaded at start-up
// (--scenario FILE) or through POST /sandbox/transactions. The format is a contract; README "payrecon-sandbox"
// documents it. Loading is all or nothing: the first bad line stops it and nothing of that load stays.
#include <cstdint>
#include <istream>
#include <stdexcept>
#include <string>
#include <string_view>

#include "sandbox/merchants.h"
#include "sandbox/store.h"

namespace payrecon::sandbox {

inline constexpr std::string_view kScenarioHeader =
    "merchant_id,kind,merchant_txn_id,amazon_txn_id,parent_txn_id,amount,currency,status,settle_after_ms,"
    "settle_to,approved_amount,fault";
inline constexpr std::size_t kScenarioColumns = 12;

class ScenarioError : public std::runtime_error {
 public:
  ScenarioError(std::size_t line, const std::string& message)
      : std::runtime_error("line " + std::to_string(line) + ": " + message), line_(line) {}
  std::size_t line() const { return line_; }

 private:
  std::size_t line_;
};

// Reads the header and every line from `in`, inserting into `store` with creation time `now_ms` (sandbox clock)
// and settle instants now_ms + settle_after_ms. Blank lines and lines starting with '#' are skipped.
// Returns the number of transactions loaded. Throws ScenarioError (line number, reason) on the first bad line,
// after removing what this call had inserted.
std::size_t LoadScenario(std::istream& in, const MerchantDirectory& merchants, Store& store, std::int64_t now_ms);

}  // namespace payrecon::sandbox
