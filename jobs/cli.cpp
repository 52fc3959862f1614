#include "jobs/cli.h"

#include <algorithm>
#include <ostream>
#include <set>

#include "jobs/commands.h"

#ifndef PAYRECON_VERSION
#define PAYRECON_VERSION "0.0.0"
#endif

namespace payrecon::jobs {

namespace {

[[noreturn]] void Usage(const std::string& message) { throw CommandLineError(message); }

bool StartsWith(std::string_view text, std::string_view prefix) { return text.substr(0, prefix.size()) == prefix; }

// The second words of the commands in group `group` ("list", "resolve" for "discrepancies"); empty when `group`
// is not a group.
std::vector<std::string> SubcommandsOf(std::string_view group) {
  std::vector<std::string> subs;
  for (const CommandSpec& c : Commands()) {
    if (c.name.size() > group.size() && StartsWith(c.name, group) && c.name[group.size()] == ' ') {
      subs.emplace_back(c.name.substr(group.size() + 1));
    }
  }
  return subs;
}

// The words that can start a command line: single-word commands and groups, in table order.
std::vector<std::string> FirstWords() {
  std::vector<std::string> words;
  for (const CommandSpec& c : Commands()) {
    std::string first(c.name.substr(0, c.name.find(' ')));
    if (std::find(words.begin(), words.end(), first) == words.end()) words.push_back(first);
  }
  return words;
}

// "'list' or 'resolve'", "'a', 'b' or 'c'".
std::string Alternatives(const std::vector<std::string>& words) {
  std::string out;
  for (std::size_t i = 0; i < words.size(); ++i) {
    if (i > 0) out += i + 1 == words.size() ? " or " : ", ";
    out += "'" + words[i] + "'";
  }
  return out;
}

std::string DidYouMean(std::string_view word, const std::vector<std::string>& candidates,
                       std::string_view prefix = "") {
  const auto near = Nearest(word, candidates);
  return near ? " (did you mean '" + std::string(prefix) + *near + "'?)" : std::string();
}

const OptionSpec* FindIn(std::span<const OptionSpec* const> options, std::string_view name) {
  for (const OptionSpec* o : options) {
    if (o->name == name) return o;
  }
  return nullptr;
}

// Resolves the command word at args[i] (and the subcommand after a group), advancing i past what it used.
const CommandSpec& ResolveCommand(const std::vector<std::string>& args, std::size_t& i) {
  const std::string& word = args[i];
  const std::vector<std::string> subs = SubcommandsOf(word);
  if (subs.empty()) {
    const CommandSpec* spec = FindCommand(word);
    if (!spec) Usage("unknown command '" + word + "'" + DidYouMean(word, FirstWords()));
    return *spec;
  }
  if (i + 1 >= args.size()) Usage("'" + word + "' needs " + Alternatives(subs));
  const std::string& sub = args[++i];
  const CommandSpec* spec = FindCommand(word + " " + sub);
  if (!spec) {
    std::string why = DidYouMean(sub, subs, word + " ");
    if (subs.size() == 1) why = " (did you mean '" + word + " " + subs[0] + "'?)";
    if (why.empty()) why = " (expected " + Alternatives(subs) + ")";
    Usage("unknown command '" + word + " " + sub + "'" + why);
  }
  return *spec;
}

// The help topic `words` names: a command or a group; anything else is a usage error with a suggestion.
std::string HelpTopic(const std::vector<std::string>& words) {
  std::string topic;
  for (const std::string& w : words) topic += (topic.empty() ? "" : " ") + w;
  if (topic.empty() || FindCommand(topic) || !SubcommandsOf(topic).empty()) return topic;
  std::vector<std::string> names;
  for (const CommandSpec& c : Commands()) names.emplace_back(c.name);
  for (const std::string& w : FirstWords()) {
    if (!FindCommand(w)) names.push_back(w);
  }
  Usage("unknown command '" + topic + "'" + DidYouMean(topic, names));
}

std::string ParseCommandLineOrThrow(const std::vector<std::string>& args, CommandLine& cl,
                                    const CommandSpec*& spec) {
  std::set<std::string> seen;
  std::vector<std::string> operands;
  bool want_help = false;
  for (std::size_t i = 0; i < args.size(); ++i) {
    std::string arg = args[i];
    if (arg == "--help" || arg == "-h") {
      // Whatever else the line holds, --help asks for usage: answer that rather than report other mistakes.
      if (spec && spec->command != Command::kHelp) return std::string(spec->name);
      want_help = true;
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
      spec = &ResolveCommand(args, i);
      if (want_help && spec->command != Command::kHelp) return std::string(spec->name);
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
      // Compared without the leading "--", so that short names need a close match ("--note" is not "--code").
      std::vector<std::string> known{"help"};
      for (const OptionSpec* o : GlobalOptions()) known.emplace_back(o->name.substr(2));
      const std::string bare = arg.substr(2);
      if (spec) {
        for (const OptionSpec* o : spec->options) known.emplace_back(o->name.substr(2));
        Usage("unknown option '" + arg + "' for '" + std::string(spec->name) + "'" + DidYouMean(bare, known, "--"));
      }
      known.emplace_back("version");
      Usage("unknown option '" + arg + "'" + DidYouMean(bare, known, "--"));
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
  if (want_help && !spec) return "";
  if (!spec) Usage("missing command");
  if (spec->command == Command::kHelp) return HelpTopic(operands);

  const std::size_t allowed = spec->operand.empty() ? 0 : 1;
  if (operands.size() > allowed) Usage("unexpected argument '" + operands[allowed] + "'");
  if (allowed == 1) {
    if (operands.empty()) Usage("'" + std::string(spec->name) + "' needs " + std::string(spec->operand_noun));
    spec->parse_operand(cl, operands[0]);
  }
  for (std::string_view required : spec->required) {
    if (!seen.contains(std::string(required))) Usage("option '" + std::string(required) + "' is required");
  }
  if (spec->check) spec->check(cl);
  return "";  // not help
}

constexpr std::size_t kTagWidth = 22;  // help's two-column layout: the tag, then the text from column 24

// "  TAG                   TEXT", or TAG alone and TEXT on the next line when TAG is too wide.
std::string Tagged(std::string_view tag, std::string_view text) {
  std::string line = "  " + std::string(tag);
  if (tag.size() <= kTagWidth - 2) {
    line.append(kTagWidth - tag.size(), ' ');
  } else {
    line += "\n" + std::string(kTagWidth + 2, ' ');
  }
  return line + std::string(text) + "\n";
}

std::string OptionTag(const OptionSpec& o) {
  return o.value.empty() ? std::string(o.name) : std::string(o.name) + " " + std::string(o.value);
}

std::string CommandTag(const CommandSpec& c) {
  return c.synopsis.empty() ? std::string(c.name) : std::string(c.name) + " " + std::string(c.synopsis);
}

// Words of `text` filled into lines of at most `width` characters.
std::string Wrap(std::string_view text, std::size_t width) {
  std::string out;
  std::size_t column = 0;
  while (!text.empty()) {
    const std::size_t space = text.find(' ');
    const std::string_view word = text.substr(0, space);
    if (column > 0 && column + 1 + word.size() > width) {
      out += '\n';
      column = 0;
    } else if (column > 0) {
      out += ' ';
      ++column;
    }
    out += word;
    column += word.size();
    text = space == std::string_view::npos ? std::string_view() : text.substr(space + 1);
  }
  return out + "\n";
}

// The completion words for an option's value: its choices, the parts of a "a|b|c" grammar, or none.
std::vector<std::string> ValueChoices(const OptionSpec& o) {
  if (o.choices) return o.choices();
  std::vector<std::string> parts;
  if (o.value.find('|') == std::string_view::npos) return parts;
  std::string_view rest = o.value;
  while (!rest.empty()) {
    const std::size_t bar = rest.find('|');
    parts.emplace_back(rest.substr(0, bar));
    rest = bar == std::string_view::npos ? std::string_view() : rest.substr(bar + 1);
  }
  return parts;
}

std::string Words(const std::vector<std::string>& words) {
  std::string out;
  for (const std::string& w : words) out += (out.empty() ? "" : " ") + w;
  return out;
}

// The `case "$prev"` arms that complete the values of `options`; free-form values complete to nothing.
std::string ValueArms(const std::vector<const OptionSpec*>& options, const std::string& indent) {
  std::string out;
  std::string free;
  for (const OptionSpec* o : options) {
    if (o->value.empty()) continue;
    const std::vector<std::string> choices = ValueChoices(*o);
    if (o->value == "FILE") {
      out += indent + std::string(o->name) + ") _payrecon_files; return ;;\n";
    } else if (!choices.empty()) {
      out += indent + std::string(o->name) + ") COMPREPLY=($(compgen -W \"" + Words(choices) +
             "\" -- \"$cur\")); return ;;\n";
    } else {
      free += (free.empty() ? "" : "|") + std::string(o->name);
    }
  }
  if (!free.empty()) out += indent + free + ") return ;;\n";
  return out;
}

}  // namespace

std::string CommandLineError::Hint() const {
  return command_.empty() ? "see 'payrecon help'" : "see 'payrecon help " + command_ + "'";
}

std::optional<std::string> Nearest(std::string_view word, const std::vector<std::string>& candidates) {
  // Optimal string alignment distance: Levenshtein plus the swap of two neighbours, the commonest typo.
  const auto distance = [](std::string_view a, std::string_view b) {
    std::vector<std::vector<std::size_t>> d(a.size() + 1, std::vector<std::size_t>(b.size() + 1));
    for (std::size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
    for (std::size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
    for (std::size_t i = 1; i <= a.size(); ++i) {
      for (std::size_t j = 1; j <= b.size(); ++j) {
        const std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
        d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
        if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
          d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
        }
      }
    }
    return d[a.size()][b.size()];
  };
  const std::size_t limit = std::max<std::size_t>(1, word.size() / 3);
  std::optional<std::string> best;
  std::size_t best_distance = limit + 1;
  for (const std::string& c : candidates) {
    const std::size_t d = distance(word, c);
    if (d < best_distance) {
      best = c;
      best_distance = d;
    }
  }
  return best;
}

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
  const CommandSpec* spec = nullptr;
  try {
    if (args.empty()) Usage("missing command");
    const std::string topic = ParseCommandLineOrThrow(args, cl, spec);
    if (!spec || spec->command == Command::kHelp || !topic.empty()) {
      cl.command = Command::kHelp;
      cl.help_topic = topic;
    } else {
      cl.command = spec->command;
    }
    return cl;
  } catch (const CommandLineError& e) {
    // `--help` asks for usage: a mistake elsewhere on the line (`run --limit 0 --help`) does not stop that.
    if (spec && spec->command != Command::kHelp &&
        std::find_if(args.begin(), args.end(), [](const std::string& a) { return a == "--help" || a == "-h"; }) !=
            args.end()) {
      CommandLine help;
      help.command = Command::kHelp;
      help.help_topic = std::string(spec->name);
      return help;
    }
    // Option parsers do not know the command they serve: the hint names it here.
    if (e.command().empty() && spec && spec->command != Command::kHelp) {
      throw CommandLineError(e.what(), std::string(spec->name));
    }
    throw;
  }
}

void ChooseConfig(CommandLine& cl, const config::Environment& env) {
  if (!cl.config_path.empty()) {
    cl.config_origin.clear();
    return;
  }
  if (const auto from_env = env("PAYRECON_CONFIG")) {
    if (from_env->empty()) {
      throw CommandLineError("PAYRECON_CONFIG is set but empty (unset it to use " + std::string(kDefaultConfigPath) +
                           ", or give --config FILE)",
                       std::string(SpecOf(cl.command).name));
    }
    cl.config_path = *from_env;
    cl.config_origin = "from PAYRECON_CONFIG";
    return;
  }
  cl.config_path = kDefaultConfigPath;
  cl.config_origin = "the default: no --config given and PAYRECON_CONFIG is not set";
}

std::string UsageText() {
  std::string out =
      "Usage: payrecon [GLOBAL OPTIONS] COMMAND [ARGS]\n"
      "Reconcile Amazon Pay India charges, refunds and top-ups held in PostgreSQL with the gateway's status.\n"
      "Run 'payrecon help COMMAND' or 'payrecon COMMAND --help' for one command's options.\n"
      "\n"
      "Commands:\n";
  for (const CommandSpec& c : Commands()) out += Tagged(CommandTag(c), c.summary);
  out +=
      "\n"
      "Values:\n" +
      Tagged("DURATION", "one whole number and one unit: 500ms, 90s, 15m, 2h") +
      Tagged("DATE", "2026-01-31 (that whole UTC day) or an ISO 8601 time with a zone") +
      "\n"
      "Exit status:\n" +
      Tagged("0", "done (discrepancies are reported, not failures)") +
      Tagged("1", "--strict and the run raised new discrepancies") +
      Tagged("2", "usage, configuration or input") +
      Tagged("3", "database unreachable, lost past the deadline, or schema behind") +
      Tagged("4", "gateway unusable: authentication refused") + Tagged("5", "reports not writable") +
      Tagged("6", "interrupted by SIGTERM or SIGINT") + Tagged("70", "internal error") +
      "\n"
      "Options:\n";
  for (const OptionSpec* o : GlobalOptions()) out += Tagged(OptionTag(*o), o->help);
  out += Tagged("-h, --help", "print this help, or after a command that command's usage, and exit 0") +
         Tagged("--version", "print the version and exit 0") +
         "Global options may come before or after the command.\n"
         "\n"
         "Environment:\n" +
         Tagged("PAYRECON_CONFIG", "the configuration file when --config is not given") +
         Tagged("PGHOST, PGUSER, ...", "libpq's variables fill what database.conninfo leaves out") +
         Tagged("PGPASSWORD, PGPASSFILE", "the database password (never in the configuration file)") +
         "\n"
         "Files:\n" +
         Tagged(kDefaultConfigPath, "the configuration file when neither --config nor PAYRECON_CONFIG is given");
  return out;
}

std::string CommandUsageText(std::string_view name) {
  const CommandSpec* spec = FindCommand(name);
  if (!spec) {
    std::string out = "Usage:\n";
    for (const std::string& sub : SubcommandsOf(name)) {
      const CommandSpec& c = *FindCommand(std::string(name) + " " + sub);
      out += "  payrecon " + CommandTag(c) + "\n" + std::string(kTagWidth + 2, ' ') + std::string(c.summary) + "\n";
    }
    return out + "Run 'payrecon help " + std::string(name) + " COMMAND' for one command's options.\n";
  }
  std::string out = "Usage: payrecon " + CommandTag(*spec) + "\n";
  out += std::string(spec->summary) + "\n\n" + Wrap(spec->description, 78);
  if (!spec->needs_gateway) out += "It makes no gateway call and does not read merchant secrets.\n";
  out += "\nOptions:\n";
  for (const OptionSpec* o : spec->options) out += Tagged(OptionTag(*o), o->help);
  if (spec->needs_config) {
    for (const OptionSpec* o : GlobalOptions()) out += Tagged(OptionTag(*o), o->help);
  }
  out += Tagged("-h, --help", "print this usage and exit 0");
  return out;
}

std::string BashCompletion() {
  std::vector<const OptionSpec*> globals(GlobalOptions().begin(), GlobalOptions().end());
  std::string global_names = "--help";
  for (const OptionSpec* o : globals) global_names += " " + std::string(o->name);
  std::string global_with_values;
  for (const OptionSpec* o : globals) {
    if (!o->value.empty()) global_with_values += (global_with_values.empty() ? "" : "|") + std::string(o->name);
  }
  std::vector<std::string> groups;
  for (const std::string& w : FirstWords()) {
    if (!SubcommandsOf(w).empty()) groups.push_back(w);
  }

  std::string s =
      "# bash completion for payrecon. Generated from the command table by `payrecon completion bash`; do not\n"
      "# edit (a unit test fails when this file and the table disagree). Install as\n"
      "# /usr/share/bash-completion/completions/payrecon.\n"
      "\n"
      "_payrecon_files() {\n"
      "  compopt -o filenames 2>/dev/null\n"
      "  COMPREPLY=($(compgen -f -- \"$cur\"))\n"
      "}\n"
      "\n"
      "_payrecon() {\n"
      "  local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}\n"
      "  local cmd=\"\" word i\n"
      "  COMPREPLY=()\n"
      "  # The command so far: the first word that is neither an option nor a global option's value, and after\n"
      "  # a group the word that follows it.\n"
      "  for ((i = 1; i < COMP_CWORD; i++)); do\n"
      "    word=${COMP_WORDS[i]}\n"
      "    case \"$word\" in\n"
      "      " + global_with_values + ") ((i++)) ;;\n"
      "      -*) ;;\n"
      "      *)\n"
      "        if [[ -z $cmd ]]; then\n"
      "          cmd=$word\n"
      "        elif [[ $cmd != *\" \"* ]] && [[ \" " + Words(groups) + " \" == *\" $cmd \"* ]]; then\n"
      "          cmd=\"$cmd $word\"\n"
      "        fi\n"
      "        ;;\n"
      "    esac\n"
      "  done\n"
      "  case \"$prev\" in\n" +
      ValueArms(globals, "    ") +
      "  esac\n"
      "  local options=\"\" operand=\"\"\n"
      "  case \"$cmd\" in\n"
      "    \"\")\n"
      "      if [[ $cur == -* ]]; then\n"
      "        COMPREPLY=($(compgen -W \"" + global_names + " --version\" -- \"$cur\"))\n"
      "      else\n"
      "        COMPREPLY=($(compgen -W \"" + Words(FirstWords()) + "\" -- \"$cur\"))\n"
      "      fi\n"
      "      return ;;\n";
  for (const std::string& g : groups) {
    s += "    \"" + g + "\") COMPREPLY=($(compgen -W \"" + Words(SubcommandsOf(g)) + "\" -- \"$cur\")); return ;;\n";
  }
  for (const CommandSpec& c : Commands()) {
    s += "    \"" + std::string(c.name) + "\")\n";
    const std::string arms = ValueArms(c.options, "        ");
    if (!arms.empty()) s += "      case \"$prev\" in\n" + arms + "      esac\n";
    std::string names;
    for (const OptionSpec* o : c.options) names += (names.empty() ? "" : " ") + std::string(o->name);
    s += "      options=\"" + names + "\"";
    if (c.command == Command::kHelp) {
      s += "; operand=commands";
    } else if (c.operand.find("FILE") != std::string_view::npos) {
      s += "; operand=file";
    }
    s += " ;;\n";
  }
  s +=
      "    *) return ;;\n"
      "  esac\n"
      "  if [[ $cur == -* ]]; then\n"
      "    COMPREPLY=($(compgen -W \"$options " + global_names + "\" -- \"$cur\"))\n"
      "  elif [[ $operand == file ]]; then\n"
      "    _payrecon_files\n"
      "  elif [[ $operand == commands ]]; then\n"
      "    COMPREPLY=($(compgen -W \"" + Words(FirstWords()) + "\" -- \"$cur\"))\n"
      "  fi\n"
      "}\n"
      "complete -F _payrecon payrecon\n";
  return s;
}

std::string ManCommandsSection() {
  // roff: a backslash is written \e, a minus \-, and a line must not start with "." or "'".
  const auto roff = [](std::string_view text) {
    std::string out;
    for (char c : text) {
      if (c == '\\') {
        out += "\\e";
      } else if (c == '-') {
        out += "\\-";
      } else {
        out += c;
      }
    }
    if (!out.empty() && (out[0] == '.' || out[0] == '\'')) out.insert(0, "\\&");
    return out;
  };
  std::string out = "[COMMANDS]\n";
  for (const CommandSpec& c : Commands()) {
    out += ".SS \"" + roff(CommandTag(c)) + "\"\n";
    out += roff(c.description) + "\n";
    if (!c.needs_gateway) out += "It makes no gateway call and does not read merchant secrets.\n";
    for (const OptionSpec* o : c.options) {
      out += ".TP\n.B " + roff(o->name) + (o->value.empty() ? "" : " \\fI" + roff(o->value) + "\\fR") + "\n";
      out += roff(o->help) + "\n";
    }
  }
  return out;
}

int CommandHelp(const CommandContext& ctx) {
  const std::string& topic = ctx.command_line.help_topic;
  ctx.out << (topic.empty() ? UsageText() : CommandUsageText(topic)) << std::flush;
  return ToInt(ExitCode::kOk);
}

int CommandVersion(const CommandContext& ctx) {
  ctx.out << "payrecon " << PAYRECON_VERSION << '\n' << std::flush;
  return ToInt(ExitCode::kOk);
}

int CommandCompletionBash(const CommandContext& ctx) {
  ctx.out << BashCompletion() << std::flush;
  return ToInt(ExitCode::kOk);
}

}  // namespace payrecon::jobs
