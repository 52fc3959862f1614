#pragma once
// The exit codes of both programs, payrecon and payrecon-sandbox, in one table: the contract behind the README's
// exit-code tables (a unit test compares them). Each program returns only the codes its column allows.
#include <array>
#include <string_view>

namespace payrecon::core {

enum class ExitCode : int {
  kOk = 0,                // done (payrecon: discrepancies are reported, not failures; sandbox: clean stop)
  kNewDiscrepancies = 1,  // payrecon --strict and the run raised new discrepancies
  kCannotServe = 1,       // sandbox: cannot bind or load its TLS files
  kUsage = 2,             // usage, configuration or input
  kDatabase = 3,          // database unreachable, lost past the deadline, or schema behind
  kGateway = 4,           // gateway unusable: authentication refused several times in a row, or throttled
  kReports = 5,           // reports not writable
  kInterrupted = 6,       // SIGTERM / SIGINT / SIGHUP
  kInternal = 70,         // a bug
};

constexpr int ToInt(ExitCode code) { return static_cast<int>(code); }

struct ExitCodeEntry {
  ExitCode code;
  std::string_view name;     // a stable word for logs and docs
  std::string_view meaning;  // one line
  bool payrecon;             // payrecon may exit with it
  bool sandbox;              // payrecon-sandbox may exit with it
};

inline constexpr std::array kExitCodes{
    ExitCodeEntry{ExitCode::kOk, "ok", "done; discrepancies are reported, not failures (sandbox: clean stop)", true,
                  true},
    ExitCodeEntry{ExitCode::kNewDiscrepancies, "new_discrepancies", "--strict and the run raised new discrepancies",
                  true, false},
    ExitCodeEntry{ExitCode::kCannotServe, "cannot_serve", "the sandbox cannot serve (bind, TLS files)", false, true},
    ExitCodeEntry{ExitCode::kUsage, "usage", "usage, configuration or input", true, true},
    ExitCodeEntry{ExitCode::kDatabase, "database", "database unreachable, lost past the deadline, or schema behind",
                  true, false},
    ExitCodeEntry{ExitCode::kGateway, "gateway", "gateway unusable: credentials refused, or throttled to the deadline",
                  true, false},
    ExitCodeEntry{ExitCode::kReports, "reports", "reports not writable", true, false},
    ExitCodeEntry{ExitCode::kInterrupted, "interrupted", "interrupted by SIGTERM / SIGINT / SIGHUP", true, false},
    ExitCodeEntry{ExitCode::kInternal, "internal", "internal error (a bug)", true, false},
};

}  // namespace payrecon::core
