#include "core/run_figures.h"

#include <charconv>

#include "core/json.h"

namespace payrecon::core {

namespace {

JsonValue Int(std::int64_t v) { return JsonValue::Number(std::to_string(v)); }

std::optional<std::int64_t> IntOf(const JsonValue* v) {
  if (!v || v->type() != JsonValue::Type::kNumber) return std::nullopt;
  std::int64_t n = 0;
  const std::string& t = v->text();
  auto [ptr, ec] = std::from_chars(t.data(), t.data() + t.size(), n);
  if (ec != std::errc() || ptr != t.data() + t.size()) return std::nullopt;
  return n;
}

}  // namespace

std::string RunFiguresToJson(const RunFigures& f) {
  JsonValue pending = JsonValue::Array();
  for (const AgeTotal& a : f.pending) {
    JsonValue o = JsonValue::Object();
    o.Add("age", JsonValue::String(a.age)).Add("count", Int(a.count)).Add("amount_paise", Int(a.amount));
    pending.Push(std::move(o));
  }
  JsonValue open = JsonValue::Array();
  for (const CodeTotal& c : f.open_discrepancies) {
    JsonValue o = JsonValue::Object();
    o.Add("code", JsonValue::String(std::string(DiscrepancyCodeName(c.code))))
        .Add("count", Int(c.count))
        .Add("amount_paise", Int(c.amount));
    open.Push(std::move(o));
  }
  JsonValue root = JsonValue::Object();
  root.Add("checked", Int(f.checked))
      .Add("errors", Int(f.errors))
      .Add("transitions", Int(f.transitions))
      .Add("discrepancies", Int(f.discrepancies))
      .Add("gateway_calls", Int(f.gateway_calls))
      .Add("latency_p99_us", f.latency_p99_us ? Int(*f.latency_p99_us) : JsonValue::Null())
      .Add("latency_p99_above", JsonValue::Bool(f.latency_p99_above))
      .Add("pending", std::move(pending))
      .Add("open_discrepancies", std::move(open));
  return SerializeJson(root);
}

std::optional<RunFigures> RunFiguresFromJson(std::string_view json) {
  auto parsed = ParseJson(json);
  if (!parsed || !parsed->is_object()) return std::nullopt;
  const JsonValue& o = *parsed;
  RunFigures f;
  const auto checked = IntOf(o.Find("checked"));
  if (!checked) return std::nullopt;
  f.checked = *checked;
  f.errors = IntOf(o.Find("errors")).value_or(0);
  f.transitions = IntOf(o.Find("transitions")).value_or(0);
  f.discrepancies = IntOf(o.Find("discrepancies")).value_or(0);
  f.gateway_calls = IntOf(o.Find("gateway_calls")).value_or(0);
  f.latency_p99_us = IntOf(o.Find("latency_p99_us"));
  if (const JsonValue* above = o.Find("latency_p99_above"); above && above->type() == JsonValue::Type::kBool) {
    f.latency_p99_above = above->as_bool();
  }
  if (const JsonValue* pending = o.Find("pending"); pending && pending->type() == JsonValue::Type::kArray) {
    for (const JsonValue& item : pending->items()) {
      const JsonValue* age = item.Find("age");
      const auto count = IntOf(item.Find("count"));
      const auto amount = IntOf(item.Find("amount_paise"));
      if (!age || age->type() != JsonValue::Type::kString || !count || !amount) return std::nullopt;
      f.pending.push_back(AgeTotal{age->text(), *count, *amount});
    }
  }
  if (const JsonValue* open = o.Find("open_discrepancies"); open && open->type() == JsonValue::Type::kArray) {
    for (const JsonValue& item : open->items()) {
      const JsonValue* code = item.Find("code");
      const auto count = IntOf(item.Find("count"));
      const auto amount = IntOf(item.Find("amount_paise"));
      if (!code || code->type() != JsonValue::Type::kString || !count || !amount) return std::nullopt;
      const auto c = DiscrepancyCodeFromName(code->text());
      if (!c) continue;  // a code a newer payrecon knows
      f.open_discrepancies.push_back(CodeTotal{*c, *count, *amount});
    }
  }
  return f;
}

}  // namespace payrecon::core
