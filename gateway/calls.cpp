#include "gateway/calls.h"

#include <charconv>

namespace payrecon::gateway {
namespace {

using core::JsonValue;
using Type = core::JsonValue::Type;
using Problem = std::optional<std::string>;

std::string Quote(std::string_view field) { return "field '" + std::string(field) + "'"; }

// A member that is absent or null reads as nothing.
const JsonValue* Present(const JsonValue& body, std::string_view key) {
  const JsonValue* v = body.Find(key);
  return v == nullptr || v->is_null() ? nullptr : v;
}

Problem ReadString(const JsonValue& body, std::string_view key, std::string& out, bool required = false) {
  const JsonValue* v = Present(body, key);
  if (v == nullptr) return required ? Problem(Quote(key) + " is missing") : std::nullopt;
  if (v->type() != Type::kString) return Quote(key) + " is not a string";
  out = v->text();
  return std::nullopt;
}

// Amounts arrive as strings ("1.00") or, in refund samples, JSON numbers (0.01): both are read from their text.
Problem ReadAmount(const JsonValue& body, std::string_view key, std::optional<core::Paise>& out,
                   bool required = false) {
  const JsonValue* v = Present(body, key);
  if (v == nullptr) return required ? Problem(Quote(key) + " is missing") : std::nullopt;
  if (v->type() != Type::kString && v->type() != Type::kNumber) return Quote(key) + " is not an amount";
  auto paise = core::ParseAmount(v->text());
  if (!paise.ok()) return Quote(key) + ": " + paise.error();
  out = *paise;
  return std::nullopt;
}

Problem ReadTime(const JsonValue& body, std::string_view key, std::optional<core::Instant>& out) {
  const JsonValue* v = Present(body, key);
  if (v == nullptr) return std::nullopt;
  if (v->type() != Type::kString) return Quote(key) + " is not a string";
  auto t = core::ParseIso8601(v->text());
  if (!t.ok()) return Quote(key) + ": " + t.error();
  out = *t;
  return std::nullopt;
}

Problem ReadBool(const JsonValue& body, std::string_view key, bool& out) {
  const JsonValue* v = Present(body, key);
  if (v == nullptr) return Quote(key) + " is missing";
  if (v->type() != Type::kBool) return Quote(key) + " is not a boolean";
  out = v->as_bool();
  return std::nullopt;
}

// A non-negative integer, as a JSON number token or a string of digits.
Problem ReadInteger(const JsonValue& body, std::string_view key, std::int64_t& out) {
  const JsonValue* v = Present(body, key);
  if (v == nullptr) return Quote(key) + " is missing";
  if (v->type() != Type::kString && v->type() != Type::kNumber) return Quote(key) + " is not an integer";
  const std::string& t = v->text();
  const auto [p, ec] = std::from_chars(t.data(), t.data() + t.size(), out);
  if (t.empty() || t.front() == '-' || ec != std::errc() || p != t.data() + t.size()) {
    return Quote(key) + " is not an integer: \"" + t + "\"";
  }
  return std::nullopt;
}

const JsonValue* Object(const JsonValue& body, std::string_view key, std::string& problem) {
  const JsonValue* v = Present(body, key);
  if (v == nullptr || !v->is_object()) {
    problem = Quote(key) + (v == nullptr ? " is missing" : " is not an object");
    return nullptr;
  }
  return v;
}

#define PAYRECON_TRY(expr)            \
  do {                                \
    if (Problem p_ = (expr)) return p_; \
  } while (false)

template <class T, class Reader>
CallResult<T> Run(Client& client, const Merchant& merchant, const Request& request, Reader reader) {
  T value{};
  CallResult<T> out;
  out.check = Classify(client.Call(merchant, request), [&](const JsonValue& body) { return reader(body, value); });
  if (out.check.outcome == core::CheckOutcome::kObserved) out.value = std::move(value);
  return out;
}

core::CheckResult LocalInvalid(std::string message) {
  core::CheckResult r;
  r.outcome = core::CheckOutcome::kInvalidRequest;
  r.message = std::move(message);
  return r;
}

void AddOptional(std::vector<signing::Pair>& body, std::string key, const std::optional<std::string>& value) {
  if (value) body.push_back({std::move(key), *value});
}

Problem ReadChargeResponse(const JsonValue& body, ChargeResponse& out, core::Kind kind) {
  auto observation = ParseObservation(body, kind);
  if (!observation.ok()) return observation.error();
  out.observation = std::move(observation).value();
  return ReadString(body, "amazonPayUrl", out.amazon_pay_url);
}

}  // namespace

std::string_view StatusPath(core::Kind kind) {
  switch (kind) {
    case core::Kind::kCharge: return kStatusPathCharge;
    case core::Kind::kRefund: return kStatusPathRefund;
    case core::Kind::kTopup: return kStatusPathTopup;
  }
  return kStatusPathCharge;
}

std::string_view TxnIdTypeName(TxnIdType type) {
  return type == TxnIdType::kAmazonTxnId ? "AmazonTxnId" : "MerchantTxnId";
}

core::Expected<core::Observation> ParseObservation(const JsonValue& body, core::Kind kind) {
  const auto read = [&](core::Observation& o) -> Problem {
    if (!body.is_object()) return std::string("response body is not a JSON object");
    PAYRECON_TRY(ReadString(body, "status", o.status_word, true));
    if (o.status_word.empty()) return Quote("status") + " is empty";
    o.status = core::StatusFromName(o.status_word);
    const bool refund = kind == core::Kind::kRefund;
    PAYRECON_TRY(ReadString(body, refund ? "refundId" : "chargeId", o.merchant_txn_id));
    PAYRECON_TRY(ReadString(body, refund ? "amazonRefundId" : "amazonChargeId", o.amazon_txn_id));
    PAYRECON_TRY(ReadAmount(body, "requestedAmount", o.requested_amount));
    PAYRECON_TRY(ReadAmount(body, "approvedAmount", o.approved_amount));
    PAYRECON_TRY(ReadAmount(body, "amount", o.amount));
    std::optional<core::Paise> refunded_fee;  // checked like every amount; RefundResponse keeps it
    PAYRECON_TRY(ReadAmount(body, "refundedFee", refunded_fee));
    PAYRECON_TRY(ReadString(body, "currencyCode", o.currency));
    PAYRECON_TRY(ReadTime(body, "createTime", o.create_time));
    PAYRECON_TRY(ReadTime(body, "updateTime", o.update_time));
    return std::nullopt;
  };
  core::Observation o;
  if (Problem p = read(o)) return core::Error{*p};
  return o;
}

Request StatusHttpRequest(const Merchant& merchant, const StatusRequest& request) {
  return Request{"GET",
                 std::string(StatusPath(request.kind)),
                 {{"merchantId", merchant.merchant_id()},
                  {"txnIdType", std::string(TxnIdTypeName(request.id_type))},
                  {"txnId", request.txn_id}},
                 {}};
}

core::CheckResult ClassifyStatus(const Exchange& exchange, const Merchant& merchant, const StatusRequest& request) {
  core::Observation observation;
  core::CheckResult r = Classify(exchange, [&](const JsonValue& body) -> Problem {
    auto o = ParseObservation(body, request.kind);
    if (!o.ok()) return o.error();
    // The signed text does not cover the query, so a verified answer about another transaction is refused here.
    const bool by_amazon = request.id_type == TxnIdType::kAmazonTxnId;
    const std::string& answered = by_amazon ? o->amazon_txn_id : o->merchant_txn_id;
    if (answered.empty()) {
      return std::string("response does not name the transaction (no ") +
             (by_amazon ? "amazonChargeId/amazonRefundId" : "chargeId/refundId") + ")";
    }
    if (answered != request.txn_id) {
      return "response is about '" + answered + "', not the requested '" + request.txn_id + "'";
    }
    if (const JsonValue* mid = body.Find("merchantId");
        mid != nullptr && mid->type() == JsonValue::Type::kString && mid->text() != merchant.merchant_id()) {
      return "response is for merchant '" + mid->text() + "', not '" + merchant.merchant_id() + "'";
    }
    observation = std::move(o).value();
    return std::nullopt;
  });
  if (r.outcome == core::CheckOutcome::kObserved) r.observation = std::move(observation);
  return r;
}

core::CheckResult GetStatus(Client& client, const Merchant& merchant, const StatusRequest& request) {
  return ClassifyStatus(client.Call(merchant, StatusHttpRequest(merchant, request)), merchant, request);
}

CallResult<ChargeResponse> Charge(Client& client, const Merchant& merchant, const ChargeRequest& request) {
  if (request.amount <= 0) return {LocalInvalid("charge amount must be positive"), std::nullopt};
  Request http{"POST", std::string(kChargePath), {}, {}};
  http.body = {{"intent", std::string(kChargeIntent)},
               {"amount", core::FormatAmount(request.amount)},
               {"currencyCode", request.currency},
               {"callbackUrl", request.callback_url},
               {"accessToken", request.access_token},
               {"chargeId", request.charge_id},
               {"referenceId", request.reference_id},
               {"merchantId", merchant.merchant_id()},
               {"attributableProgram", std::string(kChargeProgram)},
               {"timeoutInSecs", std::to_string(request.timeout_in_secs)}};
  AddOptional(http.body, "noteToCustomer", request.note_to_customer);
  AddOptional(http.body, "customData", request.custom_data);
  AddOptional(http.body, "paymentMetaData", request.payment_meta_data);
  AddOptional(http.body, "selectedPaymentInstrumentType", request.selected_payment_instrument_type);
  return Run<ChargeResponse>(client, merchant, http, [](const JsonValue& body, ChargeResponse& out) {
    return ReadChargeResponse(body, out, core::Kind::kCharge);
  });
}

CallResult<RefundResponse> Refund(Client& client, const Merchant& merchant, const RefundRequest& request) {
  if (request.amount <= 0) return {LocalInvalid("refund amount must be positive"), std::nullopt};
  Request http{"POST", std::string(kRefundPath), {}, {}};
  http.body = {{"amount", core::FormatAmount(request.amount)},
               {"currencyCode", request.currency},
               {"refundId", request.refund_id},
               {"chargeIdType", std::string(TxnIdTypeName(request.charge_id_type))},
               {"chargeId", request.charge_id},
               {"merchantId", merchant.merchant_id()}};
  AddOptional(http.body, "noteToCustomer", request.note_to_customer);
  AddOptional(http.body, "softDescriptor", request.soft_descriptor);
  return Run<RefundResponse>(client, merchant, http, [](const JsonValue& body, RefundResponse& out) -> Problem {
    auto o = ParseObservation(body, core::Kind::kRefund);
    if (!o.ok()) return o.error();
    out.observation = std::move(o).value();
    return ReadAmount(body, "refundedFee", out.refunded_fee);
  });
}

CallResult<ChargeResponse> Topup(Client& client, const Merchant& merchant, const TopupRequest& request) {
  if (request.amount <= 0) return {LocalInvalid("top-up amount must be positive"), std::nullopt};
  Request http{"POST", std::string(kTopupPath), {}, {}};
  http.body = {{"accessToken", request.access_token},
               {"amount", core::FormatAmount(request.amount)},
               {"attributableProgram", std::string(kTopupProgram)},
               {"callbackUrl", request.callback_url},
               {"chargeId", request.charge_id},
               {"currencyCode", request.currency},
               {"merchantId", merchant.merchant_id()},
               {"referenceId", request.reference_id},
               {"timeoutInSecs", std::to_string(request.timeout_in_secs)}};
  return Run<ChargeResponse>(client, merchant, http, [](const JsonValue& body, ChargeResponse& out) {
    return ReadChargeResponse(body, out, core::Kind::kTopup);
  });
}

CallResult<BalanceResponse> GetBalance(Client& client, const Merchant& merchant, const BalanceRequest& request) {
  const Request http{"GET",
                     std::string(kInstrumentsPath),
                     {{"merchantId", merchant.merchant_id()},
                      {"accessToken", request.access_token},
                      {"instrumentTypes", std::string(kInstrumentBalance)}},
                     {}};
  return Run<BalanceResponse>(client, merchant, http, [](const JsonValue& body, BalanceResponse& out) -> Problem {
    std::string problem;
    const JsonValue* b = Object(body, "amazonPayBalance", problem);
    if (b == nullptr) return problem;
    PAYRECON_TRY(ReadBool(*b, "enabled", out.enabled));
    PAYRECON_TRY(ReadInteger(*b, "priority", out.priority));
    std::optional<core::Paise> total, redeemable;
    PAYRECON_TRY(ReadAmount(*b, "totalBalance", total, true));
    PAYRECON_TRY(ReadAmount(*b, "redeemableBalance", redeemable, true));
    out.total_balance = *total;
    out.redeemable_balance = *redeemable;
    return std::nullopt;
  });
}

std::string_view IneligibilityCodeName(IneligibilityCode code) {
  switch (code) {
    case IneligibilityCode::kKycExpired: return "APL_KYC_EXPIRED";
    case IneligibilityCode::kUnavailable: return "APL_UNAVAILABLE";
    case IneligibilityCode::kUnregisteredAccount: return "APL_UNREGISTERED_ACCOUNT";
    case IneligibilityCode::kStandingInstructionExceeded: return "APL_STANDING_INSTRUCTION_EXCEEDED";
    case IneligibilityCode::kOneMonthInstallmentUnavailable: return "APL_ONE_MONTH_INSTALLMENT_UNAVAILABLE";
    case IneligibilityCode::kInsufficientCredit: return "APL_INSUFFICIENT_CREDIT";
  }
  return "?";
}

std::optional<IneligibilityCode> IneligibilityCodeFromName(std::string_view name) {
  for (auto code : {IneligibilityCode::kKycExpired, IneligibilityCode::kUnavailable,
                    IneligibilityCode::kUnregisteredAccount, IneligibilityCode::kStandingInstructionExceeded,
                    IneligibilityCode::kOneMonthInstallmentUnavailable, IneligibilityCode::kInsufficientCredit}) {
    if (IneligibilityCodeName(code) == name) return code;
  }
  return std::nullopt;
}

CallResult<PayLaterResponse> GetPayLater(Client& client, const Merchant& merchant, const PayLaterRequest& request) {
  const Request http{"GET",
                     std::string(kInstrumentsPath),
                     {{"merchantId", merchant.merchant_id()},
                      {"accessToken", request.access_token},
                      {"instrumentTypes", std::string(kInstrumentPayLater)},
                      {"amount", core::FormatAmount(request.amount)}},
                     {}};
  return Run<PayLaterResponse>(client, merchant, http, [](const JsonValue& body, PayLaterResponse& out) -> Problem {
    std::string problem;
    const JsonValue* b = Object(body, "amazonPayLater", problem);
    if (b == nullptr) return problem;
    PAYRECON_TRY(ReadBool(*b, "enabled", out.enabled));
    PAYRECON_TRY(ReadInteger(*b, "priority", out.priority));
    std::optional<core::Paise> credit;
    PAYRECON_TRY(ReadAmount(*b, "availableCredit", credit, true));
    out.available_credit = *credit;
    PAYRECON_TRY(ReadString(*b, "ineligibilityCode", out.ineligibility_code_text));
    out.ineligibility_code = IneligibilityCodeFromName(out.ineligibility_code_text);
    PAYRECON_TRY(ReadString(*b, "ineligibilityReason", out.ineligibility_reason));
    return ReadString(*b, "keyFactStatementUrl", out.key_fact_statement_url);
  });
}

}  // namespace payrecon::gateway
