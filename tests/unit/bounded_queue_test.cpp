#include <boost/test/unit_test.hpp>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "engine/bounded_queue.h"

using payrecon::engine::BoundedQueue;

BOOST_AUTO_TEST_SUITE(bounded_queue)

BOOST_AUTO_TEST_CASE(keeps_order_and_refuses_beyond_capacity) {
  BoundedQueue<int> q(3);
  BOOST_TEST(q.TryPush(1));
  BOOST_TEST(q.TryPush(2));
  BOOST_TEST(q.TryPush(3));
  BOOST_TEST(!q.TryPush(4));
  BOOST_TEST(q.size() == 3u);
  BOOST_TEST(*q.Pop() == 1);
  BOOST_TEST(q.TryPush(5));
  BOOST_TEST(*q.Pop() == 2);
  BOOST_TEST(*q.Pop() == 3);
  BOOST_TEST(*q.Pop() == 5);
  BOOST_TEST(q.size() == 0u);
}

BOOST_AUTO_TEST_CASE(close_lets_consumers_take_what_is_queued_then_stop) {
  BoundedQueue<std::string> q(4);
  BOOST_TEST(q.TryPush("a"));
  BOOST_TEST(q.TryPush("b"));
  q.Close();
  BOOST_TEST(!q.TryPush("c"));
  BOOST_TEST(*q.Pop() == "a");
  BOOST_TEST(*q.Pop() == "b");
  BOOST_TEST(!q.Pop().has_value());
  BOOST_TEST(!q.Pop().has_value());
}

BOOST_AUTO_TEST_CASE(drain_takes_everything_queued) {
  BoundedQueue<int> q(5);
  for (int i = 0; i < 4; ++i) BOOST_TEST(q.TryPush(i));
  BOOST_TEST(*q.Pop() == 0);
  const std::vector<int> rest = q.Drain();
  BOOST_TEST(rest == (std::vector<int>{1, 2, 3}), boost::test_tools::per_element());
  BOOST_TEST(q.size() == 0u);
  BOOST_TEST(q.Drain().empty());
}

BOOST_AUTO_TEST_CASE(close_wakes_every_waiting_consumer) {
  // Consumers that wait on an empty queue (or arrive after Close) all return nullopt; none is left blocked.
  BoundedQueue<int> q(1);
  std::atomic<int> stopped{0};
  std::vector<std::thread> consumers;
  for (int i = 0; i < 6; ++i) {
    consumers.emplace_back([&] {
      if (!q.Pop().has_value()) ++stopped;
    });
  }
  q.Close();
  for (auto& t : consumers) t.join();
  BOOST_TEST(stopped.load() == 6);
}

BOOST_AUTO_TEST_CASE(many_producers_and_consumers_hand_over_each_item_once) {
  constexpr int kProducers = 4;
  constexpr int kConsumers = 4;
  constexpr int kPerProducer = 5000;
  BoundedQueue<int> q(16);
  std::vector<std::atomic<int>> seen(kProducers * kPerProducer);
  std::vector<std::thread> threads;
  for (int c = 0; c < kConsumers; ++c) {
    threads.emplace_back([&] {
      while (auto item = q.Pop()) seen[static_cast<std::size_t>(*item)].fetch_add(1);
    });
  }
  std::vector<std::thread> producers;
  for (int p = 0; p < kProducers; ++p) {
    producers.emplace_back([&, p] {
      for (int i = 0; i < kPerProducer; ++i) {
        // A full queue refuses; try again once a consumer has taken something.
        while (!q.TryPush(p * kPerProducer + i)) std::this_thread::yield();
      }
    });
  }
  for (auto& t : producers) t.join();
  q.Close();
  for (auto& t : threads) t.join();
  int wrong = 0;
  for (const auto& s : seen) wrong += s.load() == 1 ? 0 : 1;
  BOOST_TEST(wrong == 0);
  BOOST_TEST(q.size() == 0u);
}

BOOST_AUTO_TEST_SUITE_END()
