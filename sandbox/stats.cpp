#include "sandbox/stats.h"

namespace payrecon::sandbox {

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
