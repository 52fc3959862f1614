#include "jobs/command_pending.h"

#include <chrono>
#include <ostream>

#include "core/json.h"
#include "core/money.h"
#include "core/report_rows.h"
#include "jobs/database.h"
#include "jobs/exit_code.h"
#include "jobs/log.h"

namespace payrecon::jobs {

namespace {

core::JsonValue TextOrNull(const std::string& s) {
  return s.empty() ? core::JsonValue::Null() : core::JsonValue::String(s);
}

// Rows are written in blocks of about this many bytes: a pipe reader sees steady output, memory stays flat.
constexpr std::size_t kFlushBytes = 1 << 16;

}  // namespace

std::string PendingJsonLine(const core::PendingRow& row) {
  core::JsonValue o = core::JsonValue::Object();
  o.Add("kind", core::JsonValue::String(std::string(core::KindName(row.kind))));
  o.Add("merchant_id", core::JsonValue::String(row.merchant_id));
  o.Add("merchant_txn_id", core::JsonValue::String(row.merchant_txn_id));
  o.Add("amazon_txn_id", TextOrNull(row.amazon_txn_id));
  o.Add("status", core::JsonValue::String(std::string(core::StatusName(row.status))));
  o.Add("amount", core::JsonValue::String(core::FormatAmount(row.amount)));
  o.Add("created_at", core::JsonValue::String(core::FormatIso8601(row.created_at)));
  o.Add("age_seconds", core::JsonValue::Number(std::to_string(row.age_seconds)));
  o.Add("attempts", core::JsonValue::Number(std::to_string(row.attempts)));
  o.Add("next_check_at",
        row.next_check_at ? core::JsonValue::String(core::FormatIso8601(*row.next_check_at)) : core::JsonValue::Null());
  o.Add("last_error", TextOrNull(row.last_error));
  return core::SerializeJson(o);
}

int CommandPending(const CommandContext& ctx) {
  const CommandLine& cl = ctx.command_line;
  const core::Instant now = std::chrono::time_point_cast<core::Millis>(std::chrono::system_clock::now());
  Database db(ctx.settings.database.conninfo);
  db.RequireCurrentSchema();
  core::PendingListParams p;
  p.kind = cl.kind;
  if (cl.older_than) p.created_before = now - *cl.older_than;
  const bool json = cl.format == ListFormat::kJson;
  std::string buffer = json ? std::string() : core::PendingHeader();
  std::int64_t rows = 0;
  // No retry (the database's give-up time is its first failure): rows already written cannot be taken back, so a
  // lost connection ends the listing (exit 3).
  db.store().TransactionsForEachPending(p, [&](const core::Transaction& t) {
    const core::PendingRow row = core::PendingRowFrom(t, now);
    if (json) {
      buffer += PendingJsonLine(row);
      buffer += '\n';
    } else {
      buffer += core::FormatPending(row);
    }
    ++rows;
    if (buffer.size() >= kFlushBytes) {
      ctx.out << buffer;
      buffer.clear();
      if (!ctx.out) throw JobError(ExitCode::kReports, "cannot write the pending listing to stdout");
    }
  });
  ctx.out << buffer << std::flush;
  if (!ctx.out) throw JobError(ExitCode::kReports, "cannot write the pending listing to stdout");
  LogInfo("listed " + std::to_string(rows) + " pending transaction(s)", {{"rows", rows}});
  return ToInt(ExitCode::kOk);
}

}  // namespace payrecon::jobs
