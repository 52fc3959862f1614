#pragma once
// SIGTERM and SIGINT ask the job to stop: the handler only sets a flag that the runner polls (it stops claiming,
// finishes or releases what is in flight, writes its reports and exits 6).
#include <atomic>

namespace payrecon::jobs {

// Installs the handlers (idempotent). Returns the flag they set.
const std::atomic<bool>& InstallStopSignals();
// The signal that set the flag (SIGTERM or SIGINT), or 0.
int StopSignal();

}  // namespace payrecon::jobs
