#include <boost/test/unit_test.hpp>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>

#include "jobs/cli.h"
#include "jobs/exit_code.h"

using namespace payrecon;
using jobs::Command;
using jobs::ParseCommandLine;

namespace {
// The usage error's message, or "ok".
std::string Error(std::vector<std::string> args) {
  try {
    ParseCommandLine(args);
    return "ok";
  } catch (const jobs::JobError& e) {
    BOOST_TEST((e.code() == jobs::ExitCode::kUsage));
    return e.what();
  }
}
}  // namespace

BOOST_AUTO_TEST_SUITE(cli)

BOOST_AUTO_TEST_CASE(run_with_every_option) {
  auto cl = ParseCommandLine({"run", "--config", "c.yaml", "--limit", "10", "--deadline=90m", "--dry-run", "--strict"});
  BOOST_TEST((cl.command == Command::kRun));
  BOOST_TEST(cl.config_path == "c.yaml");
  BOOST_TEST(*cl.limit == 10);
  BOOST_TEST(cl.deadline->count() == 5'400'000);
  BOOST_TEST(cl.dry_run);
  BOOST_TEST(cl.strict);
}

BOOST_AUTO_TEST_CASE(backfill_window_and_filters) {
  auto cl = ParseCommandLine({"backfill", "--from", "2026-01-01", "--to", "2026-01-31", "--kind", "refund",
                              "--merchant", "M1", "--config", "c.yaml"});
  BOOST_TEST((cl.command == Command::kBackfill));
  BOOST_TEST(core::FormatIso8601(*cl.from) == "2026-01-01T00:00:00Z");
  BOOST_TEST(core::FormatIso8601(*cl.to) == "2026-02-01T00:00:00Z");  // a plain --to date includes its day
  BOOST_TEST((*cl.kind == core::Kind::kRefund));
  BOOST_TEST(*cl.merchant == "M1");
  auto instants = ParseCommandLine({"backfill", "--from", "2026-01-01T10:00:00+05:30", "--to",
                                    "2026-01-01T12:00:00Z", "--config", "c"});
  BOOST_TEST(core::FormatIso8601(*instants.from) == "2026-01-01T04:30:00Z");
  BOOST_TEST(core::FormatIso8601(*instants.to) == "2026-01-01T12:00:00Z");
  auto resume = ParseCommandLine({"backfill", "--resume", "r-1", "--config", "c"});
  BOOST_TEST(*resume.resume == "r-1");
}

BOOST_AUTO_TEST_CASE(other_commands) {
  BOOST_TEST((ParseCommandLine({"migrate", "--config", "c"}).command == Command::kMigrate));
  auto imp = ParseCommandLine({"import", "t.csv", "--config", "c"});
  BOOST_TEST(imp.import_path == "t.csv");
  auto rep = ParseCommandLine({"report", "--run", "abc", "--config", "c"});
  BOOST_TEST(rep.run_id == "abc");
  BOOST_TEST((ParseCommandLine({"config", "check", "--config", "c"}).command == Command::kConfigCheck));
  BOOST_TEST((ParseCommandLine({"--help"}).command == Command::kHelp));
  BOOST_TEST((ParseCommandLine({"version"}).command == Command::kVersion));
}

BOOST_AUTO_TEST_CASE(usage_errors_name_the_problem) {
  BOOST_TEST(Error({}) == "missing command");
  BOOST_TEST(Error({"--config", "c"}) == "missing command");
  BOOST_TEST(Error({"frobnicate"}) == "unknown command 'frobnicate'");
  BOOST_TEST(Error({"run"}) == "ok");  // no --config: PAYRECON_CONFIG or the default path (ChooseConfig)
  BOOST_TEST(Error({"run", "--config"}) == "option '--config' needs a value");
  BOOST_TEST(Error({"run", "--config", "c", "--limt", "3"}) ==
             "unknown option '--limt' for 'run' (did you mean '--limit'?)");
  BOOST_TEST(Error({"run", "--config", "c", "--limit", "0"}) == "option '--limit': expected a positive integer, got '0'");
  BOOST_TEST(Error({"run", "--config", "c", "--limit", "3x"}) == "option '--limit': expected a positive integer, got '3x'");
  BOOST_TEST(Error({"run", "--config", "c", "--deadline", "10"}) ==
             "option '--deadline': invalid duration '10' (a positive whole number with a unit: 500ms, 90s, 15m, 2h)");
  BOOST_TEST(Error({"run", "--config", "c", "--config", "d"}) == "option '--config' given twice");
  BOOST_TEST(Error({"run", "--config", "c", "--dry-run=yes"}) == "option '--dry-run' takes no value");
  BOOST_TEST(Error({"run", "--config", "c", "extra"}) == "unexpected argument 'extra'");
  BOOST_TEST(Error({"migrate", "--config", "c", "--limit", "3"}) == "unknown option '--limit' for 'migrate'");
  BOOST_TEST(Error({"import", "--config", "c"}) == "'import' needs a FILE.csv");
  BOOST_TEST(Error({"report", "--config", "c"}) == "option '--run' is required");
  BOOST_TEST(Error({"config", "--config", "c"}) == "unknown command 'config --config' (did you mean 'config check'?)");
  BOOST_TEST(Error({"backfill", "--config", "c"}) == "options '--from' and '--to' are required (or '--resume')");
  BOOST_TEST(Error({"backfill", "--config", "c", "--from", "2026-02-01", "--to", "2026-01-01"}) ==
             "option '--from' must be before '--to'");
  BOOST_TEST(Error({"backfill", "--config", "c", "--from", "yesterday", "--to", "2026-01-01"}) ==
             "option '--from': invalid date 'yesterday' (expected YYYY-MM-DD or an ISO 8601 time with a zone)");
  BOOST_TEST(Error({"backfill", "--config", "c", "--from", "2026-01-01", "--to", "2026-02-01", "--kind", "payment"}) ==
             "option '--kind': expected charge, refund or topup, got 'payment'");
  BOOST_TEST(Error({"run", "-x", "--config", "c"}) == "unexpected argument '-x'");
}

BOOST_AUTO_TEST_CASE(deadline_uses_the_configuration_duration_grammar) {
  const auto deadline = [](const std::string& text) {
    return ParseCommandLine({"run", "--config", "c", "--deadline", text}).deadline->count();
  };
  BOOST_TEST(deadline("90s") == 90'000);
  BOOST_TEST(deadline("500ms") == 500);
  BOOST_TEST(deadline("2h") == 7'200'000);
  for (const char* bad : {"0s", "s", "5 m", "-5s", "1.5h", "1m30s"}) {
    BOOST_TEST(Error({"run", "--config", "c", "--deadline", bad}) ==
                   "option '--deadline': invalid duration '" + std::string(bad) +
                       "' (a positive whole number with a unit: 500ms, 90s, 15m, 2h)",
               bad);
  }
}

BOOST_AUTO_TEST_CASE(global_options_go_before_or_after_the_command) {
  auto cl = ParseCommandLine({"--config", "c.yaml", "--log-level=warn", "run", "--limit", "3", "--log-format", "text"});
  BOOST_TEST((cl.command == Command::kRun));
  BOOST_TEST(cl.config_path == "c.yaml");
  BOOST_TEST((cl.log_level == jobs::LogLevel::kWarn));
  BOOST_TEST((cl.log_format == jobs::LogFormat::kText));
  BOOST_TEST(*cl.limit == 3);
  BOOST_TEST(ParseCommandLine({"--config", "c", "discrepancies", "list", "--open"}).open_only);
  BOOST_TEST(Error({"--config", "c", "run", "--config", "d"}) == "option '--config' given twice");
  // Command options belong after their command.
  BOOST_TEST(Error({"--limit", "3", "run"}) == "unknown option '--limit'");
  BOOST_TEST(Error({"--confg", "c", "run"}) == "unknown option '--confg' (did you mean '--config'?)");
}

BOOST_AUTO_TEST_CASE(help_for_one_command) {
  const auto topic = [](std::vector<std::string> args) {
    const auto cl = ParseCommandLine(args);
    BOOST_TEST((cl.command == Command::kHelp));
    return cl.help_topic;
  };
  BOOST_TEST(topic({"help"}) == "");
  BOOST_TEST(topic({"--help"}) == "");
  BOOST_TEST(topic({"-h"}) == "");
  BOOST_TEST(topic({"help", "run"}) == "run");
  BOOST_TEST(topic({"help", "config", "check"}) == "config check");
  BOOST_TEST(topic({"help", "discrepancies"}) == "discrepancies");  // a group: its commands
  BOOST_TEST(topic({"run", "--help"}) == "run");
  BOOST_TEST(topic({"run", "-h", "--bogus", "x"}) == "run");  // --help wins over what follows
  BOOST_TEST(topic({"--help", "backfill"}) == "backfill");
  BOOST_TEST(topic({"run", "--limit", "0", "--help"}) == "run");  // and over what came before
  BOOST_TEST(topic({"report", "--help"}) == "report");            // required options are not required for help
  BOOST_TEST(topic({"discrepancies", "resolve", "--help"}) == "discrepancies resolve");
  BOOST_TEST(topic({"--config", "c", "import", "--help"}) == "import");
  BOOST_TEST(Error({"help", "frobnicate"}) == "unknown command 'frobnicate'");
  BOOST_TEST(Error({"help", "rnu"}) == "unknown command 'rnu' (did you mean 'run'?)");
  BOOST_TEST(Error({"help", "config", "chek"}) == "unknown command 'config chek' (did you mean 'config check'?)");

  const std::string run = jobs::CommandUsageText("run");
  BOOST_TEST(run.find("Usage: payrecon run [--limit N] [--deadline DURATION] [--dry-run] [--strict]\n") == 0u);
  for (const char* option : {"--limit N ", "--deadline DURATION ", "--dry-run ", "--strict ", "--config FILE ",
                             "--log-format json|text", "-h, --help "}) {
    BOOST_TEST(run.find(std::string("\n  ") + option) != std::string::npos, option);
  }
  const std::string group = jobs::CommandUsageText("discrepancies");
  BOOST_TEST(group.find("  payrecon discrepancies list [--open]") != std::string::npos);
  BOOST_TEST(group.find("  payrecon discrepancies resolve ID --note TEXT") != std::string::npos);
  // Commands that make no gateway call say so.
  BOOST_TEST(jobs::CommandUsageText("migrate").find("does not read merchant secrets") != std::string::npos);
  BOOST_TEST(run.find("does not read merchant secrets") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(unknown_commands_and_options_suggest_the_nearest) {
  BOOST_TEST(Error({"runn"}) == "unknown command 'runn' (did you mean 'run'?)");
  BOOST_TEST(Error({"mirgate"}) == "unknown command 'mirgate' (did you mean 'migrate'?)");
  BOOST_TEST(Error({"discrepancy", "list"}) == "unknown command 'discrepancy' (did you mean 'discrepancies'?)");
  BOOST_TEST(Error({"discrepancies", "lsit"}) ==
             "unknown command 'discrepancies lsit' (did you mean 'discrepancies list'?)");
  BOOST_TEST(Error({"backfill", "--form", "2026-01-01"}) ==
             "unknown option '--form' for 'backfill' (did you mean '--from'?)");
  BOOST_TEST(Error({"run", "--dryrun"}) == "unknown option '--dryrun' for 'run' (did you mean '--dry-run'?)");
  BOOST_TEST(Error({"run", "--hlep"}) == "unknown option '--hlep' for 'run' (did you mean '--help'?)");
  // Too far from anything: no guess.
  BOOST_TEST(Error({"run", "--frobnicate"}) == "unknown option '--frobnicate' for 'run'");

  BOOST_TEST(*jobs::Nearest("imprt", {"migrate", "import", "run"}) == "import");
  BOOST_TEST(*jobs::Nearest("rpeort", {"run", "report"}) == "report");  // a swap of neighbours is one edit
  BOOST_TEST(!jobs::Nearest("xyz", {"run", "report"}).has_value());
  BOOST_TEST(!jobs::Nearest("", {"run"}).has_value());
  BOOST_TEST(*jobs::Nearest("ab", {"ax", "ay"}) == "ax");  // ties go to the first
}

BOOST_AUTO_TEST_CASE(usage_errors_name_the_command_for_the_hint) {
  const auto hint = [](std::vector<std::string> args) {
    try {
      ParseCommandLine(args);
    } catch (const jobs::CommandLineError& e) {
      BOOST_TEST((e.code() == jobs::ExitCode::kUsage));
      return e.Hint();
    }
    return std::string("no error");
  };
  BOOST_TEST(hint({"run", "--limit", "0"}) == "see 'payrecon help run'");  // from an option's own parser
  BOOST_TEST(hint({"discrepancies", "resolve", "x", "--note", "n"}) == "see 'payrecon help discrepancies resolve'");
  BOOST_TEST(hint({"report"}) == "see 'payrecon help report'");
  BOOST_TEST(hint({"runn"}) == "see 'payrecon help'");
  BOOST_TEST(hint({"help", "runn"}) == "see 'payrecon help'");
  BOOST_TEST(hint({}) == "see 'payrecon help'");
}

BOOST_AUTO_TEST_CASE(config_path_from_option_environment_or_default) {
  auto cl = ParseCommandLine({"run", "--config", "given.yaml"});
  jobs::ChooseConfig(cl, config::MapEnvironment({{"PAYRECON_CONFIG", "env.yaml"}}));
  BOOST_TEST(cl.config_path == "given.yaml");
  BOOST_TEST(cl.config_origin == "");

  cl = ParseCommandLine({"run"});
  jobs::ChooseConfig(cl, config::MapEnvironment({{"PAYRECON_CONFIG", "env.yaml"}}));
  BOOST_TEST(cl.config_path == "env.yaml");
  BOOST_TEST(cl.config_origin == "from PAYRECON_CONFIG");

  cl = ParseCommandLine({"run"});
  jobs::ChooseConfig(cl, config::MapEnvironment({}));
  BOOST_TEST(cl.config_path == "/etc/payrecon/payrecon.yaml");
  BOOST_TEST(cl.config_origin == "the default: no --config given and PAYRECON_CONFIG is not set");

  cl = ParseCommandLine({"migrate"});
  try {
    jobs::ChooseConfig(cl, config::MapEnvironment({{"PAYRECON_CONFIG", ""}}));
    BOOST_FAIL("an empty PAYRECON_CONFIG was accepted");
  } catch (const jobs::CommandLineError& e) {
    BOOST_TEST(std::string(e.what()) ==
               "PAYRECON_CONFIG is set but empty (unset it to use /etc/payrecon/payrecon.yaml, or give --config FILE)");
    BOOST_TEST(e.Hint() == "see 'payrecon help migrate'");
  }
}

// Which commands read merchant secrets is a property of the table: only those that call the gateway.
BOOST_AUTO_TEST_CASE(only_gateway_commands_read_secrets) {
  std::set<std::string> gateway;
  for (const jobs::CommandSpec& c : jobs::Commands()) {
    if (c.needs_gateway) gateway.emplace(c.name);
  }
  BOOST_TEST((gateway == std::set<std::string>{"run", "backfill", "check", "config check"}));
  BOOST_TEST(ParseCommandLine({"config", "check", "--offline"}).offline);
}

// The table is consistent: unique names, a handler and summary each, and the synopsis names exactly the options.
BOOST_AUTO_TEST_CASE(command_table_is_consistent) {
  std::set<std::string> names;
  for (const jobs::CommandSpec& c : jobs::Commands()) {
    const std::string name(c.name);
    BOOST_TEST(names.insert(name).second, name);
    BOOST_TEST(c.handler != nullptr, name);
    BOOST_TEST(!c.summary.empty(), name);
    BOOST_TEST(!c.description.empty(), name);
    BOOST_TEST((&jobs::SpecOf(c.command) == &c), name);
    BOOST_TEST(c.operand.empty() == (c.parse_operand == nullptr), name);
    std::set<std::string> in_synopsis;
    std::istringstream words{std::string(c.synopsis)};
    for (std::string w; words >> w;) {
      while (!w.empty() && (w.front() == '[')) w.erase(0, 1);
      while (!w.empty() && (w.back() == ']')) w.pop_back();
      if (w.rfind("--", 0) == 0) in_synopsis.insert(w);
    }
    std::set<std::string> declared;
    for (const jobs::OptionSpec* o : c.options) {
      BOOST_TEST(declared.insert(std::string(o->name)).second, name << " " << o->name);
      for (const jobs::OptionSpec* g : jobs::GlobalOptions()) BOOST_TEST(o->name != g->name, name);
    }
    BOOST_TEST(in_synopsis == declared, name);
    for (std::string_view r : c.required) BOOST_TEST(declared.contains(std::string(r)), name << " " << r);
  }
  const std::string usage = jobs::UsageText();
  BOOST_TEST(usage.find("Usage: payrecon ") == 0u);
  for (const jobs::CommandSpec& c : jobs::Commands()) {
    BOOST_TEST(usage.find("\n  " + std::string(c.name)) != std::string::npos, c.name);
  }
}

namespace {
std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// COMPREPLY of the shipped completion script for the words of a command line (the last one being completed).
std::string Complete(const std::vector<std::string>& words) {
  std::string script = "source '" PAYRECON_SOURCE_DIR "/deploy/completion/payrecon.bash'; COMP_WORDS=(";
  for (const std::string& w : words) script += "'" + w + "' ";
  script += "); COMP_CWORD=" + std::to_string(words.size() - 1) + "; _payrecon; echo \"${COMPREPLY[*]}\"";
  // Handed over in the environment so that /bin/sh does not expand it on the way to bash.
  ::setenv("PAYRECON_COMPLETION_TEST", script.c_str(), 1);
  std::FILE* p = ::popen("bash --norc --noprofile -c \"$PAYRECON_COMPLETION_TEST\" 2>&1", "r");
  BOOST_REQUIRE(p != nullptr);
  std::string out;
  char buf[4096];
  for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, p)) > 0;) out.append(buf, n);
  BOOST_TEST(::pclose(p) == 0);
  if (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}
}  // namespace

BOOST_AUTO_TEST_CASE(bash_completion_matches_the_command_table) {
  const std::string shipped = ReadFile(PAYRECON_SOURCE_DIR "/deploy/completion/payrecon.bash");
  BOOST_TEST(shipped == jobs::BashCompletion(),
             "deploy/completion/payrecon.bash is stale: regenerate it with "
             "`build/jobs/payrecon completion bash > deploy/completion/payrecon.bash`");
  BOOST_TEST(Complete({"payrecon", ""}) ==
             "migrate import run backfill report config discrepancies check show pending prune help version completion");
  BOOST_TEST(Complete({"payrecon", "ba"}) == "backfill");
  BOOST_TEST(Complete({"payrecon", "discrepancies", ""}) == "list resolve");
  BOOST_TEST(Complete({"payrecon", "run", "--"}) ==
             "--limit --deadline --dry-run --strict --help --config --log-format --log-level");
  BOOST_TEST(Complete({"payrecon", "--config", "c.yaml", "discrepancies", "list", "--format", ""}) == "table csv json");
  BOOST_TEST(Complete({"payrecon", "backfill", "--kind", "r"}) == "refund");
  BOOST_TEST(Complete({"payrecon", "run", "--log-level", "w"}) == "warn");
  BOOST_TEST(Complete({"payrecon", "discrepancies", "list", "--code", "STU"}) == "STUCK_PENDING");
  BOOST_TEST(Complete({"payrecon", "run", "--limit", ""}) == "");
  BOOST_TEST(Complete({"payrecon", "config", "check", "--o"}) == "--offline");
  BOOST_TEST(Complete({"payrecon", "help", "rep"}) == "report");
}

BOOST_AUTO_TEST_CASE(man_page_is_generated_from_the_help) {
  const std::string man = ReadFile(PAYRECON_MAN_PAGE);
  BOOST_REQUIRE_MESSAGE(!man.empty(), PAYRECON_MAN_PAGE " is missing: install help2man (scripts/setup.sh does)");
  for (const char* section : {".SH NAME", ".SH SYNOPSIS", ".SH DESCRIPTION", ".SH OPTIONS", ".SH ENVIRONMENT",
                              ".SH FILES", "PAYRECON_CONFIG", "/etc/payrecon/payrecon.yaml"}) {
    BOOST_TEST(man.find(section) != std::string::npos, section);
  }
  for (const jobs::CommandSpec& c : jobs::Commands()) {
    BOOST_TEST(man.find("\n" + std::string(c.name)) != std::string::npos, c.name);
  }
  // The COMMANDS section: each command's usage and options (jobs::ManCommandsSection, through help2man).
  const std::string commands = man.substr(man.find(".SH COMMANDS"));
  BOOST_TEST(commands.find(".SS \"run [\\-\\-limit N]") != std::string::npos);
  BOOST_TEST(commands.find(".B \\-\\-dry\\-run\n") != std::string::npos);
  BOOST_TEST(commands.find(".B \\-\\-format \\fItable|csv|json\\fR\n") != std::string::npos);
  BOOST_TEST(jobs::ManCommandsSection().find("[COMMANDS]\n.SS \"migrate\"\n") == 0u);
}

BOOST_AUTO_TEST_SUITE_END()
