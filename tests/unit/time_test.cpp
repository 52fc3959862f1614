#include <boost/test/unit_test.hpp>

#include "core/time.h"

using namespace payrecon::core;

BOOST_AUTO_TEST_SUITE(timestamps)

BOOST_AUTO_TEST_CASE(parses_and_formats_iso8601) {
  const auto t = ParseIso8601("2020-12-14T16:45:49.862Z");
  BOOST_REQUIRE(t.ok());
  BOOST_TEST(t->time_since_epoch().count() == 1607964349862LL);
  BOOST_TEST(FormatIso8601Millis(*t) == "2020-12-14T16:45:49.862Z");
  BOOST_TEST(FormatIso8601(*t) == "2020-12-14T16:45:49Z");
  BOOST_TEST(FormatAmzDate(*t) == "20201214T164549Z");
  const auto ist = ParseIso8601("2020-12-14T22:15:49.862+05:30");
  BOOST_REQUIRE(ist.ok());
  BOOST_TEST(ist->time_since_epoch().count() == t->time_since_epoch().count());
  BOOST_TEST(ParseIso8601("1970-01-01 00:00:00Z")->time_since_epoch().count() == 0);
  BOOST_TEST(FormatIso8601Millis(Instant{Millis{-1}}) == "1969-12-31T23:59:59.999Z");
  BOOST_TEST(ParseIso8601("2024-02-29T00:00:00Z").ok());
}

BOOST_AUTO_TEST_CASE(rejects_bad_timestamps) {
  for (const char* bad : {"2020-12-14T16:45:49", "2020-13-01T00:00:00Z", "2023-02-29T00:00:00Z", "2020-12-14",
                          "2020-12-14T16:45:49.Z", "2020-12-14T16:45:49Zjunk", "2020-12-14T24:00:00Z", ""}) {
    BOOST_TEST(!ParseIso8601(bad).ok(), bad);
  }
  BOOST_TEST(ParseIso8601("2020-12-14T16:45:49").error() ==
             "invalid timestamp \"2020-12-14T16:45:49\": missing time zone (use Z or +HH:MM)");
}

BOOST_AUTO_TEST_CASE(amz_date) {
  const auto t = ParseAmzDate("20200906T055702Z");
  BOOST_REQUIRE(t.ok());
  BOOST_TEST(FormatAmzDate(*t) == "20200906T055702Z");
  BOOST_TEST(!ParseAmzDate("2020-09-06T05:57:02Z").ok());
  BOOST_TEST(!ParseAmzDate("20200906T055702").ok());
}

BOOST_AUTO_TEST_SUITE_END()
