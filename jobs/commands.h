#pragma once
// The commands of `payrecon`, registered in jobs/command_table.cpp. Each returns the process exit code or throws: JobError (its code),
// config::ConfigError (2), core::StoreUnavailable (3), anything else (70); app.cpp maps them once.
#include <atomic>
#include <iosfwd>

#include "config/settings.h"
#include "jobs/cli.h"

namespace payrecon::jobs {

struct CommandContext {
  const CommandLine& command_line;
  const config::Settings& settings;
  const std::atomic<bool>& interrupt;  // set by SIGTERM / SIGINT
  std::ostream& out;                   // stdout: the command's result; logs go to stderr
};

int CommandMigrate(const CommandContext& ctx);
int CommandImport(const CommandContext& ctx);
// `run` and `backfill`.
int CommandReconcile(const CommandContext& ctx);
int CommandReport(const CommandContext& ctx);
int CommandConfigCheck(const CommandContext& ctx);
// `help [COMMAND]`, `version` and `completion bash` (jobs/cli.cpp): they print what the command table says.
int CommandHelp(const CommandContext& ctx);
int CommandVersion(const CommandContext& ctx);
int CommandCompletionBash(const CommandContext& ctx);

}  // namespace payrecon::jobs
