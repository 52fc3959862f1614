#pragma once
// The process-wide limit on status calls per second, shared by every worker thread, and how it yields when the
// gateway throttles (429 or 503). Throttling is judged per window of kThrottleWindow:
// - Rate (AIMD): at the end of each window the rate grows by a tenth of its ceiling (additive recovery) and, when
//   the window had throttled answers, is then multiplied by 1 - their share of the window's answers, at most
//   halved: one decrease per window however many answers were throttled in it, never below the floor
//   (a tenth of the ceiling, at least 1 call per second, which is where it settles when every answer is refused). The ceiling is max_rps, or without a configured limit the rate
//   calls were starting at just before the first throttled answer; after a calm window at the ceiling the
//   limiter lets go again.
// - Pauses: a throttled answer holds every worker back only briefly (kThrottlePause, or its Retry-After when
//   shorter; at most once per window). The whole Retry-After holds every worker back only when the gateway
//   refuses most calls: at least kFullPauseMinAnswers answers in the window, half or more of them throttled.
//   That pause is capped by `retry_after_max` and by the run's deadline. Either way the throttled transaction
//   itself waits its Retry-After (its next check is scheduled then).
// - Spacing: calls start evenly at the current rate (GCRA; `burst` calls may start at once after idling, and the
//   runner uses 1, see engine/runner.cpp), and however calls bunch
//   up (threads arriving together, waking late on a busy machine) no more than the rate's worth start within
//   any kRateWindow: the gateway counts its limit over any second, and a call may reach it a little later than
//   it started, so that window is 10 ms longer than a second (and the run's first one holds kFirstWindowMargin's
//   worth of calls fewer).
#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>

namespace payrecon::engine {

inline constexpr std::chrono::milliseconds kThrottleWindow{1000};
inline constexpr std::chrono::milliseconds kThrottlePause{100};
inline constexpr int kFullPauseMinAnswers = 8;
inline constexpr std::chrono::milliseconds kRateWindow{1010};
// The run's first window (kRateWindow from its first call) holds this much time's worth of calls fewer (6 at
// 300/s): its calls go out on new connections to a server that has only just started serving them, so they reach
// it later than the calls after them, and a gateway counting arrivals would see the first second bunched up.
inline constexpr std::chrono::milliseconds kFirstWindowMargin{20};

struct ThrottleOptions {
  std::chrono::milliseconds retry_after_max{60'000};  // the longest pause a Retry-After imposes on every worker
  std::optional<std::chrono::steady_clock::time_point> deadline;  // no pause reaches past it
};

// The scheduling arithmetic, with time passed in (unit-tested without sleeping). Not thread-safe.
class RateSchedule {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;
  using Duration = std::chrono::steady_clock::duration;

  // max_rps <= 0: no limit until the gateway throttles. burst: calls that may start at once after idling.
  explicit RateSchedule(double max_rps, int burst = 1, ThrottleOptions throttle = {});

  // Reserves the next call slot for a caller arriving at `now`; returns when that call may start (>= now).
  TimePoint Reserve(TimePoint now);
  // A caller whose reserved start has come asks to go at `now` (it may wake late, after later reservations):
  // returns `now` and records the start when fewer than the rate's worth of calls actually started within
  // kRateWindow before it; otherwise the time to ask again, recording nothing.
  TimePoint Admit(TimePoint now);
  // A call's answer arrived at `now`; `throttled` for 429/503, with the server's Retry-After when it sent one.
  void Answered(TimePoint now, bool throttled, std::optional<Duration> retry_after = std::nullopt);

  double current_rps() const { return slowed_ ? rate_ : max_rps_; }  // 0 when unlimited
  double ceiling_rps() const { return ceiling_; }
  TimePoint paused_until() const { return paused_until_; }
  // How long every worker was held back by throttling pauses (overlapping pauses counted once).
  Duration paused_total() const { return paused_total_; }
  std::int64_t throttled() const { return throttled_total_; }

 private:
  void Roll(TimePoint now);
  void CloseWindow();
  void PauseUntil(TimePoint now, TimePoint until);

  double max_rps_;
  int burst_;
  ThrottleOptions throttle_;
  bool slowed_ = false;  // the gateway throttled: rate_ applies, between floor and ceiling_
  double rate_ = 0;
  double ceiling_ = 0;
  TimePoint next_free_{};
  TimePoint paused_until_{};
  Duration paused_total_{};
  // The current window.
  bool window_started_ = false;
  TimePoint window_start_{};
  std::int64_t starts_ = 0;
  std::int64_t answers_ = 0;
  std::int64_t throttled_ = 0;
  bool brief_pause_used_ = false;
  std::int64_t last_window_starts_ = -1;  // calls started in the previous window; -1 before one closed
  std::int64_t throttled_total_ = 0;
  std::deque<TimePoint> recent_;   // the latest reserved starts, at most the rate's worth, oldest first
  std::deque<TimePoint> started_;  // the latest admitted starts, likewise
  std::optional<TimePoint> first_start_;  // the first admitted start
};

// The thread-safe, blocking form used by the workers.
class RateLimiter {
 public:
  explicit RateLimiter(double max_rps, int burst = 1, ThrottleOptions throttle = {})
      : schedule_(max_rps, burst, throttle) {}

  // Blocks until this caller may start a call (true) or `stop` becomes true first (false). Looks at `stop` at
  // least every 50 ms while waiting.
  bool Acquire(const std::atomic<bool>& stop);
  // The non-blocking form, for a thread that waits on other things meanwhile (the runner's event loops): Reserve
  // a slot, then Admit at or after the time it returned, until Admit returns a time not after `now`.
  std::chrono::steady_clock::time_point Reserve(std::chrono::steady_clock::time_point now);
  std::chrono::steady_clock::time_point Admit(std::chrono::steady_clock::time_point now);
  // See RateSchedule::Answered.
  void Answered(bool throttled, std::optional<std::chrono::milliseconds> retry_after = std::nullopt);
  double current_rps() const;
  std::chrono::milliseconds paused_total() const;
  std::int64_t throttled() const;

 private:
  mutable std::mutex mu_;
  RateSchedule schedule_;
};

}  // namespace payrecon::engine
