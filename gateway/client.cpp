#include "gateway/client.h"

#include <Poco/Exception.h>
#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPSClientSession.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/SSLException.h>

#include <chrono>
#include <optional>
#include <stdexcept>

#include "net/http_wire.h"
#include "net/http_session.h"
#include "gateway/wire_exchange.h"

namespace payrecon::gateway {
namespace {

using detail::Failure;
using detail::kKeepAliveIdle;
using detail::kOpenedAheadMayBeStale;
using SteadyClock = std::chrono::steady_clock;

// Poco's session as a connection only: it connects (TCP, and for https the TLS handshake with the peer's
// certificate and host name verified) and moves bytes with its timeouts; the HTTP messages are http_wire's.
template <class Base>
class Session final : public Base {
 public:
  using Base::Base;

  // Connects when there is no connection or it sat idle too long.
  void Connect(SteadyClock::time_point now) {
    if (this->connected() && now - last_used_ < kKeepAliveIdle) return;
    if (this->connected()) this->reset();
    this->reconnect();
    last_used_ = now;
    fresh_ = true;
  }
  struct Prepared {
    bool opened;         // the connection was opened for this request (here, or by a Connect just before)
    bool may_be_stale;   // it was kept alive, or opened ahead and left waiting: the peer may have dropped it
  };
  // Connects if needed (see Connect), for the request about to be sent.
  Prepared Prepare(SteadyClock::time_point now) {
    const bool opened_ahead = fresh_ && this->connected();
    Connect(now);
    const Prepared p{fresh_, !fresh_ || (opened_ahead && now - last_used_ > kOpenedAheadMayBeStale)};
    fresh_ = false;
    return p;
  }
  void SendAll(std::string_view bytes) {
    while (!bytes.empty()) {
      const int n = this->Poco::Net::HTTPSession::write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
      if (n <= 0) throw Poco::IOException("the connection took no bytes");
      bytes.remove_prefix(static_cast<std::size_t>(n));
    }
  }
  // Up to `size` bytes as they arrive; 0 when the peer closed (an https session's unexpected close included).
  int Receive(char* buffer, int size) { return this->read(buffer, size); }
  void Used(SteadyClock::time_point now) { last_used_ = now; }

 private:
  SteadyClock::time_point last_used_{};
  bool fresh_ = false;  // connected and no request sent on it yet
};

std::string Describe(const Poco::Exception& e) { return e.displayText(); }

// The failure the exception being handled means; call only inside a catch block. Other exceptions propagate.
Failure CurrentFailure(bool before_response) {
  try {
    throw;
  } catch (const Poco::TimeoutException& e) {
    return {Transport::kTimeout, "timed out: " + Describe(e), before_response};
  } catch (const Poco::Net::SSLException& e) {
    return {Transport::kNetwork, "tls failure: " + Describe(e), before_response};
  } catch (const Poco::Exception& e) {
    return {Transport::kNetwork, "network failure: " + Describe(e), before_response};
  } catch (const std::exception& e) {
    return {Transport::kNetwork, std::string("network failure: ") + e.what(), before_response};
  } catch (...) {
    return {Transport::kNetwork, "network failure: unknown error", before_response};
  }
}

}  // namespace

class Client::Impl {
 public:
  Impl(GatewayOptions options, Clock clock, Client::SteadyNow steady)
      : options_(std::move(options)),
        clock_(std::move(clock)),
        steady_(std::move(steady)),
        endpoint_(detail::ValidatedEndpoint(options_)),
        writer_(options_, endpoint_) {
    if (endpoint_.https) {
      try {
        context_ = net::ClientTlsContext(options_.ca_file);
      } catch (const Poco::Exception& e) {
        throw InvalidOptions("gateway option 'ca_file': '" + options_.ca_file + "' cannot be used: " +
                             e.displayText());
      }
    }
  }

  Exchange Call(const Merchant& merchant, const Request& request) {
    Exchange exchange;
    if (auto invalid = writer_.Write(merchant, request, clock_(), last_sent_, request_bytes_)) {
      connect_failure_.reset();  // this call's, had PrepareConnection failed: not a later call's
      exchange.transport = invalid->transport;
      exchange.transport_error = std::move(invalid->message);
      exchange.received_at = clock_();
      return exchange;
    }
    const auto started = SteadyClock::now();
    bool reused = false;
    auto failure = Send(exchange, reused);
    if (failure && request.method != "POST" && reused && failure->before_response &&
        failure->transport == Transport::kNetwork) {
      exchange = Exchange{};
      failure = Send(exchange, reused);
    }
    exchange.latency_us =
        std::chrono::duration_cast<std::chrono::microseconds>(SteadyClock::now() - started).count();
    exchange.received_at = clock_();
    detail::Conclude(exchange, std::move(failure), request.method, writer_.host_path(), merchant.signer(),
                     options_.response_max_skew);
    return exchange;
  }

  void PrepareConnection() {
    connect_failure_.reset();
    try {
      EnsureSession();
      const auto now = steady_();
      if (endpoint_.https) {
        static_cast<HttpsSession&>(*session_).Connect(now);
      } else {
        static_cast<HttpSession&>(*session_).Connect(now);
      }
    } catch (...) {
      if (session_) session_->reset();
      connect_failure_ = CurrentFailure(true);
    }
  }

  const SentRequest& last_sent() const { return last_sent_; }
  int connections_opened() const { return connections_opened_; }
  const GatewayOptions& options() const { return options_; }
  const std::string& signing_host() const { return writer_.signing_host(); }

 private:
  using HttpSession = Session<Poco::Net::HTTPClientSession>;
  using HttpsSession = Session<Poco::Net::HTTPSClientSession>;

  void EnsureSession() {
    if (session_) return;
    session_ = net::OpenSession<HttpSession, HttpsSession>({endpoint_.https, endpoint_.host, endpoint_.port}, context_,
                                                           {options_.connect_timeout, options_.read_timeout,
                                                            options_.read_timeout});
  }

  template <class F>
  auto WithSession(F f) {
    if (endpoint_.https) return f(static_cast<HttpsSession&>(*session_));
    return f(static_cast<HttpSession&>(*session_));
  }

  // Sends the request and reads one response into `exchange`; nullopt on success.
  std::optional<Failure> Send(Exchange& exchange, bool& reused) {
    EnsureSession();
    reused = false;
    reader_.Reset();
    if (connect_failure_) {  // PrepareConnection just failed to connect: that is this request's failure
      Failure failure = std::move(*connect_failure_);
      connect_failure_.reset();
      return failure;
    }
    try {
      return WithSession([&](auto& session) -> std::optional<Failure> {
        const auto prepared = session.Prepare(steady_());
        reused = prepared.may_be_stale;
        if (prepared.opened) ++connections_opened_;
        session.SendAll(request_bytes_);
        char buffer[16384];
        while (reader_.state() == net::wire::ResponseReader::State::kMore) {
          const int n = session.Receive(buffer, static_cast<int>(sizeof buffer));
          if (n <= 0) {
            reader_.End();
          } else {
            reader_.Feed(std::string_view(buffer, static_cast<std::size_t>(n)));
          }
        }
        detail::TakeResponse(reader_, exchange);
        if (reader_.state() == net::wire::ResponseReader::State::kError) {
          session.reset();
          return detail::ReaderFailure(reader_);
        }
        if (reader_.keep_alive()) {
          session.Used(steady_());
        } else {
          session.reset();
        }
        return std::nullopt;
      });
    } catch (...) {
      session_->reset();
      return CurrentFailure(!reader_.any_bytes());
    }
  }

  GatewayOptions options_;
  Clock clock_;
  Client::SteadyNow steady_;
  Endpoint endpoint_;
  detail::RequestWriter writer_;
  Poco::Net::Context::Ptr context_;
  std::unique_ptr<Poco::Net::HTTPClientSession> session_;
  SentRequest last_sent_;
  std::optional<Failure> connect_failure_;  // PrepareConnection's, for the next Send
  int connections_opened_ = 0;
  std::string request_bytes_;
  net::wire::ResponseReader reader_{kMaxResponseBytes};
};

Client::Client(GatewayOptions options, Clock clock, SteadyNow steady)
    : impl_(std::make_unique<Impl>(std::move(options), std::move(clock), std::move(steady))) {}
Client::~Client() = default;
Client::Client(Client&&) noexcept = default;
Client& Client::operator=(Client&&) noexcept = default;

Exchange Client::Call(const Merchant& merchant, const Request& request) { return impl_->Call(merchant, request); }
void Client::PrepareConnection() { impl_->PrepareConnection(); }
const SentRequest& Client::last_sent() const { return impl_->last_sent(); }
int Client::connections_opened() const { return impl_->connections_opened(); }
const GatewayOptions& Client::options() const { return impl_->options(); }
const std::string& Client::signing_host() const { return impl_->signing_host(); }

}  // namespace payrecon::gateway
