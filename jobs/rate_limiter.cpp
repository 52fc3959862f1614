#include "jobs/rate_limiter.h"

#include <algorithm>
#include <thread>

namespace payrecon::jobs {

namespace {
using std::chrono::duration_cast;
constexpr std::chrono::seconds kRecoveryStep{1};
// The window within which at most the rate's worth of calls start: a second, plus room for the calls' travel.
constexpr std::chrono::milliseconds kWindow{1010};
}  // namespace

RateSchedule::RateSchedule(double max_rps, int burst)
    : max_rps_(max_rps > 0 ? max_rps : 0), rate_(max_rps_), burst_(std::max(1, burst)) {}

void RateSchedule::Recover(TimePoint now) {
  if (!slowed_ || now < paused_until_) return;
  while (slowed_ && now - last_change_ >= kRecoveryStep) {
    rate_ = std::min(max_rps_, rate_ + max_rps_ / 10);
    last_change_ += kRecoveryStep;
    if (rate_ >= max_rps_) slowed_ = false;
  }
}

RateSchedule::TimePoint RateSchedule::Reserve(TimePoint now) {
  Recover(now);
  TimePoint start = std::max(now, paused_until_);
  if (rate_ <= 0) return start;  // unlimited
  const auto interval = duration_cast<Duration>(std::chrono::duration<double>(1.0 / rate_));
  // GCRA: next_free_ is the theoretical start of the next call; idling earns at most `burst_` calls at once.
  start = std::max(start, next_free_ - interval * (burst_ - 1));
  // The sliding window: the call `per_window` starts back must be a whole window earlier.
  const auto per_window = static_cast<std::size_t>(std::max(1.0, rate_));
  while (recent_.size() > per_window) recent_.pop_front();
  if (recent_.size() == per_window) start = std::max(start, recent_.front() + kWindow);
  recent_.push_back(start);
  if (recent_.size() > per_window) recent_.pop_front();
  next_free_ = std::max(next_free_, start) + interval;
  return start;
}

RateSchedule::TimePoint RateSchedule::Admit(TimePoint now) {
  if (rate_ <= 0) return now;
  // Threads wake late on a busy machine: reservations kept the spacing, this keeps the window on the actual starts.
  const auto per_window = static_cast<std::size_t>(std::max(1.0, rate_));
  while (started_.size() > per_window) started_.pop_front();
  if (started_.size() == per_window && now < started_.front() + kWindow) return started_.front() + kWindow;
  started_.push_back(now);
  if (started_.size() > per_window) started_.pop_front();
  return now;
}

void RateSchedule::SlowDown(TimePoint now, Duration pause) {
  const bool already_paused = now < paused_until_;
  paused_until_ = std::max(paused_until_, now + pause);
  if (max_rps_ <= 0 || already_paused) return;
  rate_ = std::max(max_rps_ / 64, rate_ / 2);
  slowed_ = true;
  last_change_ = paused_until_;
}

bool RateLimiter::Acquire(const std::atomic<bool>& stop) {
  using Clock = std::chrono::steady_clock;
  Clock::time_point start;
  {
    std::lock_guard lock(mu_);
    start = schedule_.Reserve(Clock::now());
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

void RateLimiter::SlowDown(std::chrono::milliseconds pause) {
  std::lock_guard lock(mu_);
  schedule_.SlowDown(std::chrono::steady_clock::now(), pause);
}

double RateLimiter::current_rps() const {
  std::lock_guard lock(mu_);
  return schedule_.current_rps();
}

}  // namespace payrecon::jobs
