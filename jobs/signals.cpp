#include "jobs/signals.h"

#include <signal.h>

namespace payrecon::jobs {

namespace {
std::atomic<bool> g_stop{false};
std::atomic<int> g_signal{0};
static_assert(std::atomic<bool>::is_always_lock_free && std::atomic<int>::is_always_lock_free,
              "flags set from a signal handler must be lock-free");

extern "C" void OnStopSignal(int sig) {
  g_signal.store(sig);
  g_stop.store(true);
}
}  // namespace

const std::atomic<bool>& InstallStopSignals() {
  struct sigaction sa {};
  sa.sa_handler = OnStopSignal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGINT, &sa, nullptr);
  // A closed stdout (a pipe whose reader went away) must not kill the job before it records its run.
  signal(SIGPIPE, SIG_IGN);
  return g_stop;
}

int StopSignal() { return g_signal.load(); }

}  // namespace payrecon::jobs
