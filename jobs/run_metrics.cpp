#include "jobs/run_metrics.h"

#include <algorithm>
#include <map>
#include <set>

#include "core/check.h"
#include "core/metrics.h"
#include "core/report_rows.h"
#include "core/status.h"
#include "jobs/amount_metrics.h"
#include "jobs/build_info.h"

namespace payrecon::jobs {

const std::vector<core::Millis>& PendingAgeBounds() {
  static const std::vector<core::Millis> kBounds = {std::chrono::minutes{1}, std::chrono::minutes{15},
                                                    std::chrono::hours{1}, std::chrono::hours{24},
                                                    std::chrono::hours{24 * 7}};
  return kBounds;
}

const std::vector<std::string>& PendingAgeLabels() {
  static const std::vector<std::string> kLabels = {"0-1m", "1m-15m", "15m-1h", "1h-1d", "1d-7d", "7d+"};
  return kLabels;
}

namespace {

std::int64_t EpochMillis(core::Instant t) { return t.time_since_epoch().count(); }

std::string K(core::Kind kind) { return std::string(core::KindName(kind)); }

}  // namespace

std::string RenderRunMetrics(const RunMetricsInput& in) {
  core::MetricsText m;
  const engine::RunStats empty;
  const engine::RunStats& s = in.stats ? *in.stats : empty;
  const core::MetricLabels mode = {{"mode", in.mode}};
  auto with = [&](std::initializer_list<std::pair<std::string, std::string>> more) {
    core::MetricLabels l = mode;
    l.insert(l.end(), more.begin(), more.end());
    return l;
  };

  m.Gauge("payrecon_build_info", "Always 1: the payrecon version and the git commit it was built from.",
          with({{"version", std::string(BuildVersion())}, {"commit", std::string(BuildCommit())}}), 1);
  m.GaugeMillis("payrecon_run_duration_seconds", "Wall time of the last run, start to end.", mode,
                in.duration.count());
  m.GaugeMillis("payrecon_run_finished_timestamp_seconds", "When the last run ended (any exit code), Unix time.",
                mode, EpochMillis(in.finished_at));
  m.Gauge("payrecon_run_exit_code", "Exit code of the last run (README: exit codes).", mode, in.exit_code);
  if (IsSuccessfulExit(in.exit_code)) {
    m.GaugeMillis("payrecon_last_success_timestamp_seconds",
                  "When the last run that exited 0 or 1 ended, Unix time.", mode, EpochMillis(in.finished_at));
  }

  for (core::Kind kind : core::kAllKinds) {
    for (std::size_t o = 0; o < engine::kCheckOutcomeCount; ++o) {
      const auto outcome = static_cast<core::CheckOutcome>(o);
      m.Gauge("payrecon_last_run_checks", "Transactions checked in the last run, by kind and check outcome.",
                with({{"kind", K(kind)}, {"outcome", std::string(core::CheckOutcomeName(outcome))}}),
                s.by_kind_outcome[static_cast<std::size_t>(kind)][o]);
    }
  }

  // Every transition a kind's lifecycle allows, zeros included, then anything else that happened.
  std::map<std::tuple<core::Kind, core::Status, core::Status>, std::int64_t> transitions;
  for (core::Kind kind : core::kAllKinds) {
    for (core::Status to : core::kAllStatuses) {
      if (core::IsFinal(to) && core::StatusBelongsTo(kind, to)) transitions[{kind, core::PendingStatusOf(kind), to}] = 0;
    }
  }
  for (const auto& [key, n] : s.by_kind_transition) transitions[key] += n;
  for (const auto& [key, n] : transitions) {
    const auto& [kind, from, to] = key;
    m.Gauge("payrecon_last_run_transitions", "Status changes applied in the last run, by kind and from/to status.",
              with({{"kind", K(kind)}, {"from", std::string(core::StatusName(from))},
                    {"to", std::string(core::StatusName(to))}}),
              n);
  }

  for (core::DiscrepancyCode code : core::kAllDiscrepancyCodes) {
    const auto it = s.by_discrepancy.find(code);
    m.Gauge("payrecon_last_run_discrepancies_raised", "Discrepancies newly raised in the last run, by code.",
              with({{"code", std::string(core::DiscrepancyCodeName(code))}}),
              it == s.by_discrepancy.end() ? 0 : it->second);
  }
  for (core::CheckOutcome c : core::kErrorClasses) {
    const auto it = s.by_error.find(c);
    m.Gauge("payrecon_last_run_errors", "Failed checks in the last run, by error class (errors.csv).",
              with({{"class", std::string(core::CheckOutcomeName(c))}}), it == s.by_error.end() ? 0 : it->second);
  }
  m.Gauge("payrecon_last_run_conflicts",
          "Results of the last run not applied because another writer changed the transaction first.", mode,
          s.counts.conflicts);
  // A histogram of the last run only (it starts from zero each run): read it with histogram_quantile over the
  // buckets as they are, never through rate() or increase().
  m.HistogramSeconds("payrecon_last_run_gateway_latency_seconds", "Wall time of the last run's Get Status calls.",
                     mode, s.counts.latency);

  if (in.database) {
    const DatabaseGauges& d = *in.database;
    for (core::DiscrepancyCode code : core::kAllDiscrepancyCodes) {
      std::int64_t n = 0;
      for (const auto& o : d.open_discrepancies) {
        if (o.code == code) n = o.count;
      }
      m.Gauge("payrecon_open_discrepancies", "Discrepancies not resolved yet, by code (database, end of run).",
              with({{"code", std::string(core::DiscrepancyCodeName(code))}}), n);
    }
    for (core::DiscrepancyCode code : core::kAllDiscrepancyCodes) {
      std::int64_t oldest_ms = 0;
      for (const auto& o : d.open_discrepancies) {
        if (o.code == code && o.count > 0) {
          oldest_ms = std::max<std::int64_t>(0, EpochMillis(d.now) - EpochMillis(o.oldest_opened_at));
        }
      }
      m.GaugeMillis("payrecon_oldest_open_discrepancy_age_seconds",
                    "Age (now - opened_at) of the oldest unresolved discrepancy, by code; 0 when none is open.",
                    with({{"code", std::string(core::DiscrepancyCodeName(code))}}), oldest_ms);
    }
    for (core::Kind kind : core::kAllKinds) {
      const core::PendingAges* ages = nullptr;
      for (const auto& a : d.pending) {
        if (a.kind == kind) ages = &a;
      }
      std::int64_t oldest_ms = 0;
      if (ages) oldest_ms = std::max<std::int64_t>(0, EpochMillis(d.now) - EpochMillis(ages->oldest_created_at));
      m.GaugeMillis("payrecon_oldest_pending_age_seconds",
                    "Age (now - created_at) of the oldest pending transaction, by kind; 0 when none is pending.",
                    with({{"kind", K(kind)}}), oldest_ms);
    }
    for (core::Kind kind : core::kAllKinds) {
      const core::PendingAges* ages = nullptr;
      for (const auto& a : d.pending) {
        if (a.kind == kind) ages = &a;
      }
      for (std::size_t b = 0; b < PendingAgeLabels().size(); ++b) {
        const std::int64_t n = ages && b < ages->counts.size() ? ages->counts[b] : 0;
        m.Gauge("payrecon_pending_transactions", "Pending transactions by kind and age bucket (database, end of run).",
                with({{"kind", K(kind)}, {"age", PendingAgeLabels()[b]}}), n);
      }
    }
    RenderAmountMetrics(m, mode, d);
  }
  return m.Render();
}

namespace {

struct Family {
  std::string name;
  std::string help_line;
  std::string type_line;
  std::vector<std::string> samples;
};

std::vector<Family> ParseFamilies(std::string_view text) {
  std::vector<Family> out;
  auto family = [&](const std::string& name) -> Family& {
    if (out.empty() || out.back().name != name) {
      auto it = std::find_if(out.begin(), out.end(), [&](const Family& f) { return f.name == name; });
      if (it != out.end()) return *it;
      out.push_back(Family{name, {}, {}, {}});
    }
    return out.back();
  };
  std::string current;
  while (!text.empty()) {
    const std::size_t nl = text.find('\n');
    const std::string line(text.substr(0, nl));
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    if (line.rfind("# HELP ", 0) == 0 || line.rfind("# TYPE ", 0) == 0) {
      const std::size_t end = line.find(' ', 7);
      current = line.substr(7, end == std::string::npos ? std::string::npos : end - 7);
      Family& f = family(current);
      (line[2] == 'H' ? f.help_line : f.type_line) = line;
    } else if (!line.empty() && line[0] != '#' && !current.empty() && line.rfind(current, 0) == 0) {
      family(current).samples.push_back(line);
    }
  }
  return out;
}

bool HasMode(const std::string& sample, std::string_view mode) {
  const std::string label = "mode=\"" + std::string(mode) + "\"";
  const std::size_t brace = sample.find('{');
  if (brace == std::string::npos) return false;
  for (std::size_t at = sample.find(label, brace); at != std::string::npos; at = sample.find(label, at + 1)) {
    if (sample[at - 1] == '{' || sample[at - 1] == ',') return true;
  }
  return false;
}

}  // namespace

std::string MergeExposition(std::string_view previous, std::string_view fresh, std::string_view mode,
                            bool replace_mode) {
  const std::vector<Family> old_families = ParseFamilies(previous);
  std::vector<Family> merged = ParseFamilies(fresh);
  const std::size_t fresh_count = merged.size();
  for (const Family& old : old_families) {
    auto it = std::find_if(merged.begin(), merged.begin() + static_cast<std::ptrdiff_t>(fresh_count),
                           [&](const Family& f) { return f.name == old.name; });
    const bool in_fresh = it != merged.begin() + static_cast<std::ptrdiff_t>(fresh_count);
    if (in_fresh && it->type_line != old.type_line) continue;
    std::vector<std::string> kept;
    for (const std::string& s : old.samples) {
      if (!HasMode(s, mode) || (!replace_mode && !in_fresh)) kept.push_back(s);
    }
    if (kept.empty()) continue;
    if (in_fresh) {
      it->samples.insert(it->samples.begin(), kept.begin(), kept.end());
    } else {
      merged.push_back(Family{old.name, old.help_line, old.type_line, std::move(kept)});
    }
  }
  std::string out;
  for (const Family& f : merged) {
    if (f.samples.empty()) continue;
    if (!f.help_line.empty()) out += f.help_line + "\n";
    if (!f.type_line.empty()) out += f.type_line + "\n";
    for (const std::string& s : f.samples) out += s + "\n";
  }
  return out;
}

}  // namespace payrecon::jobs
