#include "jobs/discrepancies.h"

#include <algorithm>
#include <cstdlib>
#include <ostream>

#include "core/csv.h"
#include "core/json.h"
#include "core/money.h"
#include "env/clock.h"
#include "env/environment.h"
#include "jobs/database.h"
#include "jobs/exit_code.h"
#include "jobs/text_table.h"
#include "jobs/log.h"

namespace payrecon::jobs {

namespace {

constexpr std::int64_t kDefaultListLimit = 100;
constexpr std::size_t kMaxCellChars = 60;


// Text from outside may carry newlines or terminal escape sequences: a table cell shows neither, and stays short.
std::string Cell(std::string_view text) {
  std::string out;
  std::size_t chars = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    const bool starts_char = (c & 0xC0) != 0x80;
    if (starts_char && ++chars > kMaxCellChars) {
      // Replace the tail so the cell is exactly kMaxCellChars wide.
      std::size_t keep = out.size();
      for (int dropped = 0; dropped < 3 && keep > 0;) {
        --keep;
        if ((static_cast<unsigned char>(out[keep]) & 0xC0) != 0x80) ++dropped;
      }
      out.resize(keep);
      return out + "...";
    }
    out += (c < 0x20 || c == 0x7F) ? ' ' : static_cast<char>(c);
  }
  return out;
}

std::string AmountText(const std::optional<core::Paise>& amount) {
  return amount ? core::FormatAmount(*amount) : std::string();
}

std::string StatusAndAmount(const std::string& status, const std::optional<core::Paise>& amount) {
  if (status.empty()) return amount ? core::FormatAmount(*amount) : "-";
  return amount ? status + " " + core::FormatAmount(*amount) : status;
}

std::string Table(const std::vector<core::DiscrepancyRow>& rows, core::Instant now) {
  if (rows.empty()) return "no discrepancies\n";
  const bool any_resolved =
      std::any_of(rows.begin(), rows.end(), [](const core::DiscrepancyRow& r) { return r.resolved_at.has_value(); });
  std::vector<std::vector<std::string>> cells;
  std::vector<std::string> header = {"ID",          "CODE", "STATE", "OPENED", "AGE",    "KIND",
                                     "MERCHANT",    "TRANSACTION", "OURS", "GATEWAY", "DETAIL"};
  if (any_resolved) header.push_back("RESOLUTION");
  cells.push_back(header);
  for (const core::DiscrepancyRow& r : rows) {
    std::vector<std::string> line = {
        std::to_string(r.id),
        std::string(core::DiscrepancyCodeName(r.code)),
        r.resolved_at ? "resolved" : "open",
        core::FormatIso8601(r.opened_at),
        r.resolved_at ? "-" : FormatAge(now - r.opened_at),
        std::string(core::KindName(r.kind)),
        Cell(r.merchant_id),
        Cell(r.merchant_txn_id),
        StatusAndAmount(std::string(core::StatusName(r.local_status)), r.local_amount),
        Cell(StatusAndAmount(r.gateway_status, r.gateway_amount)),
        Cell(r.detail)};
    if (any_resolved) {
      line.push_back(r.resolved_at ? Cell(r.resolved_by + " " + core::FormatIso8601(*r.resolved_at) +
                                          (r.resolution_note.empty() ? "" : ": " + r.resolution_note))
                                   : "");
    }
    cells.push_back(std::move(line));
  }
  return AlignedTable(cells);
}

std::string Csv(const std::vector<core::DiscrepancyRow>& rows) {
  std::string out = core::CsvHeaderLine(
      {"id", "code", "state", "opened_at", "opened_by_run", "kind", "merchant_id", "merchant_txn_id", "amazon_txn_id",
       "local_status", "local_amount", "gateway_status", "gateway_amount", "detail", "resolved_at", "resolved_by",
       "resolution_note"});
  for (const core::DiscrepancyRow& r : rows) {
    core::CsvRecord rec;
    rec.Integer(r.id)
        .Text(core::DiscrepancyCodeName(r.code))
        .Text(r.resolved_at ? "resolved" : "open")
        .Time(r.opened_at)
        .Text(r.run_id)
        .Text(core::KindName(r.kind))
        .Text(r.merchant_id)
        .Text(r.merchant_txn_id)
        .Text(r.amazon_txn_id)
        .Text(std::string(core::StatusName(r.local_status)))
        .Amount(r.local_amount)
        .Text(r.gateway_status)
        .Amount(r.gateway_amount)
        .Text(r.detail)
        .Time(r.resolved_at)
        .Text(r.resolved_by)
        .Text(r.resolution_note);
    out += rec.Line();
  }
  return out;
}

core::JsonValue TextOrNull(const std::string& s) { return s.empty() ? core::JsonValue::Null() : core::JsonValue::String(s); }

std::string JsonLines(const std::vector<core::DiscrepancyRow>& rows) {
  std::string out;
  for (const core::DiscrepancyRow& r : rows) {
    core::JsonValue o = core::JsonValue::Object();
    o.Add("id", core::JsonValue::Number(std::to_string(r.id)));
    o.Add("code", core::JsonValue::String(std::string(core::DiscrepancyCodeName(r.code))));
    o.Add("state", core::JsonValue::String(r.resolved_at ? "resolved" : "open"));
    o.Add("opened_at", core::JsonValue::String(core::FormatIso8601(r.opened_at)));
    o.Add("opened_by_run", core::JsonValue::String(r.run_id));
    o.Add("kind", core::JsonValue::String(std::string(core::KindName(r.kind))));
    o.Add("merchant_id", core::JsonValue::String(r.merchant_id));
    o.Add("merchant_txn_id", core::JsonValue::String(r.merchant_txn_id));
    o.Add("amazon_txn_id", TextOrNull(r.amazon_txn_id));
    o.Add("local_status", core::JsonValue::String(std::string(core::StatusName(r.local_status))));
    o.Add("local_amount", core::JsonValue::String(core::FormatAmount(r.local_amount)));
    o.Add("gateway_status", TextOrNull(r.gateway_status));
    o.Add("gateway_amount", TextOrNull(AmountText(r.gateway_amount)));
    o.Add("detail", core::JsonValue::String(r.detail));
    o.Add("resolved_at", r.resolved_at ? core::JsonValue::String(core::FormatIso8601(*r.resolved_at))
                                       : core::JsonValue::Null());
    o.Add("resolved_by", TextOrNull(r.resolved_by));
    o.Add("resolution_note", r.resolved_at ? core::JsonValue::String(r.resolution_note) : core::JsonValue::Null());
    out += core::SerializeJson(o) + "\n";
  }
  return out;
}

std::string DefaultResolver() {
  const std::optional<std::string> user = env::GetEnv("USER");
  return user && !user->empty() ? *user : "unknown";
}

std::string Describe(const core::DiscrepancyRow& r) {
  return std::to_string(r.id) + " (" + std::string(core::DiscrepancyCodeName(r.code)) + " of " +
         std::string(core::KindName(r.kind)) + " '" + r.merchant_id + "/" + r.merchant_txn_id + "')";
}

[[noreturn]] void AlreadyResolved(const core::DiscrepancyRow& r) {
  throw JobError(ExitCode::kUsage, "discrepancy " + Describe(r) + " is already resolved by '" + r.resolved_by +
                                       "' at " + core::FormatIso8601(r.resolved_at.value_or(r.opened_at)));
}

}  // namespace

std::string FormatAge(core::Millis age) {
  const std::int64_t s = std::max<std::int64_t>(0, std::chrono::duration_cast<std::chrono::seconds>(age).count());
  const auto two = [](std::int64_t n) { return (n < 10 ? "0" : "") + std::to_string(n); };
  if (s < 60) return std::to_string(s) + "s";
  if (s < 3600) return std::to_string(s / 60) + "m";
  if (s < 86400) return std::to_string(s / 3600) + "h" + two(s % 3600 / 60) + "m";
  return std::to_string(s / 86400) + "d" + two(s % 86400 / 3600) + "h";
}

std::string FormatDiscrepancyList(const std::vector<core::DiscrepancyRow>& rows, ListFormat format, core::Instant now) {
  switch (format) {
    case ListFormat::kTable: return Table(rows, now);
    case ListFormat::kCsv: return Csv(rows);
    case ListFormat::kJson: return JsonLines(rows);
  }
  return {};
}

int CommandDiscrepanciesList(const CommandContext& ctx) {
  const CommandLine& cl = ctx.command_line;
  const std::int64_t limit = cl.limit.value_or(kDefaultListLimit);
  // One row more than asked tells whether the listing was cut.
  const int fetch = static_cast<int>(std::min<std::int64_t>(limit, 1'000'000'000) + 1);
  Database db(ctx.settings.database.conninfo);
  db.RequireCurrentSchema();
  std::vector<core::DiscrepancyRow> rows =
      cl.open_only ? db.store().DiscrepanciesListOpen({.code = cl.code, .opened_before = std::nullopt, .limit = fetch})
                   : db.store().DiscrepanciesListAll({.code = cl.code, .limit = fetch});
  const bool cut = static_cast<std::int64_t>(rows.size()) > limit;
  if (cut) rows.resize(static_cast<std::size_t>(limit));
  std::string text = FormatDiscrepancyList(rows, cl.format, env::WallNow());
  if (rows.empty() && cl.format == ListFormat::kTable && cl.open_only) text = "no open discrepancies\n";
  ctx.out << text << std::flush;
  if (cut) {
    LogWarn("listed the first " + std::to_string(limit) + " discrepancies; more exist (raise --limit" +
            (cl.code ? std::string() : " or filter with --code") + ")");
  }
  return ToInt(ExitCode::kOk);
}

int CommandDiscrepanciesResolve(const CommandContext& ctx) {
  const CommandLine& cl = ctx.command_line;
  const std::string by = cl.by.value_or(DefaultResolver());
  Database db(ctx.settings.database.conninfo);
  db.RequireCurrentSchema();
  const auto found = db.store().DiscrepancyGet(cl.discrepancy_id);
  if (!found) throw JobError(ExitCode::kUsage, "discrepancy " + std::to_string(cl.discrepancy_id) + " not found");
  if (found->resolved_at) AlreadyResolved(*found);
  const core::Instant now = env::WallNow();
  if (!db.store().DiscrepancyResolve({cl.discrepancy_id, now, by, cl.note})) {
    // Someone else resolved it between the look-up and the update.
    const auto again = db.store().DiscrepancyGet(cl.discrepancy_id);
    if (again && again->resolved_at) AlreadyResolved(*again);
    throw JobError(ExitCode::kUsage, "discrepancy " + std::to_string(cl.discrepancy_id) + " not found");
  }
  LogInfo("discrepancy " + Describe(*found) + " resolved by '" + by + "'");
  core::JsonValue o = core::JsonValue::Object();
  o.Add("id", core::JsonValue::Number(std::to_string(found->id)));
  o.Add("code", core::JsonValue::String(std::string(core::DiscrepancyCodeName(found->code))));
  o.Add("kind", core::JsonValue::String(std::string(core::KindName(found->kind))));
  o.Add("merchant_id", core::JsonValue::String(found->merchant_id));
  o.Add("merchant_txn_id", core::JsonValue::String(found->merchant_txn_id));
  o.Add("resolved_by", core::JsonValue::String(by));
  o.Add("resolved_at", core::JsonValue::String(core::FormatIso8601(now)));
  ctx.out << core::SerializeJson(o) << '\n' << std::flush;
  return ToInt(ExitCode::kOk);
}

}  // namespace payrecon::jobs
