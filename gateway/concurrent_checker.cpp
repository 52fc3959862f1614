#include "gateway/concurrent_checker.h"

#include <sys/epoll.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <optional>
#include <stdexcept>
#include <string>
#include <system_error>

#include "gateway/calls.h"
#include "gateway/status_checker.h"
#include "gateway/wire_exchange.h"
#include "net/async_stream.h"
#include "net/http_wire.h"

namespace payrecon::gateway {
namespace {

using detail::Failure;
using SteadyClock = std::chrono::steady_clock;
using SteadyNow = ConcurrentGatewayChecker::SteadyNow;
using Io = net::AsyncStream::Io;

std::string Millis(std::chrono::milliseconds ms) { return std::to_string(ms.count()) + " ms"; }

// One connection and the call it carries, if any.
struct Slot {
  enum class Phase { kConnecting, kSending, kReceiving };

  std::unique_ptr<net::AsyncStream> stream;  // null: no connection
  std::uint32_t interest = 0;                // the epoll events asked for
  SteadyClock::time_point last_used{};       // the end of its last response, or when it was opened (connected)
  SteadyClock::time_point connect_deadline{};
  bool fresh = false;                        // opened ahead (PrepareConnection), no request sent on it yet
  std::optional<Failure> connect_failure;    // opening it ahead failed: the next call's failure

  // The call, while busy.
  bool busy = false;
  std::uint64_t tag = 0;
  const Merchant* merchant = nullptr;
  StatusRequest request;
  std::string host_path;
  std::string bytes;
  std::size_t written = 0;
  Phase phase = Phase::kConnecting;
  net::wire::ResponseReader reader{kMaxResponseBytes};
  Exchange exchange;
  SteadyClock::time_point started{};
  SteadyClock::time_point deadline{};
  bool may_be_stale = false;  // the connection was kept alive, or opened ahead and left waiting
  bool retried = false;

  // Open, or still opening, and not idle so long that the peer may have dropped it.
  bool Usable(SteadyClock::time_point now) const {
    return stream && !connect_failure && now - last_used < detail::kKeepAliveIdle;
  }
};

}  // namespace

class ConcurrentGatewayChecker::Impl {
 public:
  Impl(GatewayOptions options, std::shared_ptr<const Merchants> merchants, int capacity, Clock clock,
       SteadyNow steady)
      : options_(std::move(options)),
        merchants_(std::move(merchants)),
        clock_(std::move(clock)),
        steady_(std::move(steady)),
        endpoint_(detail::ValidatedEndpoint(options_)),
        writer_(options_, endpoint_),
        slots_(static_cast<std::size_t>(std::max(1, capacity))) {
    if (!merchants_) throw InvalidOptions("gateway status checker: no merchants given");
    if (endpoint_.https) {
      try {
        tls_ = std::make_unique<net::AsyncTlsContext>(options_.ca_file);
      } catch (const std::runtime_error& e) {
        throw InvalidOptions("gateway option 'ca_file': '" + options_.ca_file + "' cannot be used: " + e.what());
      }
    }
    epoll_ = epoll_create1(EPOLL_CLOEXEC);
    if (epoll_ < 0) throw std::system_error(errno, std::generic_category(), "epoll_create1");
    events_.resize(slots_.size());
  }

  ~Impl() {
    slots_.clear();  // closes the connections first
    if (epoll_ >= 0) close(epoll_);
  }

  int capacity() const { return static_cast<int>(slots_.size()); }
  int connections_opened() const { return connections_opened_; }

  void PrepareConnection() {
    const auto now = steady_();
    Slot* open_here = nullptr;
    for (Slot& s : slots_) {
      if (s.busy) continue;
      if (s.Usable(now) || s.connect_failure) return;  // the next call has a connection, or its failure
      if (open_here == nullptr) open_here = &s;
    }
    if (open_here == nullptr) return;
    Slot& s = *open_here;
    if (auto failure = Open(s, now)) {
      s.connect_failure = std::move(failure);
      return;
    }
    s.fresh = true;
    AdvanceIdle(s);
  }

  bool ReadyToSend() const {
    const auto now = steady_();
    for (const Slot& s : slots_) {
      if (s.busy) continue;
      if (s.connect_failure || (s.Usable(now) && s.stream->connected())) return true;
    }
    return false;
  }

  void Start(std::uint64_t tag, const core::StatusQuery& query) {
    const Merchant* merchant = merchants_->Find(query.merchant_id);
    if (merchant == nullptr) {
      ready_.emplace_back(tag, MerchantNotConfigured(query.merchant_id));
      return;
    }
    const auto now = steady_();
    Slot* slot = PickSlot(now);
    if (slot == nullptr) throw std::logic_error("more status calls started than the checker's capacity");
    Slot& s = *slot;
    // A failure to open ahead is the next call's only: a call that found another connection makes it history.
    for (Slot& other : slots_) {
      if (&other != &s) other.connect_failure.reset();
    }
    s.busy = true;
    s.tag = tag;
    s.merchant = merchant;
    s.request = StatusRequest{query.kind, query.txn_id,
                              query.by_amazon_id ? TxnIdType::kAmazonTxnId : TxnIdType::kMerchantTxnId};
    s.exchange = Exchange{};
    s.reader.Reset();
    s.written = 0;
    s.retried = false;
    s.may_be_stale = false;
    s.started = now;
    if (auto invalid = writer_.Write(*merchant, StatusHttpRequest(*merchant, s.request), clock_(), sent_, s.bytes)) {
      End(s, std::move(invalid), now);
      return;
    }
    s.host_path = writer_.host_path();
    if (s.connect_failure) {  // opening ahead failed: that is this call's failure, without a second attempt
      auto failure = std::move(s.connect_failure);
      s.connect_failure.reset();
      End(s, std::move(failure), now);
      return;
    }
    if (s.Usable(now)) {
      // Kept alive, or opened ahead and then left waiting (from when it was connected): the peer may have dropped
      // it. One still being opened is new: its failure is the call's, without a second attempt.
      s.may_be_stale = s.stream->connected() && (!s.fresh || now - s.last_used > detail::kOpenedAheadMayBeStale);
      if (s.fresh) ++connections_opened_;
    } else {
      s.stream.reset();
      s.may_be_stale = false;
      if (auto failure = Open(s, now)) {
        End(s, std::move(failure), now);
        return;
      }
      ++connections_opened_;
    }
    s.fresh = false;
    s.phase = Slot::Phase::kConnecting;
    s.deadline = s.connect_deadline;
    Advance(s, now);
  }

  void Poll(std::chrono::milliseconds timeout, std::vector<std::pair<std::uint64_t, core::CheckResult>>& done) {
    auto now = steady_();
    int wait_ms = ready_.empty() ? static_cast<int>(std::max<std::int64_t>(0, timeout.count())) : 0;
    for (const Slot& s : slots_) {
      if (!s.busy && !(s.fresh && s.stream && !s.stream->connected())) continue;
      const auto until = s.busy ? s.deadline : s.connect_deadline;
      const auto left = std::chrono::ceil<std::chrono::milliseconds>(until - now).count();
      wait_ms = static_cast<int>(std::clamp<std::int64_t>(left, 0, wait_ms));
    }
    const int n = epoll_wait(epoll_, events_.data(), static_cast<int>(events_.size()), wait_ms);
    if (n < 0 && errno != EINTR) throw std::system_error(errno, std::generic_category(), "epoll_wait");
    now = steady_();
    for (int i = 0; i < n; ++i) {
      Slot& s = slots_[events_[static_cast<std::size_t>(i)].data.u32];
      if (s.busy) {
        Advance(s, now);
      } else {
        AdvanceIdle(s);
      }
    }
    for (Slot& s : slots_) {
      if (s.busy && now >= s.deadline) {
        End(s, Failure{Transport::kTimeout, TimeoutMessage(s), !s.reader.any_bytes()}, now);
      } else if (!s.busy && s.fresh && s.stream && !s.stream->connected() && now >= s.connect_deadline) {
        s.stream.reset();
        s.connect_failure = Failure{Transport::kTimeout, "timed out: connecting took more than " +
                                                             Millis(options_.connect_timeout), true};
      } else if (!s.busy && s.stream && s.stream->connected() && now - s.last_used >= detail::kKeepAliveIdle) {
        s.stream.reset();  // idle too long to be used again: closed rather than left open on the server
        s.fresh = false;
      }
    }
    for (auto& r : ready_) done.push_back(std::move(r));
    ready_.clear();
  }

 private:
  std::string TimeoutMessage(const Slot& s) const {
    switch (s.phase) {
      case Slot::Phase::kConnecting: return "timed out: connecting took more than " + Millis(options_.connect_timeout);
      case Slot::Phase::kSending: return "timed out: sending stalled for " + Millis(options_.read_timeout);
      case Slot::Phase::kReceiving: break;
    }
    return "timed out: no response bytes for " + Millis(options_.read_timeout);
  }

  // A free slot for the next call: the open connection used last (a few connections stay warm and the rest go
  // idle and are closed, rather than all of them aging and being opened again), else one still opening, else one
  // whose opening ahead failed (that failure is the call's), else any.
  Slot* PickSlot(SteadyClock::time_point now) {
    Slot* open = nullptr;
    Slot* opening = nullptr;
    Slot* failed = nullptr;
    Slot* any = nullptr;
    for (Slot& s : slots_) {
      if (s.busy) continue;
      if (s.Usable(now) && s.stream->connected()) {
        if (open == nullptr || s.last_used > open->last_used) open = &s;
      } else if (s.Usable(now)) {
        if (opening == nullptr) opening = &s;
      } else if (s.connect_failure) {
        if (failed == nullptr) failed = &s;
      } else if (any == nullptr) {
        any = &s;
      }
    }
    if (open != nullptr) return open;
    return opening != nullptr ? opening : failed != nullptr ? failed : any;
  }

  // Begins a new connection on `s` (replacing any); its failure when it cannot even begin.
  std::optional<Failure> Open(Slot& s, SteadyClock::time_point now) {
    s.stream.reset();
    s.interest = 0;
    std::string error;
    s.stream = net::AsyncStream::Open({endpoint_.https, endpoint_.host, endpoint_.port}, tls_.get(), error);
    if (!s.stream) return Failure{Transport::kNetwork, "network failure: " + error, true};
    epoll_event event{};
    event.events = EPOLLOUT;
    event.data.u32 = static_cast<std::uint32_t>(&s - slots_.data());
    if (epoll_ctl(epoll_, EPOLL_CTL_ADD, s.stream->fd(), &event) != 0) {
      const int e = errno;
      s.stream.reset();
      throw std::system_error(e, std::generic_category(), "epoll_ctl");
    }
    s.interest = EPOLLOUT;
    s.last_used = now;
    s.connect_deadline = now + options_.connect_timeout;
    return std::nullopt;
  }

  void Want(Slot& s, std::uint32_t events) {
    if (s.interest == events) return;
    epoll_event event{};
    event.events = events;
    event.data.u32 = static_cast<std::uint32_t>(&s - slots_.data());
    if (epoll_ctl(epoll_, EPOLL_CTL_MOD, s.stream->fd(), &event) != 0) {
      throw std::system_error(errno, std::generic_category(), "epoll_ctl");
    }
    s.interest = events;
  }
  void Want(Slot& s, Io io) { Want(s, io == Io::kWantRead ? EPOLLIN : EPOLLOUT); }

  static Failure StreamFailure(const net::AsyncStream& stream, bool before_response) {
    return {Transport::kNetwork, (stream.tls_failure() ? "tls failure: " : "network failure: ") + stream.error(),
            before_response};
  }

  // A connection without a call: finishes opening ahead. An idle open one that turns readable was closed by the
  // peer (or sent bytes nobody asked for) and is dropped; TLS records that carry no data (a TLS 1.3 session
  // ticket) are read and the connection kept.
  void AdvanceIdle(Slot& s) {
    if (!s.stream) return;
    if (s.stream->connected()) {
      std::size_t n = 0;
      if (s.stream->Read(buffer_, sizeof buffer_, n) != Io::kWantRead) {
        s.stream.reset();
        s.fresh = false;
      }
      return;
    }
    const Io io = s.stream->Connect();
    if (io == Io::kDone) {
      s.last_used = steady_();  // its wait for a request starts now
      Want(s, EPOLLIN);  // idle: only a close or stray bytes wake it
    } else if (io == Io::kWantRead || io == Io::kWantWrite) {
      Want(s, io);
    } else {
      s.connect_failure = StreamFailure(*s.stream, true);
      s.stream.reset();
    }
  }

  // Moves the call on `s` as far as the connection allows without waiting.
  void Advance(Slot& s, SteadyClock::time_point now) {
    for (;;) {
      switch (s.phase) {
        case Slot::Phase::kConnecting: {
          const Io io = s.stream->Connect();
          if (io == Io::kDone) {
            s.phase = Slot::Phase::kSending;
            s.deadline = now + options_.read_timeout;
            continue;
          }
          if (io == Io::kWantRead || io == Io::kWantWrite) return Want(s, io);
          return End(s, StreamFailure(*s.stream, true), now);
        }
        case Slot::Phase::kSending: {
          while (s.written < s.bytes.size()) {
            std::size_t n = 0;
            const Io io = s.stream->Write(s.bytes.data() + s.written, s.bytes.size() - s.written, n);
            if (io == Io::kDone) {
              s.written += n;
              s.deadline = now + options_.read_timeout;
              continue;
            }
            if (io == Io::kError || io == Io::kClosed) return End(s, StreamFailure(*s.stream, true), now);
            return Want(s, io);
          }
          s.phase = Slot::Phase::kReceiving;
          s.deadline = now + options_.read_timeout;
          continue;
        }
        case Slot::Phase::kReceiving: {
          for (;;) {
            std::size_t n = 0;
            const Io io = s.stream->Read(buffer_, sizeof buffer_, n);
            if (io == Io::kDone) {
              s.deadline = now + options_.read_timeout;
              if (s.reader.Feed(std::string_view(buffer_, n)) != net::wire::ResponseReader::State::kMore) {
                return Received(s, now);
              }
              continue;
            }
            if (io == Io::kClosed) {
              s.reader.End();
              return Received(s, now);
            }
            if (io == Io::kError) return End(s, StreamFailure(*s.stream, !s.reader.any_bytes()), now);
            return Want(s, io);
          }
        }
      }
    }
  }

  // The reader has come to its end (a whole response, or a refused one).
  void Received(Slot& s, SteadyClock::time_point now) {
    detail::TakeResponse(s.reader, s.exchange);
    if (s.reader.state() == net::wire::ResponseReader::State::kError) {
      return End(s, detail::ReaderFailure(s.reader), now);
    }
    if (s.reader.keep_alive()) {
      s.last_used = now;
      Want(s, EPOLLIN);
    } else {
      s.stream.reset();
    }
    End(s, std::nullopt, now);
  }

  // Ends the call on `s` (or resends it once, see the header), and queues its result for Poll.
  void End(Slot& s, std::optional<Failure> failure, SteadyClock::time_point now) {
    if (failure) {
      s.stream.reset();
      if (!s.retried && s.may_be_stale && failure->before_response && failure->transport == Transport::kNetwork) {
        s.retried = true;
        s.may_be_stale = false;
        s.exchange = Exchange{};
        s.reader.Reset();
        s.written = 0;
        if (auto again = Open(s, now)) {
          failure = std::move(again);
        } else {
          ++connections_opened_;
          s.phase = Slot::Phase::kConnecting;
          s.deadline = s.connect_deadline;
          return Advance(s, now);
        }
      }
    }
    // Read the clock again: `now` may be from before this thread was preempted (a response can be complete
    // within the Start that sent its request), and a latency of 0 would leave the check out of the histogram.
    s.exchange.latency_us =
        std::chrono::duration_cast<std::chrono::microseconds>(steady_() - s.started).count();
    s.exchange.received_at = clock_();
    detail::Conclude(s.exchange, std::move(failure), "GET", s.host_path, s.merchant->signer(),
                     options_.response_max_skew);
    ready_.emplace_back(s.tag, ClassifyStatus(s.exchange, *s.merchant, s.request));
    s.busy = false;
    s.merchant = nullptr;
  }

  GatewayOptions options_;
  std::shared_ptr<const Merchants> merchants_;
  Clock clock_;
  SteadyNow steady_;
  Endpoint endpoint_;
  detail::RequestWriter writer_;
  std::unique_ptr<net::AsyncTlsContext> tls_;
  std::vector<Slot> slots_;
  int epoll_ = -1;
  std::vector<epoll_event> events_;
  std::vector<std::pair<std::uint64_t, core::CheckResult>> ready_;
  SentRequest sent_;
  int connections_opened_ = 0;
  char buffer_[16384];
};

ConcurrentGatewayChecker::ConcurrentGatewayChecker(GatewayOptions options, std::shared_ptr<const Merchants> merchants,
                                                   int capacity, Clock clock, SteadyNow steady)
    : impl_(std::make_unique<Impl>(std::move(options), std::move(merchants), capacity, std::move(clock),
                                   std::move(steady))) {}
ConcurrentGatewayChecker::~ConcurrentGatewayChecker() = default;
int ConcurrentGatewayChecker::capacity() const { return impl_->capacity(); }
void ConcurrentGatewayChecker::PrepareConnection() { impl_->PrepareConnection(); }
bool ConcurrentGatewayChecker::ReadyToSend() const { return impl_->ReadyToSend(); }
void ConcurrentGatewayChecker::Start(std::uint64_t tag, const core::StatusQuery& query) { impl_->Start(tag, query); }
void ConcurrentGatewayChecker::Poll(std::chrono::milliseconds timeout,
                                    std::vector<std::pair<std::uint64_t, core::CheckResult>>& done) {
  impl_->Poll(timeout, done);
}
int ConcurrentGatewayChecker::connections_opened() const { return impl_->connections_opened(); }

}  // namespace payrecon::gateway
