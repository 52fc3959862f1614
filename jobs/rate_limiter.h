#pragma once
// The process-wide limit on status calls per second, shared by every worker thread. A 429 or 503 answer slows
// the whole process down: nobody starts a call before the server's Retry-After has passed, and the rate is
// halved, then recovers by a tenth of the maximum per calm second. However calls bunch up (a burst after idling,
// threads arriving together), no more than the rate's worth of calls start within any 1 s: the gateway counts its
// limit over any second, and a call may reach it a little later than it started, so the window is kept 10 ms
// longer than a second.
#include <atomic>
#include <chrono>
#include <deque>
#include <mutex>

namespace payrecon::jobs {

// The scheduling arithmetic, with time passed in (unit-tested without sleeping). Not thread-safe.
class RateSchedule {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;
  using Duration = std::chrono::steady_clock::duration;

  // max_rps <= 0: no limit (only Retry-After pauses apply). burst: calls that may start at once after idling.
  explicit RateSchedule(double max_rps, int burst = 1);

  // Reserves the next call slot for a caller arriving at `now`; returns when that call may start (>= now).
  TimePoint Reserve(TimePoint now);
  // A caller whose reserved start has come asks to go at `now` (it may wake late, after later reservations):
  // returns `now` and records the start when fewer than the rate's worth of calls actually started within the
  // window before it; otherwise the time to ask again, recording nothing.
  TimePoint Admit(TimePoint now);
  // A rate-limited answer at `now`: no call starts before now + pause; the rate halves at most once per pause.
  void SlowDown(TimePoint now, Duration pause);

  double current_rps() const { return rate_; }  // 0 when unlimited
  TimePoint paused_until() const { return paused_until_; }

 private:
  void Recover(TimePoint now);

  double max_rps_;
  double rate_;
  int burst_;
  TimePoint next_free_{};
  TimePoint paused_until_{};
  TimePoint last_change_{};
  bool slowed_ = false;
  std::deque<TimePoint> recent_;  // the latest reserved starts, at most the rate's worth, oldest first
  std::deque<TimePoint> started_;  // the latest admitted starts, likewise
};

// The thread-safe, blocking form used by the workers.
class RateLimiter {
 public:
  explicit RateLimiter(double max_rps, int burst = 1) : schedule_(max_rps, burst) {}

  // Blocks until this caller may start a call (true) or `stop` becomes true first (false). Polls `stop` at
  // least every 50 ms while waiting.
  bool Acquire(const std::atomic<bool>& stop);
  // See RateSchedule::SlowDown; `pause` is the server's Retry-After, or one second when it sent none.
  void SlowDown(std::chrono::milliseconds pause);
  double current_rps() const;

 private:
  mutable std::mutex mu_;
  RateSchedule schedule_;
};

}  // namespace payrecon::jobs
