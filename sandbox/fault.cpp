#include "sandbox/fault.h"

#include <charconv>

namespace payrecon::sandbox {
namespace {

struct KindRow {
  FaultKind kind;
  std::string_view name;
  bool takes_param;
};
constexpr KindRow kKinds[] = {
    {FaultKind::kLatency, "latency", true},           {FaultKind::kHttp500, "http500", false},
    {FaultKind::kHttp503, "http503", true},           {FaultKind::kHttp429, "http429", true},
    {FaultKind::kHang, "hang", true},                 {FaultKind::kReset, "reset", false},
    {FaultKind::kMalformedJson, "malformed_json", false}, {FaultKind::kTruncatedBody, "truncated_body", false},
    {FaultKind::kWrongSignature, "wrong_signature", false},
    {FaultKind::kMissingSignature, "missing_signature", false},
    {FaultKind::kWrongAmount, "wrong_amount", false}, {FaultKind::kUnknownStatus, "unknown_status", false},
};

constexpr std::string_view kEndpointNames[] = {"status", "charge", "refund", "topup", "instruments", "control",
                                               "other"};

std::optional<std::int64_t> ParseCount(std::string_view text) {
  std::int64_t v = 0;
  if (text.empty() || text.size() > 12) return std::nullopt;
  const auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || p != text.data() + text.size() || v < 0) return std::nullopt;
  return v;
}

// "0.25" -> 250000; at most six decimals, value in [0, 1].
std::optional<std::uint32_t> ParsePpm(std::string_view text) {
  const auto dot = text.find('.');
  const std::string_view whole = text.substr(0, dot);
  std::string_view frac = dot == std::string_view::npos ? std::string_view() : text.substr(dot + 1);
  if ((whole.empty() && frac.empty()) || frac.size() > 6) return std::nullopt;
  std::uint64_t w = 0;
  for (char c : whole) {
    if (c < '0' || c > '9') return std::nullopt;
    w = w * 10 + static_cast<std::uint64_t>(c - '0');
    if (w > 1) return std::nullopt;
  }
  std::uint64_t f = 0;
  for (std::size_t i = 0; i < 6; ++i) {
    char c = i < frac.size() ? frac[i] : '0';
    if (c < '0' || c > '9') return std::nullopt;
    f = f * 10 + static_cast<std::uint64_t>(c - '0');
  }
  const std::uint64_t ppm = w * 1000000 + f;
  if (ppm > 1000000) return std::nullopt;
  return static_cast<std::uint32_t>(ppm);
}

std::string FormatPpm(std::uint32_t ppm) {
  std::string s = std::to_string(ppm / 1000000) + ".";
  std::string frac = std::to_string(ppm % 1000000);
  s += std::string(6 - frac.size(), '0') + frac;
  while (s.back() == '0' && s[s.size() - 2] != '.') s.pop_back();
  return s;
}

}  // namespace

std::string_view FaultKindName(FaultKind kind) {
  for (const auto& row : kKinds) {
    if (row.kind == kind) return row.name;
  }
  return "none";
}

core::Expected<FaultSpec> ParseFaultSpec(std::string_view text, bool allow_times) {
  const std::string quoted = "invalid fault \"" + std::string(text) + "\": ";
  FaultSpec spec;
  std::string_view rest = text;
  if (const auto star = rest.find('*'); star != std::string_view::npos) {
    if (!allow_times) return core::Error{quoted + "a repeat count is only allowed per transaction"};
    const auto n = ParseCount(rest.substr(star + 1));
    if (!n || *n < 1 || *n > 1000000) return core::Error{quoted + "the repeat count must be 1 to 1000000"};
    spec.times = static_cast<std::uint32_t>(*n);
    rest = rest.substr(0, star);
  }
  std::string_view name = rest;
  std::optional<std::string_view> param;
  if (const auto colon = rest.find(':'); colon != std::string_view::npos) {
    name = rest.substr(0, colon);
    param = rest.substr(colon + 1);
  }
  for (const auto& row : kKinds) {
    if (row.name != name) continue;
    spec.kind = row.kind;
    if (param) {
      if (!row.takes_param) return core::Error{quoted + "\"" + std::string(name) + "\" takes no parameter"};
      const auto v = ParseCount(*param);
      if (!v || *v > 3600000) return core::Error{quoted + "the parameter must be an integer 0 to 3600000"};
      spec.param = *v;
    } else if (row.kind == FaultKind::kLatency) {
      return core::Error{quoted + "latency needs milliseconds, e.g. latency:50"};
    }
    return spec;
  }
  return core::Error{quoted + "unknown fault name \"" + std::string(name) + "\""};
}

std::string FormatFaultSpec(const FaultSpec& spec) {
  std::string s(FaultKindName(spec.kind));
  if (spec.param >= 0) s += ":" + std::to_string(spec.param);
  if (spec.times > 0) s += "*" + std::to_string(spec.times);
  return s;
}

std::string_view EndpointName(Endpoint e) { return kEndpointNames[static_cast<int>(e)]; }

std::optional<Endpoint> EndpointFromName(std::string_view name) {
  for (int i = 0; i < kEndpointCount; ++i) {
    if (kEndpointNames[i] == name) return static_cast<Endpoint>(i);
  }
  return std::nullopt;
}

core::Expected<GlobalFaults> ParseGlobalFaults(std::string_view json) {
  auto parsed = core::ParseJson(json);
  if (!parsed) return core::Error{"faults are not JSON: " + parsed.error()};
  const core::JsonValue& root = *parsed;
  if (!root.is_object()) return core::Error{"faults must be a JSON object"};
  GlobalFaults out;
  auto number = [](const core::JsonValue& v, std::string_view key) -> core::Expected<std::int64_t> {
    if (v.type() != core::JsonValue::Type::kNumber && v.type() != core::JsonValue::Type::kString) {
      return core::Error{"\"" + std::string(key) + "\" must be a number"};
    }
    const auto n = ParseCount(v.text());
    if (!n) return core::Error{"\"" + std::string(key) + "\" must be a non-negative integer, got \"" + v.text() + "\""};
    return *n;
  };
  for (const auto& [key, value] : root.members()) {
    if (key == "latency_ms" || key == "latency_spread_ms") {
      auto n = number(value, key);
      if (!n) return core::Error{n.error()};
      (key == "latency_ms" ? out.latency_ms : out.latency_spread_ms) = *n;
    } else if (key == "rules") {
      if (value.type() != core::JsonValue::Type::kArray) return core::Error{"\"rules\" must be an array"};
      for (const auto& item : value.items()) {
        if (!item.is_object()) return core::Error{"each rule must be an object"};
        FaultRule rule;
        bool has_fault = false;
        bool has_probability = false;
        for (const auto& [rk, rv] : item.members()) {
          if (rk == "fault") {
            if (rv.type() != core::JsonValue::Type::kString) return core::Error{"\"fault\" must be a string"};
            auto spec = ParseFaultSpec(rv.text(), false);
            if (!spec) return core::Error{spec.error()};
            rule.spec = *spec;
            has_fault = true;
          } else if (rk == "probability") {
            const auto ppm = (rv.type() == core::JsonValue::Type::kNumber ||
                              rv.type() == core::JsonValue::Type::kString)
                                 ? ParsePpm(rv.text())
                                 : std::nullopt;
            if (!ppm) return core::Error{"\"probability\" must be a decimal from 0 to 1 with at most six decimals"};
            rule.ppm = *ppm;
            has_probability = true;
          } else if (rk == "every") {
            auto n = number(rv, rk);
            if (!n) return core::Error{n.error()};
            if (*n < 1 || *n > 1000000000) return core::Error{"\"every\" must be 1 or more"};
            rule.every = static_cast<std::uint32_t>(*n);
          } else if (rk == "endpoint") {
            const auto e = rv.type() == core::JsonValue::Type::kString ? EndpointFromName(rv.text()) : std::nullopt;
            if (!e || *e == Endpoint::kControl || *e == Endpoint::kOther) {
              return core::Error{"\"endpoint\" must be one of status, charge, refund, topup, instruments"};
            }
            rule.endpoint = *e;
          } else {
            return core::Error{"unknown rule key \"" + rk + "\""};
          }
        }
        if (!has_fault) return core::Error{"a rule needs \"fault\""};
        if (has_probability && rule.every > 0) return core::Error{"a rule takes \"probability\" or \"every\", not both"};
        out.rules.push_back(rule);
      }
    } else {
      return core::Error{"unknown faults key \"" + key + "\""};
    }
  }
  return out;
}

core::JsonValue GlobalFaultsToJson(const GlobalFaults& faults) {
  using core::JsonValue;
  JsonValue rules = JsonValue::Array();
  for (const auto& r : faults.rules) {
    JsonValue o = JsonValue::Object();
    o.Add("fault", JsonValue::String(FormatFaultSpec(r.spec)));
    if (r.every > 0) {
      o.Add("every", JsonValue::Number(std::to_string(r.every)));
    } else {
      o.Add("probability", JsonValue::String(FormatPpm(r.ppm)));
    }
    if (r.endpoint) o.Add("endpoint", JsonValue::String(std::string(EndpointName(*r.endpoint))));
    rules.Push(std::move(o));
  }
  JsonValue root = JsonValue::Object();
  root.Add("latency_ms", JsonValue::Number(std::to_string(faults.latency_ms)));
  root.Add("latency_spread_ms", JsonValue::Number(std::to_string(faults.latency_spread_ms)));
  root.Add("rules", std::move(rules));
  return root;
}

std::uint64_t Mix64(std::uint64_t x) {
  x += 0x9E3779B97F4A7C15ULL;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}

std::uint64_t HashText(std::uint64_t seed, std::string_view text) {
  std::uint64_t h = 0xCBF29CE484222325ULL ^ Mix64(seed);  // FNV-1a, then mixed
  for (char c : text) {
    h ^= static_cast<unsigned char>(c);
    h *= 0x100000001B3ULL;
  }
  return Mix64(h);
}

void FaultPlan::Set(GlobalFaults faults) {
  auto state = std::make_shared<State>();
  state->counters = std::make_unique<std::atomic<std::uint64_t>[]>(faults.rules.size() + 1);
  state->faults = std::move(faults);
  std::lock_guard lock(mu_);
  state_ = std::move(state);
}

GlobalFaults FaultPlan::Get() const {
  std::lock_guard lock(mu_);
  return state_ ? state_->faults : GlobalFaults{};
}

FaultPlan::Draw FaultPlan::Decide(Endpoint endpoint, std::uint64_t key) const {
  std::shared_ptr<const State> state;
  {
    std::lock_guard lock(mu_);
    state = state_;
  }
  Draw draw;
  if (!state) return draw;
  const GlobalFaults& f = state->faults;
  draw.latency_ms = f.latency_ms;
  if (f.latency_spread_ms > 0) {
    draw.latency_ms += static_cast<std::int64_t>(Mix64(seed_ ^ Mix64(key ^ 0x1A7E)) %
                                                 static_cast<std::uint64_t>(f.latency_spread_ms + 1));
  }
  for (std::size_t i = 0; i < f.rules.size(); ++i) {
    const FaultRule& rule = f.rules[i];
    if (rule.endpoint && *rule.endpoint != endpoint) continue;
    bool fire;
    if (rule.every > 0) {
      fire = (state->counters[i].fetch_add(1) + 1) % rule.every == 0;
    } else {
      fire = Mix64(seed_ ^ Mix64(key + 0x51ED * (i + 1))) % 1000000 < rule.ppm;
    }
    if (fire) {
      draw.spec = rule.spec;
      return draw;
    }
  }
  return draw;
}

}  // namespace payrecon::sandbox
