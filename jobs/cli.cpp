#include "jobs/cli.h"

#include <algorithm>
#include <set>

#include "jobs/exit_code.h"

namespace payrecon::jobs {

namespace {

[[noreturn]] void Usage(const std::string& message) { throw JobError(ExitCode::kUsage, message); }

bool StartsWith(std::string_view text, std::string_view prefix) { return text.substr(0, prefix.size()) == prefix; }

// The second words of the commands in group `group` ("list", "resolve" for "discrepancies"); empty when `group`
// is not a group.
std::vector<std::string_view> SubcommandsOf(std::string_view group) {
  std::vector<std::string_view> subs;
  for (const CommandSpec& c : Commands()) {
    if (c.name.size() > group.size() && StartsWith(c.name, group) && c.name[group.size()] == ' ') {
      subs.push_back(c.name.substr(group.size() + 1));
    }
  }
  return subs;
}

// "'list' or 'resolve'", "'a', 'b' or 'c'".
std::string Alternatives(const std::vector<std::string_view>& words) {
  std::string out;
  for (std::size_t i = 0; i < words.size(); ++i) {
    if (i > 0) out += i + 1 == words.size() ? " or " : ", ";
    out += "'" + std::string(words[i]) + "'";
  }
  return out;
}

const OptionSpec* FindIn(std::span<const OptionSpec* const> options, std::string_view name) {
  for (const OptionSpec* o : options) {
    if (o->name == name) return o;
  }
  return nullptr;
}

}  // namespace

const CommandSpec* FindCommand(std::string_view name) {
  for (const CommandSpec& c : Commands()) {
    if (c.name == name) return &c;
  }
  return nullptr;
}

const CommandSpec& SpecOf(Command command) {
  for (const CommandSpec& c : Commands()) {
    if (c.command == command) return c;
  }
  throw std::logic_error("command missing from the command table");
}

CommandLine ParseCommandLine(const std::vector<std::string>& args) {
  CommandLine cl;
  if (args.empty()) Usage("missing command");
  const CommandSpec* spec = nullptr;
  std::set<std::string> seen;
  std::vector<std::string> operands;
  for (std::size_t i = 0; i < args.size(); ++i) {
    std::string arg = args[i];
    if (!spec && (arg == "--help" || arg == "-h")) {
      spec = FindCommand("help");
      continue;
    }
    if (!spec && arg == "--version") {
      spec = FindCommand("version");
      continue;
    }
    if (arg.size() < 2 || !StartsWith(arg, "--") || arg == "--") {
      if (arg == "--" || arg.empty() || arg[0] == '-') Usage("unexpected argument '" + arg + "'");
      if (spec) {
        operands.push_back(arg);
        continue;
      }
      // The command: one word, or a group and its subcommand ("discrepancies list").
      std::string name = arg;
      if (const auto subs = SubcommandsOf(arg); !subs.empty()) {
        if (i + 1 >= args.size()) Usage("'" + arg + "' needs " + Alternatives(subs));
        name += " " + args[++i];
        if (!FindCommand(name)) {
          Usage("unknown command '" + name + "' " +
                (subs.size() == 1 ? "(did you mean '" + arg + " " + std::string(subs[0]) + "'?)"
                                  : "(expected " + Alternatives(subs) + ")"));
        }
      }
      spec = FindCommand(name);
      if (!spec) Usage("unknown command '" + name + "'");
      cl.command = spec->command;
      continue;
    }

    std::optional<std::string> value;
    if (auto eq = arg.find('='); eq != std::string::npos) {
      value = arg.substr(eq + 1);
      arg = arg.substr(0, eq);
    }
    const OptionSpec* option = FindIn(GlobalOptions(), arg);
    if (!option && spec) option = FindIn(spec->options, arg);
    if (!option) {
      if (!spec) Usage("unknown option '" + arg + "'");
      Usage("unknown option '" + arg + "' for '" + std::string(spec->name) + "'");
    }
    if (!seen.insert(arg).second) Usage("option '" + arg + "' given twice");
    if (!option->value.empty()) {
      if (!value) {
        if (i + 1 >= args.size()) Usage("option '" + arg + "' needs a value");
        value = args[++i];
      }
      if (value->empty()) Usage("option '" + arg + "' needs a value");
    } else if (value) {
      Usage("option '" + arg + "' takes no value");
    } else {
      value = std::string();
    }
    option->parse(cl, *value);
  }
  if (!spec) Usage("missing command");
  cl.command = spec->command;

  const std::size_t allowed = spec->operand.empty() ? 0 : 1;
  if (operands.size() > allowed) Usage("unexpected argument '" + operands[allowed] + "'");
  if (allowed == 1) {
    if (operands.empty()) Usage("'" + std::string(spec->name) + "' needs " + std::string(spec->operand_noun));
    spec->parse_operand(cl, operands[0]);
  }
  if (spec->needs_config && cl.config_path.empty()) Usage("option '--config' is required");
  for (std::string_view required : spec->required) {
    if (!seen.contains(std::string(required))) Usage("option '" + std::string(required) + "' is required");
  }
  if (spec->check) spec->check(cl);
  return cl;
}

std::string UsageText() {
  std::string out =
      "Usage: payrecon [--config FILE] [--log-format json|text] [--log-level LEVEL] COMMAND [ARGS]\n"
      "Reconcile Amazon Pay India charges, refunds and top-ups held in PostgreSQL with the gateway's status.\n"
      "\n"
      "Commands:\n";
  for (const CommandSpec& c : Commands()) {
    std::string head = "  " + std::string(c.name);
    if (!c.synopsis.empty()) head += " " + std::string(c.synopsis);
    out += head + "\n";
    out += "        " + std::string(c.summary) + "\n";
  }
  out +=
      "\n"
      "Options:\n";
  for (const OptionSpec* o : GlobalOptions()) {
    std::string head = "  " + std::string(o->name);
    if (!o->value.empty()) head += " " + std::string(o->value);
    out += head + "\n";
    out += "        " + std::string(o->help) + "\n";
  }
  out +=
      "\n"
      "DURATION: 500ms, 90s, 15m, 2h (one number, one unit). DATE: 2026-01-31 (a whole UTC day) or an ISO 8601 time with a zone.\n"
      "exit codes: 0 done, 1 new discrepancies with --strict, 2 usage/configuration/input, 3 database,\n"
      "            4 gateway unusable, 5 reports not writable, 6 interrupted by a signal, 70 internal error\n";
  return out;
}

}  // namespace payrecon::jobs
