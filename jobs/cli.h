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
#include "config/load.h"
#include "jobs/exit_code.h"
#include "jobs/log.h"

namespace payrecon::jobs {

enum class Command {
  kMigrate, kImport, kRun, kBackfill, kReport, kConfigCheck, kDiscrepanciesList, kDiscrepanciesResolve, kPending,
  kPrune, kCheck, kShow, kHelp, kVersion, kCompletionBash
};

// How `discrepancies list` prints: an aligned table for people, CSV or JSON lines for programs.
enum class ListFormat { kTable, kCsv, kJson };

struct CommandLine {
  Command command = Command::kHelp;
  std::string config_path;               // --config FILE; after ChooseConfig the file actually read
  std::string config_origin;             // set by ChooseConfig: "" for --config, else where the path came from
  std::string help_topic;                // help [COMMAND] and COMMAND --help: "" (every command), a command, a group
  bool offline = false;                  // config check --offline: merchant secrets are not read
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
  // pending [--format csv|json] [--kind K] [--older-than DURATION]; prune --older-than DURATION
  std::optional<core::Millis> older_than;
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

// A usage error (exit 2): the command line itself is wrong. `command` names the command whose usage the hint
// points to ("" when no command was recognised).
class CommandLineError : public JobError {
 public:
  explicit CommandLineError(const std::string& message, std::string command = "")
      : JobError(ExitCode::kUsage, message), command_(std::move(command)) {}
  const std::string& command() const { return command_; }
  // What ends every usage error message: "see 'payrecon help run'" or "see 'payrecon help'".
  std::string Hint() const;

 private:
  std::string command_;
};

// Parses argv[1..]. Throws CommandLineError whose message names the problem (e.g. "unknown option '--limt' for 'run'
// (did you mean '--limit'?)"). Global options may come before or after the command. `--help` or `-h` anywhere
// (or `help [COMMAND]`) gives Command::kHelp with help_topic set; an unknown help topic is a usage error.
CommandLine ParseCommandLine(const std::vector<std::string>& args);

// Where the configuration comes from when the command needs one: --config FILE, else the environment variable
// PAYRECON_CONFIG, else kDefaultConfigPath. Sets cl.config_path and cl.config_origin. PAYRECON_CONFIG set but
// empty is a usage error (an empty variable is a deployment mistake, not a request for the default).
inline constexpr std::string_view kDefaultConfigPath = "/etc/payrecon/payrecon.yaml";
void ChooseConfig(CommandLine& cl, const config::Environment& env);

// The nearest of `candidates` to `word` by edit distance (insertions, deletions, substitutions and swaps of
// neighbours), when it is close enough to be a typo: at most max(1, size / 3) edits. Ties go to the first.
std::optional<std::string> Nearest(std::string_view word, const std::vector<std::string>& candidates);

// `payrecon help` (also `payrecon --help`, and on stderr `payrecon` alone): every command with its synopsis and
// summary, the global options, value grammars, exit codes, environment and files. Shaped for help2man: a
// "Usage:" line, two-space-separated tagged lines, and "Options:", "Environment:" and "Files:" sections.
std::string UsageText();
// `payrecon help NAME` / `payrecon NAME --help`: one command's usage, description and options; for a group
// ("discrepancies") the usage lines of its commands.
std::string CommandUsageText(std::string_view name);
// The bash completion script (deploy/completion/payrecon.bash), generated from the table.
std::string BashCompletion();
// The man page's COMMANDS section as a help2man include file (`[COMMANDS]` then roff): every command's usage,
// description and options, so that `man payrecon` holds what `payrecon help COMMAND` prints.
std::string ManCommandsSection();

}  // namespace payrecon::jobs
