#include <boost/test/unit_test.hpp>

#include <cstdio>
#include <ctime>
#include <string>
#include <vector>

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

// The formatters write their digits by hand; checked against the C library's gmtime_r and strftime over a spread
// of instants (each day boundary, leap days, before 1970, the last millisecond of a year) and at 0000 and 9999.
BOOST_AUTO_TEST_CASE(formats_agree_with_the_c_library) {
  std::vector<std::int64_t> millis = {0, -1, -86'400'000, 951'782'400'000 /* 2000-02-29 */, 4'102'444'799'999};
  for (std::int64_t ms = -2'208'988'800'000; ms < 4'102'444'800'000; ms += 86'400'000LL * 37 + 3'723'456) {
    millis.push_back(ms);
  }
  for (const std::int64_t ms : millis) {
    const std::time_t secs = static_cast<std::time_t>(ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000));
    std::tm tm{};
    BOOST_REQUIRE(gmtime_r(&secs, &tm) != nullptr);
    char iso[32];
    char amz[32];
    std::strftime(iso, sizeof iso, "%Y-%m-%dT%H:%M:%S", &tm);
    std::strftime(amz, sizeof amz, "%Y%m%dT%H%M%SZ", &tm);
    char frac[8];
    std::snprintf(frac, sizeof frac, ".%03lldZ", static_cast<long long>(ms - static_cast<std::int64_t>(secs) * 1000));
    const Instant t{Millis{ms}};
    BOOST_TEST_CONTEXT(ms) {
      BOOST_TEST(FormatIso8601Millis(t) == std::string(iso) + frac);
      BOOST_TEST(FormatIso8601(t) == std::string(iso) + "Z");
      BOOST_TEST(FormatAmzDate(t) == amz);
    }
  }
  BOOST_TEST(FormatIso8601Millis(*ParseIso8601("0000-01-01T00:00:00Z")) == "0000-01-01T00:00:00.000Z");
  BOOST_TEST(FormatIso8601Millis(*ParseIso8601("9999-12-31T23:59:59.999Z")) == "9999-12-31T23:59:59.999Z");
}

BOOST_AUTO_TEST_CASE(amz_date) {
  const auto t = ParseAmzDate("20200906T055702Z");
  BOOST_REQUIRE(t.ok());
  BOOST_TEST(FormatAmzDate(*t) == "20200906T055702Z");
  BOOST_TEST(!ParseAmzDate("2020-09-06T05:57:02Z").ok());
  BOOST_TEST(!ParseAmzDate("20200906T055702").ok());
}

BOOST_AUTO_TEST_SUITE_END()
