#include "core/report_rows.h"

#include "core/csv.h"
#include "core/json.h"

namespace payrecon::core {
namespace {

// Floor division, so a report written 0.5 s before created_at (clock skew) shows -1 rather than 0.
std::int64_t FloorSeconds(Millis d) {
  const std::int64_t ms = d.count();
  return ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000);
}

JsonValue Int(std::int64_t v) { return JsonValue::Number(std::to_string(v)); }
JsonValue ExitCodeValue(int code) { return code == kExitCodeUnknown ? JsonValue::Null() : Int(code); }

void AppendIndent(std::string& out, int depth) {
  out += '\n';
  out.append(static_cast<std::size_t>(depth) * 2, ' ');
}

// SerializeJson's output with two-space indents; empty objects and arrays stay "{}" / "[]".
void AppendPretty(std::string& out, const JsonValue& v, int depth) {
  switch (v.type()) {
    case JsonValue::Type::kObject: {
      if (v.members().empty()) {
        out += "{}";
        return;
      }
      out += '{';
      bool first = true;
      for (const auto& [key, member] : v.members()) {
        if (!first) out += ',';
        first = false;
        AppendIndent(out, depth + 1);
        AppendJsonString(out, key);
        out += ": ";
        AppendPretty(out, member, depth + 1);
      }
      AppendIndent(out, depth);
      out += '}';
      return;
    }
    case JsonValue::Type::kArray: {
      if (v.items().empty()) {
        out += "[]";
        return;
      }
      out += '[';
      bool first = true;
      for (const auto& item : v.items()) {
        if (!first) out += ',';
        first = false;
        AppendIndent(out, depth + 1);
        AppendPretty(out, item, depth + 1);
      }
      AppendIndent(out, depth);
      out += ']';
      return;
    }
    default:
      out += SerializeJson(v);
  }
}

template <class K>
std::int64_t CountOf(const std::map<K, std::int64_t>& counts, const K& key) {
  const auto it = counts.find(key);
  return it == counts.end() ? 0 : it->second;
}

}  // namespace

std::string_view ReportCompressionName(ReportCompression compression) {
  return compression == ReportCompression::kGzip ? "gzip" : "none";
}

std::optional<ReportCompression> ParseReportCompression(std::string_view word) {
  for (ReportCompression c : {ReportCompression::kNone, ReportCompression::kGzip}) {
    if (word == ReportCompressionName(c)) return c;
  }
  return std::nullopt;
}

std::string ReportFileName(std::string_view csv, ReportCompression compression) {
  std::string name(csv);
  if (compression == ReportCompression::kGzip) name += kGzipSuffix;
  return name;
}

PendingRow PendingRowFrom(const Transaction& transaction, Instant now) {
  PendingRow row;
  row.kind = transaction.kind;
  row.merchant_id = transaction.merchant_id;
  row.merchant_txn_id = transaction.merchant_txn_id;
  row.amazon_txn_id = transaction.amazon_txn_id;
  row.status = transaction.status;
  row.amount = transaction.amount;
  row.created_at = transaction.created_at;
  row.age_seconds = FloorSeconds(now - transaction.created_at);
  row.attempts = transaction.check_count + transaction.error_count;
  row.next_check_at = transaction.next_check_at;
  row.last_error = transaction.last_error;
  return row;
}

std::string TransitionsHeader() {
  return CsvHeaderLine({"run_id", "kind", "merchant_id", "merchant_txn_id", "amazon_txn_id", "from_status",
                        "to_status", "amount", "approved_amount", "gateway_updated_at", "checked_at"});
}
std::string DiscrepanciesHeader() {
  return CsvHeaderLine({"run_id", "kind", "merchant_id", "merchant_txn_id", "amazon_txn_id", "code", "local_status",
                        "gateway_status", "local_amount", "gateway_amount", "detail"});
}
std::string ErrorsHeader() {
  return CsvHeaderLine({"run_id", "kind", "merchant_id", "merchant_txn_id", "error_class", "http_status",
                        "gateway_code", "message", "attempts", "next_check_at"});
}
std::string PendingHeader() {
  return CsvHeaderLine({"kind", "merchant_id", "merchant_txn_id", "amazon_txn_id", "status", "amount", "created_at",
                        "age_seconds", "attempts", "next_check_at", "last_error"});
}

std::string FormatTransition(const TransitionRow& row) {
  CsvRecord r;
  r.Text(row.run_id)
      .Text(KindName(row.kind))
      .Text(row.merchant_id)
      .Text(row.merchant_txn_id)
      .Text(row.amazon_txn_id)
      .Text(StatusName(row.from_status))
      .Text(StatusName(row.to_status))
      .Amount(row.amount)
      .Amount(row.approved_amount)
      .Time(row.gateway_updated_at)
      .Time(row.checked_at);
  return r.Line();
}

std::string FormatDiscrepancy(const DiscrepancyRow& row) {
  CsvRecord r;
  r.Text(row.run_id)
      .Text(KindName(row.kind))
      .Text(row.merchant_id)
      .Text(row.merchant_txn_id)
      .Text(row.amazon_txn_id)
      .Text(DiscrepancyCodeName(row.code))
      .Text(StatusName(row.local_status))
      .Text(row.gateway_status)
      .Amount(row.local_amount)
      .Amount(row.gateway_amount)
      .Text(row.detail);
  return r.Line();
}

std::string FormatError(const ErrorRow& row) {
  CsvRecord r;
  r.Text(row.run_id)
      .Text(KindName(row.kind))
      .Text(row.merchant_id)
      .Text(row.merchant_txn_id)
      .Text(CheckOutcomeName(row.error_class));
  if (row.http_status != 0) {
    r.Integer(std::int64_t{row.http_status});
  } else {
    r.Empty();
  }
  r.Text(row.gateway_code).Text(row.message).Integer(std::int64_t{row.attempts}).Time(row.next_check_at);
  return r.Line();
}

std::string FormatPending(const PendingRow& row) {
  CsvRecord r;
  r.Text(KindName(row.kind))
      .Text(row.merchant_id)
      .Text(row.merchant_txn_id)
      .Text(row.amazon_txn_id)
      .Text(StatusName(row.status))
      .Amount(row.amount)
      .Time(row.created_at)
      .Integer(row.age_seconds)
      .Integer(std::int64_t{row.attempts})
      .Time(row.next_check_at)
      .Text(row.last_error);
  return r.Line();
}

namespace {
// 1234567 -> "1.234567": seconds as an exact decimal, no floating point.
std::string MicrosAsSeconds(std::int64_t us) {
  if (us < 0) us = 0;
  std::string frac = std::to_string(us % 1000000);
  return std::to_string(us / 1000000) + "." + std::string(6 - frac.size(), '0') + frac;
}
}  // namespace

std::string RenderSummaryJson(const RunSummary& s) {
  JsonValue totals = JsonValue::Object();
  totals.Add("checked", Int(s.counts.checked))
      .Add("transitions", Int(s.transitions))
      .Add("discrepancies", Int(s.discrepancies))
      .Add("errors", Int(s.errors))
      .Add("still_pending", Int(s.still_pending));

  JsonValue by_kind = JsonValue::Object();
  for (Kind k : kAllKinds) by_kind.Add(std::string(KindName(k)), Int(CountOf(s.counts.checked_by_kind, k)));

  JsonValue transitions = JsonValue::Object();
  for (const auto& [from_to, count] : s.transitions_by_status) {
    transitions.Add(std::string(StatusName(from_to.first)) + "->" + std::string(StatusName(from_to.second)),
                    Int(count));
  }

  JsonValue by_code = JsonValue::Object();
  for (DiscrepancyCode c : kAllDiscrepancyCodes) {
    by_code.Add(std::string(DiscrepancyCodeName(c)), Int(CountOf(s.discrepancies_by_code, c)));
  }

  JsonValue by_class = JsonValue::Object();
  for (CheckOutcome c : kErrorClasses) {
    by_class.Add(std::string(CheckOutcomeName(c)), Int(CountOf(s.errors_by_class, c)));
  }

  JsonValue timings = JsonValue::Object();
  timings.Add("gateway_calls", Int(s.counts.gateway_calls))
      .Add("gateway_latency_total_us", Int(s.counts.gateway_latency_total_us))
      .Add("gateway_latency_mean_us", Int(s.counts.gateway_calls > 0 ? s.counts.gateway_latency_total_us / s.counts.gateway_calls : 0))
      .Add("gateway_latency_max_us", Int(s.counts.gateway_latency_max_us))
      .Add("cpu_seconds", JsonValue::Number(MicrosAsSeconds(s.counts.cpu_us)))
      .Add("claims", Int(s.counts.claims))
      .Add("claim_p50_us", Int(s.counts.claim_p50_us))
      .Add("claim_p99_us", Int(s.counts.claim_p99_us))
      .Add("applies", Int(s.counts.applies))
      .Add("apply_p50_us", Int(s.counts.apply_p50_us))
      .Add("apply_p99_us", Int(s.counts.apply_p99_us));

  JsonValue transition_amounts = JsonValue::Object();
  for (const auto& [from_to, count] : s.transitions_by_status) {
    transition_amounts.Add(std::string(StatusName(from_to.first)) + "->" + std::string(StatusName(from_to.second)),
                           Int(CountOf(s.transition_amounts, from_to)));
  }
  JsonValue discrepancy_amounts = JsonValue::Object();
  for (DiscrepancyCode c : kAllDiscrepancyCodes) {
    discrepancy_amounts.Add(std::string(DiscrepancyCodeName(c)), Int(CountOf(s.discrepancy_amounts, c)));
  }
  JsonValue amounts = JsonValue::Object();
  amounts.Add("transitions", std::move(transition_amounts)).Add("discrepancies_by_code", std::move(discrepancy_amounts));

  std::int64_t pending_count = 0;
  Paise pending_amount = 0;
  JsonValue by_kind_age = JsonValue::Array();
  for (Kind k : kAllKinds) {
    for (const std::string& age : s.pending_ages) {
      KindAgeTotal t{k, age, 0, 0};
      for (const KindAgeTotal& x : s.pending_totals) {
        if (x.kind == k && x.age == age) t = x;
      }
      pending_count += t.count;
      pending_amount += t.amount;
      JsonValue o = JsonValue::Object();
      o.Add("kind", JsonValue::String(std::string(KindName(k))))
          .Add("age", JsonValue::String(age))
          .Add("count", Int(t.count))
          .Add("amount_paise", Int(t.amount));
      by_kind_age.Push(std::move(o));
    }
  }
  JsonValue pending = JsonValue::Object();
  pending.Add("listed", Int(s.pending_listed))
      .Add("count", Int(pending_count))
      .Add("amount_paise", Int(pending_amount))
      .Add("by_kind_age", std::move(by_kind_age));

  std::int64_t open_count = 0;
  Paise open_amount = 0;
  JsonValue open_by_code = JsonValue::Object();
  for (DiscrepancyCode c : kAllDiscrepancyCodes) {
    CodeTotal t{c, 0, 0};
    for (const CodeTotal& x : s.open_discrepancies) {
      if (x.code == c) t = x;
    }
    open_count += t.count;
    open_amount += t.amount;
    JsonValue o = JsonValue::Object();
    o.Add("count", Int(t.count)).Add("amount_paise", Int(t.amount));
    open_by_code.Add(std::string(DiscrepancyCodeName(c)), std::move(o));
  }
  JsonValue open = JsonValue::Object();
  open.Add("count", Int(open_count)).Add("amount_paise", Int(open_amount)).Add("by_code", std::move(open_by_code));

  JsonValue root = JsonValue::Object();
  root.Add("run_id", JsonValue::String(s.run_id))
      .Add("mode", JsonValue::String(s.mode))
      .Add("dry_run", JsonValue::Bool(s.dry_run))
      .Add("exit_code", ExitCodeValue(s.exit_code));
  if (!s.outcome.empty()) root.Add("outcome", JsonValue::String(s.outcome));
  JsonValue files = JsonValue::Object();
  for (const ReportCsv& csv : kReportCsvs) {
    files.Add(std::string(csv.key), JsonValue::String(ReportFileName(csv.file, s.compression)));
  }
  root.Add("report_dir", JsonValue::String(s.report_dir))
      .Add("files", std::move(files))
      .Add("started_at", JsonValue::String(FormatIso8601Millis(s.started_at)))
      .Add("finished_at", JsonValue::String(FormatIso8601Millis(s.finished_at)))
      .Add("elapsed_ms", Int((s.finished_at - s.started_at).count()))
      .Add("totals", std::move(totals))
      .Add("checked_by_kind", std::move(by_kind))
      .Add("transitions", std::move(transitions))
      .Add("discrepancies_by_code", std::move(by_code))
      .Add("errors_by_class", std::move(by_class))
      .Add("timings", std::move(timings))
      .Add("amounts_paise", std::move(amounts))
      .Add("pending", std::move(pending))
      .Add("open_discrepancies", std::move(open));
  std::string out;
  AppendPretty(out, root, 0);
  out += '\n';
  return out;
}

std::string RenderRunLine(const RunSummary& s) {
  JsonValue line = JsonValue::Object();
  line.Add("run_id", JsonValue::String(s.run_id))
      .Add("mode", JsonValue::String(s.mode))
      .Add("report_dir", JsonValue::String(s.report_dir))
      .Add("checked", Int(s.counts.checked))
      .Add("transitions", Int(s.transitions))
      .Add("discrepancies", Int(s.discrepancies))
      .Add("errors", Int(s.errors))
      .Add("still_pending", Int(s.still_pending))
      .Add("exit_code", ExitCodeValue(s.exit_code));
  if (!s.outcome.empty()) line.Add("outcome", JsonValue::String(s.outcome));
  return SerializeJson(line);
}

}  // namespace payrecon::core
