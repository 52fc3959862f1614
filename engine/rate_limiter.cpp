#include "engine/rate_limiter.h"

#include <algorithm>
#include <thread>

namespace payrecon::engine {

namespace {
using std::chrono::duration_cast;
constexpr double kMinFloorRps = 1.0;
constexpr double kFloorShare = 1.0 / 10;
constexpr double kRecoveryShare = 1.0 / 10;
constexpr double kMaxDecrease = 0.5;  // a window's decrease at most halves the rate
// After this many idle windows the history is forgotten at once instead of window by window.
constexpr int kMaxWindowsRolled = 64;
}  // namespace

RateSchedule::RateSchedule(double max_rps, int burst, ThrottleOptions throttle)
    : max_rps_(max_rps > 0 ? max_rps : 0), burst_(std::max(1, burst)), throttle_(throttle) {}

void RateSchedule::CloseWindow() {
  if (slowed_) {
    const double floor = std::max(kMinFloorRps, ceiling_ * kFloorShare);
    if (throttled_ > 0) {
      const double share = static_cast<double>(throttled_) / static_cast<double>(std::max(answers_, throttled_));
      rate_ = std::min(ceiling_, rate_ + ceiling_ * kRecoveryShare) * std::max(kMaxDecrease, 1.0 - share);
      rate_ = std::max(rate_, floor);
    } else if (rate_ >= ceiling_) {
      slowed_ = false;  // a calm window at the ceiling: let go
    } else {
      rate_ = std::min(ceiling_, rate_ + ceiling_ * kRecoveryShare);
    }
  }
  last_window_starts_ = starts_;
  starts_ = answers_ = throttled_ = 0;
  brief_pause_used_ = false;
}

void RateSchedule::Roll(TimePoint now) {
  if (!window_started_) {
    window_started_ = true;
    window_start_ = now;
    return;
  }
  int rolled = 0;
  while (now - window_start_ >= kThrottleWindow) {
    CloseWindow();
    window_start_ += kThrottleWindow;
    if (++rolled == kMaxWindowsRolled) {
      // Idle for a long time: whatever the rate was, it has long recovered.
      if (slowed_ && max_rps_ <= 0) slowed_ = false;
      if (slowed_) rate_ = ceiling_;
      window_start_ = now;
      last_window_starts_ = 0;
      break;
    }
  }
}

namespace {
using TimePoint = RateSchedule::TimePoint;

// How many starts one kRateWindow may hold at `rate` calls per second (at least one).
std::size_t PerWindow(double rate) { return static_cast<std::size_t>(std::max(1.0, rate)); }

// `starts` holds the latest starts, oldest first: the earliest moment one more may start without the window
// holding more than per_window (the epoch when it is not full yet).
TimePoint WindowOpensAt(std::deque<TimePoint>& starts, std::size_t per_window) {
  while (starts.size() > per_window) starts.pop_front();  // the rate fell since
  return starts.size() == per_window ? starts.front() + kRateWindow : TimePoint{};
}

void RecordStart(std::deque<TimePoint>& starts, TimePoint at, std::size_t per_window) {
  starts.push_back(at);
  if (starts.size() > per_window) starts.pop_front();
}
}  // namespace

RateSchedule::TimePoint RateSchedule::Reserve(TimePoint now) {
  Roll(now);
  ++starts_;
  TimePoint start = std::max(now, paused_until_);
  const double rate = current_rps();
  if (rate <= 0) return start;  // unlimited
  const auto interval = duration_cast<Duration>(std::chrono::duration<double>(1.0 / rate));
  // GCRA: next_free_ is the theoretical start of the next call; idling earns at most `burst_` calls at once.
  start = std::max(start, next_free_ - interval * (burst_ - 1));
  // The sliding window: the call the rate's worth of reservations back must be a whole window earlier.
  const auto per_window = PerWindow(rate);
  start = std::max(start, WindowOpensAt(recent_, per_window));
  RecordStart(recent_, start, per_window);
  next_free_ = std::max(next_free_, start) + interval;
  return start;
}

RateSchedule::TimePoint RateSchedule::Admit(TimePoint now) {
  const double rate = current_rps();
  if (rate <= 0) return now;
  // Threads wake late on a busy machine: reservations kept the spacing, this keeps the window on the actual starts.
  auto per_window = PerWindow(rate);
  if (!first_start_ || now < *first_start_ + kRateWindow) {
    const auto margin =
        static_cast<std::size_t>(rate * std::chrono::duration<double>(kFirstWindowMargin).count());
    per_window -= std::min(margin, per_window - 1);
  }
  const TimePoint opens = WindowOpensAt(started_, per_window);
  if (now < opens) return opens;
  RecordStart(started_, now, per_window);
  if (!first_start_) first_start_ = now;
  return now;
}

void RateSchedule::PauseUntil(TimePoint now, TimePoint until) {
  if (throttle_.deadline) until = std::min(until, std::max(now, *throttle_.deadline));
  if (until <= paused_until_) return;
  paused_total_ += until - std::max(now, paused_until_);
  paused_until_ = until;
}

void RateSchedule::Answered(TimePoint now, bool throttled, std::optional<Duration> retry_after) {
  Roll(now);
  ++answers_;
  if (!throttled) return;
  ++throttled_;
  ++throttled_total_;
  if (!slowed_) {
    if (max_rps_ > 0) {
      ceiling_ = max_rps_;
    } else {
      // No configured limit: the ceiling is the rate calls were starting at, from the last whole window or from
      // this window so far, whichever is higher. Early in a window the sample is small and a generous estimate is
      // the safe side: an underestimate would cap the run far below what the gateway takes, while an overestimate
      // only costs a window or two of decreases.
      const double window_s = std::chrono::duration<double>(kThrottleWindow).count();
      double measured = last_window_starts_ >= 0 ? static_cast<double>(last_window_starts_) / window_s : 0;
      const double so_far_s =
          std::max(0.01, std::chrono::duration<double>(now - window_start_).count());
      measured = std::max(measured, static_cast<double>(starts_) / so_far_s);
      ceiling_ = std::max(kMinFloorRps, measured);
    }
    rate_ = ceiling_;
    slowed_ = true;
    next_free_ = std::max(next_free_, now);
  }
  const Duration said = retry_after.value_or(kThrottleWindow);
  if (answers_ >= kFullPauseMinAnswers && 2 * throttled_ >= answers_) {
    // Most calls are refused: the gateway means it. Everyone waits its Retry-After, within limits.
    PauseUntil(now, now + std::min<Duration>(said, throttle_.retry_after_max));
  } else if (!brief_pause_used_) {
    brief_pause_used_ = true;
    PauseUntil(now, now + std::min<Duration>(said, kThrottlePause));
  }
}

bool RateLimiter::Acquire(const std::atomic<bool>& stop) {
  using Clock = std::chrono::steady_clock;
  Clock::time_point start;
  {
    std::lock_guard lock(mu_);
    const auto now = Clock::now();
    start = schedule_.Reserve(now);
    // Free to go at once (no limit, or a slot now): admitted under the same lock, one acquisition per call.
    if (start <= now && schedule_.Admit(now) <= now) return true;
  }
  for (;;) {
    if (stop.load(std::memory_order_relaxed)) return false;
    const auto now = Clock::now();
    if (now >= start) {
      std::lock_guard lock(mu_);
      start = schedule_.Admit(now);
      if (start <= now) return true;
      continue;
    }
    std::this_thread::sleep_for(std::min<Clock::duration>(start - now, std::chrono::milliseconds(50)));
  }
}

std::chrono::steady_clock::time_point RateLimiter::Reserve(std::chrono::steady_clock::time_point now) {
  std::lock_guard lock(mu_);
  return schedule_.Reserve(now);
}

std::chrono::steady_clock::time_point RateLimiter::Admit(std::chrono::steady_clock::time_point now) {
  std::lock_guard lock(mu_);
  return schedule_.Admit(now);
}

void RateLimiter::Answered(bool throttled, std::optional<std::chrono::milliseconds> retry_after) {
  std::lock_guard lock(mu_);
  std::optional<RateSchedule::Duration> ra;
  if (retry_after) ra = *retry_after;
  schedule_.Answered(std::chrono::steady_clock::now(), throttled, ra);
}

double RateLimiter::current_rps() const {
  std::lock_guard lock(mu_);
  return schedule_.current_rps();
}

std::chrono::milliseconds RateLimiter::paused_total() const {
  std::lock_guard lock(mu_);
  return duration_cast<std::chrono::milliseconds>(schedule_.paused_total());
}

std::int64_t RateLimiter::throttled() const {
  std::lock_guard lock(mu_);
  return schedule_.throttled();
}

}  // namespace payrecon::engine
