#include <boost/test/unit_test.hpp>

#include "core/status.h"

using namespace payrecon::core;

BOOST_AUTO_TEST_SUITE(status)

BOOST_AUTO_TEST_CASE(words_round_trip_and_finality) {
  const struct {
    Status s;
    const char* word;
    bool final;
    Kind kind;
  } rows[] = {{Status::kCapturePending, "CapturePending", false, Kind::kCharge},
              {Status::kCaptureApproved, "CaptureApproved", true, Kind::kCharge},
              {Status::kFailed, "Failed", true, Kind::kCharge},
              {Status::kPending, "Pending", false, Kind::kRefund},
              {Status::kApproved, "Approved", true, Kind::kRefund},
              {Status::kDeclined, "Declined", true, Kind::kRefund}};
  for (const auto& r : rows) {
    BOOST_TEST(StatusName(r.s) == r.word);
    BOOST_TEST((StatusFromName(r.word) == r.s));
    BOOST_TEST(IsFinal(r.s) == r.final);
    BOOST_TEST(StatusBelongsTo(r.kind, r.s));
    BOOST_TEST(StatusBelongsTo(Kind::kTopup, r.s) == (r.kind == Kind::kCharge));
  }
  BOOST_TEST(!StatusFromName("capturepending").has_value());
  BOOST_TEST(!StatusFromName("Settled").has_value());
  BOOST_TEST(!StatusFromName("").has_value());
}

BOOST_AUTO_TEST_CASE(kinds) {
  BOOST_TEST((KindFromName("charge") == Kind::kCharge));
  BOOST_TEST((KindFromName("refund") == Kind::kRefund));
  BOOST_TEST((KindFromName("topup") == Kind::kTopup));
  BOOST_TEST(!KindFromName("Charge").has_value());
  BOOST_TEST((PendingStatusOf(Kind::kTopup) == Status::kCapturePending));
  BOOST_TEST((PendingStatusOf(Kind::kRefund) == Status::kPending));
}

BOOST_AUTO_TEST_SUITE_END()
