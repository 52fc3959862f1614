#include "core/transaction.h"

namespace payrecon::core {

std::string_view DiscrepancyCodeName(DiscrepancyCode code) {
  switch (code) {
    case DiscrepancyCode::kAmountMismatch: return "AMOUNT_MISMATCH";
    case DiscrepancyCode::kCurrencyMismatch: return "CURRENCY_MISMATCH";
    case DiscrepancyCode::kNotFound: return "NOT_FOUND";
    case DiscrepancyCode::kCheckFailing: return "CHECK_FAILING";
    case DiscrepancyCode::kSignatureInvalid: return "SIGNATURE_INVALID";
    case DiscrepancyCode::kStuckPending: return "STUCK_PENDING";
    case DiscrepancyCode::kStatusConflict: return "STATUS_CONFLICT";
    case DiscrepancyCode::kUnknownStatus: return "UNKNOWN_STATUS";
    case DiscrepancyCode::kMerchantConfig: return "MERCHANT_CONFIG";
  }
  return "?";
}

std::optional<DiscrepancyCode> DiscrepancyCodeFromName(std::string_view name) {
  for (DiscrepancyCode c : kAllDiscrepancyCodes) {
    if (DiscrepancyCodeName(c) == name) return c;
  }
  return std::nullopt;
}

}  // namespace payrecon::core
