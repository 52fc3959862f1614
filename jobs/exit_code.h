#pragma once
// The process exit codes (a contract: README's table) and the exception that ends a run with one of them.
// Errors that end a run are thrown as JobError and caught once in main; per-transaction problems are values.
#include <stdexcept>
#include <string>
#include <string_view>

namespace payrecon::jobs {

enum class ExitCode : int {
  kOk = 0,              // done; discrepancies are reported, not failures
  kNewDiscrepancies = 1,  // --strict and the run raised new discrepancies
  kUsage = 2,           // usage, configuration or input
  kDatabase = 3,        // database unreachable, lost past the deadline, or schema behind
  kGateway = 4,         // gateway unusable: authentication refused several times in a row
  kReports = 5,         // reports not writable
  kInterrupted = 6,     // SIGTERM / SIGINT
  kInternal = 70,       // a bug
};

inline int ToInt(ExitCode code) { return static_cast<int>(code); }

class JobError : public std::runtime_error {
 public:
  JobError(ExitCode code, const std::string& message) : std::runtime_error(message), code_(code) {}
  ExitCode code() const { return code_; }

 private:
  ExitCode code_;
};

}  // namespace payrecon::jobs
