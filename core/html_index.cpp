#include "core/html_index.h"

#include <algorithm>
#include <array>

#include "core/html_summary.h"
#include "core/rupees.h"

namespace payrecon::core {
namespace {

__extension__ using Wide = __int128;

constexpr const char* kStyle = R"(
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;background:#f5f6f8;color:#1d2330}
header{background:#232f3e;color:#fff;padding:20px 32px}
header h1{margin:0 0 4px;font-size:22px}
header p{margin:0;color:#c9d1dc}
main{padding:24px 32px;max-width:1180px}
section{background:#fff;border-radius:8px;padding:16px 20px;margin-bottom:20px;box-shadow:0 1px 2px rgba(0,0,0,.08)}
h2{font-size:17px;margin:0 0 6px}
.muted{color:#5f6b7a}
table{border-collapse:collapse;width:100%;font-size:13px}
td,th{padding:4px 6px;border-bottom:1px solid #e6e8eb;text-align:left;white-space:nowrap}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
svg text{font:11px system-ui,sans-serif;fill:#1d2330}
.legend span{display:inline-block;margin-right:14px;font-size:12px}
.legend i{display:inline-block;width:10px;height:10px;margin-right:4px;border-radius:2px;vertical-align:middle}
.badge{display:inline-block;padding:1px 6px;border-radius:8px;font-size:11px;font-weight:600}
.ok{background:#1e8e3e;color:#fff}.warn{background:#f29900;color:#1d2330}.bad{background:#d93025;color:#fff}
td.id{font-family:ui-monospace,"DejaVu Sans Mono",monospace;font-size:12px}
)";

constexpr std::array<const char*, 9> kPalette = {"#1a73e8", "#34a853", "#fbbc04", "#ea8600", "#d93025",
                                                 "#a142f4", "#24c1e0", "#5f6368", "#9c27b0"};

std::string Num(std::int64_t n) {
  const bool neg = n < 0;
  const std::uint64_t m = neg ? static_cast<std::uint64_t>(-(n + 1)) + 1 : static_cast<std::uint64_t>(n);
  const std::string digits = std::to_string(m);
  std::string out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return (neg ? "-" : "") + out;
}

std::string MsText(std::int64_t us) {
  const std::int64_t tenths = (us + 50) / 100;
  return std::to_string(tenths / 10) + "." + std::to_string(tenths % 10) + " ms";
}

// value * span / max without overflow, for bar heights (pixels, not money).
int Scale(std::int64_t value, std::int64_t max, int span) {
  if (max <= 0 || value <= 0) return 0;
  return static_cast<int>(static_cast<Wide>(value) * span / max);
}

struct Series {
  std::string label;
  const char* color;
};

// One stacked bar per run (oldest left). values[run][series]; nullopt runs recorded no figures: a red mark.
// `tip(run)` is the bar's tooltip; `axis(v)` formats the axis labels.
template <class Tip, class Axis>
std::string StackedBars(const std::string& id, const std::string& title, const std::vector<Series>& series,
                        const std::vector<std::optional<std::vector<std::int64_t>>>& values, Tip tip, Axis axis) {
  const int width = 1080, height = 220, left = 110, right = 10, top = 10, bottom = 24;
  const int plot_w = width - left - right, plot_h = height - top - bottom;
  std::int64_t max = 0;
  for (const auto& v : values) {
    if (!v) continue;
    std::int64_t sum = 0;
    for (std::int64_t x : *v) sum = x > 0 && sum > INT64_MAX - x ? INT64_MAX : sum + std::max<std::int64_t>(x, 0);
    max = std::max(max, sum);
  }
  std::string s = "<svg id=\"" + id + "\" role=\"img\" aria-label=\"" + HtmlEscape(title) + "\" width=\"" +
                  std::to_string(width) + "\" height=\"" + std::to_string(height) + "\" viewBox=\"0 0 " +
                  std::to_string(width) + " " + std::to_string(height) + "\">";
  // Axis: 0 and the maximum.
  s += "<line x1=\"" + std::to_string(left) + "\" y1=\"" + std::to_string(top + plot_h) + "\" x2=\"" +
       std::to_string(left + plot_w) + "\" y2=\"" + std::to_string(top + plot_h) + "\" stroke=\"#9aa0a6\"/>";
  s += "<line x1=\"" + std::to_string(left) + "\" y1=\"" + std::to_string(top) + "\" x2=\"" +
       std::to_string(left + plot_w) + "\" y2=\"" + std::to_string(top) + "\" stroke=\"#e6e8eb\"/>";
  s += "<text x=\"" + std::to_string(left - 6) + "\" y=\"" + std::to_string(top + plot_h) +
       "\" text-anchor=\"end\">" + HtmlEscape(axis(0)) + "</text>";
  s += "<text x=\"" + std::to_string(left - 6) + "\" y=\"" + std::to_string(top + 10) + "\" text-anchor=\"end\">" +
       HtmlEscape(axis(max)) + "</text>";
  const int n = static_cast<int>(values.size());
  if (n == 0) {
    s += "<text x=\"" + std::to_string(left + 10) + "\" y=\"" + std::to_string(top + plot_h / 2) +
         "\">no runs yet</text></svg>";
    return s;
  }
  const int slot = std::max(1, plot_w / n);
  const int bar = std::max(1, slot * 7 / 10);
  for (int i = 0; i < n; ++i) {
    const int x = left + i * slot + (slot - bar) / 2;
    s += "<g><title>" + HtmlEscape(tip(static_cast<std::size_t>(i))) + "</title>";
    if (!values[static_cast<std::size_t>(i)]) {
      s += "<rect class=\"failed\" x=\"" + std::to_string(x) + "\" y=\"" + std::to_string(top + plot_h - 6) +
           "\" width=\"" + std::to_string(bar) + "\" height=\"6\" fill=\"#d93025\"/></g>";
      continue;
    }
    const auto& v = *values[static_cast<std::size_t>(i)];
    std::int64_t below = 0;
    for (std::size_t k = 0; k < v.size() && k < series.size(); ++k) {
      if (v[k] <= 0) continue;
      const int y0 = top + plot_h - Scale(below, max, plot_h);
      below = below > INT64_MAX - v[k] ? INT64_MAX : below + v[k];
      const int y1 = top + plot_h - Scale(below, max, plot_h);
      s += "<rect x=\"" + std::to_string(x) + "\" y=\"" + std::to_string(y1) + "\" width=\"" + std::to_string(bar) +
           "\" height=\"" + std::to_string(std::max(1, y0 - y1)) + "\" fill=\"" + series[k].color + "\"/>";
    }
    s += "</g>";
  }
  s += "</svg><div class=\"legend\">";
  for (const Series& se : series) {
    s += "<span><i style=\"background:" + std::string(se.color) + "\"></i>" + HtmlEscape(se.label) + "</span>";
  }
  s += "<span><i style=\"background:#d93025;height:4px\"></i>run recorded no figures (failed)</span></div>";
  return s;
}

const char* ExitClass(const IndexRun& r) {
  if (!r.exit_code) return "bad";
  return *r.exit_code == 0 ? "ok" : (*r.exit_code == 1 || *r.exit_code == 6 ? "warn" : "bad");
}

}  // namespace

std::string RenderIndexHtml(const IndexInput& in) {
  // Charts run oldest to newest.
  std::vector<const IndexRun*> chrono;
  for (auto it = in.runs.rbegin(); it != in.runs.rend(); ++it) chrono.push_back(&*it);
  const auto when = [&](Instant t) { return FormatLocal(t, in.zone); };
  const auto head = [&](std::size_t i) {
    const IndexRun& r = *chrono[i];
    return r.mode + " " + r.run_id + " at " + when(r.started_at) +
           (r.exit_code ? ", exit " + std::to_string(*r.exit_code) : ", did not finish");
  };

  // Age buckets and codes present in any run.
  std::vector<std::string> ages;
  for (const IndexRun* r : chrono) {
    if (!r->figures) continue;
    for (const AgeTotal& a : r->figures->pending) {
      if (std::find(ages.begin(), ages.end(), a.age) == ages.end()) ages.push_back(a.age);
    }
  }
  std::vector<DiscrepancyCode> codes;
  for (DiscrepancyCode c : kAllDiscrepancyCodes) {
    for (const IndexRun* r : chrono) {
      if (!r->figures) continue;
      for (const CodeTotal& t : r->figures->open_discrepancies) {
        if (t.code == c && std::find(codes.begin(), codes.end(), c) == codes.end()) codes.push_back(c);
      }
    }
  }
  std::vector<Series> age_series, code_series;
  for (std::size_t i = 0; i < ages.size(); ++i) age_series.push_back({ages[i], kPalette[i % kPalette.size()]});
  for (std::size_t i = 0; i < codes.size(); ++i) {
    code_series.push_back({std::string(DiscrepancyCodeName(codes[i])), kPalette[i % kPalette.size()]});
  }

  std::vector<std::optional<std::vector<std::int64_t>>> pending_count, pending_amount, open, checks, p99;
  for (const IndexRun* r : chrono) {
    if (!r->figures) {
      for (auto* v : {&pending_count, &pending_amount, &open, &checks, &p99}) v->push_back(std::nullopt);
      continue;
    }
    const RunFigures& f = *r->figures;
    std::vector<std::int64_t> pc(ages.size(), 0), pa(ages.size(), 0), oc(codes.size(), 0);
    for (const AgeTotal& a : f.pending) {
      const auto k = static_cast<std::size_t>(std::find(ages.begin(), ages.end(), a.age) - ages.begin());
      pc[k] = a.count;
      pa[k] = a.amount;
    }
    for (const CodeTotal& t : f.open_discrepancies) {
      oc[static_cast<std::size_t>(std::find(codes.begin(), codes.end(), t.code) - codes.begin())] = t.count;
    }
    pending_count.push_back(pc);
    pending_amount.push_back(pa);
    open.push_back(oc);
    checks.push_back(std::vector<std::int64_t>{std::max<std::int64_t>(0, f.checked - f.errors), f.errors});
    p99.push_back(std::vector<std::int64_t>{f.latency_p99_us.value_or(0)});
  }

  const auto figures_of = [&](std::size_t i) -> const RunFigures* {
    return chrono[i]->figures ? &*chrono[i]->figures : nullptr;
  };
  const auto no_figures = [&](std::size_t i) { return head(i) + ": no figures recorded"; };
  const auto pending_tip = [&](bool amounts) {
    return [&, amounts](std::size_t i) {
      const RunFigures* f = figures_of(i);
      if (!f) return no_figures(i);
      std::string t = head(i) + ": pending";
      for (const AgeTotal& a : f->pending) {
        t += "\n  " + a.age + ": " + (amounts ? FormatRupees(a.amount) : Num(a.count));
      }
      return t;
    };
  };
  const auto open_tip = [&](std::size_t i) {
    const RunFigures* f = figures_of(i);
    if (!f) return no_figures(i);
    std::string t = head(i) + ": open discrepancies";
    if (f->open_discrepancies.empty()) t += " none";
    for (const CodeTotal& c : f->open_discrepancies) {
      t += "\n  " + std::string(DiscrepancyCodeName(c.code)) + ": " + Num(c.count) + " (" + FormatRupees(c.amount) +
           ")";
    }
    return t;
  };
  const auto checks_tip = [&](std::size_t i) {
    const RunFigures* f = figures_of(i);
    if (!f) return no_figures(i);
    std::string share = "0";
    if (f->checked > 0) {
      const std::int64_t tenths = (f->errors * 1000 + f->checked / 2) / f->checked;
      share = std::to_string(tenths / 10) + "." + std::to_string(tenths % 10);
    }
    return head(i) + ": " + Num(f->checked) + " checks, " + Num(f->errors) + " failed (" + share + "%)";
  };
  const auto p99_tip = [&](std::size_t i) {
    const RunFigures* f = figures_of(i);
    if (!f) return no_figures(i);
    if (!f->latency_p99_us) return head(i) + ": no gateway calls";
    return head(i) + ": p99 " + (f->latency_p99_above ? "> " : "\u2264 ") + MsText(*f->latency_p99_us) + " over " +
           Num(f->gateway_calls) + " calls";
  };
  const auto count_axis = [](std::int64_t v) { return Num(v); };
  const auto rupee_axis = [](std::int64_t v) { return FormatRupees(v); };
  const auto ms_axis = [](std::int64_t v) { return MsText(v); };

  std::string h = "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">";
  h += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">";
  h += "<title>payrecon runs</title><style>";
  h += kStyle;
  h += "</style></head><body><header><h1>payrecon: the last runs</h1><p id=\"generated\">" +
       Num(static_cast<std::int64_t>(in.runs.size())) + " runs (at most " + Num(in.limit) + ") &middot; written " +
       HtmlEscape(when(in.generated_at)) + " &middot; times in " + HtmlEscape(in.zone.name()) + "</p></header><main>";
  h += "<p class=\"muted\">Each bar is one run of <code>payrecon run</code> or <code>backfill</code>, oldest on the "
       "left; hover a bar for its figures. Backlog and open discrepancies are the whole database as the run "
       "ended. A red mark is a run that recorded no figures (it failed before its end).</p>";

  h += "<section id=\"chart-pending-count\"><h2>Pending backlog: transactions by age</h2>";
  h += StackedBars("svg-pending-count", "pending transactions by age", age_series, pending_count, pending_tip(false),
                   count_axis);
  h += "</section><section id=\"chart-pending-amount\"><h2>Pending backlog: rupees by age</h2>";
  h += StackedBars("svg-pending-amount", "pending rupees by age", age_series, pending_amount, pending_tip(true),
                   rupee_axis);
  h += "</section><section id=\"chart-open\"><h2>Open discrepancies by code</h2>";
  h += StackedBars("svg-open", "open discrepancies by code", code_series, open, open_tip, count_axis);
  h += "</section><section id=\"chart-checks\"><h2>Checks per run and failed checks</h2>";
  h += StackedBars("svg-checks", "checks per run", {{"answered", "#1a73e8"}, {"failed", "#d93025"}}, checks,
                   checks_tip, count_axis);
  h += "</section><section id=\"chart-latency\"><h2>p99 gateway latency</h2><p class=\"muted\">The upper bound "
       "of the latency bucket holding the 99th percentile of the run's Get Status calls.</p>";
  h += StackedBars("svg-latency", "p99 gateway latency", {{"p99", "#7b1fa2"}}, p99, p99_tip, ms_axis);
  h += "</section>";

  h += "<section id=\"runs\"><h2>Runs, newest first</h2><table><tr><th>started (" + HtmlEscape(in.zone.name()) +
       ")</th><th>mode</th><th>run</th><th>exit</th><th class=\"num\">checked</th><th class=\"num\">failed</th>"
       "<th class=\"num\">changed</th><th class=\"num\">discrepancies</th><th class=\"num\">pending</th>"
       "<th class=\"num\">pending \u20b9</th><th>reports</th></tr>";
  for (const IndexRun& r : in.runs) {
    h += "<tr id=\"run-" + HtmlEscape(r.run_id) + "\"><td>" + HtmlEscape(when(r.started_at)) + "</td><td>" +
         HtmlEscape(r.mode) + "</td><td class=\"id\">" + HtmlEscape(r.run_id) + "</td><td><span class=\"badge " +
         ExitClass(r) + "\">" + (r.exit_code ? std::to_string(*r.exit_code) : std::string("did not finish")) +
         "</span></td>";
    if (r.figures) {
      std::int64_t pending = 0;
      Paise pending_amount_sum = 0;
      for (const AgeTotal& a : r.figures->pending) {
        pending += a.count;
        pending_amount_sum += a.amount;
      }
      h += "<td class=\"num\">" + Num(r.figures->checked) + "</td><td class=\"num\">" + Num(r.figures->errors) +
           "</td><td class=\"num\">" + Num(r.figures->transitions) + "</td><td class=\"num\">" +
           Num(r.figures->discrepancies) + "</td><td class=\"num\">" + Num(pending) + "</td><td class=\"num\">" +
           FormatRupees(pending_amount_sum) + "</td>";
    } else {
      h += "<td colspan=\"6\" class=\"muted\">no figures recorded</td>";
    }
    h += "<td>";
    if (r.folder.empty()) {
      h += "<span class=\"muted\">none</span>";
    } else {
      const std::string base = HtmlEscape(r.folder) + "/";
      h += "<a href=\"" + base + "summary.html\">summary</a>";
      for (const ReportCsv& csv : kReportCsvs) {
        h += " &middot; <a href=\"" + base + HtmlEscape(ReportFileName(csv.file, r.compression)) + "\">" +
             std::string(csv.key) + "</a>";
      }
    }
    h += "</td></tr>";
  }
  h += "</table></section></main></body></html>\n";
  return h;
}

}  // namespace payrecon::core
