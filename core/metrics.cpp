#include "core/metrics.h"

#include <algorithm>
#include <cassert>

namespace payrecon::core {

const std::vector<std::int64_t>& LatencyHistogram::DefaultBoundsUs() {
  static const std::vector<std::int64_t> kBounds = {1000,    2500,    5000,    10000,   25000,   50000,
                                                     100000,  250000,  500000,  1000000, 2500000, 5000000,
                                                     10000000};
  return kBounds;
}

LatencyHistogram::LatencyHistogram(std::vector<std::int64_t> bounds_us)
    : bounds_us_(std::move(bounds_us)), counts_(bounds_us_.size() + 1, 0) {}

void LatencyHistogram::Observe(std::int64_t micros) {
  const auto it = std::lower_bound(bounds_us_.begin(), bounds_us_.end(), micros);
  ++counts_[static_cast<std::size_t>(it - bounds_us_.begin())];
  ++count_;
  sum_us_ += micros;
}

void LatencyHistogram::Merge(const LatencyHistogram& other) {
  assert(other.bounds_us_ == bounds_us_);
  for (std::size_t i = 0; i < counts_.size(); ++i) counts_[i] += other.counts_[i];
  count_ += other.count_;
  sum_us_ += other.sum_us_;
}

std::optional<LatencyHistogram> LatencyHistogram::FromCounts(std::vector<std::int64_t> bounds_us,
                                                             std::vector<std::uint64_t> counts, std::int64_t sum_us) {
  if (counts.size() != bounds_us.size() + 1) return std::nullopt;
  for (std::size_t i = 1; i < bounds_us.size(); ++i) {
    if (bounds_us[i] <= bounds_us[i - 1]) return std::nullopt;
  }
  LatencyHistogram h(std::move(bounds_us));
  h.counts_ = std::move(counts);
  for (std::uint64_t n : h.counts_) h.count_ += n;
  h.sum_us_ = sum_us;
  return h;
}

std::int64_t LatencyHistogram::QuantileUpperBoundUs(std::uint64_t num, std::uint64_t den) const {
  if (count_ == 0 || den == 0) return 0;
  std::uint64_t seen = 0;
  for (std::size_t i = 0; i < counts_.size(); ++i) {
    seen += counts_[i];
    if (seen * den >= count_ * num) return i < bounds_us_.size() ? bounds_us_[i] : -1;
  }
  return -1;
}

std::string EscapeLabelValue(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (c == '\\') out += "\\\\";
    else if (c == '"') out += "\\\"";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
  return out;
}

std::string FormatThousandths(std::int64_t thousandths) {
  const bool negative = thousandths < 0;
  const std::uint64_t m = negative ? 0 - static_cast<std::uint64_t>(thousandths) : static_cast<std::uint64_t>(thousandths);
  std::string frac = std::to_string(m % 1000);
  frac.insert(0, 3 - frac.size(), '0');
  return (negative ? "-" : "") + std::to_string(m / 1000) + "." + frac;
}

namespace {

std::string Sample(std::string_view name, const MetricLabels& labels, std::string_view value) {
  std::string s(name);
  if (!labels.empty()) {
    s += '{';
    for (std::size_t i = 0; i < labels.size(); ++i) {
      if (i) s += ',';
      s += labels[i].first;
      s += "=\"";
      s += EscapeLabelValue(labels[i].second);
      s += '"';
    }
    s += '}';
  }
  s += ' ';
  s += value;
  return s;
}

}  // namespace

MetricsText::Family& MetricsText::FamilyFor(std::string_view name, std::string_view type, std::string_view help) {
  auto it = families_.find(name);
  if (it == families_.end()) {
    order_.emplace_back(name);
    it = families_.emplace(std::string(name), Family{std::string(type), std::string(help), {}}).first;
  }
  assert(it->second.type == type);
  return it->second;
}

void MetricsText::Counter(std::string_view name, std::string_view help, const MetricLabels& labels,
                          std::int64_t value) {
  FamilyFor(name, "counter", help).samples.push_back(Sample(name, labels, std::to_string(value)));
}

void MetricsText::Gauge(std::string_view name, std::string_view help, const MetricLabels& labels,
                        std::int64_t value) {
  FamilyFor(name, "gauge", help).samples.push_back(Sample(name, labels, std::to_string(value)));
}

void MetricsText::GaugeMillis(std::string_view name, std::string_view help, const MetricLabels& labels,
                              std::int64_t thousandths) {
  FamilyFor(name, "gauge", help).samples.push_back(Sample(name, labels, FormatThousandths(thousandths)));
}

void MetricsText::HistogramSeconds(std::string_view name, std::string_view help, const MetricLabels& labels,
                                   const LatencyHistogram& h) {
  Family& f = FamilyFor(name, "histogram", help);
  const std::string bucket = std::string(name) + "_bucket";
  std::uint64_t cumulative = 0;
  for (std::size_t i = 0; i <= h.bounds_us().size(); ++i) {
    cumulative += h.counts()[i];
    MetricLabels with_le = labels;
    with_le.emplace_back("le", i < h.bounds_us().size() ? FormatThousandths(h.bounds_us()[i] / 1000) : "+Inf");
    f.samples.push_back(Sample(bucket, with_le, std::to_string(cumulative)));
  }
  // Sum in seconds with microsecond precision.
  const std::int64_t us = h.sum_us();
  std::string frac = std::to_string(us % 1000000);
  frac.insert(0, 6 - frac.size(), '0');
  f.samples.push_back(Sample(std::string(name) + "_sum", labels, std::to_string(us / 1000000) + "." + frac));
  f.samples.push_back(Sample(std::string(name) + "_count", labels, std::to_string(h.count())));
}

std::string MetricsText::Render() const {
  std::string out;
  for (const std::string& name : order_) {
    const Family& f = families_.find(name)->second;
    out += "# HELP " + name + " " + f.help + "\n";
    out += "# TYPE " + name + " " + f.type + "\n";
    for (const std::string& s : f.samples) {
      out += s;
      out += '\n';
    }
  }
  return out;
}

}  // namespace payrecon::core
