#include <boost/test/unit_test.hpp>

#include "core/metrics.h"

using namespace payrecon::core;

BOOST_AUTO_TEST_SUITE(metrics)

BOOST_AUTO_TEST_CASE(renders_exposition_format) {
  MetricsText m;
  m.Counter("payrecon_checks_total", "Status checks by kind and outcome.", {{"kind", "charge"}, {"outcome", "OBSERVED"}}, 3);
  m.Gauge("payrecon_pending", "Pending.", {}, 7);
  m.Counter("payrecon_checks_total", "ignored", {{"kind", "refund"}, {"outcome", "TIMEOUT"}}, 1);
  m.GaugeMillis("payrecon_run_duration_seconds", "Duration.", {{"mode", "run"}}, 1234);
  BOOST_TEST(m.Render() ==
             "# HELP payrecon_checks_total Status checks by kind and outcome.\n"
             "# TYPE payrecon_checks_total counter\n"
             "payrecon_checks_total{kind=\"charge\",outcome=\"OBSERVED\"} 3\n"
             "payrecon_checks_total{kind=\"refund\",outcome=\"TIMEOUT\"} 1\n"
             "# HELP payrecon_pending Pending.\n"
             "# TYPE payrecon_pending gauge\n"
             "payrecon_pending 7\n"
             "# HELP payrecon_run_duration_seconds Duration.\n"
             "# TYPE payrecon_run_duration_seconds gauge\n"
             "payrecon_run_duration_seconds{mode=\"run\"} 1.234\n");
}

BOOST_AUTO_TEST_CASE(histogram_buckets_are_cumulative) {
  LatencyHistogram h({1000, 10000});
  h.Observe(500);
  h.Observe(1000);
  h.Observe(5000);
  h.Observe(2000000);
  MetricsText m;
  m.HistogramSeconds("lat_seconds", "Latency.", {{"kind", "charge"}}, h);
  BOOST_TEST(m.Render() ==
             "# HELP lat_seconds Latency.\n"
             "# TYPE lat_seconds histogram\n"
             "lat_seconds_bucket{kind=\"charge\",le=\"0.001\"} 2\n"
             "lat_seconds_bucket{kind=\"charge\",le=\"0.010\"} 3\n"
             "lat_seconds_bucket{kind=\"charge\",le=\"+Inf\"} 4\n"
             "lat_seconds_sum{kind=\"charge\"} 2.006500\n"
             "lat_seconds_count{kind=\"charge\"} 4\n");
  BOOST_TEST(h.QuantileUpperBoundUs(1, 2) == 1000);
  BOOST_TEST(h.QuantileUpperBoundUs(3, 4) == 10000);
  BOOST_TEST(h.QuantileUpperBoundUs(1, 1) == -1);
  LatencyHistogram other({1000, 10000});
  other.Observe(1);
  h.Merge(other);
  BOOST_TEST(h.count() == 5u);
}

BOOST_AUTO_TEST_CASE(escaping_and_decimals) {
  BOOST_TEST(EscapeLabelValue("a\"b\\c\nd") == "a\\\"b\\\\c\\nd");
  BOOST_TEST(FormatThousandths(0) == "0.000");
  BOOST_TEST(FormatThousandths(-5) == "-0.005");
  BOOST_TEST(FormatThousandths(1700000000123) == "1700000000.123");
}

BOOST_AUTO_TEST_SUITE_END()
