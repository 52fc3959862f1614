#pragma once
// Waiting on a condition in e2e tests: a process's output, a row in the database, a file. The condition is polled
// every few milliseconds until it holds; the timeout only bounds a failure.
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <functional>
#include <string>
#include <thread>

namespace payrecon::testing {

inline void WaitUntil(const std::string& what, const std::function<bool()>& condition,
                      std::chrono::milliseconds timeout = std::chrono::seconds(60)) {
  const auto until = std::chrono::steady_clock::now() + timeout;
  while (!condition()) {
    if (std::chrono::steady_clock::now() > until) BOOST_FAIL("timed out waiting for " << what);
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

}  // namespace payrecon::testing
