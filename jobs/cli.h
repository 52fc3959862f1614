#pragma once
// The command line: `payrecon COMMAND [ARGS] --config FILE`. Parsing is strict: an unknown command or option,
// a missing or repeated option, or a malformed value is a usage error (JobError with ExitCode::kUsage, exit 2).
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "core/time.h"
#include "core/transaction.h"
#include "jobs/log.h"

namespace payrecon::jobs {

enum class Command {
  kMigrate, kImport, kRun, kBackfill, kReport, kConfigCheck, kDiscrepanciesList, kDiscrepanciesResolve, kCheck,
  kShow, kHelp, kVersion
};

// How `discrepancies list` prints: an aligned table for people, CSV or JSON lines for programs.
enum class ListFormat { kTable, kCsv, kJson };

struct CommandLine {
  Command command = Command::kHelp;
  std::string config_path;               // --config FILE (every command but help and version)
  std::string import_path;               // import FILE.csv
  std::optional<std::int64_t> limit;     // run --limit N (N >= 1)
  std::optional<core::Millis> deadline;  // run/backfill --deadline DURATION
  bool dry_run = false;                  // run/backfill --dry-run
  bool strict = false;                   // run/backfill --strict: new discrepancies exit 1
  std::optional<core::Instant> from;     // backfill --from (inclusive)
  std::optional<core::Instant> to;       // backfill --to (exclusive; a plain date includes that whole day)
  std::optional<core::Kind> kind;        // backfill --kind charge|refund|topup
  std::optional<std::string> merchant;   // backfill --merchant M; check and show --merchant M (required)
  std::string txn;                       // check and show --txn ID (a merchant_txn_id, required)
  std::optional<std::string> resume;     // backfill --resume RUN_ID
  std::string run_id;                    // report --run RUN_ID
  // discrepancies list [--code C] [--open] [--limit N] [--format table|csv|json]
  std::optional<core::DiscrepancyCode> code;
  bool open_only = false;
  ListFormat format = ListFormat::kTable;
  // discrepancies resolve ID --note TEXT [--by NAME]
  std::int64_t discrepancy_id = 0;
  std::string note;
  std::optional<std::string> by;
  std::optional<LogFormat> log_format;   // --log-format json|text (every command)
  std::optional<LogLevel> log_level;     // --log-level debug|info|warn|error (every command)
};

// Parses argv[1..]. Throws JobError(kUsage) whose message names the problem (e.g. "unknown option '--limt'").
CommandLine ParseCommandLine(const std::vector<std::string>& args);

// The help text printed by `payrecon help` and after usage errors.
std::string_view UsageText();

}  // namespace payrecon::jobs
