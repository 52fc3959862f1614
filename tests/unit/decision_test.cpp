// The reconciliation policy as a table: every status x check outcome, rendered as one short string per row.
#include <boost/test/unit_test.hpp>

#include <string>

#include "core/decision.h"

using namespace payrecon::core;

namespace {

const Instant kNow = ParseIso8601("2026-11-25T10:00:00Z").value();

Transaction Txn(Kind kind, Status status) {
  Transaction t;
  t.id = 7;
  t.kind = kind;
  t.status = status;
  t.merchant_id = "MID";
  t.merchant_txn_id = "order_1";
  t.amount = 150000;
  t.currency = "INR";
  t.created_at = kNow - Seconds{60};
  t.next_check_at = kNow - Seconds{1};
  return t;
}

CheckResult Observed(std::string word, Paise amount = 150000) {
  CheckResult c;
  c.outcome = CheckOutcome::kObserved;
  c.http_status = 200;
  c.observation.status_word = word;
  c.observation.status = StatusFromName(word);
  c.observation.requested_amount = amount;
  c.observation.approved_amount = amount;
  c.observation.amount = amount;
  c.observation.currency = "INR";
  c.observation.amazon_txn_id = "P04-1111111-2222222";
  c.observation.update_time = kNow - Seconds{5};
  c.request_id = "req-1";
  return c;
}

CheckResult Failed(CheckOutcome outcome, int http = 0, std::string code = {}) {
  CheckResult c;
  c.outcome = outcome;
  c.http_status = http;
  c.gateway_code = std::move(code);
  c.message = "boom";
  return c;
}

std::string Run(const Transaction& t, const CheckResult& c, bool configured = true) {
  DecisionInput in{t, c, kNow, 0, configured};
  return RenderDecision(Decide(in, Policy{}), in);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(decision)

BOOST_AUTO_TEST_CASE(pending_charge_every_outcome) {
  const Transaction t = Txn(Kind::kCharge, Status::kCapturePending);
  const struct {
    CheckResult check;
    const char* expected;
  } rows[] = {
      {Observed("CapturePending"), "CapturePending->same next=+15s checks=1 errors=0 []"},
      {Observed("CaptureApproved"), "CapturePending->CaptureApproved next=+0s checks=1 errors=0 []"},
      {Observed("Failed"), "CapturePending->Failed next=+0s checks=1 errors=0 []"},
      {Observed("Settled"), "CapturePending->same next=+15s checks=1 errors=0 [UNKNOWN_STATUS]"},
      {Observed("Approved"), "CapturePending->same next=+15s checks=1 errors=0 [UNKNOWN_STATUS]"},
      {Observed("CaptureApproved", 140000),
       "CapturePending->CaptureApproved next=+0s checks=1 errors=0 [AMOUNT_MISMATCH]"},
      {Failed(CheckOutcome::kNotFound, 400, "InvalidChargeId"), "CapturePending->same next=+15s checks=1 errors=0 []"},
      {Failed(CheckOutcome::kTimeout), "CapturePending->same next=+15s checks=0 errors=1 [] error=TIMEOUT"},
      {Failed(CheckOutcome::kNetwork), "CapturePending->same next=+15s checks=0 errors=1 [] error=NETWORK"},
      {Failed(CheckOutcome::kHttp5xx, 500), "CapturePending->same next=+15s checks=0 errors=1 [] error=HTTP_5XX"},
      {Failed(CheckOutcome::kMalformed, 200), "CapturePending->same next=+15s checks=0 errors=1 [] error=MALFORMED"},
      {Failed(CheckOutcome::kBadSignature, 200),
       "CapturePending->same next=+15s checks=0 errors=1 [SIGNATURE_INVALID] error=BAD_SIGNATURE"},
      {Failed(CheckOutcome::kRateLimited, 429),
       "CapturePending->same next=+30s checks=0 errors=0 [] error=RATE_LIMITED free slow"},
      {Failed(CheckOutcome::kAuth, 401, "AuthorizationFailed"),
       "CapturePending->same next=-1s checks=0 errors=0 [] error=AUTH free auth"},
      {Failed(CheckOutcome::kInvalidRequest, 400, "DuplicateChargeId"),
       "CapturePending->same next=+15s checks=0 errors=1 [] error=INVALID_REQUEST"},
      {Failed(CheckOutcome::kInvalidRequest, 400, "MerchantIdMismatch"),
       "CapturePending->same next=+3600s checks=0 errors=0 [MERCHANT_CONFIG] error=INVALID_REQUEST free"},
      {Failed(CheckOutcome::kInvalidRequest, 400, "InvalidArguments"),
       "CapturePending->same next=+3600s checks=0 errors=0 [MERCHANT_CONFIG] error=INVALID_REQUEST free"},
  };
  for (const auto& r : rows) BOOST_TEST(Run(t, r.check) == r.expected);
}

BOOST_AUTO_TEST_CASE(pending_refund_every_outcome) {
  const Transaction t = Txn(Kind::kRefund, Status::kPending);
  const struct {
    CheckResult check;
    const char* expected;
  } rows[] = {
      {Observed("Pending"), "Pending->same next=+15s checks=1 errors=0 []"},
      {Observed("Approved"), "Pending->Approved next=+0s checks=1 errors=0 []"},
      {Observed("Declined"), "Pending->Declined next=+0s checks=1 errors=0 []"},
      {Observed("CaptureApproved"), "Pending->same next=+15s checks=1 errors=0 [UNKNOWN_STATUS]"},
      {Observed("Approved", 100), "Pending->Approved next=+0s checks=1 errors=0 [AMOUNT_MISMATCH]"},
      {Failed(CheckOutcome::kNotFound, 400, "InvalidRefundId"), "Pending->same next=+15s checks=1 errors=0 []"},
      {Failed(CheckOutcome::kTimeout), "Pending->same next=+15s checks=0 errors=1 [] error=TIMEOUT"},
      {Failed(CheckOutcome::kBadSignature, 200),
       "Pending->same next=+15s checks=0 errors=1 [SIGNATURE_INVALID] error=BAD_SIGNATURE"},
      {Failed(CheckOutcome::kAuth, 403), "Pending->same next=-1s checks=0 errors=0 [] error=AUTH free auth"},
  };
  for (const auto& r : rows) BOOST_TEST(Run(t, r.check) == r.expected);
}

BOOST_AUTO_TEST_CASE(final_statuses_are_only_verified) {
  const struct {
    Kind kind;
    Status status;
    CheckResult check;
    const char* expected;
  } rows[] = {
      {Kind::kCharge, Status::kCaptureApproved, Observed("CaptureApproved"),
       "CaptureApproved->same next=-1s checks=0 errors=0 []"},
      {Kind::kCharge, Status::kCaptureApproved, Observed("Failed"),
       "CaptureApproved->same next=-1s checks=0 errors=0 [STATUS_CONFLICT]"},
      {Kind::kCharge, Status::kFailed, Observed("CaptureApproved"),
       "Failed->same next=-1s checks=0 errors=0 [STATUS_CONFLICT]"},
      {Kind::kCharge, Status::kFailed, Observed("CapturePending"),
       "Failed->same next=-1s checks=0 errors=0 [STATUS_CONFLICT]"},
      {Kind::kCharge, Status::kCaptureApproved, Observed("CaptureApproved", 1),
       "CaptureApproved->same next=-1s checks=0 errors=0 [AMOUNT_MISMATCH]"},
      {Kind::kCharge, Status::kCaptureApproved, Observed("Weird"),
       "CaptureApproved->same next=-1s checks=0 errors=0 [UNKNOWN_STATUS]"},
      {Kind::kRefund, Status::kApproved, Observed("Declined"),
       "Approved->same next=-1s checks=0 errors=0 [STATUS_CONFLICT]"},
      {Kind::kRefund, Status::kDeclined, Observed("Declined"), "Declined->same next=-1s checks=0 errors=0 []"},
      {Kind::kTopup, Status::kCaptureApproved, Observed("CaptureApproved"),
       "CaptureApproved->same next=-1s checks=0 errors=0 []"},
      {Kind::kCharge, Status::kFailed, Failed(CheckOutcome::kTimeout),
       "Failed->same next=-1s checks=0 errors=0 [] error=TIMEOUT"},
      {Kind::kRefund, Status::kApproved, Failed(CheckOutcome::kBadSignature, 200),
       "Approved->same next=-1s checks=0 errors=0 [SIGNATURE_INVALID] error=BAD_SIGNATURE"},
  };
  for (const auto& r : rows) BOOST_TEST(Run(Txn(r.kind, r.status), r.check) == r.expected);
}

BOOST_AUTO_TEST_CASE(currency_mismatch_and_top_up) {
  CheckResult c = Observed("CaptureApproved");
  c.observation.currency = "USD";
  BOOST_TEST(Run(Txn(Kind::kTopup, Status::kCapturePending), c) ==
             "CapturePending->CaptureApproved next=+0s checks=1 errors=0 [CURRENCY_MISMATCH]");
}

BOOST_AUTO_TEST_CASE(pending_ladder_then_every_five_minutes) {
  Transaction t = Txn(Kind::kCharge, Status::kCapturePending);
  const int expected[] = {15, 25, 30, 35, 40, 45, 50, 55, 300, 300};
  for (int i = 0; i < 10; ++i) {
    t.check_count = i;
    BOOST_TEST(Run(t, Observed("CapturePending")) == "CapturePending->same next=+" + std::to_string(expected[i]) +
                                                         "s checks=" + std::to_string(i + 1) + " errors=0 []");
  }
}

BOOST_AUTO_TEST_CASE(error_backoff_doubles_with_jitter_then_check_failing) {
  Transaction t = Txn(Kind::kCharge, Status::kCapturePending);
  const Policy policy;
  // Jitter 0 gives the lower half of the window, the largest draw the full delay.
  for (int errors = 0; errors < 4; ++errors) {
    t.error_count = errors;
    const auto full = std::int64_t{30} << errors;
    DecisionInput lo{t, Failed(CheckOutcome::kHttp5xx, 500), kNow, 0, true};
    DecisionInput hi{t, Failed(CheckOutcome::kHttp5xx, 500), kNow, 0xFFFFFFFFu, true};
    BOOST_TEST((Decide(lo, policy).update.next_check_at - kNow).count() == full * 1000 / 2);
    BOOST_TEST((Decide(hi, policy).update.next_check_at - kNow).count() >= full * 1000 - 1);
  }
  t.error_count = 4;
  BOOST_TEST(Run(t, Failed(CheckOutcome::kHttp5xx, 503)) ==
             "CapturePending->same next=+3600s checks=0 errors=5 [CHECK_FAILING] error=HTTP_5XX");
}

BOOST_AUTO_TEST_CASE(retry_after_is_honoured_but_capped) {
  const Transaction t = Txn(Kind::kCharge, Status::kCapturePending);
  CheckResult c = Failed(CheckOutcome::kRateLimited, 429);
  c.retry_after_seconds = 120;
  BOOST_TEST(Run(t, c) == "CapturePending->same next=+120s checks=0 errors=0 [] error=RATE_LIMITED free slow");
  c.retry_after_seconds = 9'999'999'999'999LL;
  BOOST_TEST(Run(t, c) == "CapturePending->same next=+1800s checks=0 errors=0 [] error=RATE_LIMITED free slow");
}

BOOST_AUTO_TEST_CASE(not_found_after_grace) {
  Transaction t = Txn(Kind::kCharge, Status::kCapturePending);
  t.created_at = kNow - Seconds{1801};
  BOOST_TEST(Run(t, Failed(CheckOutcome::kNotFound, 400, "InvalidChargeId")) ==
             "CapturePending->same next=+3600s checks=1 errors=0 [NOT_FOUND,STUCK_PENDING]");
  t.created_at = kNow - Seconds{1799};
  BOOST_TEST(Run(t, Failed(CheckOutcome::kNotFound, 400, "InvalidChargeId")) ==
             "CapturePending->same next=+15s checks=1 errors=0 []");
}

BOOST_AUTO_TEST_CASE(stuck_pending_deadlines) {
  Transaction charge = Txn(Kind::kCharge, Status::kCapturePending);
  charge.created_at = kNow - Seconds{1800};
  BOOST_TEST(Run(charge, Observed("CapturePending")) == "CapturePending->same next=+15s checks=1 errors=0 [STUCK_PENDING]");
  charge.created_at = kNow - Seconds{1799};
  BOOST_TEST(Run(charge, Observed("CapturePending")) == "CapturePending->same next=+15s checks=1 errors=0 []");
  Transaction refund = Txn(Kind::kRefund, Status::kPending);
  refund.created_at = kNow - Seconds{48 * 3600};
  BOOST_TEST(Run(refund, Observed("Pending")) == "Pending->same next=+15s checks=1 errors=0 [STUCK_PENDING]");
  refund.created_at = kNow - Seconds{47 * 3600};
  BOOST_TEST(Run(refund, Observed("Pending")) == "Pending->same next=+15s checks=1 errors=0 []");
}

BOOST_AUTO_TEST_CASE(stale_answers_are_ignored) {
  Transaction t = Txn(Kind::kCharge, Status::kCapturePending);
  t.gateway_updated_at = kNow - Seconds{1};
  BOOST_TEST(Run(t, Observed("CaptureApproved")) == "CapturePending->same next=+15s checks=1 errors=0 [] stale");
  Transaction f = Txn(Kind::kCharge, Status::kCaptureApproved);
  f.gateway_updated_at = kNow - Seconds{1};
  BOOST_TEST(Run(f, Observed("Failed")) == "CaptureApproved->same next=-1s checks=0 errors=0 [] stale");
}

BOOST_AUTO_TEST_CASE(merchant_without_credentials) {
  const Transaction t = Txn(Kind::kRefund, Status::kPending);
  BOOST_TEST(Run(t, Failed(CheckOutcome::kInvalidRequest, 0, "MerchantNotConfigured")) ==
             "Pending->same next=+3600s checks=0 errors=0 [MERCHANT_CONFIG] error=INVALID_REQUEST free");
  BOOST_TEST(Run(t, CheckResult{}, false) ==
             "Pending->same next=+3600s checks=0 errors=0 [MERCHANT_CONFIG] error=INVALID_REQUEST free");
}

BOOST_AUTO_TEST_CASE(applied_fields_and_audit_ids) {
  const Transaction t = Txn(Kind::kCharge, Status::kCapturePending);
  CheckResult c = Observed("CaptureApproved");
  c.response_digest = "abc";
  const Decision d = Decide({t, c, kNow, 0, true}, Policy{});
  BOOST_TEST(d.update.id == 7);
  BOOST_TEST(d.update.amazon_txn_id == "P04-1111111-2222222");
  BOOST_TEST(*d.update.approved_amount == 150000);
  BOOST_TEST((*d.update.gateway_updated_at == kNow - Seconds{5}));
  BOOST_TEST(d.update.request_id == "req-1");
  BOOST_TEST(d.update.response_digest == "abc");
  BOOST_TEST(d.update.last_error.empty());
  const CheckResult mismatch = Observed("CaptureApproved", 140000);
  const Decision m = Decide({t, mismatch, kNow, 0, true}, Policy{});
  BOOST_REQUIRE(m.update.discrepancies.size() == 1u);
  BOOST_TEST(m.update.discrepancies[0].detail == "requestedAmount 1400.00 differs from ours 1500.00");
  BOOST_TEST(*m.update.discrepancies[0].gateway_amount == 140000);
  BOOST_TEST(m.update.discrepancies[0].gateway_status == "CaptureApproved");
}

BOOST_AUTO_TEST_SUITE_END()
