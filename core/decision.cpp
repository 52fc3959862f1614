#include "core/decision.h"

#include <algorithm>
#include <string_view>

namespace payrecon::core {
namespace {

// Gateway error codes that mean our configuration or data is wrong: retrying will not help
// (docs/amazon-pay-protocol.md §5).
constexpr std::string_view kMerchantConfigCodes[] = {"MerchantIdMismatch", "InvalidMerchantId", "InvalidArguments",
                                                     "MerchantNotConfigured"};

bool IsMerchantConfigError(const CheckResult& check) {
  if (check.outcome != CheckOutcome::kInvalidRequest) return false;
  return std::find(std::begin(kMerchantConfigCodes), std::end(kMerchantConfigCodes), check.gateway_code) !=
         std::end(kMerchantConfigCodes);
}

Millis LadderStep(const Policy& policy, int answered_checks) {
  if (answered_checks >= 0 && static_cast<std::size_t>(answered_checks) < policy.pending_ladder.size()) {
    return policy.pending_ladder[static_cast<std::size_t>(answered_checks)];
  }
  return policy.pending_after_ladder;
}

// base * 2^(n-1), capped, then "equal jitter": uniformly in [delay/2, delay].
Millis ErrorBackoff(const Policy& policy, int error_count, std::uint32_t jitter) {
  std::int64_t delay = policy.error_backoff_base.count();
  const std::int64_t cap = policy.error_backoff_max.count();
  for (int i = 1; i < error_count && delay < cap; ++i) delay *= 2;
  delay = std::min(delay, cap);
  const std::int64_t half = delay / 2;
  const auto spread = static_cast<std::int64_t>((static_cast<std::uint64_t>(delay - half) * jitter) >> 32);
  return Millis{half + spread};
}

Millis StuckAfter(const Policy& policy, Kind kind) {
  return kind == Kind::kRefund ? policy.refund_stuck_after : policy.charge_stuck_after;
}

std::string ErrorText(const CheckResult& check) {
  std::string s(CheckOutcomeName(check.outcome));
  if (check.http_status != 0) s += " http " + std::to_string(check.http_status);
  if (!check.gateway_code.empty()) s += " " + check.gateway_code;
  if (!check.message.empty()) s += ": " + check.message;
  return s;
}

void Raise(Decision& d, DiscrepancyCode code, std::string detail, std::string gateway_status = {},
           std::optional<Paise> gateway_amount = std::nullopt) {
  d.update.discrepancies.push_back({code, std::move(detail), std::move(gateway_status), gateway_amount, std::nullopt});
}

// The amount the gateway reports for the transaction, and which field it came from.
struct GatewayAmount {
  std::optional<Paise> value;
  std::string_view field;
};

// Compares the gateway's amounts with ours; raises AMOUNT_MISMATCH / CURRENCY_MISMATCH.
void CheckAmounts(Decision& d, const Transaction& t, const Observation& o) {
  std::vector<GatewayAmount> amounts;
  if (t.kind == Kind::kRefund) {
    amounts.push_back({o.amount, "amount"});
  } else {
    amounts.push_back({o.requested_amount, "requestedAmount"});
    // An approved amount only means something once the charge is approved.
    if (o.status == Status::kCaptureApproved) amounts.push_back({o.approved_amount, "approvedAmount"});
  }
  for (const auto& a : amounts) {
    if (a.value && *a.value != t.amount) {
      Raise(d, DiscrepancyCode::kAmountMismatch,
            std::string(a.field) + " " + FormatAmount(*a.value) + " differs from ours " + FormatAmount(t.amount),
            o.status_word, a.value);
      break;
    }
  }
  if (!o.currency.empty() && o.currency != t.currency) {
    Raise(d, DiscrepancyCode::kCurrencyMismatch, "currency " + o.currency + " differs from ours " + t.currency,
          o.status_word);
  }
}

std::optional<Paise> ReportedAmount(const Transaction& t, const Observation& o) {
  if (t.kind == Kind::kRefund) return o.amount;
  return o.approved_amount ? o.approved_amount : o.requested_amount;
}

bool IsStale(const Transaction& t, const Observation& o) {
  return t.gateway_updated_at && o.update_time && *o.update_time < *t.gateway_updated_at;
}

// A transaction that stays pending after this check: raise STUCK_PENDING once it is past its deadline.
void FlagStuck(Decision& d, const DecisionInput& in, const Policy& policy) {
  const Transaction& t = in.transaction;
  const Millis limit = StuckAfter(policy, t.kind);
  if (in.now >= t.created_at + limit) {
    Raise(d, DiscrepancyCode::kStuckPending,
          "still " + std::string(StatusName(t.status)) + " " +
              std::to_string(std::chrono::duration_cast<Seconds>(in.now - t.created_at).count()) +
              " s after creation (limit " + std::to_string(std::chrono::duration_cast<Seconds>(limit).count()) +
              " s)");
    // Someone resolving it does not make the payment settle: while it stays pending, it comes back.
    d.update.discrepancies.back().repeat_after = policy.stuck_repeat;
  }
}

void DecideObservedPending(Decision& d, const DecisionInput& in, const Policy& policy) {
  const Transaction& t = in.transaction;
  const Observation& o = in.check.observation;
  TransactionUpdate& u = d.update;
  u.error_count = 0;
  u.last_error.clear();
  u.check_count = t.check_count + 1;
  u.next_check_at = in.now + LadderStep(policy, t.check_count);
  if (t.amazon_txn_id.empty()) u.amazon_txn_id = o.amazon_txn_id;

  if (IsStale(t, o)) {
    d.stale = true;
    return;
  }
  if (!o.status) {
    Raise(d, DiscrepancyCode::kUnknownStatus, "unknown status word \"" + o.status_word + "\"", o.status_word,
          ReportedAmount(t, o));
    FlagStuck(d, in, policy);
    return;
  }
  if (!StatusBelongsTo(t.kind, *o.status)) {
    Raise(d, DiscrepancyCode::kUnknownStatus,
          "status \"" + o.status_word + "\" is not a " + std::string(KindName(t.kind)) + " status", o.status_word,
          ReportedAmount(t, o));
    FlagStuck(d, in, policy);
    return;
  }
  CheckAmounts(d, t, o);
  if (o.approved_amount) u.approved_amount = o.approved_amount;
  if (o.update_time) u.gateway_updated_at = o.update_time;
  if (IsFinal(*o.status)) {
    u.new_status = *o.status;
    u.next_check_at = in.now;
    return;
  }
  FlagStuck(d, in, policy);
}

void DecideObservedFinal(Decision& d, const DecisionInput& in) {
  const Transaction& t = in.transaction;
  const Observation& o = in.check.observation;
  TransactionUpdate& u = d.update;
  if (t.amazon_txn_id.empty()) u.amazon_txn_id = o.amazon_txn_id;
  if (IsStale(t, o)) {
    d.stale = true;
    return;
  }
  if (!o.status) {
    Raise(d, DiscrepancyCode::kUnknownStatus, "unknown status word \"" + o.status_word + "\"", o.status_word,
          ReportedAmount(t, o));
    return;
  }
  if (*o.status != t.status) {
    Raise(d, DiscrepancyCode::kStatusConflict,
          "final here as " + std::string(StatusName(t.status)) + ", gateway says " + o.status_word, o.status_word,
          ReportedAmount(t, o));
    return;
  }
  CheckAmounts(d, t, o);
}

void DecideFailedCheck(Decision& d, const DecisionInput& in, const Policy& policy) {
  const Transaction& t = in.transaction;
  TransactionUpdate& u = d.update;
  d.error = in.check.outcome;
  u.last_error = ErrorText(in.check);
  if (in.check.outcome == CheckOutcome::kBadSignature) {
    Raise(d, DiscrepancyCode::kSignatureInvalid, "response signature missing or wrong; not applied");
  }
  if (IsFinal(t.status)) return;  // a final transaction is only verified: no bookkeeping to advance
  u.error_count = t.error_count + 1;
  if (u.error_count >= policy.error_limit) {
    Raise(d, DiscrepancyCode::kCheckFailing,
          std::to_string(u.error_count) + " checks failed in a row; last: " + u.last_error);
    u.next_check_at = in.now + std::max(policy.failing_recheck, ErrorBackoff(policy, u.error_count, in.jitter));
  } else {
    u.next_check_at = in.now + ErrorBackoff(policy, u.error_count, in.jitter);
  }
  FlagStuck(d, in, policy);
}

}  // namespace

Decision Decide(const DecisionInput& in, const Policy& policy) {
  const Transaction& t = in.transaction;
  const CheckResult& check = in.check;
  Decision d;
  TransactionUpdate& u = d.update;
  u.id = t.id;
  u.expected_status = t.status;
  u.next_check_at = t.next_check_at;
  u.check_count = t.check_count;
  u.error_count = t.error_count;
  u.last_error = t.last_error;
  u.request_id = check.request_id;
  u.response_digest = check.response_digest;
  const bool pending = !IsFinal(t.status);

  if (!in.merchant_configured || IsMerchantConfigError(check)) {
    d.error = CheckOutcome::kInvalidRequest;
    d.counts_against_transaction = false;
    u.last_error = in.merchant_configured ? ErrorText(check) : "no credentials configured for merchant";
    Raise(d, DiscrepancyCode::kMerchantConfig,
          in.merchant_configured ? check.gateway_code + ": " + check.message
                                 : "no credentials configured for merchant \"" + t.merchant_id + "\"");
    if (pending) u.next_check_at = in.now + policy.failing_recheck;
    return d;
  }

  switch (check.outcome) {
    case CheckOutcome::kObserved:
      if (pending) {
        DecideObservedPending(d, in, policy);
      } else {
        DecideObservedFinal(d, in);
      }
      return d;

    case CheckOutcome::kNotFound:
      if (in.now < t.created_at + policy.not_found_grace) {
        // Young: the gateway may not have it yet. An answer, not an error.
        if (pending) {
          u.check_count = t.check_count + 1;
          u.error_count = 0;
          u.next_check_at = in.now + LadderStep(policy, t.check_count);
          u.last_error = "NOT_FOUND within grace";
        }
        return d;
      }
      Raise(d, DiscrepancyCode::kNotFound,
            "gateway does not know " + std::string(KindName(t.kind)) + " \"" + t.merchant_txn_id + "\" (" +
                check.gateway_code + ")",
            {}, std::nullopt);
      if (pending) {
        u.check_count = t.check_count + 1;
        u.error_count = 0;
        u.last_error = "NOT_FOUND";
        u.next_check_at = in.now + policy.failing_recheck;
        FlagStuck(d, in, policy);
      }
      return d;

    case CheckOutcome::kRateLimited:
      d.error = check.outcome;
      d.counts_against_transaction = false;
      d.slow_down = true;
      d.retry_after_seconds = check.retry_after_seconds;
      if (pending) {
        // Without Retry-After, wait one error back-off step so the run does not re-claim it at once.
        // Capped: Retry-After comes unsigned and must not park a transaction for ever (or overflow).
        const Millis wait =
            check.retry_after_seconds
                ? std::min(Millis{std::clamp<std::int64_t>(*check.retry_after_seconds, 0, 86400) * 1000},
                           policy.error_backoff_max)
                : policy.error_backoff_base;
        u.next_check_at = std::max(t.next_check_at, in.now + wait);
      }
      return d;

    case CheckOutcome::kAuth:
      d.error = check.outcome;
      d.counts_against_transaction = false;
      d.auth_failure = true;
      return d;

    case CheckOutcome::kTimeout:
    case CheckOutcome::kNetwork:
    case CheckOutcome::kHttp5xx:
    case CheckOutcome::kMalformed:
    case CheckOutcome::kBadSignature:
    case CheckOutcome::kInvalidRequest:
      DecideFailedCheck(d, in, policy);
      return d;
  }
  return d;
}

std::string RenderDecision(const Decision& d, const DecisionInput& in) {
  const TransactionUpdate& u = d.update;
  std::string s(StatusName(u.expected_status));
  s += "->";
  s += u.new_status ? std::string(StatusName(*u.new_status)) : "same";
  const auto next = std::chrono::duration_cast<Seconds>(u.next_check_at - in.now).count();
  s += " next=";
  s += next >= 0 ? "+" : "";
  s += std::to_string(next) + "s";
  s += " checks=" + std::to_string(u.check_count);
  s += " errors=" + std::to_string(u.error_count);
  s += " [";
  for (std::size_t i = 0; i < u.discrepancies.size(); ++i) {
    if (i) s += ",";
    s += DiscrepancyCodeName(u.discrepancies[i].code);
  }
  s += "]";
  if (d.error) s += " error=" + std::string(CheckOutcomeName(*d.error));
  if (!d.counts_against_transaction) s += " free";
  if (d.slow_down) s += " slow";
  if (d.auth_failure) s += " auth";
  if (d.stale) s += " stale";
  return s;
}

}  // namespace payrecon::core
