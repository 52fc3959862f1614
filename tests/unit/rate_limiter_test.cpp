#include <boost/test/unit_test.hpp>

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
