// The counts a run keeps in its database row (runs.counts), from which `report --run` redraws summary.html.
#include <boost/test/unit_test.hpp>

#include "core/metrics.h"
#include "core/run_counts.h"

using namespace payrecon;

BOOST_AUTO_TEST_SUITE(run_counts)

BOOST_AUTO_TEST_CASE(latency_buckets_survive_the_round_trip) {
  core::RunCounts c;
  c.checked = 3;
  c.checked_by_kind[core::Kind::kCharge] = 3;
  c.gateway_calls = 3;
  c.stop = "done";
  c.latency.Observe(800);
  c.latency.Observe(3000);
  c.latency.Observe(20'000'000);
  const std::string json = core::CountsToJson(c);
  BOOST_TEST(json.find("\"gateway_latency_histogram\":{\"bounds_us\":[1000,2500,5000,") != std::string::npos);
  BOOST_TEST(json.find("\"counts\":[1,0,1,0,0,0,0,0,0,0,0,0,0,1],\"sum_us\":20003800}") != std::string::npos);
  const core::RunCounts back = core::CountsFromJson(json);
  BOOST_TEST(back.checked == 3);
  BOOST_TEST(back.latency.bounds_us() == c.latency.bounds_us(), boost::test_tools::per_element());
  BOOST_TEST(back.latency.counts() == c.latency.counts(), boost::test_tools::per_element());
  BOOST_TEST(back.latency.count() == 3u);
  BOOST_TEST(back.latency.sum_us() == 20'003'800);
  BOOST_TEST(back.latency.QuantileUpperBoundUs(1, 2) == 5000);
}

BOOST_AUTO_TEST_CASE(older_or_damaged_rows_give_an_empty_histogram) {
  for (const char* json : {"{}", "{\"checked\":2}",
                           "{\"gateway_latency_histogram\":{\"bounds_us\":[1000,500],\"counts\":[1,1,1],\"sum_us\":1}}",
                           "{\"gateway_latency_histogram\":{\"bounds_us\":[1000],\"counts\":[1],\"sum_us\":1}}",
                           "{\"gateway_latency_histogram\":{\"bounds_us\":[1000],\"counts\":[1,-1],\"sum_us\":1}}",
                           "{\"gateway_latency_histogram\":{\"bounds_us\":[1000],\"counts\":[1,\"2\"],\"sum_us\":1}}",
                           "{\"gateway_latency_histogram\":[]}"}) {
    BOOST_TEST_CONTEXT(json) {
      const core::RunCounts c = core::CountsFromJson(json);
      BOOST_TEST(c.latency.count() == 0u);
      BOOST_TEST(c.latency.bounds_us() == core::LatencyHistogram::DefaultBoundsUs(), boost::test_tools::per_element());
    }
  }
}

BOOST_AUTO_TEST_CASE(a_resumed_backfill_adds_latencies_up) {
  core::RunCounts first;
  first.latency.Observe(800);
  core::RunCounts second;
  second.latency.Observe(900);
  second.latency.Observe(30'000);
  core::AddCounts(first, second);
  BOOST_TEST(first.latency.count() == 3u);
  BOOST_TEST(first.latency.counts()[0] == 2u);
  // Counts stored with other bounds cannot be added: the newer ones are kept.
  core::RunCounts odd;
  odd.latency = core::LatencyHistogram({5, 10});
  odd.latency.Observe(7);
  core::AddCounts(odd, second);
  BOOST_TEST(odd.latency.count() == 2u);
  BOOST_TEST(odd.latency.bounds_us() == second.latency.bounds_us(), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(from_counts_checks_its_input) {
  BOOST_TEST(core::LatencyHistogram::FromCounts({1000, 2000}, {1, 2, 3}, 42).has_value());
  BOOST_TEST(core::LatencyHistogram::FromCounts({1000, 2000}, {1, 2, 3}, 42)->count() == 6u);
  BOOST_TEST(!core::LatencyHistogram::FromCounts({1000, 2000}, {1, 2}, 0).has_value());
  BOOST_TEST(!core::LatencyHistogram::FromCounts({2000, 2000}, {1, 2, 3}, 0).has_value());
}

BOOST_AUTO_TEST_SUITE_END()
