#include "jobs/signals.h"

#include <signal.h>

#include <algorithm>
#include <thread>

namespace payrecon::jobs {

namespace {
std::atomic<bool> g_stop{false};
std::atomic<int> g_signal{0};
static_assert(std::atomic<bool>::is_always_lock_free && std::atomic<int>::is_always_lock_free,
              "flags set from a signal handler must be lock-free");

constexpr std::chrono::milliseconds kStopPoll{10};

extern "C" void OnStopSignal(int sig) {
  int none = 0;
  g_signal.compare_exchange_strong(none, sig);  // the first signal names the stop
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
  // A closed terminal or a supervisor's reload signal: stop cleanly like SIGTERM rather than die with 129 and
  // leave leases held, the run's row open and a half-written report folder.
  sigaction(SIGHUP, &sa, nullptr);
  // A closed stdout (a pipe whose reader went away) must not kill the job before it records its run.
  signal(SIGPIPE, SIG_IGN);
  return g_stop;
}

int StopSignal() { return g_signal.load(); }

bool WaitForStop(const std::atomic<bool>* flag, std::chrono::steady_clock::duration timeout) {
  using Clock = std::chrono::steady_clock;
  const auto until = Clock::now() + timeout;
  for (;;) {
    if (flag && flag->load()) return true;
    const auto now = Clock::now();
    if (now >= until) return false;
    std::this_thread::sleep_for(std::min<Clock::duration>(until - now, kStopPoll));
  }
}

}  // namespace payrecon::jobs
