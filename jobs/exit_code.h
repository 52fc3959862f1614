#pragma once
// payrecon's exit codes (core/exit_code.h holds the one table both programs use) and the exception that ends a run
// with one of them. Errors that end a run are thrown as JobError and mapped once, by ExitReasonOf; per-transaction
// problems are values.
#include <exception>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/exit_code.h"

namespace payrecon::jobs {

using core::ExitCode;
using core::ToInt;

class JobError : public std::runtime_error {
 public:
  JobError(ExitCode code, const std::string& message) : std::runtime_error(message), code_(code) {}
  ExitCode code() const { return code_; }

 private:
  ExitCode code_;
};

// What an exception that ends a command means for the process: its exit code and the error lines to log.
struct ExitReason {
  ExitCode code = ExitCode::kInternal;
  std::vector<std::string> lines;  // e.g. "database: connection refused", "configuration: worker.lease: ..."
  bool configuration = false;      // a config::ConfigError: the lines name keys, not always the file
  bool names_file = false;         // one of the lines names the configuration file
};

// The one mapping from an exception to an exit code: JobError (and CommandLineError) carry their code,
// configuration and gateway-option errors are 2, database errors (lost, schema behind) 3, anything else 70.
ExitReason ExitReasonOf(std::exception_ptr error);

}  // namespace payrecon::jobs
