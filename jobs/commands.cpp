// `migrate`, `import`, `report --run` and `config check`.
#include "jobs/commands.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <ostream>

#include "config/render.h"
#include "core/import_csv.h"
#include "core/json.h"
#include "db/import.h"
#include "db/migrate.h"
#include "env/clock.h"
#include "jobs/database.h"
#include "jobs/exit_code.h"
#include "jobs/log.h"
#include "jobs/report_writer.h"
#include "jobs/run_index.h"
#include "jobs/run_report.h"

namespace payrecon::jobs {

namespace {

// At most this many problems of a rejected import are listed one per line; the rest are counted.
constexpr std::size_t kMaxProblemsListed = 1000;

}  // namespace

int CommandMigrate(const CommandContext& ctx) {
  db::Connection conn(ctx.settings.database.conninfo);
  const db::MigrateResult r = db::Migrate(conn);
  core::JsonValue o = core::JsonValue::Object();
  o.Add("from_version", core::JsonValue::Number(std::to_string(r.from_version)));
  o.Add("to_version", core::JsonValue::Number(std::to_string(r.to_version)));
  core::JsonValue applied = core::JsonValue::Array();
  for (int v : r.applied) applied.Push(core::JsonValue::Number(std::to_string(v)));
  o.Add("applied", std::move(applied));
  if (r.applied.empty()) {
    LogInfo("schema is up to date at version " + std::to_string(r.to_version));
  } else {
    LogInfo("schema migrated from version " + std::to_string(r.from_version) + " to " +
            std::to_string(r.to_version));
  }
  ctx.out << core::SerializeJson(o) << '\n' << std::flush;
  return ToInt(ExitCode::kOk);
}

int CommandImport(const CommandContext& ctx) {
  const std::string& path = ctx.command_line.import_path;
  std::ifstream file(path, std::ios::binary);
  if (!file) throw JobError(ExitCode::kUsage, "cannot read import file \"" + path + "\": " + std::strerror(errno));
  Database db(ctx.settings.database.conninfo);
  db.RequireCurrentSchema();

  // Rows stream into the database inside one transaction while the file is validated; any problem rolls it all
  // back, so memory stays flat for large files and a bad file imports nothing. A file that holds a row already
  // present is read a second time, from the start of the same open file (the first attempt left nothing behind;
  // a file renamed or replaced meanwhile is not read instead); anything but a regular file (a pipe) cannot be,
  // and goes the skipping way at once.
  std::error_code ec;
  const bool replayable = std::filesystem::is_regular_file(path, ec);
  const core::Instant now = env::WallNow();
  int pass = 0;
  const db::ImportResult r = db::ImportTransactions(db.connection(), now, replayable, [&](db::TransactionsImporter&
                                                                                             importer) {
    if (pass++ > 0) {
      file.clear();
      file.seekg(0);
      if (!file) throw JobError(ExitCode::kUsage, "cannot read import file \"" + path + "\" again: seek failed");
    }
    bool streaming = true;
    core::ImportCsvParser parser(
        [&](const core::ImportRow& row) {
          if (streaming) importer.Add(row);
        },
        now);
    std::string chunk(1 << 16, '\0');
    while (file) {
      file.read(chunk.data(), static_cast<std::streamsize>(chunk.size()));
      const auto n = static_cast<std::size_t>(file.gcount());
      if (n == 0) break;
      parser.Feed(std::string_view(chunk.data(), n));
      if (!parser.problems().empty()) streaming = false;  // the file is rejected: stop sending rows
    }
    if (file.bad()) throw JobError(ExitCode::kUsage, "cannot read import file \"" + path + "\": read error");
    parser.Finish();

    const auto& problems = parser.problems();
    if (problems.empty()) return;
    for (std::size_t i = 0; i < problems.size() && i < kMaxProblemsListed; ++i) {
      LogError("import \"" + path + "\": " + problems[i].ToString());
    }
    if (problems.size() > kMaxProblemsListed) {
      LogError("import \"" + path + "\": and " + std::to_string(problems.size() - kMaxProblemsListed) +
               " more problems");
    }
    throw JobError(ExitCode::kUsage, "import file \"" + path + "\" rejected: " + std::to_string(problems.size()) +
                                         " bad line(s); nothing imported");
  });
  LogInfo("imported \"" + path + "\": " + std::to_string(r.inserted) + " inserted, " + std::to_string(r.skipped) +
          " already present");
  ctx.out << "{\"inserted\":" << r.inserted << ",\"skipped\":" << r.skipped << "}\n" << std::flush;
  return ToInt(ExitCode::kOk);
}

int CommandReport(const CommandContext& ctx) {
  const std::string& run_id = ctx.command_line.run_id;
  Database db(ctx.settings.database.conninfo);
  db.RequireCurrentSchema();
  // A run whose process died without recording its end is closed as abandoned first (same rule as at the start
  // of every run), so its report never reads as a clean exit.
  if (!db.store().RunsMarkAbandoned(core::RunsAbandonParams{env::WallNow(), ctx.settings.worker.lease, run_id})
           .empty()) {
    LogWarn("run '" + run_id + "' never recorded its end and holds no claims: marked abandoned");
  }
  auto run = db.store().RunGet(run_id);
  if (!run) throw JobError(ExitCode::kUsage, "run '" + run_id + "' not found");

  ReportWriter report(ctx.settings.reports.dir, ReportFolderName(run->started_at, run_id),
                      ctx.settings.reports.compress);
  core::RunSummary summary;
  summary.compression = report.compression();
  summary.run_id = run_id;
  summary.mode = run->mode;
  summary.dry_run = run->dry_run;
  summary.report_dir = report.final_path();
  summary.exit_code = run->exit_code.value_or(core::kExitCodeUnknown);
  if (!run->finished_at) {
    summary.outcome = "running";
  } else if (!run->exit_code) {
    summary.outcome = run->outcome.empty() ? "abandoned" : run->outcome;
  }
  summary.started_at = run->started_at;
  summary.finished_at = run->finished_at.value_or(env::WallNow());
  summary.counts = core::CountsFromJson(run->counts_json);
  WriteRunRows(db, run_id, report, summary);
  const core::Instant now = env::WallNow();
  auto ages = WritePending(db, now, ctx.settings.reports.pending_limit, report, summary);
  ReadTotals(db, summary);
  // Runs recorded before the latency buckets were stored draw an empty latency chart.
  const std::string dir =
      CommitReport(report, summary, std::move(ages), ctx.settings.reports.display_zone);
  LogInfo("reports of run '" + run_id + "' written to \"" + dir + "\"");
  // The folder's files may have changed names (reports.compress): index.html links them as they now are.
  WriteIndexOrWarn(db, ctx.settings.reports, now);
  ctx.out << core::RenderRunLine(summary) << '\n' << std::flush;
  return ToInt(ExitCode::kOk);
}

int CommandConfigCheck(const CommandContext& ctx) {
  // YAML comments, so the output stays a loadable configuration: which file was read, and whether secrets were.
  const CommandLine& cl = ctx.command_line;
  ctx.out << "# configuration file \"" << cl.config_path << "\""
          << (cl.config_origin.empty() ? std::string() : " (" + cl.config_origin + ")") << '\n';
  if (cl.offline) ctx.out << "# --offline: merchant secrets were not read\n";
  ctx.out << config::Render(ctx.settings) << std::flush;
  return ToInt(ExitCode::kOk);
}

}  // namespace payrecon::jobs
