#include "jobs/cli.h"

#include <charconv>
#include <limits>
#include <set>

#include "core/duration.h"
#include "jobs/exit_code.h"

namespace payrecon::jobs {

namespace {

constexpr std::string_view kUsage =
    "usage: payrecon COMMAND [ARGS] --config FILE\n"
    "\n"
    "commands:\n"
    "  migrate                       apply pending database migrations (a no-op when up to date)\n"
    "  import FILE.csv               load transactions; all or nothing, existing rows are skipped\n"
    "  run [--limit N] [--deadline DURATION] [--dry-run] [--strict]\n"
    "                                check every due pending transaction and write the reports\n"
    "  backfill --from DATE --to DATE [--kind K] [--merchant M] [--resume RUN_ID]\n"
    "           [--deadline DURATION] [--dry-run] [--strict]\n"
    "                                re-check every transaction created in the window, pending or final\n"
    "  report --run RUN_ID           write a run's reports again from the database\n"
    "  config check                  validate the configuration and print it with secrets masked\n"
    "  discrepancies list [--open] [--code CODE] [--limit N] [--format table|csv|json]\n"
    "                                discrepancies, newest first (--open: only open ones, oldest first)\n"
    "  discrepancies resolve ID --note TEXT [--by NAME]\n"
    "                                mark one resolved (by defaults to $USER); recorded in the audit trail\n"
    "  check --merchant M --txn ID [--kind K] [--dry-run]\n"
    "                                check one transaction now, whatever its schedule or status; one JSON line\n"
    "  show --merchant M --txn ID [--kind K] [--format table|json]\n"
    "                                one transaction and its whole history, oldest first (no gateway call)\n"
    "  help, version\n"
    "\n"
    "every command takes --log-format json|text (default: json unless stderr is a terminal) and\n"
    "--log-level debug|info|warn|error (default info)\n"
    "\n"
    "DURATION: 500ms, 90s, 15m, 2h (one number, one unit). DATE: 2026-01-31 (a whole UTC day) or an ISO 8601 time with a zone.\n"
    "exit codes: 0 done, 1 new discrepancies with --strict, 2 usage/configuration/input, 3 database,\n"
    "            4 gateway unusable, 5 reports not writable, 6 interrupted by a signal, 70 internal error\n";

[[noreturn]] void Usage(const std::string& message) { throw JobError(ExitCode::kUsage, message); }

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

struct OptionSpec {
  std::string_view name;
  bool takes_value;
};

}  // namespace

std::string_view UsageText() { return kUsage; }

CommandLine ParseCommandLine(const std::vector<std::string>& args) {
  CommandLine cl;
  if (args.empty()) Usage("missing command");
  std::size_t i = 0;
  const std::string& word = args[i++];
  std::string name = word;  // the command as error messages name it
  std::vector<OptionSpec> allowed{{"--config", true}};
  std::size_t positionals = 0;
  if (word == "help" || word == "--help" || word == "-h") {
    cl.command = Command::kHelp;
    allowed.clear();
  } else if (word == "version" || word == "--version") {
    cl.command = Command::kVersion;
    allowed.clear();
  } else if (word == "migrate") {
    cl.command = Command::kMigrate;
  } else if (word == "import") {
    cl.command = Command::kImport;
    positionals = 1;
  } else if (word == "run") {
    cl.command = Command::kRun;
    allowed.insert(allowed.end(), {{"--limit", true}, {"--deadline", true}, {"--dry-run", false}, {"--strict", false}});
  } else if (word == "backfill") {
    cl.command = Command::kBackfill;
    allowed.insert(allowed.end(), {{"--from", true}, {"--to", true}, {"--kind", true}, {"--merchant", true},
                                   {"--resume", true}, {"--deadline", true}, {"--dry-run", false},
                                   {"--strict", false}});
  } else if (word == "check") {
    cl.command = Command::kCheck;
    allowed.insert(allowed.end(), {{"--merchant", true}, {"--txn", true}, {"--kind", true}, {"--dry-run", false}});
  } else if (word == "show") {
    cl.command = Command::kShow;
    allowed.insert(allowed.end(), {{"--merchant", true}, {"--txn", true}, {"--kind", true}, {"--format", true}});
  } else if (word == "report") {
    cl.command = Command::kReport;
    allowed.push_back({"--run", true});
  } else if (word == "discrepancies") {
    const std::string sub = i < args.size() ? args[i] : std::string();
    name += " " + sub;
    if (sub == "list") {
      cl.command = Command::kDiscrepanciesList;
      allowed.insert(allowed.end(), {{"--code", true}, {"--open", false}, {"--limit", true}, {"--format", true}});
    } else if (sub == "resolve") {
      cl.command = Command::kDiscrepanciesResolve;
      allowed.insert(allowed.end(), {{"--note", true}, {"--by", true}});
      positionals = 1;
    } else {
      Usage(sub.empty() ? "'discrepancies' needs 'list' or 'resolve'"
                        : "unknown command 'discrepancies " + sub + "' (expected 'list' or 'resolve')");
    }
    ++i;
  } else if (word == "config") {
    if (i >= args.size() || args[i] != "check") Usage("unknown command 'config" + (i < args.size() ? " " + args[i] : std::string()) + "' (did you mean 'config check'?)");
    ++i;
    cl.command = Command::kConfigCheck;
  } else {
    Usage("unknown command '" + word + "'");
  }
  allowed.insert(allowed.end(), {{"--log-format", true}, {"--log-level", true}});

  std::set<std::string> seen;
  std::vector<std::string> positional;
  for (; i < args.size(); ++i) {
    std::string arg = args[i];
    if (arg.size() < 2 || arg.compare(0, 2, "--") != 0 || arg == "--") {
      if (arg == "--" || arg.empty() || arg[0] == '-') Usage("unexpected argument '" + arg + "'");
      positional.push_back(arg);
      continue;
    }
    std::optional<std::string> value;
    if (auto eq = arg.find('='); eq != std::string::npos) {
      value = arg.substr(eq + 1);
      arg = arg.substr(0, eq);
    }
    const OptionSpec* spec = nullptr;
    for (const auto& s : allowed) {
      if (s.name == arg) spec = &s;
    }
    if (!spec) Usage("unknown option '" + arg + "' for '" + name + "'");
    if (!seen.insert(arg).second) Usage("option '" + arg + "' given twice");
    if (spec->takes_value) {
      if (!value) {
        if (i + 1 >= args.size()) Usage("option '" + arg + "' needs a value");
        value = args[++i];
      }
      if (value->empty()) Usage("option '" + arg + "' needs a value");
    } else if (value) {
      Usage("option '" + arg + "' takes no value");
    }

    if (arg == "--config") {
      cl.config_path = *value;
    } else if (arg == "--limit") {
      auto n = ParseInt(*value);
      if (!n || *n < 1) Usage("option '--limit': expected a positive integer, got '" + *value + "'");
      cl.limit = *n;
    } else if (arg == "--deadline") {
      // The configuration's duration grammar (core/duration.h), so --deadline and worker.* read alike.
      const auto deadline = core::ParseDuration(*value);
      if (!deadline || deadline->count() <= 0) {
        Usage("option '--deadline': invalid duration '" + *value + "' (a positive whole number with a unit: 500ms, 90s, 15m, 2h)");
      }
      cl.deadline = *deadline;
    } else if (arg == "--dry-run") {
      cl.dry_run = true;
    } else if (arg == "--strict") {
      cl.strict = true;
    } else if (arg == "--from") {
      cl.from = ParseDate(arg, *value, false);
    } else if (arg == "--to") {
      cl.to = ParseDate(arg, *value, true);
    } else if (arg == "--kind") {
      cl.kind = core::KindFromName(*value);
      if (!cl.kind) Usage("option '--kind': expected charge, refund or topup, got '" + *value + "'");
    } else if (arg == "--merchant") {
      cl.merchant = *value;
    } else if (arg == "--txn") {
      cl.txn = *value;
    } else if (arg == "--resume") {
      cl.resume = *value;
    } else if (arg == "--run") {
      cl.run_id = *value;
    } else if (arg == "--code") {
      cl.code = core::DiscrepancyCodeFromName(*value);
      if (!cl.code) {
        std::string known;
        for (core::DiscrepancyCode c : core::kAllDiscrepancyCodes) {
          known += (known.empty() ? "" : ", ") + std::string(core::DiscrepancyCodeName(c));
        }
        Usage("option '--code': unknown discrepancy code '" + *value + "' (expected one of " + known + ")");
      }
    } else if (arg == "--open") {
      cl.open_only = true;
    } else if (arg == "--format") {
      if (*value == "table") cl.format = ListFormat::kTable;
      else if (*value == "csv") cl.format = ListFormat::kCsv;
      else if (*value == "json") cl.format = ListFormat::kJson;
      else Usage("option '--format': expected table, csv or json, got '" + *value + "'");
    } else if (arg == "--note") {
      cl.note = *value;
    } else if (arg == "--by") {
      cl.by = *value;
    } else if (arg == "--log-format") {
      cl.log_format = LogFormatFromName(*value);
      if (!cl.log_format) Usage("option '--log-format': expected json or text, got '" + *value + "'");
    } else if (arg == "--log-level") {
      cl.log_level = LogLevelFromName(*value);
      if (!cl.log_level) Usage("option '--log-level': expected debug, info, warn or error, got '" + *value + "'");
    }
  }

  if (positional.size() > positionals) Usage("unexpected argument '" + positional[positionals] + "'");
  if (cl.command == Command::kImport) {
    if (positional.empty()) Usage("'import' needs a FILE.csv");
    cl.import_path = positional[0];
  }
  if (cl.command != Command::kHelp && cl.command != Command::kVersion && cl.config_path.empty()) {
    Usage("option '--config' is required");
  }
  if (cl.command == Command::kReport && cl.run_id.empty()) Usage("option '--run' is required");
  if (cl.command == Command::kCheck || cl.command == Command::kShow) {
    if (!cl.merchant) Usage("option '--merchant' is required");
    if (cl.txn.empty()) Usage("option '--txn' is required");
    if (cl.command == Command::kShow && cl.format == ListFormat::kCsv) {
      Usage("option '--format': expected table or json for 'show', got 'csv'");
    }
  }
  if (cl.command == Command::kDiscrepanciesResolve) {
    if (positional.empty()) Usage("'discrepancies resolve' needs a discrepancy ID");
    auto id = ParseInt(positional[0]);
    if (!id || *id < 1) Usage("'discrepancies resolve': expected a discrepancy ID (a positive integer), got '" +
                              positional[0] + "'");
    cl.discrepancy_id = *id;
    if (cl.note.empty()) Usage("option '--note' is required");
  }
  if (cl.command == Command::kBackfill) {
    if (!cl.resume && (!cl.from || !cl.to)) Usage("options '--from' and '--to' are required (or '--resume')");
    if (cl.from.has_value() != cl.to.has_value()) Usage("options '--from' and '--to' go together");
    if (cl.from && cl.to && *cl.from >= *cl.to) Usage("option '--from' must be before '--to'");
  }
  return cl;
}

}  // namespace payrecon::jobs
