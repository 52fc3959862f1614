// The sandbox's HTTP front (sandbox/server.cpp) at the byte level, over raw sockets to the real binary: what the
// gateway client never sends (chunked bodies, "Expect: 100-continue", HTTP/1.0, malformed requests) and the cap on
// connections served at once.
#include <boost/test/unit_test.hpp>

#include <Poco/Net/SocketAddress.h>
#include <Poco/Net/StreamSocket.h>

#include <poll.h>
#include <sys/inotify.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "tests/e2e/sandbox_fixture.h"

using namespace payrecon;
using payrecon::testing::SandboxFixture;

namespace {

Poco::Net::StreamSocket Connect(SandboxFixture& f) {
  Poco::Net::StreamSocket socket(Poco::Net::SocketAddress("127.0.0.1", f.sandbox().port()));
  socket.setReceiveTimeout(Poco::Timespan(30, 0));  // only a bound for a failure; answers come at once
  return socket;
}

void Send(Poco::Net::StreamSocket& socket, const std::string& bytes) {
  std::size_t sent = 0;
  while (sent < bytes.size()) {
    sent += static_cast<std::size_t>(socket.sendBytes(bytes.data() + sent, static_cast<int>(bytes.size() - sent)));
  }
}

// Reads one answer: its head and then Content-Length bytes of body. "" when the connection closed first.
std::string ReadAnswer(Poco::Net::StreamSocket& socket, std::string& pending) {
  char buffer[4096];
  for (;;) {
    const auto head_end = pending.find("\r\n\r\n");
    if (head_end != std::string::npos) {
      std::size_t length = 0;
      const auto at = pending.find("Content-Length: ");
      if (at != std::string::npos && at < head_end) length = std::stoul(pending.substr(at + 16));
      if (pending.size() >= head_end + 4 + length) {
        std::string answer = pending.substr(0, head_end + 4 + length);
        pending.erase(0, answer.size());
        return answer;
      }
    }
    const int n = socket.receiveBytes(buffer, sizeof buffer);
    if (n <= 0) return "";
    pending.append(buffer, static_cast<std::size_t>(n));
  }
}

// True when the peer closes the connection (after any bytes still to come).
bool ClosesAfter(Poco::Net::StreamSocket& socket) {
  char buffer[4096];
  for (;;) {
    const int n = socket.receiveBytes(buffer, sizeof buffer);
    if (n <= 0) return true;
  }
}

// Whether a byte of an answer arrives within `wait`. A connection the sandbox has not accepted gets none: a
// false "not answered" needs the sandbox to take longer than `wait` to answer one it did accept.
bool AnsweredWithin(Poco::Net::StreamSocket& socket, Poco::Timespan wait) {
  socket.setReceiveTimeout(wait);
  char byte = 0;
  bool answered = true;
  try {
    answered = socket.receiveBytes(&byte, 1, MSG_PEEK) > 0;
  } catch (const Poco::TimeoutException&) {
    answered = false;
  }
  socket.setReceiveTimeout(Poco::Timespan(30, 0));
  return answered;
}

constexpr const char* kNoFaults = R"({"latency_ms":0,"rules":[]})";

// Waits until what the sandbox wrote to stderr satisfies `done`, woken by the kernel whenever the file changes
// (inotify): no polling on a timer. The timeout only bounds a failure. False when it passed.
bool WaitForStderr(const payrecon::testing::SandboxProcess& sandbox,
                   const std::function<bool(const std::string&)>& done, std::chrono::milliseconds timeout) {
  const int fd = ::inotify_init1(IN_CLOEXEC);
  if (fd < 0) throw std::runtime_error("inotify_init1 failed");
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  if (::inotify_add_watch(fd, sandbox.stderr_path().c_str(), IN_MODIFY) < 0) {
    throw std::runtime_error("inotify_add_watch failed on " + sandbox.stderr_path());
  }
  const auto until = std::chrono::steady_clock::now() + timeout;
  while (!done(sandbox.Stderr())) {
    const auto left = std::chrono::ceil<std::chrono::milliseconds>(until - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) > 0) {
      char events[4096];
      [[maybe_unused]] const ssize_t n = ::read(fd, events, sizeof events);
    }
  }
  return true;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(sandbox_http)

BOOST_AUTO_TEST_CASE(a_chunked_body_is_read_whole) {
  SandboxFixture f;
  auto socket = Connect(f);
  const std::string body = kNoFaults;
  const std::string half = body.substr(0, 10);
  const std::string rest = body.substr(10);
  auto hex = [](std::size_t n) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "%zx", n);
    return std::string(buf);
  };
  Send(socket, "POST /sandbox/faults HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
               "Transfer-Encoding: chunked\r\n\r\n" +
                   hex(half.size()) + "\r\n" + half + "\r\n" + hex(rest.size()) + ";ext=1\r\n" + rest + "\r\n0\r\n\r\n");
  std::string pending;
  const std::string answer = ReadAnswer(socket, pending);
  BOOST_TEST(answer.rfind("HTTP/1.1 200", 0) == 0, answer);
  // The same body cut short is not JSON: the handler saw exactly the chunks' bytes.
  Send(socket, "POST /sandbox/faults HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n" +
                   hex(half.size()) + "\r\n" + half + "\r\n0\r\n\r\n");
  BOOST_TEST(ReadAnswer(socket, pending).rfind("HTTP/1.1 400", 0) == 0);
}

BOOST_AUTO_TEST_CASE(expect_100_continue_is_answered_before_the_body) {
  SandboxFixture f;
  auto socket = Connect(f);
  const std::string body = kNoFaults;
  Send(socket, "POST /sandbox/faults HTTP/1.1\r\nHost: 127.0.0.1\r\nExpect: 100-continue\r\nContent-Length: " +
                   std::to_string(body.size()) + "\r\n\r\n");
  std::string pending;
  const std::string interim = ReadAnswer(socket, pending);
  BOOST_TEST(interim == "HTTP/1.1 100 Continue\r\n\r\n");
  Send(socket, body);
  const std::string answer = ReadAnswer(socket, pending);
  BOOST_TEST(answer.rfind("HTTP/1.1 200", 0) == 0, answer);
}

BOOST_AUTO_TEST_CASE(http_1_0_closes_after_its_answer_and_keep_alive_keeps_it) {
  SandboxFixture f;
  {
    auto socket = Connect(f);
    Send(socket, "GET /sandbox/stats HTTP/1.0\r\n\r\n");
    std::string pending;
    const std::string answer = ReadAnswer(socket, pending);
    BOOST_TEST(answer.rfind("HTTP/1.1 200", 0) == 0, answer);
    BOOST_TEST(answer.find("Connection: close") != std::string::npos);
    BOOST_TEST(ClosesAfter(socket));
  }
  auto socket = Connect(f);
  std::string pending;
  for (int i = 0; i < 3; ++i) {  // and two requests sent at once are answered in order
    Send(socket, "GET /sandbox/stats HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\nGET /sandbox/stats HTTP/1.1\r\n\r\n");
    for (int k = 0; k < 2; ++k) {
      const std::string answer = ReadAnswer(socket, pending);
      BOOST_TEST(answer.rfind("HTTP/1.1 200", 0) == 0, answer);
      BOOST_TEST(answer.find("Connection: Keep-Alive") != std::string::npos);
    }
  }
}

BOOST_AUTO_TEST_CASE(a_malformed_request_gets_400_and_the_connection_closes) {
  SandboxFixture f;
  for (const std::string bad : {"NONSENSE\r\n\r\n", "GET /x HTTP/2.0\r\n\r\n", "GET /x HTTP/1.1\r\nno colon\r\n\r\n",
                                "POST /x HTTP/1.1\r\nContent-Length: ten\r\n\r\n",
                                "POST /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"}) {
    BOOST_TEST_CONTEXT(bad) {
      auto socket = Connect(f);
      Send(socket, bad);
      std::string pending;
      const std::string answer = ReadAnswer(socket, pending);
      BOOST_TEST(answer.rfind("HTTP/1.1 400", 0) == 0, answer);
      BOOST_TEST(ClosesAfter(socket));
    }
  }
  auto socket = Connect(f);  // a head past 64 KiB
  Send(socket, "GET /x HTTP/1.1\r\nX-Big: " + std::string(70 * 1024, 'a') + "\r\n\r\n");
  std::string pending;
  BOOST_TEST(ReadAnswer(socket, pending).rfind("HTTP/1.1 431", 0) == 0);
}

// With one connection allowed, a second one waits in the listen queue, unanswered, until the first closes.
BOOST_AUTO_TEST_CASE(connections_past_the_cap_wait_for_one_to_close) {
  SandboxFixture f({"", {"--max-connections", "1", "--io-threads", "1"}, false});
  std::string first_pending;
  auto first = std::make_unique<Poco::Net::StreamSocket>(Connect(f));
  Send(*first, "GET /sandbox/stats HTTP/1.1\r\n\r\n");
  BOOST_TEST(ReadAnswer(*first, first_pending).rfind("HTTP/1.1 200", 0) == 0);  // accepted and served
  auto second = Connect(f);  // connects (the kernel's queue) but is not served
  Send(second, "GET /sandbox/stats HTTP/1.1\r\n\r\n");
  BOOST_TEST(!AnsweredWithin(second, Poco::Timespan(0, 300'000)));
  first->close();
  std::string pending;
  BOOST_TEST(ReadAnswer(second, pending).rfind("HTTP/1.1 200", 0) == 0);
}

// The cap counts connections over all the loops: 3 over 2 loops serves 3 at once (not 2 x 1), and a fourth waits
// until one of them closes.
BOOST_AUTO_TEST_CASE(the_connection_cap_is_shared_exactly_over_the_loops) {
  SandboxFixture f({"", {"--max-connections", "3", "--io-threads", "2"}, false});
  std::vector<std::unique_ptr<Poco::Net::StreamSocket>> served;
  for (int i = 0; i < 3; ++i) {
    served.push_back(std::make_unique<Poco::Net::StreamSocket>(Connect(f)));
    Send(*served.back(), "GET /sandbox/stats HTTP/1.1\r\n\r\n");
    std::string pending;
    BOOST_TEST(ReadAnswer(*served.back(), pending).rfind("HTTP/1.1 200", 0) == 0, "connection " << i + 1);
  }
  auto fourth = Connect(f);  // connects (the kernel's queue) but is not served
  Send(fourth, "GET /sandbox/stats HTTP/1.1\r\n\r\n");
  BOOST_TEST(!AnsweredWithin(fourth, Poco::Timespan(0, 300'000)));
  served.front()->close();
  std::string pending;
  BOOST_TEST(ReadAnswer(fourth, pending).rfind("HTTP/1.1 200", 0) == 0);
}

// Out of file descriptors (a low RLIMIT_NOFILE, and more clients than it allows), accept(2) fails while the
// listening socket stays readable. A loop then stops accepting for 100 ms at a time, saying so on stderr, instead of
// waking at once to fail again; once clients close, connections are accepted and answered again. With the pause,
// each of the two loops says so at most once per 100 ms: a loop that spun would say it thousands of times.
BOOST_AUTO_TEST_CASE(out_of_descriptors_the_server_pauses_accepting_and_recovers) {
  rlimit saved{};
  BOOST_REQUIRE(::getrlimit(RLIMIT_NOFILE, &saved) == 0);
  rlimit low = saved;
  low.rlim_cur = 64;  // the sandbox inherits it; this process takes its own back at once
  BOOST_REQUIRE(::setrlimit(RLIMIT_NOFILE, &low) == 0);
  const auto started = std::chrono::steady_clock::now();
  std::optional<SandboxFixture> f;
  try {
    f.emplace();
  } catch (...) {
    ::setrlimit(RLIMIT_NOFILE, &saved);
    throw;
  }
  BOOST_REQUIRE(::setrlimit(RLIMIT_NOFILE, &saved) == 0);

  const std::string kPause = "cannot accept a connection (Too many open files)";
  auto pauses_in = [&](const std::string& err) {
    int n = 0;
    for (auto at = err.find(kPause); at != std::string::npos; at = err.find(kPause, at + 1)) ++n;
    return n;
  };
  std::vector<Poco::Net::StreamSocket> clients;
  for (int i = 0; i < 100; ++i) clients.push_back(Connect(*f));  // the kernel queues what the sandbox cannot take
  const auto six_pauses = [&](const std::string& err) { return pauses_in(err) >= 6; };
  BOOST_REQUIRE_MESSAGE(WaitForStderr(f->sandbox(), six_pauses, std::chrono::seconds(60)),
                        "the sandbox never paused accepting; stderr: " << f->sandbox().Stderr());
  const int pauses = pauses_in(f->sandbox().Stderr());  // counted before the time that bounds them is read
  const auto waited_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started).count();
  BOOST_TEST(pauses <= 2 * (waited_ms / 100 + 2), pauses << " pauses in " << waited_ms << " ms");

  clients.clear();  // closed: their descriptors in the sandbox free up as it reads the ends
  const auto answer = f->sandbox().Get("/sandbox/stats");
  BOOST_TEST(answer.status == 200);
}

BOOST_AUTO_TEST_SUITE_END()
