#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <atomic>
#include <thread>
#include <vector>

#include "engine/rate_limiter.h"

using payrecon::engine::RateSchedule;
namespace engine = payrecon::engine;
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
  BOOST_TEST(admitted_early == 294);  // the run's first window holds kFirstWindowMargin (20 ms) of calls fewer
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

BOOST_AUTO_TEST_CASE(the_first_window_holds_its_margin_of_calls_fewer_then_the_full_rate) {
  // Callers admitted as soon as they may, every millisecond, at 300/s: 294 in the first 1.01 s (from the first
  // call), then 300 in every later window.
  RateSchedule s(300);
  std::vector<RateSchedule::TimePoint> starts;
  for (auto now = kT0; now < kT0 + std::chrono::seconds(5); now += milliseconds(1)) {
    if (s.Admit(now) == now) starts.push_back(now);
  }
  auto within = [&](RateSchedule::TimePoint from) {
    return std::count_if(starts.begin(), starts.end(), [&](auto t) { return t >= from && t < from + engine::kRateWindow; });
  };
  BOOST_TEST(within(kT0) == 294);
  BOOST_TEST(within(kT0 + engine::kRateWindow) == 300);
  BOOST_TEST(within(kT0 + 2 * engine::kRateWindow) == 300);
  // A rate too small for the margin to be a whole call is left as it is.
  RateSchedule slow(40);
  int first = 0;
  for (auto now = kT0; now < kT0 + engine::kRateWindow; now += milliseconds(1)) first += slow.Admit(now) == now;
  BOOST_TEST(first == 40);
}

// A single throttled answer (even one saying Retry-After: 3600, which any proxy can send) holds the workers back
// only briefly; its transaction waits its Retry-After on its own.
BOOST_AUTO_TEST_CASE(one_throttled_answer_pauses_briefly_not_for_its_retry_after) {
  RateSchedule s(0);
  for (int i = 0; i < 5; ++i) BOOST_TEST(Ms(s.Reserve(kT0)) == 0);
  s.Answered(kT0, true, std::chrono::seconds(3600));
  BOOST_TEST(Ms(s.paused_until()) == 100);
  BOOST_TEST(Ms(s.Reserve(kT0 + milliseconds(1))) == 100);
  // A shorter Retry-After is a shorter pause; a second one in the same window pauses nobody.
  RateSchedule t(0);
  t.Answered(kT0, true, milliseconds(30));
  BOOST_TEST(Ms(t.paused_until()) == 30);
  t.Answered(kT0 + milliseconds(40), true, milliseconds(30));
  BOOST_TEST(Ms(t.paused_until()) == 30);
  BOOST_TEST(std::chrono::duration_cast<milliseconds>(t.paused_total()).count() == 30);
  BOOST_TEST(t.throttled() == 2);
}

// Answers `n` calls spread over one window starting at `start`, every `every`-th throttled.
void Window(RateSchedule& s, RateSchedule::TimePoint start, int n, int every) {
  for (int i = 0; i < n; ++i) {
    const auto at = start + milliseconds(i * 1000 / n);
    (void)s.Reserve(at);
    s.Answered(at, every > 0 && i % every == every - 1, std::chrono::seconds(1));
  }
}

BOOST_AUTO_TEST_CASE(decreases_once_per_window_by_the_throttled_share_at_most_halving) {
  RateSchedule s(1000);
  Window(s, kT0, 100, 10);  // 10 % throttled
  BOOST_TEST(s.current_rps() == 1000);  // judged when the window ends
  (void)s.Reserve(kT0 + milliseconds(1000));
  BOOST_TEST(s.current_rps() == 1000 * 0.9);
  RateSchedule h(1000);
  Window(h, kT0, 100, 1);  // everything throttled: halved, not to zero
  (void)h.Reserve(kT0 + milliseconds(1000));
  BOOST_TEST(h.current_rps() == 500);
}

BOOST_AUTO_TEST_CASE(never_below_the_floor) {
  RateSchedule s(1600);
  for (int w = 0; w < 20; ++w) Window(s, kT0 + milliseconds(1000 * w), 20, 1);
  (void)s.Reserve(kT0 + milliseconds(20'000));
  BOOST_TEST(s.current_rps() >= 160);  // 1600 / 10
  BOOST_TEST(s.current_rps() < 161);
}

BOOST_AUTO_TEST_CASE(recovers_a_tenth_of_the_ceiling_per_calm_window_then_lets_go) {
  RateSchedule s(0);
  Window(s, kT0, 200, 0);                          // 200 calls per second, unthrottled
  Window(s, kT0 + milliseconds(1000), 100, 1);     // then a window of refusals
  (void)s.Reserve(kT0 + milliseconds(2000));
  BOOST_TEST(s.ceiling_rps() == 200);
  BOOST_TEST(s.current_rps() == 100);
  (void)s.Reserve(kT0 + milliseconds(3000));
  BOOST_TEST(s.current_rps() == 120);
  (void)s.Reserve(kT0 + milliseconds(7000));
  BOOST_TEST(s.current_rps() == 200);
  (void)s.Reserve(kT0 + milliseconds(8000));
  BOOST_TEST(s.current_rps() == 0);  // unlimited again
}

// 4 % of answers throttled with Retry-After: 1, window after window: most of the throughput is kept, and the
// workers are held back at most 100 ms per window.
BOOST_AUTO_TEST_CASE(steady_four_percent_throttling_keeps_most_of_the_rate) {
  RateSchedule s(1000);
  for (int w = 0; w < 60; ++w) Window(s, kT0 + milliseconds(1000 * w), 1000, 25);
  (void)s.Reserve(kT0 + milliseconds(60'000));
  BOOST_TEST(s.current_rps() >= 900);
  BOOST_TEST(std::chrono::duration_cast<milliseconds>(s.paused_total()).count() <= 60 * 100);
}

// When most answers are refused the gateway means it: everyone waits its Retry-After, capped by the setting and
// by the run's deadline.
BOOST_AUTO_TEST_CASE(most_answers_throttled_pauses_everyone_for_the_capped_retry_after) {
  engine::ThrottleOptions o;
  o.retry_after_max = std::chrono::seconds(60);
  RateSchedule s(0, 1, o);
  for (int i = 0; i < 8; ++i) s.Answered(kT0, i % 2 == 1, std::chrono::seconds(3600));
  BOOST_TEST(Ms(s.paused_until()) == 60'000);
  o.deadline = kT0 + std::chrono::seconds(5);
  RateSchedule d(0, 1, o);
  for (int i = 0; i < 8; ++i) d.Answered(kT0, true, std::chrono::seconds(3600));
  BOOST_TEST(Ms(d.paused_until()) == 5000);
}

// The blocking form, shared by worker threads (also run under ThreadSanitizer).
BOOST_AUTO_TEST_CASE(unlimited_acquire_from_many_threads_never_blocks) {
  payrecon::engine::RateLimiter limiter(0);
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
  engine::ThrottleOptions o;
  o.retry_after_max = std::chrono::hours(1);
  payrecon::engine::RateLimiter limiter(100, 1, o);
  // Most answers refused with Retry-After: 3600: every worker is held back for the hour.
  for (int i = 0; i < engine::kFullPauseMinAnswers; ++i) limiter.Answered(true, std::chrono::hours(1));
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
