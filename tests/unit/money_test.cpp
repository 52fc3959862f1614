#include <boost/test/unit_test.hpp>

#include <limits>
#include <string>

#include "core/money.h"

using payrecon::core::FormatAmount;
using payrecon::core::ParseAmount;

BOOST_AUTO_TEST_SUITE(money)

BOOST_AUTO_TEST_CASE(parses_gateway_forms) {
  const struct {
    const char* text;
    long long paise;
  } rows[] = {{"1500", 150000}, {"1500.5", 150050}, {"1500.00", 150000}, {"0.1", 10},  {"0.01", 1},
              {"0", 0},         {"7263.50", 726350}, {"1.", -1},          {"007", 700}, {"92233720368547758.07", 9223372036854775807}};
  for (const auto& row : rows) {
    const auto got = ParseAmount(row.text);
    if (row.paise < 0) {
      BOOST_TEST(!got.ok(), row.text);
      continue;
    }
    BOOST_TEST_INFO(row.text);
    BOOST_REQUIRE(got.ok());
    BOOST_TEST(*got == row.paise);
  }
}

BOOST_AUTO_TEST_CASE(rejects_hostile_forms_with_reason) {
  const struct {
    const char* text;
    const char* error;
  } rows[] = {
      {"", "amount is empty"},
      {"-1.00", "invalid amount \"-1.00\": negative amounts are not allowed"},
      {"+1", "invalid amount \"+1\": a sign is not allowed"},
      {"1.234", "invalid amount \"1.234\": more than two decimals"},
      {"1e3", "invalid amount \"1e3\": exponents are not allowed"},
      {"1E-2", "invalid amount \"1E-2\": exponents are not allowed"},
      {" 1", "invalid amount \" 1\": spaces are not allowed"},
      {"1 000", "invalid amount \"1 000\": spaces are not allowed"},
      {"1.00\n", "invalid amount \"1.00\n\": spaces are not allowed"},
      {"abc", "invalid amount \"abc\": not a decimal number"},
      {"1,50", "invalid amount \"1,50\": not a decimal number"},
      {"1.2.3", "invalid amount \"1.2.3\": not a decimal number"},
      {"0x10", "invalid amount \"0x10\": not a decimal number"},
      {"Infinity", "invalid amount \"Infinity\": not a decimal number"},
      {"NaN", "invalid amount \"NaN\": not a decimal number"},
      {".", "invalid amount \".\": no digits"},
      {".5", "invalid amount \".5\": no digits before the decimal point"},
      {".05", "invalid amount \".05\": no digits before the decimal point"},
      {"1.", "invalid amount \"1.\": no digits after the decimal point"},
      {"92233720368547758.08", "invalid amount \"92233720368547758.08\": too large"},
      {"99999999999999999999999", "invalid amount \"99999999999999999999999\": too large"},
  };
  for (const auto& row : rows) {
    const auto got = ParseAmount(row.text);
    BOOST_TEST_INFO(row.text);
    BOOST_REQUIRE(!got.ok());
    BOOST_TEST(got.error() == row.error);
  }
}

BOOST_AUTO_TEST_CASE(long_input_is_truncated_in_message) {
  const std::string junk(200, 'x');
  const auto got = ParseAmount(junk);
  BOOST_REQUIRE(!got.ok());
  BOOST_TEST(got.error().size() < 120u);
}

BOOST_AUTO_TEST_CASE(formats_two_decimals) {
  BOOST_TEST(FormatAmount(150000) == "1500.00");
  BOOST_TEST(FormatAmount(150050) == "1500.50");
  BOOST_TEST(FormatAmount(5) == "0.05");
  BOOST_TEST(FormatAmount(0) == "0.00");
  BOOST_TEST(FormatAmount(-5) == "-0.05");
  BOOST_TEST(FormatAmount(std::numeric_limits<long long>::max()) == "92233720368547758.07");
  BOOST_TEST(FormatAmount(std::numeric_limits<long long>::min()) == "-92233720368547758.08");
}

BOOST_AUTO_TEST_CASE(round_trips) {
  for (long long p : {0LL, 1LL, 99LL, 100LL, 123456789LL}) {
    BOOST_TEST(*ParseAmount(FormatAmount(p)) == p);
  }
}

BOOST_AUTO_TEST_SUITE_END()
