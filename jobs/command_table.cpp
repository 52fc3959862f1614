// The command table: every `payrecon` command, its options and its handler. Parsing and help (jobs/cli.cpp),
// dispatch (jobs/app.cpp), the man page and the bash completion are generated from it.
//
// Adding a command:
//   1. Add its value to `Command` and any fields its options fill to `CommandLine` (jobs/cli.h).
//   2. Define options it needs that are not here yet (an OptionSpec: name, value grammar, help line, a parse
//      function that checks the value and stores it; throw through Usage() to report a bad value). Reuse the
//      shared ones (kLimit, kKind, kMerchant, kDryRun, kFormat...) where the grammar is the same.
//   3. Add one CommandSpec to kCommands below: name, summary, synopsis, description, options, operand, required
//      options, a check for rules across options, the handler, and `.needs_gateway = false` unless it calls the
//      gateway: then its configuration is loaded without merchant secrets, so it runs where they are not mounted.
//   4. Write the handler `int CommandX(const CommandContext&)` (jobs/commands.h).
//   5. Regenerate the bash completion: `build/jobs/payrecon completion bash > deploy/completion/payrecon.bash`
//      (a unit test fails until it matches the table). The man page regenerates itself at build time.
//   6. A command that calls the gateway also goes into the list of tests/unit/cli_test.cpp's
//      only_gateway_commands_read_secrets, which guards that no other command reads merchant secrets.
#include <charconv>

#include "core/duration.h"
#include "jobs/cli.h"
#include "jobs/command_check.h"
#include "jobs/command_show.h"
#include "jobs/command_pending.h"
#include "jobs/command_prune.h"
#include "jobs/commands.h"
#include "jobs/discrepancies.h"
#include "jobs/exit_code.h"

namespace payrecon::jobs {

namespace {

[[noreturn]] void Usage(const std::string& message) { throw CommandLineError(message); }

std::optional<std::int64_t> ParseInt(std::string_view text) {
  std::int64_t v = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || ptr != text.data() + text.size() || text.empty()) return std::nullopt;
  return v;
}

bool IsPlainDate(std::string_view text) {
  if (text.size() != 10 || text[4] != '-' || text[7] != '-') return false;
  for (std::size_t i : {0u, 1u, 2u, 3u, 5u, 6u, 8u, 9u}) {
    if (text[i] < '0' || text[i] > '9') return false;
  }
  return true;
}

// A plain date is midnight UTC of that day (plus one day for an inclusive end); anything else is ISO 8601.
core::Instant ParseDate(const std::string& option, std::string_view text, bool end_of_day) {
  if (IsPlainDate(text)) {
    auto parsed = core::ParseIso8601(std::string(text) + "T00:00:00Z");
    if (!parsed) Usage("option '" + option + "': invalid date '" + std::string(text) + "'");
    return *parsed + (end_of_day ? core::Millis{std::chrono::hours{24}} : core::Millis{0});
  }
  auto parsed = core::ParseIso8601(text);
  if (!parsed) {
    Usage("option '" + option + "': invalid date '" + std::string(text) +
          "' (expected YYYY-MM-DD or an ISO 8601 time with a zone)");
  }
  return *parsed;
}

std::vector<std::string> DiscrepancyCodes() {
  std::vector<std::string> codes;
  for (core::DiscrepancyCode c : core::kAllDiscrepancyCodes) codes.emplace_back(core::DiscrepancyCodeName(c));
  return codes;
}

// ---- Global options: accepted before or after the command.

const OptionSpec kConfig{"--config", "FILE",
                         "the configuration file (default: $PAYRECON_CONFIG, else /etc/payrecon/payrecon.yaml)",
                         [](CommandLine& cl, const std::string& v) { cl.config_path = v; }};
const OptionSpec kLogFormat{
    "--log-format", "json|text", "log lines on stderr as JSON or text (default: json unless stderr is a terminal)",
    [](CommandLine& cl, const std::string& v) {
      cl.log_format = LogFormatFromName(v);
      if (!cl.log_format) Usage("option '--log-format': expected json or text, got '" + v + "'");
    }};
const OptionSpec kLogLevel{
    "--log-level", "debug|info|warn|error", "the least severe log line written (default info)",
    [](CommandLine& cl, const std::string& v) {
      cl.log_level = LogLevelFromName(v);
      if (!cl.log_level) Usage("option '--log-level': expected debug, info, warn or error, got '" + v + "'");
    }};
const OptionSpec* const kGlobalOptions[] = {&kConfig, &kLogFormat, &kLogLevel};

// ---- Command options, shared where the grammar is the same.

const OptionSpec kLimit{"--limit", "N", "at most N transactions (a positive integer)",
                        [](CommandLine& cl, const std::string& v) {
                          auto n = ParseInt(v);
                          if (!n || *n < 1) Usage("option '--limit': expected a positive integer, got '" + v + "'");
                          cl.limit = *n;
                        }};
const OptionSpec kDeadline{
    "--deadline", "DURATION", "stop starting new checks after this long (default worker.deadline)",
    [](CommandLine& cl, const std::string& v) {
      // The configuration's duration grammar (core/duration.h), so --deadline and worker.* read alike.
      const auto deadline = core::ParseDuration(v);
      if (!deadline || deadline->count() <= 0) {
        Usage("option '--deadline': invalid duration '" + v +
              "' (a positive whole number with a unit: 500ms, 90s, 15m, 2h)");
      }
      cl.deadline = *deadline;
    }};
const OptionSpec kDryRun{"--dry-run", "", "check and report, but change nothing in the database",
                         [](CommandLine& cl, const std::string&) { cl.dry_run = true; }};
const OptionSpec kStrict{"--strict", "", "exit 1 when the run raised new discrepancies",
                         [](CommandLine& cl, const std::string&) { cl.strict = true; }};
const OptionSpec kFrom{"--from", "DATE", "the window's start (inclusive)",
                       [](CommandLine& cl, const std::string& v) { cl.from = ParseDate("--from", v, false); }};
const OptionSpec kTo{"--to", "DATE", "the window's end (exclusive; a plain date includes that whole day)",
                     [](CommandLine& cl, const std::string& v) { cl.to = ParseDate("--to", v, true); }};
const OptionSpec kKind{"--kind", "charge|refund|topup", "only transactions of this kind",
                       [](CommandLine& cl, const std::string& v) {
                         cl.kind = core::KindFromName(v);
                         if (!cl.kind) Usage("option '--kind': expected charge, refund or topup, got '" + v + "'");
                       }};
const OptionSpec kMerchant{"--merchant", "MERCHANT_ID", "only this merchant's transactions",
                           [](CommandLine& cl, const std::string& v) { cl.merchant = v; }};
const OptionSpec kResume{"--resume", "RUN_ID", "continue an interrupted backfill from where it stopped",
                         [](CommandLine& cl, const std::string& v) { cl.resume = v; }};
const OptionSpec kRun{"--run", "RUN_ID", "the run whose reports to write",
                      [](CommandLine& cl, const std::string& v) { cl.run_id = v; }};
const OptionSpec kCode{"--code", "CODE", "only discrepancies with this code (e.g. AMOUNT_MISMATCH)",
                       [](CommandLine& cl, const std::string& v) {
                         cl.code = core::DiscrepancyCodeFromName(v);
                         if (!cl.code) {
                           std::string known;
                           for (const std::string& c : DiscrepancyCodes()) known += (known.empty() ? "" : ", ") + c;
                           Usage("option '--code': unknown discrepancy code '" + v + "' (expected one of " + known +
                                 ")");
                         }
                       },
                       DiscrepancyCodes};
const OptionSpec kOpen{"--open", "", "only open discrepancies, oldest first",
                       [](CommandLine& cl, const std::string&) { cl.open_only = true; }};
const OptionSpec kListLimit{"--limit", "N", "at most N rows (default 100)", kLimit.parse};
const OptionSpec kFormat{"--format", "table|csv|json", "an aligned table (default), CSV, or one JSON object a line",
                         [](CommandLine& cl, const std::string& v) {
                           if (v == "table") cl.format = ListFormat::kTable;
                           else if (v == "csv") cl.format = ListFormat::kCsv;
                           else if (v == "json") cl.format = ListFormat::kJson;
                           else Usage("option '--format': expected table, csv or json, got '" + v + "'");
                         }};
const OptionSpec kNote{"--note", "TEXT", "why it is resolved (recorded in the audit trail)",
                       [](CommandLine& cl, const std::string& v) { cl.note = v; }};
const OptionSpec kOffline{"--offline", "", "do not read merchant secrets (check the file where they are not mounted)",
                          [](CommandLine& cl, const std::string&) { cl.offline = true; }};
const OptionSpec kBy{"--by", "NAME", "who resolved it (default $USER)",
                     [](CommandLine& cl, const std::string& v) { cl.by = v; }};

const OptionSpec kTxnMerchant{"--merchant", "MERCHANT_ID", "the transaction's merchant",
                               [](CommandLine& cl, const std::string& v) { cl.merchant = v; }};
const OptionSpec kTxn{"--txn", "ID", "the transaction's merchant_txn_id (chargeId, refundId)",
                      [](CommandLine& cl, const std::string& v) { cl.txn = v; }};
const OptionSpec kTxnKind{"--kind", "charge|refund|topup", "the transaction's kind, when the id exists for several",
                          kKind.parse};
const OptionSpec kCheckDryRun{"--dry-run", "", "call the gateway and decide, but change nothing in the database",
                              kDryRun.parse};
const OptionSpec kShowFormat{"--format", "table|json", "an aligned table (default), or one JSON object a line",
                             [](CommandLine& cl, const std::string& v) {
                               if (v == "table") cl.format = ListFormat::kTable;
                               else if (v == "json") cl.format = ListFormat::kJson;
                               else Usage("option '--format': expected table or json, got '" + v + "'");
                             }};
const OptionSpec kPendingFormat{"--format", "csv|json", "CSV with pending.csv's columns (default), or one JSON object a line",
                                [](CommandLine& cl, const std::string& v) {
                                  if (v == "csv") cl.format = ListFormat::kCsv;
                                  else if (v == "json") cl.format = ListFormat::kJson;
                                  else Usage("option '--format': expected csv or json, got '" + v + "'");
                                }};
const OptionSpec kOlderThan{"--older-than", "DURATION", "only those older than DURATION (e.g. 2h, 7d)",
                            [](CommandLine& cl, const std::string& v) {
                              const auto age = core::ParseDuration(v);
                              if (!age) Usage("option '--older-than': " + age.error());
                              cl.older_than = *age;
                            }};
const OptionSpec kPruneOlderThan{"--older-than", "DURATION", "runs started longer ago than DURATION (e.g. 90d)",
                                 [](CommandLine& cl, const std::string& v) {
                                   const auto age = core::ParseDuration(v);
                                   if (!age) Usage("option '--older-than': " + age.error());
                                   if (age->count() <= 0) Usage("option '--older-than': must be more than 0s");
                                   cl.older_than = *age;
                                 }};

void CheckBackfill(CommandLine& cl) {
  if (!cl.resume && (!cl.from || !cl.to)) Usage("options '--from' and '--to' are required (or '--resume')");
  if (cl.from.has_value() != cl.to.has_value()) Usage("options '--from' and '--to' go together");
  if (cl.from && cl.to && *cl.from >= *cl.to) Usage("option '--from' must be before '--to'");
}

const std::vector<CommandSpec> kCommands = {
    {
        .command = Command::kMigrate,
        .name = "migrate",
        .summary = "apply pending database migrations (a no-op when up to date)",
        .description = "Applies every migration the database lacks, in order, each in its own transaction, and "
                       "prints one JSON line: {\"from_version\":N,\"to_version\":M,\"applied\":[...]}.",
        .handler = CommandMigrate,
        .needs_gateway = false,
    },
    {
        .command = Command::kImport,
        .name = "import",
        .summary = "load transactions; all or nothing, existing rows are skipped",
        .synopsis = "FILE.csv",
        .description = "Validates FILE.csv and inserts its transactions in one database transaction: any bad line "
                       "rejects the whole file (every problem is listed, exit 2). Rows already present are "
                       "skipped. Prints {\"inserted\":N,\"skipped\":M}.",
        .operand = "FILE.csv",
        .operand_noun = "a FILE.csv",
        .parse_operand = [](CommandLine& cl, const std::string& v) { cl.import_path = v; },
        .handler = CommandImport,
        .needs_gateway = false,
    },
    {
        .command = Command::kRun,
        .name = "run",
        .summary = "check every due pending transaction and write the reports",
        .synopsis = "[--limit N] [--deadline DURATION] [--dry-run] [--strict]",
        .description = "Claims the transactions whose next check is due, asks the gateway for each one's status, "
                       "moves statuses with an audit event, raises discrepancies, and writes the run's reports. "
                       "Prints one JSON line summing up the run.",
        .options = {&kLimit, &kDeadline, &kDryRun, &kStrict},
        .handler = CommandReconcile,
    },
    {
        .command = Command::kBackfill,
        .name = "backfill",
        .summary = "re-check every transaction created in the window, pending or final",
        .synopsis = "--from DATE --to DATE [--kind K] [--merchant M] [--resume RUN_ID] [--deadline DURATION] "
                    "[--dry-run] [--strict]",
        .description = "Re-checks every transaction created in [--from, --to), final ones included (they are "
                       "verified, never changed). An interrupted backfill continues with --resume RUN_ID.",
        .options = {&kFrom, &kTo, &kKind, &kMerchant, &kResume, &kDeadline, &kDryRun, &kStrict},
        .check = CheckBackfill,
        .handler = CommandReconcile,
    },
    {
        .command = Command::kReport,
        .name = "report",
        .summary = "write a run's reports again from the database",
        .synopsis = "--run RUN_ID",
        .description = "Writes the reports of run RUN_ID again from the database and puts them in place of its folder: "
                       "its transitions, discrepancies and errors as recorded, pending transactions as of now, the "
                       "CSV files stored as reports.compress says. Then rewrites index.html.",
        .options = {&kRun},
        .required = {"--run"},
        .handler = CommandReport,
        .needs_gateway = false,
    },
    {
        .command = Command::kConfigCheck,
        .name = "config check",
        .summary = "validate the configuration and print it with secrets masked",
        .synopsis = "[--offline]",
        .description = "Loads and validates the configuration, reads every merchant's secret (as run does), and "
                       "prints the effective configuration as YAML with secrets masked, after a comment naming "
                       "the file. Exit 2 lists every problem. With --offline the secrets are not read, so the "
                       "file can be checked where they are not mounted (it makes no gateway call either way).",
        .options = {&kOffline},
        .handler = CommandConfigCheck,
    },
    {
        .command = Command::kDiscrepanciesList,
        .name = "discrepancies list",
        .summary = "discrepancies, newest first (--open: only open ones, oldest first)",
        .synopsis = "[--open] [--code CODE] [--limit N] [--format table|csv|json]",
        .description = "Lists discrepancies, newest first; with --open only open ones, oldest first (the work "
                       "queue). When more than --limit exist, a warning on stderr says so.",
        .options = {&kCode, &kOpen, &kListLimit, &kFormat},
        .handler = CommandDiscrepanciesList,
        .needs_gateway = false,
    },
    {
        .command = Command::kDiscrepanciesResolve,
        .name = "discrepancies resolve",
        .summary = "mark one resolved (by defaults to $USER); recorded in the audit trail",
        .synopsis = "ID --note TEXT [--by NAME]",
        .description = "Marks discrepancy ID resolved with who and why, recorded in the audit trail; it is not "
                       "raised again until its facts change. An unknown or already resolved ID exits 2.",
        .options = {&kNote, &kBy},
        .operand = "ID",
        .operand_noun = "a discrepancy ID",
        .parse_operand =
            [](CommandLine& cl, const std::string& v) {
              auto id = ParseInt(v);
              if (!id || *id < 1) {
                Usage("'discrepancies resolve': expected a discrepancy ID (a positive integer), got '" + v + "'");
              }
              cl.discrepancy_id = *id;
            },
        .required = {"--note"},
        .handler = CommandDiscrepanciesResolve,
        .needs_gateway = false,
    },
    {
        .command = Command::kCheck,
        .name = "check",
        .summary = "check one transaction now, whatever its schedule or status; one JSON line",
        .synopsis = "--merchant M --txn ID [--kind K] [--dry-run]",
        .description = "Checks one transaction now with the same signed call, verification, decision and "
                       "compare-and-set apply as a run, under a new run id of mode check; a final transaction is "
                       "verified, never changed. Prints one JSON line: our status before and after, the gateway's "
                       "answer, the decision and any discrepancy. --dry-run applies nothing. An unknown "
                       "transaction exits 2; refused credentials exit 4.",
        .options = {&kTxnMerchant, &kTxn, &kTxnKind, &kCheckDryRun},
        .required = {"--merchant", "--txn"},
        .handler = CommandCheck,
    },
    {
        .command = Command::kShow,
        .name = "show",
        .summary = "one transaction and its whole history, oldest first (no gateway call)",
        .synopsis = "--merchant M --txn ID [--kind K] [--format table|json]",
        .description = "Prints one transaction's current row and its history, oldest first: hand-over, checks, "
                       "failed checks, status changes, discrepancies raised and resolved, with request ids and "
                       "response digests. Times in reports.display_timezone (json: UTC). An unknown transaction "
                       "exits 2.",
        .options = {&kTxnMerchant, &kTxn, &kTxnKind, &kShowFormat},
        .required = {"--merchant", "--txn"},
        .handler = CommandShow,
        .needs_gateway = false,
    },
    {
        .command = Command::kPending,
        .name = "pending",
        .summary = "every pending transaction, oldest first (pending.csv holds at most reports.pending_limit)",
        .synopsis = "[--format csv|json] [--kind K] [--older-than DURATION]",
        .description = "Streams every pending transaction, oldest first, from one snapshot: CSV with pending.csv's "
                       "header and columns, or one JSON object a line. Memory stays flat whatever the backlog. "
                       "Reads the database only.",
        .options = {&kPendingFormat, &kKind, &kOlderThan},
        .check = [](CommandLine& cl) {
          if (cl.format == ListFormat::kTable) cl.format = ListFormat::kCsv;
        },
        .handler = CommandPending,
        .needs_gateway = false,
    },
    {
        .command = Command::kPrune,
        .name = "prune",
        .summary = "delete finished runs and their errors older than DURATION (never audit events)",
        .synopsis = "--older-than DURATION",
        .description = "Deletes the runs started longer ago than DURATION that have finished, and their run_errors "
                       "rows, in one transaction, and prints {\"before\":…,\"runs\":N,\"run_errors\":M}. An "
                       "open run (running, or crashed and resumable) is kept; transaction_events (the audit trail) "
                       "and discrepancies are never deleted.",
        .options = {&kPruneOlderThan},
        .required = {"--older-than"},
        .handler = CommandPrune,
        .needs_gateway = false,
    },
    {
        .command = Command::kHelp,
        .name = "help",
        .summary = "print this help, or one command's usage",
        .synopsis = "[COMMAND]",
        .description = "Without COMMAND: every command, the global options, exit codes, environment and files. "
                       "With COMMAND (\"run\", \"config check\", or a group such as \"discrepancies\"): that "
                       "command's usage and options. Printed on stdout, exit 0.",
        .handler = CommandHelp,
        .needs_config = false,
        .needs_gateway = false,
    },
    {
        .command = Command::kVersion,
        .name = "version",
        .summary = "print the version",
        .description = "Prints \"payrecon VERSION\" on stdout (also `payrecon --version`).",
        .handler = CommandVersion,
        .needs_config = false,
        .needs_gateway = false,
    },
    {
        .command = Command::kCompletionBash,
        .name = "completion bash",
        .summary = "print the bash completion script",
        .description = "Prints the bash completion script generated from this command table (the one shipped as "
                       "deploy/completion/payrecon.bash). Install it as "
                       "/usr/share/bash-completion/completions/payrecon, or source it from ~/.bashrc.",
        .handler = CommandCompletionBash,
        .needs_config = false,
        .needs_gateway = false,
    },
};

}  // namespace

std::span<const CommandSpec> Commands() { return kCommands; }

std::span<const OptionSpec* const> GlobalOptions() { return kGlobalOptions; }

}  // namespace payrecon::jobs
