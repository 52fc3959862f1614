#include <boost/test/unit_test.hpp>

#include "core/duration.h"

using namespace payrecon::core;

BOOST_AUTO_TEST_SUITE(duration)

BOOST_AUTO_TEST_CASE(parses_each_unit) {
  const struct {
    const char* text;
    long long millis;
  } rows[] = {{"0s", 0},          {"250ms", 250},     {"15s", 15000},        {"5m", 300000},
              {"48h", 172800000}, {"7d", 604800000},  {"0ms", 0},            {"0015s", 15000},
              {"36500d", 36500LL * 86400000}};
  for (const auto& row : rows) {
    const auto d = ParseDuration(row.text);
    BOOST_REQUIRE_MESSAGE(d.ok(), row.text);
    BOOST_TEST(d->count() == row.millis, row.text);
  }
}

BOOST_AUTO_TEST_CASE(rejects_with_reason) {
  const struct {
    const char* text;
    const char* error;
  } rows[] = {
      {"", "duration is empty"},
      {"15", "invalid duration \"15\": missing unit (use ms, s, m, h or d)"},
      {"15 s", "invalid duration \"15 s\": unknown unit (use ms, s, m, h or d)"},
      {"15S", "invalid duration \"15S\": unknown unit (use ms, s, m, h or d)"},
      {"15sec", "invalid duration \"15sec\": unknown unit (use ms, s, m, h or d)"},
      {"1h30m", "invalid duration \"1h30m\": one whole number and one unit only, e.g. 90m"},
      {"1.5h", "invalid duration \"1.5h\": one whole number and one unit only, e.g. 90m"},
      {"-5s", "invalid duration \"-5s\": expected digits then a unit, e.g. 15s, 5m, 48h or 250ms"},
      {"+5s", "invalid duration \"+5s\": expected digits then a unit, e.g. 15s, 5m, 48h or 250ms"},
      {" 5s", "invalid duration \" 5s\": expected digits then a unit, e.g. 15s, 5m, 48h or 250ms"},
      {"s", "invalid duration \"s\": expected digits then a unit, e.g. 15s, 5m, 48h or 250ms"},
      {"36601d", "invalid duration \"36601d\": longer than 100 years"},
      {"99999999999999999999999ms", "invalid duration \"99999999999999999999999ms\": longer than 100 years"},
  };
  for (const auto& row : rows) {
    const auto d = ParseDuration(row.text);
    BOOST_REQUIRE_MESSAGE(!d.ok(), row.text);
    BOOST_TEST(d.error() == row.error, row.text);
  }
}

BOOST_AUTO_TEST_CASE(formats_in_the_largest_exact_unit) {
  BOOST_TEST(FormatDuration(Millis{0}) == "0s");
  BOOST_TEST(FormatDuration(Millis{250}) == "250ms");
  BOOST_TEST(FormatDuration(Millis{1500}) == "1500ms");
  BOOST_TEST(FormatDuration(Millis{15000}) == "15s");
  BOOST_TEST(FormatDuration(Millis{90000}) == "90s");
  BOOST_TEST(FormatDuration(Millis{900000}) == "15m");
  BOOST_TEST(FormatDuration(Millis{3600000}) == "1h");
  BOOST_TEST(FormatDuration(Millis{172800000}) == "2d");
  BOOST_TEST(FormatDuration(Millis{90000000}) == "25h");
  for (long long ms : {0LL, 1LL, 999LL, 61000LL, 86400001LL, 172800000LL}) {
    BOOST_TEST(ParseDuration(FormatDuration(Millis{ms}))->count() == ms);
  }
}

BOOST_AUTO_TEST_SUITE_END()
