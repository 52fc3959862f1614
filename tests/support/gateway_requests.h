#pragma once
// Requests for the gateway's typed calls with every required field filled, for tests that care about one or two
// of them: set the rest afterwards. Header-only; the including test links payrecon_gateway.
#include <optional>
#include <string>

#include "core/json.h"
#include "core/money.h"
#include "gateway/calls.h"
#include "gateway/client.h"
#include "gateway/merchants.h"
#include "gateway/response.h"

namespace payrecon::testing {

inline constexpr const char* kTestAccessToken = "Atza|ok";
inline constexpr const char* kTestCallbackUrl = "https://merchant.example/return";

// A Charge or Top-up request (they share their required fields) of `amount` paise, with a valid-looking access
// token and callback URL.
template <class Request>
Request CustomerPaymentOf(core::Paise amount, std::string charge_id, std::string reference_id) {
  Request r;
  r.amount = amount;
  r.charge_id = std::move(charge_id);
  r.reference_id = std::move(reference_id);
  r.access_token = kTestAccessToken;
  r.callback_url = kTestCallbackUrl;
  return r;
}
inline gateway::ChargeRequest ChargeOf(core::Paise amount, std::string charge_id, std::string reference_id = "ref") {
  return CustomerPaymentOf<gateway::ChargeRequest>(amount, std::move(charge_id), std::move(reference_id));
}
inline gateway::TopupRequest TopupOf(core::Paise amount, std::string charge_id, std::string reference_id = "ref") {
  return CustomerPaymentOf<gateway::TopupRequest>(amount, std::move(charge_id), std::move(reference_id));
}

// A Refund of `amount` paise against the charge named by `charge_id` of `charge_id_type`.
inline gateway::RefundRequest RefundOf(core::Paise amount, std::string refund_id, std::string charge_id,
                                       gateway::TxnIdType charge_id_type = gateway::TxnIdType::kMerchantTxnId) {
  gateway::RefundRequest r;
  r.amount = amount;
  r.refund_id = std::move(refund_id);
  r.charge_id = std::move(charge_id);
  r.charge_id_type = charge_id_type;
  return r;
}

// Sends a hand-built request (any path, query and body) and classifies the answer without reading its body:
// for tests of how the server refuses requests the typed calls would never send.
inline core::CheckResult ClassifyRaw(gateway::Client& client, const gateway::Merchant& merchant,
                                     const gateway::Request& request) {
  return gateway::Classify(client.Call(merchant, request),
                           [](const core::JsonValue&) -> std::optional<std::string> { return std::nullopt; });
}

}  // namespace payrecon::testing
