#pragma once
// Typed calls for every Amazon Pay India endpoint payrecon knows (docs/amazon-pay-protocol.md §3, §4): Get Status,
// Charge, Refund, Top-up and Get Instruments. Requests carry amounts as paise and send every value as a string; results
// are values classified by Classify (gateway/response.h), never exceptions.
#include <array>
#include <optional>
#include <string>
#include <string_view>

#include "core/check.h"
#include "core/json.h"
#include "core/money.h"
#include "core/status.h"
#include "gateway/client.h"

namespace payrecon::gateway {

// Paths (docs/amazon-pay-protocol.md §3: every status query goes to /v1/payments/charge, whatever the kind; an older
// page names /v1/payments/{txnType}, which no sample uses). One table, indexed by core::Kind.
inline constexpr std::string_view kStatusPathCharge = "/v1/payments/charge";
inline constexpr std::string_view kStatusPathRefund = "/v1/payments/charge";
inline constexpr std::string_view kStatusPathTopup = "/v1/payments/charge";
std::string_view StatusPath(core::Kind kind);
inline constexpr std::string_view kChargePath = "/v1/payments/charge";
inline constexpr std::string_view kRefundPath = "/v1/payments/refund";
inline constexpr std::string_view kTopupPath = "/v1/payments/topup";
inline constexpr std::string_view kInstrumentsPath = "/v1/payments/instruments";

enum class TxnIdType { kMerchantTxnId, kAmazonTxnId };
// "MerchantTxnId", "AmazonTxnId".
std::string_view TxnIdTypeName(TxnIdType type);

// The outcome of a typed call: `check` is classified like a status check; `value` is set exactly when
// check.outcome == kObserved (a verified 2xx whose body was read).
template <class T>
struct CallResult {
  core::CheckResult check;
  std::optional<T> value;
};

// ---- Get Status: GET /v1/payments/charge?merchantId=&txnId=&txnIdType= ----

struct StatusRequest {
  core::Kind kind = core::Kind::kCharge;
  std::string txn_id;
  TxnIdType id_type = TxnIdType::kMerchantTxnId;
};
// The observation is in check.observation. Unknown status words are observations with status == nullopt.
// An answer whose id of the requested type (chargeId/refundId, or amazonChargeId/amazonRefundId) names another
// transaction is kMalformed: the response signature does not cover the query.
core::CheckResult GetStatus(Client& client, const Merchant& merchant, const StatusRequest& request);
// GetStatus in its two halves, for a caller that moves the bytes itself (the concurrent checker): the request to
// sign and send, and the classification of what came back.
Request StatusHttpRequest(const Merchant& merchant, const StatusRequest& request);
core::CheckResult ClassifyStatus(const Exchange& exchange, const Merchant& merchant, const StatusRequest& request);

// Reads a status (or charge/refund) response body into an observation. Ids follow `kind` (refundId /
// amazonRefundId for refunds, chargeId / amazonChargeId otherwise); every amount field present is read from a
// string or a JSON number token; times with core::ParseIso8601. Errors: missing or non-string status, a bad
// amount, a bad time, a non-object body.
core::Expected<core::Observation> ParseObservation(const core::JsonValue& body, core::Kind kind);

// ---- Charge: POST /v1/payments/charge ----

inline constexpr std::string_view kChargeIntent = "Capture";
inline constexpr std::string_view kChargeProgram = "S2SPay";
inline constexpr std::string_view kTopupProgram = "LienAndPay";

struct ChargeRequest {
  core::Paise amount = 0;
  std::string currency = "INR";
  std::string charge_id;          // ≤ 50 of [A-Za-z0-9_-]
  std::string reference_id;
  std::string access_token;
  std::string callback_url;
  int timeout_in_secs = 900;      // 300..900
  // Optional fields are omitted when nullopt and sent as "" when empty.
  std::optional<std::string> note_to_customer;
  std::optional<std::string> custom_data;
  std::optional<std::string> payment_meta_data;
  std::optional<std::string> selected_payment_instrument_type;  // "AmazonPayLater"
};
struct ChargeResponse {
  core::Observation observation;  // status, chargeId, amazonChargeId, amounts, times
  std::string amazon_pay_url;     // set with CapturePending: where to send the customer
};
CallResult<ChargeResponse> Charge(Client& client, const Merchant& merchant, const ChargeRequest& request);

// ---- Refund: POST /v1/payments/refund ----

struct RefundRequest {
  core::Paise amount = 0;
  std::string currency = "INR";
  std::string refund_id;          // ≤ 32 of [A-Za-z0-9_-]
  std::string charge_id;
  TxnIdType charge_id_type = TxnIdType::kMerchantTxnId;
  std::optional<std::string> note_to_customer;
  std::optional<std::string> soft_descriptor;
};
struct RefundResponse {
  core::Observation observation;          // status, refundId, amazonRefundId, amount, times
  std::optional<core::Paise> refunded_fee;
};
CallResult<RefundResponse> Refund(Client& client, const Merchant& merchant, const RefundRequest& request);

// ---- Top-up: POST /v1/payments/topup ----
// The response is [unknown] (docs/amazon-pay-protocol.md §4): it is read like a charge response.

struct TopupRequest {
  core::Paise amount = 0;
  std::string currency = "INR";
  std::string charge_id;
  std::string reference_id;
  std::string access_token;
  std::string callback_url;
  int timeout_in_secs = 900;
};
CallResult<ChargeResponse> Topup(Client& client, const Merchant& merchant, const TopupRequest& request);

// ---- Get Instruments: GET /v1/payments/instruments ----

inline constexpr std::string_view kInstrumentBalance = "AmazonPayBalance";
inline constexpr std::string_view kInstrumentPayLater = "AmazonPayLater";

struct BalanceRequest {
  std::string access_token;
};
struct BalanceResponse {
  bool enabled = false;
  std::int64_t priority = 0;
  core::Paise total_balance = 0;
  core::Paise redeemable_balance = 0;  // what to show the customer
};
CallResult<BalanceResponse> GetBalance(Client& client, const Merchant& merchant, const BalanceRequest& request);

enum class IneligibilityCode {
  kKycExpired,                      // APL_KYC_EXPIRED
  kUnavailable,                     // APL_UNAVAILABLE
  kUnregisteredAccount,             // APL_UNREGISTERED_ACCOUNT
  kStandingInstructionExceeded,     // APL_STANDING_INSTRUCTION_EXCEEDED
  kOneMonthInstallmentUnavailable,  // APL_ONE_MONTH_INSTALLMENT_UNAVAILABLE
  kInsufficientCredit,              // APL_INSUFFICIENT_CREDIT
};
std::string_view IneligibilityCodeName(IneligibilityCode code);
// Exact match; nullopt for any other word.
std::optional<IneligibilityCode> IneligibilityCodeFromName(std::string_view name);

struct PayLaterRequest {
  std::string access_token;
  core::Paise amount = 0;  // ≥ 1 paisa, else the gateway answers 400 InvalidArguments
};
struct PayLaterResponse {
  bool enabled = false;
  std::int64_t priority = 0;
  core::Paise available_credit = 0;
  std::string ineligibility_code_text;                 // as sent; empty when null or absent
  std::optional<IneligibilityCode> ineligibility_code;  // nullopt when absent or unknown
  std::string ineligibility_reason;                     // show it to the customer verbatim
  std::string key_fact_statement_url;
};
CallResult<PayLaterResponse> GetPayLater(Client& client, const Merchant& merchant, const PayLaterRequest& request);

}  // namespace payrecon::gateway
