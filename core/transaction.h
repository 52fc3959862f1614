#pragma once
// A transaction (our row: one charge, refund or top-up) and the discrepancy codes a human must look at.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/money.h"
#include "core/status.h"
#include "core/time.h"

namespace payrecon::core {

struct Transaction {
  std::int64_t id = 0;
  Kind kind = Kind::kCharge;
  std::string merchant_id;
  std::string merchant_txn_id;         // our chargeId / refundId
  std::string amazon_txn_id;           // empty when not known yet
  std::string parent_merchant_txn_id;  // a refund's charge; empty otherwise
  Paise amount = 0;
  std::string currency = "INR";
  Status status = Status::kCapturePending;
  Instant created_at{};
  Instant updated_at{};
  // Bookkeeping.
  Instant next_check_at{};                   // due when next_check_at <= now
  int check_count = 0;                       // checks answered while pending: the position on the pending ladder
  int error_count = 0;                       // consecutive failed checks: the position on the error back-off
  std::optional<Paise> approved_amount;      // from the gateway
  std::optional<Instant> gateway_updated_at; // the gateway's updateTime of the observation last applied
  std::string last_error;
  bool needs_review = false;                 // an open discrepancy exists
};

enum class DiscrepancyCode {
  kAmountMismatch,    // approved / requested / refund amount differs from ours
  kCurrencyMismatch,  // the gateway's currency differs from ours
  kNotFound,          // the gateway does not know the transaction, past the grace period
  kCheckFailing,      // checks keep failing (timeouts, 5xx, malformed) past the error limit
  kSignatureInvalid,  // a response's signature was missing or wrong: never applied
  kStuckPending,      // still pending past its deadline
  kStatusConflict,    // final here, different final (or pending) at the gateway: never overwritten
  kUnknownStatus,     // a status word we do not know
  kMerchantConfig,    // MerchantIdMismatch / InvalidArguments / no credentials for the merchant
};

inline constexpr DiscrepancyCode kAllDiscrepancyCodes[] = {
    DiscrepancyCode::kAmountMismatch, DiscrepancyCode::kCurrencyMismatch, DiscrepancyCode::kNotFound,
    DiscrepancyCode::kCheckFailing,   DiscrepancyCode::kSignatureInvalid, DiscrepancyCode::kStuckPending,
    DiscrepancyCode::kStatusConflict, DiscrepancyCode::kUnknownStatus,    DiscrepancyCode::kMerchantConfig};

// "AMOUNT_MISMATCH", "CURRENCY_MISMATCH", "NOT_FOUND", "CHECK_FAILING", "SIGNATURE_INVALID", "STUCK_PENDING",
// "STATUS_CONFLICT", "UNKNOWN_STATUS", "MERCHANT_CONFIG".
std::string_view DiscrepancyCodeName(DiscrepancyCode code);
std::optional<DiscrepancyCode> DiscrepancyCodeFromName(std::string_view name);

}  // namespace payrecon::core
