#include "jobs/app.h"

#include <exception>
#include <iostream>
#include <new>

#include "config/load.h"
#include "core/ports.h"
#include "db/migrate.h"
#include "gateway/options.h"
#include "jobs/cli.h"
#include "jobs/commands.h"
#include "jobs/discrepancies.h"
#include "jobs/exit_code.h"
#include "jobs/log.h"
#include "jobs/signals.h"

#ifndef PAYRECON_VERSION
#define PAYRECON_VERSION "0.0.0"
#endif

namespace payrecon::jobs {

namespace {

int Dispatch(const CommandLine& cl, std::ostream& out) {
  if (cl.command == Command::kHelp) {
    out << UsageText();
    return ToInt(ExitCode::kOk);
  }
  if (cl.command == Command::kVersion) {
    out << "payrecon " << PAYRECON_VERSION << '\n';
    return ToInt(ExitCode::kOk);
  }
  const CommandSpec& spec = SpecOf(cl.command);
  // A command that makes no gateway call runs where the merchants' secrets are not mounted.
  const config::Settings settings = config::Load(cl.config_path, config::ProcessEnvironment(),
                                                 spec.needs_gateway ? config::Secrets::kRead : config::Secrets::kSkip);
  const std::atomic<bool>& interrupt = InstallStopSignals();
  const CommandContext ctx{cl, settings, interrupt, out};
  return spec.handler(ctx);
}

}  // namespace

int Main(const std::vector<std::string>& args, std::ostream& out) {
  try {
    const CommandLine cl = ParseCommandLine(args);
    if (cl.log_format) SetLogFormat(*cl.log_format);
    if (cl.log_level) SetLogLevel(*cl.log_level);
    return Dispatch(cl, out);
  } catch (const JobError& e) {
    LogError(e.what());
    if (e.code() == ExitCode::kUsage && e.what() == std::string_view(e.what()) &&
        std::string_view(e.what()).find("option") != std::string_view::npos) {
      LogInfo("run 'payrecon help' for usage");
    }
    return ToInt(e.code());
  } catch (const config::ConfigError& e) {
    for (const auto& p : e.problems()) LogError("configuration: " + p);
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
