#include "core/run_counts.h"

#include <algorithm>
#include <charconv>
#include <optional>
#include <string_view>
#include <type_traits>
#include <vector>

#include "core/json.h"

namespace payrecon::core {

namespace {
std::int64_t IntMember(const JsonValue& obj, std::string_view key) {
  const JsonValue* v = obj.Find(key);
  if (!v || v->type() != JsonValue::Type::kNumber) return 0;
  try {
    return std::stoll(v->text());
  } catch (...) {
    return 0;
  }
}

// Non-negative integers of a JSON array, or nullopt.
template <class T>
std::optional<std::vector<T>> IntArray(const JsonValue* v) {
  if (!v || v->type() != JsonValue::Type::kArray) return std::nullopt;
  std::vector<T> out;
  for (const JsonValue& item : v->items()) {
    if (item.type() != JsonValue::Type::kNumber) return std::nullopt;
    T n{};
    const std::string& t = item.text();
    auto [ptr, ec] = std::from_chars(t.data(), t.data() + t.size(), n);
    if (ec != std::errc() || ptr != t.data() + t.size()) return std::nullopt;
    if constexpr (std::is_signed_v<T>) {
      if (n < 0) return std::nullopt;
    }
    out.push_back(n);
  }
  return out;
}

std::optional<LatencyHistogram> LatencyFromJson(const JsonValue* v) {
  if (!v || !v->is_object()) return std::nullopt;
  auto bounds = IntArray<std::int64_t>(v->Find("bounds_us"));
  auto counts = IntArray<std::uint64_t>(v->Find("counts"));
  if (!bounds || !counts) return std::nullopt;
  return LatencyHistogram::FromCounts(std::move(*bounds), std::move(*counts), IntMember(*v, "sum_us"));
}

}  // namespace

void AddCounts(RunCounts& base, const RunCounts& more) {
  base.checked += more.checked;
  for (const auto& [k, n] : more.checked_by_kind) base.checked_by_kind[k] += n;
  base.gateway_calls += more.gateway_calls;
  base.gateway_latency_total_us += more.gateway_latency_total_us;
  base.gateway_latency_max_us = std::max(base.gateway_latency_max_us, more.gateway_latency_max_us);
  base.conflicts += more.conflicts;
  base.released += more.released;
  base.stop = more.stop;
  base.cpu_us += more.cpu_us;
  // Percentiles cannot be added up: a resumed backfill shows its latest part's.
  base.claims += more.claims;
  base.claim_p50_us = more.claim_p50_us;
  base.claim_p99_us = more.claim_p99_us;
  base.applies += more.applies;
  base.apply_p50_us = more.apply_p50_us;
  base.apply_p99_us = more.apply_p99_us;
  // Counts stored by a payrecon with other bucket bounds cannot be added up: the newer ones are kept.
  if (base.latency.bounds_us() == more.latency.bounds_us()) {
    base.latency.Merge(more.latency);
  } else {
    base.latency = more.latency;
  }
}

std::string CountsToJson(const RunCounts& c) {
  JsonValue by_kind = JsonValue::Object();
  for (Kind k : kAllKinds) {
    auto it = c.checked_by_kind.find(k);
    by_kind.Add(std::string(KindName(k)),
                JsonValue::Number(std::to_string(it == c.checked_by_kind.end() ? 0 : it->second)));
  }
  JsonValue obj = JsonValue::Object();
  obj.Add("checked", JsonValue::Number(std::to_string(c.checked)));
  obj.Add("checked_by_kind", std::move(by_kind));
  obj.Add("gateway_calls", JsonValue::Number(std::to_string(c.gateway_calls)));
  obj.Add("gateway_latency_total_us", JsonValue::Number(std::to_string(c.gateway_latency_total_us)));
  obj.Add("gateway_latency_max_us", JsonValue::Number(std::to_string(c.gateway_latency_max_us)));
  obj.Add("conflicts", JsonValue::Number(std::to_string(c.conflicts)));
  obj.Add("released", JsonValue::Number(std::to_string(c.released)));
  obj.Add("stop", JsonValue::String(c.stop));
  obj.Add("cpu_us", JsonValue::Number(std::to_string(c.cpu_us)));
  obj.Add("claims", JsonValue::Number(std::to_string(c.claims)));
  obj.Add("claim_p50_us", JsonValue::Number(std::to_string(c.claim_p50_us)));
  obj.Add("claim_p99_us", JsonValue::Number(std::to_string(c.claim_p99_us)));
  obj.Add("applies", JsonValue::Number(std::to_string(c.applies)));
  obj.Add("apply_p50_us", JsonValue::Number(std::to_string(c.apply_p50_us)));
  obj.Add("apply_p99_us", JsonValue::Number(std::to_string(c.apply_p99_us)));
  JsonValue bounds = JsonValue::Array();
  for (std::int64_t b : c.latency.bounds_us()) bounds.Push(JsonValue::Number(std::to_string(b)));
  JsonValue buckets = JsonValue::Array();
  for (std::uint64_t n : c.latency.counts()) buckets.Push(JsonValue::Number(std::to_string(n)));
  JsonValue latency = JsonValue::Object();
  latency.Add("bounds_us", std::move(bounds));
  latency.Add("counts", std::move(buckets));
  latency.Add("sum_us", JsonValue::Number(std::to_string(c.latency.sum_us())));
  obj.Add("gateway_latency_histogram", std::move(latency));
  return SerializeJson(obj);
}

RunCounts CountsFromJson(const std::string& json) {
  RunCounts c;
  auto parsed = ParseJson(json);
  if (!parsed || !parsed->is_object()) return c;
  const JsonValue& o = *parsed;
  c.checked = IntMember(o, "checked");
  if (const JsonValue* by_kind = o.Find("checked_by_kind")) {
    for (Kind k : kAllKinds) {
      if (auto n = IntMember(*by_kind, KindName(k))) c.checked_by_kind[k] = n;
    }
  }
  c.gateway_calls = IntMember(o, "gateway_calls");
  c.gateway_latency_total_us = IntMember(o, "gateway_latency_total_us");
  c.gateway_latency_max_us = IntMember(o, "gateway_latency_max_us");
  c.conflicts = IntMember(o, "conflicts");
  c.released = IntMember(o, "released");
  c.cpu_us = IntMember(o, "cpu_us");
  c.claims = IntMember(o, "claims");
  c.claim_p50_us = IntMember(o, "claim_p50_us");
  c.claim_p99_us = IntMember(o, "claim_p99_us");
  c.applies = IntMember(o, "applies");
  c.apply_p50_us = IntMember(o, "apply_p50_us");
  c.apply_p99_us = IntMember(o, "apply_p99_us");
  if (const JsonValue* stop = o.Find("stop"); stop && stop->type() == JsonValue::Type::kString) {
    c.stop = stop->text();
  }
  if (auto latency = LatencyFromJson(o.Find("gateway_latency_histogram"))) c.latency = std::move(*latency);
  return c;
}

}  // namespace payrecon::core
