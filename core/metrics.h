#pragma once
// Prometheus text exposition format (version 0.0.4) for batch-job metrics, written to a textfile or pushed to a
// Pushgateway by jobs/. Pure formatting: values come in, text goes out.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace payrecon::core {

using MetricLabels = std::vector<std::pair<std::string, std::string>>;

// Fixed-bucket latency histogram in microseconds (bounds are upper bounds, inclusive, like Prometheus `le`).
class LatencyHistogram {
 public:
  // 1 ms .. 10 s.
  static const std::vector<std::int64_t>& DefaultBoundsUs();
  explicit LatencyHistogram(std::vector<std::int64_t> bounds_us = DefaultBoundsUs());
  void Observe(std::int64_t micros);
  void Merge(const LatencyHistogram& other);  // requires equal bounds
  // A histogram rebuilt from what counts() and sum_us() gave (e.g. stored with a run): nullopt unless `counts` has
  // one entry more than `bounds_us` (the +Inf bucket) and the bounds ascend strictly.
  static std::optional<LatencyHistogram> FromCounts(std::vector<std::int64_t> bounds_us,
                                                    std::vector<std::uint64_t> counts, std::int64_t sum_us);
  const std::vector<std::int64_t>& bounds_us() const { return bounds_us_; }
  const std::vector<std::uint64_t>& counts() const { return counts_; }  // per bucket, not cumulative; +Inf last
  std::uint64_t count() const { return count_; }
  std::int64_t sum_us() const { return sum_us_; }
  // The smallest bucket bound below which at least q (0..1, as a fraction num/den) of observations fall.
  std::int64_t QuantileUpperBoundUs(std::uint64_t num, std::uint64_t den) const;

 private:
  std::vector<std::int64_t> bounds_us_;
  std::vector<std::uint64_t> counts_;
  std::uint64_t count_ = 0;
  std::int64_t sum_us_ = 0;
};

// Collects metric families and renders them; HELP and TYPE are written once per family, in first-use order.
class MetricsText {
 public:
  void Counter(std::string_view name, std::string_view help, const MetricLabels& labels, std::int64_t value);
  // Gauges take integers or milli-units rendered as decimals (e.g. seconds with millisecond precision).
  void Gauge(std::string_view name, std::string_view help, const MetricLabels& labels, std::int64_t value);
  void GaugeMillis(std::string_view name, std::string_view help, const MetricLabels& labels,
                   std::int64_t thousandths);
  // A histogram in seconds from microsecond observations.
  void HistogramSeconds(std::string_view name, std::string_view help, const MetricLabels& labels,
                        const LatencyHistogram& histogram);
  std::string Render() const;

 private:
  struct Family {
    std::string type;
    std::string help;
    std::vector<std::string> samples;
  };
  Family& FamilyFor(std::string_view name, std::string_view type, std::string_view help);

  std::vector<std::string> order_;
  std::map<std::string, Family, std::less<>> families_;
};

// Label value escaping of the exposition format: backslash, double quote and newline.
std::string EscapeLabelValue(std::string_view value);
// 1234 thousandths -> "1.234"; -5 -> "-0.005".
std::string FormatThousandths(std::int64_t thousandths);

}  // namespace payrecon::core
