#pragma once
// SIGTERM, SIGINT and SIGHUP ask the job to stop: the handler only sets a flag that the runner and every wait
// on the database poll (the run stops claiming, finishes or releases what is in flight, records its run, writes
// its reports and exits 6). Installed first thing in main, so a signal before the configuration is loaded
// still ends the process with exit 6 rather than the default 128 + signal.
#include <atomic>
#include <chrono>

namespace payrecon::jobs {

// Installs the handlers (idempotent). Returns the flag they set.
const std::atomic<bool>& InstallStopSignals();
// The signal that set the flag (SIGTERM, SIGINT or SIGHUP), or 0.
int StopSignal();

// Waits until `flag` is set or `timeout` has passed, whichever comes first; true when the flag is set. A null
// flag waits the whole timeout. Looks at the flag at least every 10 ms: a signal handler cannot notify a
// condition variable, and a wait that only sleeps would let a stop request go unseen for the whole timeout.
bool WaitForStop(const std::atomic<bool>* flag, std::chrono::steady_clock::duration timeout);

}  // namespace payrecon::jobs
