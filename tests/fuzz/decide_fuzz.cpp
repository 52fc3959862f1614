// Property test of core::Decide, driven by libFuzzer: a random transaction, check result, time, jitter and policy
// (within the configuration's documented ranges), checked against the invariants the job relies on. Any
// violation aborts with a message naming it.
//   - A final status never changes, and a final transaction's bookkeeping (next check, counts) stays as it was.
//   - A transition only comes from a verified observation of a final status of the transaction's own kind.
//   - No amount is invented: every amount in the update or a discrepancy is one the gateway reported.
//   - The decision matches the outcome: errors, slow-down, auth failure and spent attempts per outcome.
//   - A pending transaction is never scheduled in the past nor further out than the policy allows.
//   - The decision is a pure function: the same input decides the same way twice.
#include <fuzzer/FuzzedDataProvider.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <set>
#include <string>

#include "core/decision.h"
#include "core/status.h"

using namespace payrecon;
using core::Millis;

namespace {

void Require(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "decide_fuzz: invariant violated: %s\n", what);
    std::abort();
  }
}

constexpr std::int64_t kSecond = 1000;
constexpr std::int64_t kDay = 86400 * kSecond;
// 2000-01-01 .. 2100-01-01: the times a database row or a gateway answer carries.
constexpr std::int64_t kMinTime = 946684800LL * kSecond;
constexpr std::int64_t kMaxTime = 4102444800LL * kSecond;

core::Instant Time(FuzzedDataProvider& in) {
  return core::Instant(Millis(in.ConsumeIntegralInRange<std::int64_t>(kMinTime, kMaxTime)));
}

Millis Duration(FuzzedDataProvider& in, std::int64_t min_ms, std::int64_t max_ms) {
  return Millis(in.ConsumeIntegralInRange<std::int64_t>(min_ms, max_ms));
}

// Amounts: mostly a few fixed values (so equal and different amounts both occur), sometimes anything >= 0.
core::Paise Amount(FuzzedDataProvider& in) {
  switch (in.ConsumeIntegralInRange<int>(0, 3)) {
    case 0: return 150000;
    case 1: return 150001;
    case 2: return 0;
    default: return in.ConsumeIntegralInRange<core::Paise>(0, INT64_MAX);
  }
}

std::optional<core::Paise> MaybeAmount(FuzzedDataProvider& in) {
  if (in.ConsumeBool()) return std::nullopt;
  return Amount(in);
}

std::string Word(FuzzedDataProvider& in) {
  if (in.ConsumeIntegralInRange<int>(0, 7) == 0) return in.ConsumeRandomLengthString(24);
  return std::string(core::StatusName(in.PickValueInArray(core::kAllStatuses)));
}

core::Policy RandomPolicy(FuzzedDataProvider& in) {
  // The ranges config/ accepts (README "Configuration").
  core::Policy p;
  p.pending_ladder.clear();
  const int steps = in.ConsumeIntegralInRange<int>(1, 64);
  for (int i = 0; i < steps; ++i) p.pending_ladder.push_back(Duration(in, kSecond, kDay));
  p.pending_after_ladder = Duration(in, kSecond, kDay);
  p.error_backoff_base = Duration(in, kSecond, 3600 * kSecond);
  p.error_backoff_max = std::max(p.error_backoff_base, Duration(in, kSecond, kDay));
  p.error_limit = in.ConsumeIntegralInRange<int>(1, 1000);
  p.failing_recheck = Duration(in, 60 * kSecond, 7 * kDay);
  p.not_found_grace = Duration(in, 0, 7 * kDay);
  p.charge_stuck_after = Duration(in, 60 * kSecond, 30 * kDay);
  p.refund_stuck_after = Duration(in, 60 * kSecond, 30 * kDay);
  return p;
}

bool IsSome(const std::optional<core::Paise>& a, core::Paise v) { return a && *a == v; }

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzedDataProvider in(data, size);
  const bool default_policy = in.ConsumeBool();
  const core::Policy policy = default_policy ? core::Policy{} : RandomPolicy(in);

  core::DecisionInput input;
  core::Transaction& t = input.transaction;
  t.id = in.ConsumeIntegral<std::int64_t>();
  t.kind = in.PickValueInArray(core::kAllKinds);
  t.merchant_id = in.ConsumeBool() ? "M1" : in.ConsumeRandomLengthString(16);
  t.merchant_txn_id = in.ConsumeRandomLengthString(16);
  if (in.ConsumeBool()) t.amazon_txn_id = in.ConsumeRandomLengthString(16);
  t.amount = Amount(in);
  t.currency = in.ConsumeBool() ? "INR" : in.ConsumeRandomLengthString(4);
  // Usually a status of the transaction's own lifecycle (what the database holds), sometimes any.
  t.status = in.PickValueInArray(core::kAllStatuses);
  if (in.ConsumeIntegralInRange<int>(0, 7) != 0 && !core::StatusBelongsTo(t.kind, t.status)) {
    t.status = core::PendingStatusOf(t.kind);
  }
  t.created_at = Time(in);
  t.next_check_at = Time(in);
  t.check_count = in.ConsumeIntegralInRange<int>(0, 1000);
  t.error_count = in.ConsumeIntegralInRange<int>(0, 1000);
  if (in.ConsumeBool()) t.approved_amount = Amount(in);
  if (in.ConsumeBool()) t.gateway_updated_at = Time(in);
  t.last_error = in.ConsumeRandomLengthString(16);

  core::CheckResult& c = input.check;
  c.outcome = static_cast<core::CheckOutcome>(
      in.ConsumeIntegralInRange<int>(0, static_cast<int>(core::CheckOutcome::kMalformed)));
  c.http_status = in.ConsumeIntegralInRange<int>(0, 599);
  c.gateway_code = in.ConsumeBool() ? in.PickValueInArray({"InvalidChargeId", "MerchantIdMismatch",
                                                           "InvalidArguments", "MerchantNotConfigured",
                                                           "InvalidMerchantId", "TooManyRequests"})
                                    : in.ConsumeRandomLengthString(16);
  c.message = in.ConsumeRandomLengthString(16);
  if (in.ConsumeBool()) c.retry_after_seconds = in.ConsumeIntegral<std::int64_t>();
  c.request_id = in.ConsumeRandomLengthString(16);
  core::Observation& o = c.observation;
  if (c.outcome == core::CheckOutcome::kObserved) {
    o.status_word = Word(in);
    o.status = core::StatusFromName(o.status_word);
    o.merchant_txn_id = in.ConsumeBool() ? t.merchant_txn_id : in.ConsumeRandomLengthString(16);
    o.amazon_txn_id = in.ConsumeRandomLengthString(16);
    o.requested_amount = MaybeAmount(in);
    o.approved_amount = MaybeAmount(in);
    o.amount = MaybeAmount(in);
    o.currency = in.ConsumeBool() ? "INR" : in.ConsumeRandomLengthString(4);
    if (in.ConsumeBool()) o.create_time = Time(in);
    if (in.ConsumeBool()) o.update_time = Time(in);
  }
  input.now = Time(in);
  input.jitter = in.ConsumeIntegral<std::uint32_t>();
  input.merchant_configured = in.ConsumeIntegralInRange<int>(0, 15) != 0;

  const core::Decision d = core::Decide(input, policy);
  const core::TransactionUpdate& u = d.update;
  const bool final_status = core::IsFinal(t.status);
  const bool merchant_config =
      !input.merchant_configured ||
      (c.outcome == core::CheckOutcome::kInvalidRequest &&
       (c.gateway_code == "MerchantIdMismatch" || c.gateway_code == "InvalidMerchantId" ||
        c.gateway_code == "InvalidArguments" || c.gateway_code == "MerchantNotConfigured"));

  // The update is a compare-and-set on the claimed row.
  Require(u.id == t.id, "update names another transaction");
  Require(u.expected_status == t.status, "compare-and-set expects another status than claimed");

  // A final status never changes; a final transaction is only verified.
  if (final_status) {
    Require(!u.new_status, "a final status was changed");
    Require(u.next_check_at == t.next_check_at, "a final transaction was rescheduled");
    Require(u.check_count == t.check_count && u.error_count == t.error_count, "a final transaction's counts moved");
  }

  // Transitions come only from a verified observation of a final status of the transaction's own kind.
  if (u.new_status) {
    Require(c.outcome == core::CheckOutcome::kObserved, "a transition without an observation");
    Require(!merchant_config, "a transition for a merchant whose configuration is wrong");
    Require(o.status && *u.new_status == *o.status, "a transition to a status the gateway did not report");
    Require(core::IsFinal(*u.new_status), "a transition to a pending status");
    Require(core::StatusBelongsTo(t.kind, *u.new_status), "a transition outside the kind's lifecycle");
    Require(!d.stale, "a stale answer applied");
    Require(!d.error, "a transition with an error");
  }

  // No amount is invented.
  if (u.approved_amount) {
    Require(c.outcome == core::CheckOutcome::kObserved && IsSome(o.approved_amount, *u.approved_amount),
            "an approved amount the gateway did not report");
  }
  for (const auto& disc : u.discrepancies) {
    if (disc.gateway_amount) {
      const core::Paise a = *disc.gateway_amount;
      Require(c.outcome == core::CheckOutcome::kObserved &&
                  (IsSome(o.requested_amount, a) || IsSome(o.approved_amount, a) || IsSome(o.amount, a)),
              "a discrepancy carries an amount the gateway did not report");
    }
    if (disc.code == core::DiscrepancyCode::kAmountMismatch) {
      Require(disc.gateway_amount && *disc.gateway_amount != t.amount, "AMOUNT_MISMATCH without a different amount");
    }
  }
  if (!u.amazon_txn_id.empty()) {
    Require(c.outcome == core::CheckOutcome::kObserved && u.amazon_txn_id == o.amazon_txn_id,
            "an Amazon transaction id the gateway did not report");
    Require(t.amazon_txn_id.empty(), "a known Amazon transaction id was replaced");
  }
  if (u.gateway_updated_at) {
    Require(o.update_time && *u.gateway_updated_at == *o.update_time, "an update time the gateway did not report");
  }

  // Each code at most once per decision.
  std::set<core::DiscrepancyCode> codes;
  for (const auto& disc : u.discrepancies) Require(codes.insert(disc.code).second, "a discrepancy raised twice");

  // The decision matches the outcome.
  if (merchant_config) {
    Require(d.error == core::CheckOutcome::kInvalidRequest, "merchant configuration problem not an error");
    Require(codes.count(core::DiscrepancyCode::kMerchantConfig) == 1, "merchant configuration problem not raised");
    Require(!d.counts_against_transaction, "a merchant configuration problem spent an attempt");
    Require(!d.slow_down && !d.auth_failure, "a merchant configuration problem slowed or stopped the run");
  } else {
    switch (c.outcome) {
      case core::CheckOutcome::kObserved:
      case core::CheckOutcome::kNotFound:
        Require(!d.error, "an answer counted as an error");
        Require(!d.slow_down && !d.auth_failure, "an answer slowed or stopped the run");
        break;
      case core::CheckOutcome::kRateLimited:
        Require(d.error == c.outcome && d.slow_down && !d.counts_against_transaction,
                "rate limiting not a free slow-down");
        Require(u.check_count == t.check_count && u.error_count == t.error_count, "rate limiting moved the counts");
        break;
      case core::CheckOutcome::kAuth:
        Require(d.error == c.outcome && d.auth_failure && !d.counts_against_transaction,
                "an auth failure not a free stop signal");
        Require(u.next_check_at == t.next_check_at && u.check_count == t.check_count &&
                    u.error_count == t.error_count && u.discrepancies.empty(),
                "an auth failure changed the transaction");
        break;
      default:
        Require(d.error == c.outcome && d.counts_against_transaction, "a failed check not counted");
        Require(!d.slow_down && !d.auth_failure, "a failed check slowed or stopped the run");
        if (!final_status) Require(u.error_count == t.error_count + 1, "a failed check did not count");
        Require((c.outcome == core::CheckOutcome::kBadSignature) ==
                    (codes.count(core::DiscrepancyCode::kSignatureInvalid) == 1),
                "SIGNATURE_INVALID not exactly for bad signatures");
        break;
    }
  }
  if (!merchant_config && c.outcome != core::CheckOutcome::kObserved) {
    Require(codes.count(core::DiscrepancyCode::kStatusConflict) == 0 &&
                codes.count(core::DiscrepancyCode::kAmountMismatch) == 0 &&
                codes.count(core::DiscrepancyCode::kUnknownStatus) == 0,
            "a discrepancy about the gateway's answer without an answer");
  }

  // A pending transaction is rescheduled within the policy's bounds (an auth failure leaves it as it was).
  if (!final_status && !(c.outcome == core::CheckOutcome::kAuth && !merchant_config)) {
    Require(u.next_check_at >= input.now, "a pending transaction scheduled in the past");
    Millis longest = policy.pending_after_ladder;
    for (Millis step : policy.pending_ladder) longest = std::max(longest, step);
    longest = std::max({longest, policy.error_backoff_max, policy.failing_recheck});
    Require(u.next_check_at <= std::max(t.next_check_at, input.now + longest),
            "a pending transaction scheduled beyond the policy's longest wait");
  }

  // Pure: deciding again gives the same decision.
  const core::Decision again = core::Decide(input, policy);
  Require(core::RenderDecision(again, input) == core::RenderDecision(d, input), "the decision is not repeatable");
  return 0;
}
