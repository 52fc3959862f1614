#include "sandbox/stats.h"

#include <algorithm>
#include <chrono>

namespace payrecon::sandbox {

namespace {
constexpr std::int64_t kWindowNs = 1'000'000'000;

std::int64_t SteadyNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}
}  // namespace

Stats::Stats() : clock_(SteadyNs) {}
Stats::Stats(Clock clock) : clock_(std::move(clock)) {}

void Stats::Arrived(std::int64_t at_ns) {
  const std::int64_t at = at_ns != 0 ? at_ns : clock_();
  std::lock_guard lock(rate_mu_);
  if (arrived_ == 0 || at < first_ns_) first_ns_ = at;
  if (arrived_ == 0 || at > last_ns_) last_ns_ = at;
  ++arrived_;
  // Arrival times may come a little out of order (stamped when the bytes reached the socket, read by several
  // threads): kept sorted, and every window (e - 1 s, e] that ends at or after this one and so may now hold it is
  // counted again. Usually this one is the newest, and that is one window.
  const auto pos = window_.insert(std::upper_bound(window_.begin(), window_.end(), at), at);
  for (auto end = pos; end != window_.end(); ++end) {
    const auto begin = std::upper_bound(window_.begin(), end, *end - kWindowNs);
    const auto count = static_cast<std::uint64_t>(end - begin + 1);
    if (count > busiest_) {
      busiest_ = count;
      busiest_from_ns_ = *begin;
    }
  }
  // Kept: the last second, and a second before it for arrivals that come late.
  while (!window_.empty() && window_.front() <= last_ns_ - 2 * kWindowNs) window_.pop_front();
}

core::JsonValue Stats::RateJson() const {
  std::lock_guard lock(rate_mu_);
  const auto ms = [](std::int64_t ns) { return core::JsonValue::Number(std::to_string(ns / 1'000'000)); };
  core::JsonValue o = core::JsonValue::Object();
  o.Add("requests", core::JsonValue::Number(std::to_string(arrived_)));
  o.Add("first_ms", ms(first_ns_));
  o.Add("last_ms", ms(last_ns_));
  o.Add("busiest_1s", core::JsonValue::Number(std::to_string(busiest_)));
  o.Add("busiest_1s_from_ms", ms(busiest_from_ns_));
  return o;
}

void Stats::Count(Endpoint endpoint, std::string_view outcome) {
  PerEndpoint& e = endpoints_[static_cast<int>(endpoint)];
  std::lock_guard lock(e.mu);
  auto it = e.by_outcome.find(outcome);
  if (it == e.by_outcome.end()) it = e.by_outcome.emplace(std::string(outcome), 0).first;
  ++it->second;
}

core::JsonValue Stats::RequestsJson() const {
  core::JsonValue root = core::JsonValue::Object();
  for (int i = 0; i < kEndpointCount; ++i) {
    const PerEndpoint& e = endpoints_[i];
    std::lock_guard lock(e.mu);
    if (e.by_outcome.empty()) continue;
    core::JsonValue o = core::JsonValue::Object();
    for (const auto& [outcome, n] : e.by_outcome) o.Add(outcome, core::JsonValue::Number(std::to_string(n)));
    root.Add(std::string(EndpointName(static_cast<Endpoint>(i))), std::move(o));
  }
  return root;
}

}  // namespace payrecon::sandbox
