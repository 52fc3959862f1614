#pragma once
// The command line: `payrecon [GLOBAL OPTIONS] COMMAND [ARGS]`. One table (jobs/command_table.cpp) describes
// every command: its name, options with their value grammar, operand, handler, summary, usage text and whether
// it talks to the gateway. Parsing, dispatch (jobs/app.cpp), help, the man page and the bash completion are all
// driven by that table. Parsing is strict: an unknown command or option, a missing or repeated option, or a
// malformed value is a usage error (JobError with ExitCode::kUsage, exit 2).
#include <cstdint>
#include <optional>
#include <span>
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

struct CommandContext;  // jobs/commands.h

// One option. `value` is its value grammar as usage shows it ("N", "table|csv|json"); empty for a flag.
// `parse` checks the value and stores it in the command line; it throws a usage error naming the option.
// `choices`, when set, lists the values the bash completion offers (a `value` with "|" offers its parts).
struct OptionSpec {
  std::string_view name;   // "--limit"
  std::string_view value;  // "N"; "" for a flag
  std::string_view help;   // one line
  void (*parse)(CommandLine& cl, const std::string& value);
  std::vector<std::string> (*choices)() = nullptr;
};

// One command. `name` is one word or two ("config check", "discrepancies list"); the first word of a two-word
// name is a group that is not a command by itself.
struct CommandSpec {
  Command command;
  std::string_view name{};
  std::string_view summary{};      // one line for `payrecon help`
  std::string_view synopsis{};     // what follows the name in usage: "[--limit N] [--dry-run]"
  std::string_view description{};  // `payrecon help NAME`: what it does, what it prints, its exit codes
  std::vector<const OptionSpec*> options{};  // the command's own options (global ones are added by the parser)
  std::string_view operand{};       // "FILE.csv", "ID"; "" when it takes none (at most one, always required)
  std::string_view operand_noun{};  // how errors name a missing operand: "a FILE.csv", "a discrepancy ID"
  void (*parse_operand)(CommandLine& cl, const std::string& value) = nullptr;
  std::vector<std::string_view> required{};  // options that must be given ("--run")
  // Rules across options (required ones, pairs); null when there are none. Throws a usage error.
  void (*check)(CommandLine& cl) = nullptr;
  int (*handler)(const CommandContext& ctx) = nullptr;  // null only for help and version (app.cpp answers them)
  bool needs_config = true;   // false: runs without a configuration file (help, version)
  bool needs_gateway = true;  // false: makes no gateway call, so the configuration is loaded without secrets
};

// Every command, in the order help lists them (jobs/command_table.cpp).
std::span<const CommandSpec> Commands();
// The global options --config, --log-format and --log-level: accepted before or after the command.
std::span<const OptionSpec* const> GlobalOptions();
// The command named `name` ("run", "config check"), or null.
const CommandSpec* FindCommand(std::string_view name);
const CommandSpec& SpecOf(Command command);

// Parses argv[1..]. Throws JobError(kUsage) whose message names the problem (e.g. "unknown option '--limt'").
CommandLine ParseCommandLine(const std::vector<std::string>& args);

// The help text printed by `payrecon help`, generated from the table.
std::string UsageText();

}  // namespace payrecon::jobs
