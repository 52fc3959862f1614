#include "jobs/app.h"

#include <exception>
#include <iostream>
#include <new>
#include <optional>
#include <string>

#include "config/load.h"
#include "core/ports.h"
#include "db/migrate.h"
#include "gateway/options.h"
#include "jobs/cli.h"
#include "jobs/commands.h"
#include "jobs/exit_code.h"
#include "jobs/log.h"
#include "jobs/signals.h"

namespace payrecon::jobs {

namespace {

// Loads what the command needs and runs its handler from the command table.
int Dispatch(CommandLine& cl, const std::atomic<bool>& interrupt, std::ostream& out) {
  const CommandSpec& spec = SpecOf(cl.command);
  config::Settings settings;
  if (!spec.needs_config) {
    static const std::atomic<bool> never{false};
    return spec.handler(CommandContext{cl, settings, never, out});
  }
  const config::Environment env = config::ProcessEnvironment();
  ChooseConfig(cl, env);
  // A command that makes no gateway call does not read merchant secrets, so it runs where they are not mounted
  // (a migrate Job, an operator's shell) and a missing secret cannot stop it.
  config::LoadOptions options;
  options.read_secrets = spec.needs_gateway && !cl.offline;
  options.origin = cl.config_origin;
  settings = config::Load(cl.config_path, env, options);
  if (interrupt.load()) {
    // Stopped while starting up: nothing has changed yet, and the exit code says so like any other stop.
    throw JobError(ExitCode::kInterrupted,
                   "interrupted by signal " + std::to_string(StopSignal()) + " before the command started");
  }
  return spec.handler(CommandContext{cl, settings, interrupt, out});
}

}  // namespace

int Main(const std::vector<std::string>& args, std::ostream& out) {
  // First of all: a SIGTERM from a supervisor that arrives while the configuration loads must still end the
  // process with the documented exit 6, not with the default action's 143.
  const std::atomic<bool>& interrupt = InstallStopSignals();
  // `payrecon` alone is a usage error: the usage goes to stderr and the exit code is 2, so a scheduler entry
  // that lost its command fails visibly instead of looking like a successful `help`.
  if (args.empty()) {
    std::cerr << UsageText() << std::flush;
    return ToInt(ExitCode::kUsage);
  }
  // A usage error is logged before parsing finishes: honour a valid --log-format for it already.
  for (std::size_t i = 0; i < args.size(); ++i) {
    std::optional<LogFormat> format;
    if (args[i] == "--log-format" && i + 1 < args.size()) format = LogFormatFromName(args[i + 1]);
    if (args[i].rfind("--log-format=", 0) == 0) format = LogFormatFromName(args[i].substr(13));
    if (format) SetLogFormat(*format);
  }
  CommandLine cl;
  try {
    cl = ParseCommandLine(args);
    if (cl.log_format) SetLogFormat(*cl.log_format);
    if (cl.log_level) SetLogLevel(*cl.log_level);
    return Dispatch(cl, interrupt, out);
  } catch (const CommandLineError& e) {
    LogError(std::string(e.what()) + "; " + e.Hint());
    return ToInt(e.code());
  } catch (const JobError& e) {
    LogError(e.what());
    return ToInt(e.code());
  } catch (const config::ConfigError& e) {
    bool names_file = false;
    for (const auto& p : e.problems()) {
      LogError("configuration: " + p);
      names_file = names_file || p.rfind("config file ", 0) == 0;
    }
    // Key problems name the key, not the file: say which file when it was not given on the command line.
    if (!names_file && !cl.config_origin.empty()) {
      LogError("configuration: in config file \"" + cl.config_path + "\" (" + cl.config_origin + ")");
    }
    return ToInt(ExitCode::kUsage);
  } catch (const gateway::InvalidOptions& e) {
    LogError(std::string("configuration: ") + e.what());
    return ToInt(ExitCode::kUsage);
  } catch (const db::SchemaBehind& e) {
    LogError(e.what());
    return ToInt(ExitCode::kDatabase);
  } catch (const core::StoreUnavailable& e) {
    LogError(std::string("database: ") + e.what());
    return ToInt(ExitCode::kDatabase);
  } catch (const std::bad_alloc&) {
    LogError("internal error: out of memory");
    return ToInt(ExitCode::kInternal);
  } catch (const std::exception& e) {
    LogError(std::string("internal error: ") + e.what());
    return ToInt(ExitCode::kInternal);
  }
}

}  // namespace payrecon::jobs
