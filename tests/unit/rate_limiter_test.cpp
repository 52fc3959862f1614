#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <atomic>
#include <thread>
#include <vector>

#include "jobs/rate_limiter.h"

using payrecon::jobs::RateSchedule;
using std::chrono::milliseconds;

namespace {
const RateSchedule::TimePoint kT0 = RateSchedule::TimePoint{} + std::chrono::hours(1);
long long Ms(RateSchedule::TimePoint t) { return std::chrono::duration_cast<milliseconds>(t - kT0).count(); }
}  // namespace

BOOST_AUTO_TEST_SUITE(rate_limiter)

BOOST_AUTO_TEST_CASE(spaces_calls_at_the_rate) {
  RateSchedule s(100);  // one call per 10 ms
  BOOST_TEST(Ms(s.Reserve(kT0)) == 0);
  BOOST_TEST(Ms(s.Reserve(kT0)) == 10);
  BOOST_TEST(Ms(s.Reserve(kT0)) == 20);
  BOOST_TEST(Ms(s.Reserve(kT0 + milliseconds(100))) == 100);  // idle time is not banked beyond the burst
  BOOST_TEST(Ms(s.Reserve(kT0 + milliseconds(100))) == 110);
}

BOOST_AUTO_TEST_CASE(burst_lets_that_many_start_at_once_after_idling) {
  RateSchedule s(100, 3);
  BOOST_TEST(Ms(s.Reserve(kT0)) == 0);
  BOOST_TEST(Ms(s.Reserve(kT0)) == 0);
  BOOST_TEST(Ms(s.Reserve(kT0)) == 0);
  BOOST_TEST(Ms(s.Reserve(kT0)) == 10);
}

BOOST_AUTO_TEST_CASE(no_window_of_a_second_holds_more_than_the_rate_whatever_the_bursts) {
  // 300/s with a burst of 30, callers arriving in clumps with idle gaps: GCRA alone would let 330 start within
  // a second after each gap.
  RateSchedule s(300, 30);
  std::vector<RateSchedule::TimePoint> starts;
  RateSchedule::TimePoint now = kT0;
  for (int round = 0; round < 20; ++round) {
    for (int i = 0; i < 400; ++i) {
      starts.push_back(s.Reserve(now));
      now = std::max(now, starts.back());
    }
    now += milliseconds(round % 3 == 0 ? 500 : 120);  // idle: the bucket refills
  }
  std::size_t busiest = 0;
  for (std::size_t i = 0, j = 0; i < starts.size(); ++i) {
    while (starts[i] - starts[j] >= std::chrono::seconds(1)) ++j;
    busiest = std::max(busiest, i - j + 1);
  }
  BOOST_TEST(busiest <= 300u);
  // And the rate is still reached: 8,000 calls take about 8000 / 300 s plus the idle gaps, not much more.
  const auto total_ms = Ms(starts.back());
  BOOST_TEST(total_ms <= 8000 * 1010 / 300 + 20 * 500);
}

BOOST_AUTO_TEST_CASE(late_wakers_cannot_push_a_window_over_the_rate) {
  // 300 callers reserved for the first second all wake late, at 0.9 s, together with the next second's callers
  // waking on time: only what the window allows goes; the rest are told when to ask again.
  RateSchedule s(300, 30);
  std::vector<RateSchedule::TimePoint> reserved;
  for (int i = 0; i < 600; ++i) reserved.push_back(s.Reserve(kT0));
  int admitted_early = 0;
  for (int i = 0; i < 300; ++i) admitted_early += s.Admit(kT0 + milliseconds(900)) == kT0 + milliseconds(900);
  BOOST_TEST(admitted_early == 300);
  int admitted_next = 0;
  RateSchedule::TimePoint retry{};
  for (int i = 300; i < 600; ++i) {
    const auto at = std::max(reserved[static_cast<std::size_t>(i)], kT0 + milliseconds(1000));
    const auto got = s.Admit(at);
    if (got == at) ++admitted_next; else retry = got;
  }
  BOOST_TEST(admitted_next == 0);
  BOOST_TEST(Ms(retry) == 1910);  // a whole window (1 s + 10 ms) after the late burst began
  BOOST_TEST((s.Admit(kT0 + milliseconds(1910)) == kT0 + milliseconds(1910)));
}

BOOST_AUTO_TEST_CASE(unlimited_never_waits_except_for_retry_after) {
  RateSchedule s(0);
  for (int i = 0; i < 5; ++i) BOOST_TEST(Ms(s.Reserve(kT0)) == 0);
  s.SlowDown(kT0, std::chrono::seconds(2));
  BOOST_TEST(Ms(s.Reserve(kT0 + milliseconds(1))) == 2000);
  BOOST_TEST(s.current_rps() == 0);
}

BOOST_AUTO_TEST_CASE(slow_down_pauses_then_halves_the_rate_once_per_pause) {
  RateSchedule s(100);
  s.SlowDown(kT0, std::chrono::seconds(1));
  s.SlowDown(kT0 + milliseconds(5), std::chrono::seconds(1));  // another worker's 429 for the same episode
  BOOST_TEST(s.current_rps() == 50);
  BOOST_TEST(Ms(s.paused_until()) == 1005);
  BOOST_TEST(Ms(s.Reserve(kT0 + milliseconds(10))) == 1005);
  BOOST_TEST(Ms(s.Reserve(kT0 + milliseconds(10))) == 1025);  // 50/s: 20 ms apart
}

BOOST_AUTO_TEST_CASE(rate_recovers_by_a_tenth_per_calm_second) {
  RateSchedule s(100);
  s.SlowDown(kT0, std::chrono::seconds(1));
  BOOST_TEST(s.current_rps() == 50);
  (void)s.Reserve(kT0 + milliseconds(1500));
  BOOST_TEST(s.current_rps() == 50);
  (void)s.Reserve(kT0 + milliseconds(2000));
  BOOST_TEST(s.current_rps() == 60);
  (void)s.Reserve(kT0 + milliseconds(10000));
  BOOST_TEST(s.current_rps() == 100);
}

// The blocking form, shared by worker threads (also run under ThreadSanitizer).
BOOST_AUTO_TEST_CASE(unlimited_acquire_from_many_threads_never_blocks) {
  payrecon::jobs::RateLimiter limiter(0);
  const std::atomic<bool> stop{false};
  std::atomic<int> granted{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&] {
      for (int k = 0; k < 500; ++k) granted += limiter.Acquire(stop) ? 1 : 0;
    });
  }
  for (auto& t : threads) t.join();
  BOOST_TEST(granted.load() == 8 * 500);
}

BOOST_AUTO_TEST_CASE(acquire_during_a_pause_gives_up_when_stopped) {
  payrecon::jobs::RateLimiter limiter(100);
  limiter.SlowDown(std::chrono::hours(1));
  std::atomic<bool> stop{false};
  std::atomic<int> refused{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&] { refused += limiter.Acquire(stop) ? 0 : 1; });
  }
  stop = true;  // whether the workers are waiting already or not yet: none may start a call
  for (auto& t : threads) t.join();
  BOOST_TEST(refused.load() == 4);
}

BOOST_AUTO_TEST_SUITE_END()
