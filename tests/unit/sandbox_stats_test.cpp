// The sandbox's request-rate counter: the busiest sliding 1 s window of API requests, on an injected clock.
#include <boost/test/unit_test.hpp>

#include "core/json.h"
#include "sandbox/stats.h"

using payrecon::sandbox::Stats;

namespace {

constexpr std::int64_t kMs = 1'000'000;

std::string Member(const payrecon::core::JsonValue& o, const char* key) { return o.Find(key)->text(); }

}  // namespace

BOOST_AUTO_TEST_SUITE(sandbox_stats)

BOOST_AUTO_TEST_CASE(busiest_window_slides_across_second_boundaries) {
  std::int64_t now = 10'000 * kMs;
  Stats stats([&] { return now; });
  // 3 requests late in one second and 3 early in the next: aligned seconds would show 3 each, the window 6.
  for (std::int64_t t : {10'600, 10'700, 10'800, 11'100, 11'200, 11'300}) {
    now = t * kMs;
    stats.Arrived();
  }
  // A request exactly 1 s after another does not share its window.
  now = 12'300 * kMs;
  stats.Arrived();
  const auto rate = stats.RateJson();
  BOOST_TEST(Member(rate, "requests") == "7");
  BOOST_TEST(Member(rate, "busiest_1s") == "6");
  BOOST_TEST(Member(rate, "busiest_1s_from_ms") == "10600");
  BOOST_TEST(Member(rate, "first_ms") == "10600");
  BOOST_TEST(Member(rate, "last_ms") == "12300");
}

BOOST_AUTO_TEST_CASE(a_window_ends_strictly_one_second_later) {
  std::int64_t now = 0;
  Stats stats([&] { return now; });
  for (std::int64_t t : {0, 999, 1000, 1999, 2000}) {
    now = t * kMs;
    stats.Arrived();
  }
  // (t - 1 s, t]: {0, 999}, {999, 1000}, {1000, 1999}, {1999, 2000}: never three.
  BOOST_TEST(Member(stats.RateJson(), "busiest_1s") == "2");
  const Stats empty;
  BOOST_TEST(Member(empty.RateJson(), "requests") == "0");
  BOOST_TEST(Member(empty.RateJson(), "busiest_1s") == "0");
}

// Arrivals stamped when they reached the socket are reported by whichever thread reads them: a little out of order.
// The busiest window is that of the arrival times, whatever order they were reported in.
BOOST_AUTO_TEST_CASE(arrivals_reported_out_of_order_count_where_they_belong) {
  std::int64_t now = 50'000 * kMs;
  Stats stats([&] { return now; });
  // Sorted: 10'000, 10'500, 10'900, 11'000 (twice), 11'950.
  for (std::int64_t t : {10'000, 10'900, 11'000, 10'500, 11'950, 11'000}) stats.Arrived(t * kMs);
  auto rate = stats.RateJson();
  BOOST_TEST(Member(rate, "requests") == "6");
  BOOST_TEST(Member(rate, "busiest_1s") == "4");  // (10'000, 11'000]: 10'500, 10'900, 11'000, 11'000
  BOOST_TEST(Member(rate, "busiest_1s_from_ms") == "10500");
  BOOST_TEST(Member(rate, "first_ms") == "10000");
  BOOST_TEST(Member(rate, "last_ms") == "11950");
  // A late one counts in the windows that end after it.
  stats.Arrived(10'960 * kMs);
  rate = stats.RateJson();
  BOOST_TEST(Member(rate, "busiest_1s") == "5");  // (10'000, 11'000]: 10'500, 10'900, 10'960, 11'000, 11'000
  // Without a time the clock is read.
  stats.Arrived();
  BOOST_TEST(Member(stats.RateJson(), "last_ms") == "50000");
}

BOOST_AUTO_TEST_SUITE_END()
