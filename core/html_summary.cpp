#include "core/html_summary.h"

#include <algorithm>
#include <map>
#include <optional>

#include "core/rupees.h"

namespace payrecon::core {
namespace {

constexpr const char* kStyle = R"(
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;background:#f5f6f8;color:#1d2330}
header{background:#232f3e;color:#fff;padding:20px 32px}
header h1{margin:0 0 4px;font-size:22px}
header p{margin:0;color:#c9d1dc}
.badge{display:inline-block;padding:2px 8px;border-radius:10px;font-size:12px;font-weight:600;margin-left:8px}
.ok{background:#1e8e3e;color:#fff}.warn{background:#f29900;color:#1d2330}.bad{background:#d93025;color:#fff}
.dry{background:#8ab4f8;color:#1d2330}
main{padding:24px 32px;max-width:1100px}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(160px,1fr));gap:12px;margin-bottom:24px}
.card{background:#fff;border-radius:8px;padding:14px 16px;box-shadow:0 1px 2px rgba(0,0,0,.08)}
.card .n{font-size:28px;font-weight:700}.card .l{color:#5f6b7a;font-size:13px}
.card .a{font-size:15px;font-weight:600;color:#3c4757}
section{background:#fff;border-radius:8px;padding:16px 20px;margin-bottom:20px;box-shadow:0 1px 2px rgba(0,0,0,.08)}
h2{font-size:17px;margin:0 0 10px}
table{border-collapse:collapse;width:100%}
td,th{padding:5px 8px;border-bottom:1px solid #e6e8eb;text-align:left}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
.muted{color:#5f6b7a}
svg text{font:12px system-ui,sans-serif;fill:#1d2330}
.intro{margin:0 0 18px;color:#3c4757}
p.none{margin:4px 0;color:#1e8e3e;font-weight:600}
td.code{font-family:ui-monospace,"DejaVu Sans Mono",monospace;font-size:13px;white-space:nowrap}
table.compact{width:auto;margin-top:10px}
code{background:#eef0f3;padding:1px 4px;border-radius:3px;font-size:13px}
)";

std::string Num(std::int64_t n) {
  // Thousands separators for readability: 12345 -> "12,345".
  std::string digits = std::to_string(n < 0 ? -n : n);
  std::string out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return (n < 0 ? "-" : "") + out;
}

std::string MsText(std::int64_t us) {
  // Microseconds as milliseconds with one decimal, or as seconds from one second up.
  if (us >= 1'000'000) {
    const std::int64_t tenths = (us + 50'000) / 100'000;
    return std::to_string(tenths / 10) + "." + std::to_string(tenths % 10) + " s";
  }
  const std::int64_t tenths = (us + 50) / 100;
  return std::to_string(tenths / 10) + "." + std::to_string(tenths % 10) + " ms";
}

// A horizontal bar chart: one row per (label, value).
std::string BarChart(const std::vector<std::pair<std::string, std::int64_t>>& rows, const char* color,
                     const std::string& title) {
  const int row_h = 26, label_w = 230, bar_w = 560, width = label_w + bar_w + 90;
  const int height = std::max<int>(row_h, static_cast<int>(rows.size()) * row_h) + 8;
  std::int64_t max = 1;
  for (const auto& r : rows) max = std::max(max, r.second);
  std::string s = "<svg role=\"img\" aria-label=\"" + HtmlEscape(title) + "\" width=\"" + std::to_string(width) +
                  "\" height=\"" + std::to_string(height) + "\" viewBox=\"0 0 " + std::to_string(width) + " " +
                  std::to_string(height) + "\">";
  if (rows.empty()) s += "<text x=\"0\" y=\"18\" class=\"muted\">none</text>";
  int y = 4;
  for (const auto& [label, value] : rows) {
    const auto w = static_cast<int>(value * bar_w / max);
    s += "<text x=\"0\" y=\"" + std::to_string(y + 16) + "\">" + HtmlEscape(label) + "</text>";
    s += "<rect x=\"" + std::to_string(label_w) + "\" y=\"" + std::to_string(y + 3) + "\" width=\"" +
         std::to_string(std::max(w, value > 0 ? 2 : 0)) + "\" height=\"18\" rx=\"3\" fill=\"" + color + "\"/>";
    s += "<text x=\"" + std::to_string(label_w + std::max(w, 0) + 8) + "\" y=\"" + std::to_string(y + 16) + "\">" +
         Num(value) + "</text>";
    y += row_h;
  }
  s += "</svg>";
  return s;
}

std::string Card(const char* id, std::int64_t n, const char* label, std::optional<Paise> amount = std::nullopt) {
  return "<div class=\"card\" id=\"card-" + std::string(id) + "\"><div class=\"n\">" + Num(n) +
         "</div>" +
         (amount ? "<div class=\"a\" id=\"amount-" + std::string(id) + "\">" + FormatRupees(*amount) + "</div>"
                 : std::string()) +
         "<div class=\"l\">" + label + "</div></div>";
}

template <class K>
Paise AmountOf(const std::map<K, Paise>& amounts, const K& key) {
  const auto it = amounts.find(key);
  return it == amounts.end() ? 0 : it->second;
}

// Mirrors the exit code table of jobs/exit_code.h (and README): the page says what the number means.
const char* ExitMeaning(int code) {
  switch (code) {
    case 0: return "completed";
    case 1: return "completed, new discrepancies (--strict)";
    case 2: return "usage or configuration error";
    case 3: return "database failure";
    case 4: return "gateway refused authentication";
    case 5: return "reports not writable";
    case 6: return "interrupted, will continue next run";
    default: return "internal error";
  }
}

const char* KindPlural(Kind kind) {
  switch (kind) {
    case Kind::kCharge: return "charges";
    case Kind::kRefund: return "refunds";
    case Kind::kTopup: return "top-ups";
  }
  return "";
}

const char* DiscrepancyMeaning(DiscrepancyCode code) {
  switch (code) {
    case DiscrepancyCode::kAmountMismatch:
      return "The gateway reports a different amount than we hold (requested, approved or refunded).";
    case DiscrepancyCode::kCurrencyMismatch: return "The gateway reports a different currency than we hold.";
    case DiscrepancyCode::kNotFound:
      return "The gateway does not know this transaction, long after it was created here.";
    case DiscrepancyCode::kCheckFailing:
      return "Checks of this transaction keep failing (timeouts, server errors); it is re-checked hourly.";
    case DiscrepancyCode::kSignatureInvalid:
      return "An answer's signature was missing or wrong, so it was not trusted and nothing was applied.";
    case DiscrepancyCode::kStuckPending:
      return "Still pending well past the time such a transaction normally settles.";
    case DiscrepancyCode::kStatusConflict:
      return "Final here with one status, the gateway says another; ours was not overwritten.";
    case DiscrepancyCode::kUnknownStatus: return "The gateway answered with a status word payrecon does not know.";
    case DiscrepancyCode::kMerchantConfig:
      return "The merchant's credentials are missing from the configuration or were refused by the gateway.";
  }
  return "";
}

const char* ErrorMeaning(CheckOutcome outcome) {
  switch (outcome) {
    case CheckOutcome::kTimeout: return "The gateway did not answer in time.";
    case CheckOutcome::kNetwork: return "No connection to the gateway (refused, reset, DNS or TLS failure).";
    case CheckOutcome::kHttp5xx: return "The gateway had a server error.";
    case CheckOutcome::kRateLimited: return "The gateway asked us to slow down; payrecon did.";
    case CheckOutcome::kAuth: return "The gateway refused our credentials.";
    case CheckOutcome::kMalformed: return "The answer could not be read (cut off or not the expected JSON).";
    case CheckOutcome::kBadSignature: return "The answer's signature was missing or wrong.";
    case CheckOutcome::kInvalidRequest: return "The gateway rejected the request (e.g. unknown merchant).";
    case CheckOutcome::kObserved:
    case CheckOutcome::kNotFound: break;
  }
  return "";
}

}  // namespace

std::string HtmlEscape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string RenderSummaryHtml(const HtmlSummaryInput& in) {
  const RunSummary& s = in.summary;
  const char* state_class = s.exit_code == 0 ? "ok" : (s.exit_code == 1 || s.exit_code == 6 ? "warn" : "bad");
  const std::string exit_badge =
      s.exit_code == kExitCodeUnknown
          ? "no exit code: the run did not finish (" + HtmlEscape(s.outcome.empty() ? "unknown" : s.outcome) + ")"
          : "exit " + std::to_string(s.exit_code) + ": " + ExitMeaning(s.exit_code);
  const auto elapsed_ms = (s.finished_at - s.started_at).count();

  std::string h = "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">";
  h += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">";
  h += "<title>payrecon run " + HtmlEscape(s.run_id) + "</title><style>" + kStyle + "</style></head><body>";
  h += "<header><h1>Reconciliation run <span id=\"run-id\">" + HtmlEscape(s.run_id) + "</span>";
  h += "<span class=\"badge " + std::string(state_class) + "\" id=\"exit-code\">" + exit_badge + "</span>";
  if (s.dry_run) h += "<span class=\"badge dry\" id=\"dry-run\">DRY RUN: nothing was changed</span>";
  h += "</h1><p>" + HtmlEscape(s.mode == "backfill" ? "backfill (re-check of a time window)" : s.mode) +
       " &middot; started " + HtmlEscape(FormatLocal(s.started_at, in.zone)) + " &middot; finished " +
       HtmlEscape(FormatLocal(s.finished_at, in.zone)) +
       " &middot; " + Num(elapsed_ms / 1000) + "." + std::to_string(elapsed_ms % 1000 / 100) + " s</p></header><main>";

  h += "<p class=\"intro\">payrecon asked Amazon Pay for the current status of each of our pending payments, "
       "refunds and top-ups that was due for a check, recorded every status change, and flagged what a person "
       "should look at. Times are in " + HtmlEscape(in.zone.name()) + " (the CSV and JSON files use UTC); amounts are "
       "our side's, in rupees.</p>";

  h += "<div class=\"cards\" id=\"totals\">";
  h += Card("checked", s.counts.checked, "transactions checked");
  Paise moved = 0, raised = 0, pending_amount = 0, open_amount = 0;
  std::int64_t open_count = 0;
  for (const auto& [k, a] : s.transition_amounts) moved += a;
  for (const auto& [k, a] : s.discrepancy_amounts) raised += a;
  for (const KindAgeTotal& t : s.pending_totals) pending_amount += t.amount;
  for (const CodeTotal& t : s.open_discrepancies) {
    open_count += t.count;
    open_amount += t.amount;
  }
  h += Card("transitions", s.transitions, s.dry_run ? "status changes (would be)" : "status changes applied", moved);
  h += Card("discrepancies", s.discrepancies, "discrepancies to review", raised);
  h += Card("errors", s.errors, "failed checks");
  h += Card("pending", s.still_pending, "still pending", pending_amount);
  h += Card("open", open_count, "open discrepancies (all runs)", open_amount);
  h += "</div>";

  // What each check came to: exclusive outcomes that add up to the checks made.
  const std::int64_t unchanged = std::max<std::int64_t>(0, s.counts.checked - s.transitions - s.errors);
  h += "<section id=\"outcomes\"><h2>What the checks found</h2><p class=\"muted\">Every check ends one of three "
       "ways: the gateway reported a final status that we recorded, it confirmed what we already had (for example "
       "still pending), or the check itself failed and will be retried.</p>" +
       BarChart({{s.dry_run ? "status would change" : "status changed", s.transitions},
                 {"answered, no change", unchanged},
                 {"check failed", s.errors}},
                "#1a73e8", "outcomes of the checks") +
       "<table class=\"compact\"><tr><th>kind</th><th class=\"num\">checked</th></tr>";
  for (Kind k : kAllKinds) {
    const auto it = s.counts.checked_by_kind.find(k);
    h += "<tr><td>" + std::string(KindPlural(k)) + "</td><td class=\"num\">" +
         Num(it == s.counts.checked_by_kind.end() ? 0 : it->second) + "</td></tr>";
  }
  h += "</table></section>";

  // Status changes.
  std::vector<std::pair<std::string, std::int64_t>> changes;
  for (const auto& [ft, n] : s.transitions_by_status) {
    changes.emplace_back(std::string(StatusName(ft.first)) + " \u2192 " + std::string(StatusName(ft.second)), n);
  }
  h += "<section id=\"changes\"><h2>Status changes</h2><p class=\"muted\">Pending transactions the gateway has "
       "settled: from our status to the gateway's final one. Details per transaction: " +
       ReportFileName(kTransitionsCsv, s.compression) + ".</p>";
  if (changes.empty()) {
    h += "<p class=\"none\">No status changed in this run.</p>";
  } else {
    h += BarChart(changes, "#1e8e3e", "status changes");
    h += "<table class=\"compact\" id=\"change-amounts\"><tr><th>change</th><th class=\"num\">transactions</th>"
         "<th class=\"num\">amount</th></tr>";
    for (const auto& [ft, n] : s.transitions_by_status) {
      h += "<tr><td>" + std::string(StatusName(ft.first)) + " \u2192 " + std::string(StatusName(ft.second)) +
           "</td><td class=\"num\">" + Num(n) + "</td><td class=\"num\">" +
           FormatRupees(AmountOf(s.transition_amounts, ft)) + "</td></tr>";
    }
    h += "</table>";
  }
  h += "</section>";

  // Discrepancies by code, with what each means.
  h += "<section id=\"discrepancies\"><h2>Discrepancies raised</h2><p class=\"muted\">Things a person must look "
       "at: payrecon never changes a final status or an amount on its own. Each one stays open until it is "
       "resolved with <code>payrecon discrepancies resolve</code>. Details per transaction: " +
       ReportFileName(kDiscrepanciesCsv, s.compression) + ".</p>";
  if (s.discrepancies == 0) {
    h += "<p class=\"none\">No discrepancies were raised in this run.</p>";
  } else {
    h += "<table><tr><th>code</th><th class=\"num\">raised</th><th class=\"num\">amount</th>"
         "<th>what it means</th></tr>";
    for (DiscrepancyCode c : kAllDiscrepancyCodes) {
      const auto it = s.discrepancies_by_code.find(c);
      const std::int64_t n = it == s.discrepancies_by_code.end() ? 0 : it->second;
      if (n == 0) continue;
      const std::string name(DiscrepancyCodeName(c));
      h += "<tr id=\"code-" + name + "\"><td class=\"code\">" + name + "</td><td class=\"num\">" + Num(n) +
           "</td><td class=\"num\">" + FormatRupees(AmountOf(s.discrepancy_amounts, c)) + "</td><td>" +
           DiscrepancyMeaning(c) + "</td></tr>";
    }
    h += "</table>";
  }
  h += "</section>";

  h += "<section id=\"errors\"><h2>Failed checks</h2><p class=\"muted\">Checks that got no usable answer. The "
       "transaction stays as it was and is checked again later, with growing pauses. Details: " +
       ReportFileName(kErrorsCsv, s.compression) + ".</p>";
  if (s.errors == 0) {
    h += "<p class=\"none\">Every check got an answer.</p>";
  } else {
    h += "<table><tr><th>class</th><th class=\"num\">checks</th><th>what it means</th></tr>";
    for (CheckOutcome c : kErrorClasses) {
      const auto it = s.errors_by_class.find(c);
      const std::int64_t n = it == s.errors_by_class.end() ? 0 : it->second;
      if (n == 0) continue;
      h += "<tr><td class=\"code\">" + std::string(CheckOutcomeName(c)) + "</td><td class=\"num\">" + Num(n) +
           "</td><td>" + ErrorMeaning(c) + "</td></tr>";
    }
    h += "</table>";
  }
  h += "</section>";

  std::vector<std::pair<std::string, std::int64_t>> ages;
  for (const AgeBucket& b : in.pending_ages) ages.emplace_back(b.label, b.count);
  h += "<section id=\"pending\"><h2>Still pending, by age</h2><p class=\"muted\">Every transaction still pending "
       "after this run (not only those checked in it), by time since it was created. Old ones deserve a look: "
       "charges normally settle within minutes. The list: " +
       ReportFileName(kPendingCsv, s.compression) + ".</p>" +
       BarChart(ages, "#f29900", "pending by age");
  if (!s.pending_ages.empty()) {
    h += "<table class=\"compact\" id=\"pending-amounts\"><tr><th>age</th><th class=\"num\">transactions</th>"
         "<th class=\"num\">amount</th></tr>";
    for (std::size_t i = 0; i < s.pending_ages.size(); ++i) {
      std::int64_t n = 0;
      Paise a = 0;
      for (const KindAgeTotal& t : s.pending_totals) {
        if (t.age != s.pending_ages[i]) continue;
        n += t.count;
        a += t.amount;
      }
      const std::string label = i < in.pending_ages.size() ? in.pending_ages[i].label : s.pending_ages[i];
      h += "<tr><td>" + HtmlEscape(label) + "</td><td class=\"num\">" + Num(n) + "</td><td class=\"num\">" +
           FormatRupees(a) + "</td></tr>";
    }
    h += "</table>";
  }
  h += "</section>";

  h += "<section id=\"open\"><h2>Open discrepancies, all runs</h2><p class=\"muted\">Everything still waiting "
       "for a person as this run ended, whichever run raised it, with our amount of the transactions concerned. "
       "The work queue: <code>payrecon discrepancies list --open</code>.</p>";
  if (s.open_discrepancies.empty()) {
    h += "<p class=\"none\">No discrepancy is open.</p>";
  } else {
    h += "<table><tr><th>code</th><th class=\"num\">open</th><th class=\"num\">amount</th></tr>";
    for (const CodeTotal& t : s.open_discrepancies) {
      const std::string name(DiscrepancyCodeName(t.code));
      h += "<tr id=\"open-" + name + "\"><td class=\"code\">" + name + "</td><td class=\"num\">" + Num(t.count) +
           "</td><td class=\"num\">" + FormatRupees(t.amount) + "</td></tr>";
    }
    h += "</table>";
  }
  h += "</section>";

  // Gateway latency distribution.
  std::vector<std::pair<std::string, std::int64_t>> lat;
  const auto& bounds = in.latency.bounds_us();
  for (std::size_t i = 0; i < in.latency.counts().size(); ++i) {
    std::string label = i < bounds.size() ? "\u2264 " + MsText(bounds[i]) : "> " + MsText(bounds.back());
    lat.emplace_back(label, static_cast<std::int64_t>(in.latency.counts()[i]));
  }
  const std::uint64_t calls = in.latency.count();
  h += "<section id=\"latency\"><h2>Gateway response time</h2><p class=\"muted\">How long Amazon Pay took to answer "
       "each status call, by bucket.</p><p id=\"latency-stats\">" +
       Num(static_cast<std::int64_t>(calls)) + " calls";
  if (calls > 0) {
    const auto quantile = [&](std::uint64_t num, std::uint64_t den) {
      const std::int64_t bound = in.latency.QuantileUpperBoundUs(num, den);
      return bound < 0 ? "&gt; " + MsText(in.latency.bounds_us().back()) : "&le; " + MsText(bound);
    };
    h += " &middot; mean " + MsText(in.latency.sum_us() / static_cast<std::int64_t>(calls)) + " &middot; p50 " +
         quantile(1, 2) + " &middot; p99 " + quantile(99, 100);
  }
  h += "</p>";
  h += calls == 0 ? "<p class=\"none\">No gateway calls were recorded for this run.</p>"
                  : BarChart(lat, "#7b1fa2", "gateway latency");
  h += "</section>";

  h += "<p class=\"muted\">Report folder: " + HtmlEscape(s.report_dir) +
       " &middot; summary.json has these figures for programs.</p></main></body></html>\n";
  return h;
}

}  // namespace payrecon::core
