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

namespace payrecon::gateway {
namespace {

using SteadyClock = std::chrono::steady_clock;

// A kept-alive connection idle this long is closed and opened again before the next request, rather than risk a
// server or proxy having dropped it meanwhile (Poco's own default keep-alive timeout).
constexpr std::chrono::seconds kKeepAliveIdle{8};
// A connection opened ahead of its request (Client::PrepareConnection) that waited longer than this for it counts
// as kept alive: a gateway or proxy may drop unused connections, so a GET that fails on it before any response
// byte is resent once on a new connection, as on any kept-alive connection.
constexpr std::chrono::seconds kOpenedAheadMayBeStale{1};

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

std::string BodyJson(const std::vector<signing::Pair>& pairs) {
  std::string out = "{";
  for (const auto& p : pairs) {
    if (out.size() > 1) out += ',';
    core::AppendJsonString(out, p.key);
    out += ':';
    core::AppendJsonString(out, p.value);
  }
  out += '}';
  return out;
}

std::string Describe(const Poco::Exception& e) { return e.displayText(); }

struct Failure {
  Transport transport;
  std::string message;
  bool before_response;  // nothing of the response arrived: a reused connection may just have been stale
};

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

// What a refused response means for the exchange.
Failure ReaderFailure(const net::wire::ResponseReader& r) {
  if (!r.any_bytes()) return {Transport::kNetwork, "network failure: " + r.error(), true};
  if (!r.started()) return {Transport::kNetwork, "bad response: " + r.error(), false};
  if (r.truncated()) return {Transport::kTruncated, r.error(), false};
  return {Transport::kTruncated, "bad response framing: " + r.error(), false};
}

void ReadHeaders(const net::wire::ResponseReader& r, ResponseHeaders& h) {
  const auto signature = r.Header("x-amz-signature");
  const auto algorithm = r.Header("x-amz-algorithm");
  h.has_signature = signature.has_value();
  h.has_algorithm = algorithm.has_value();
  h.signature = signature.value_or("");
  h.algorithm = algorithm.value_or("");
  h.amz_date = r.Header("x-amz-date").value_or("");
  h.request_id = r.Header("x-amz-request-id").value_or("");
  h.retry_after = r.Header("Retry-After").value_or("");
}

}  // namespace

class Client::Impl {
 public:
  Impl(GatewayOptions options, Clock clock, Client::SteadyNow steady)
      : options_(std::move(options)), clock_(std::move(clock)), steady_(std::move(steady)) {
    ValidateOptions(options_);
    endpoint_ = ParseEndpoint(options_.endpoint);
    signing_host_ = options_.signing_host.empty() ? endpoint_.host : options_.signing_host;
    expires_ = std::to_string(options_.expires_seconds);
    host_header_ = net::wire::HostHeader(endpoint_.host, endpoint_.port);
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
    const bool post = request.method == "POST";
    const core::Instant now = clock_();
    // Built in the members' buffers, which keep their capacity from call to call.
    SentRequest& sent = last_sent_;
    sent.amz_date = core::FormatAmzDate(now);
    FillHeaderPairs(merchant);
    host_path_.assign(signing_host_).append(request.path);
    sent.canonical.clear();
    signing::AppendCanonicalText(sent.canonical, {request.method, host_path_, post ? kNoPairs : request.query,
                                                  header_pairs_, post ? request.body : kNoPairs});
    sent.authorization =
        signing::AuthorizationHeader(merchant.access_key_id(), merchant.signer().Sign(sent.canonical, sent.amz_date));
    sent.target.assign(request.path);
    if (!post && !request.query.empty()) {
      sent.target += '?';
      signing::AppendCanonicalPairs(sent.target, request.query);
    }
    sent.body.clear();
    if (post) sent.body = BodyJson(request.body);

    wire_headers_.clear();
    for (const auto& [name, value] : header_pairs_) wire_headers_.emplace_back(name, value);
    wire_headers_.emplace_back("Authorization", sent.authorization);
    wire_headers_.emplace_back("Accept", "application/json");
    if (post) wire_headers_.emplace_back("Content-Type", "application/json");
    request_bytes_.clear();
    Exchange exchange;
    try {
      net::wire::AppendRequest(request_bytes_, request.method, sent.target, host_header_, wire_headers_, sent.body);
    } catch (const std::invalid_argument& e) {
      // Options and merchants are validated before; this guards the wire against a header split all the same.
      connect_failure_.reset();  // this call's, had PrepareConnection failed: not a later call's
      exchange.transport = Transport::kNetwork;
      exchange.transport_error = std::string("invalid request: ") + e.what();
      exchange.received_at = clock_();
      return exchange;
    }

    const auto started = SteadyClock::now();
    bool reused = false;
    auto failure = Send(exchange, reused);
    if (failure && !post && reused && failure->before_response && failure->transport == Transport::kNetwork) {
      exchange = Exchange{};
      failure = Send(exchange, reused);
    }
    exchange.latency_us =
        std::chrono::duration_cast<std::chrono::microseconds>(SteadyClock::now() - started).count();
    exchange.received_at = clock_();
    if (failure) {
      exchange.transport = failure->transport;
      exchange.transport_error = std::move(failure->message);
      if (exchange.transport == Transport::kTruncated) {
        InspectResponse(exchange, request.method, host_path_, merchant.signer());
        CheckResponseDate(exchange, options_.response_max_skew);
      }
      return exchange;
    }
    exchange.transport = Transport::kCompleted;
    InspectResponse(exchange, request.method, host_path_, merchant.signer());
    CheckResponseDate(exchange, options_.response_max_skew);
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
  const std::string& signing_host() const { return signing_host_; }

 private:
  using HttpSession = Session<Poco::Net::HTTPClientSession>;
  using HttpsSession = Session<Poco::Net::HTTPSClientSession>;

  static inline const std::vector<signing::Pair> kNoPairs;

  // The seven signed headers' pairs, in place: only the merchant's id and the date change between calls.
  void FillHeaderPairs(const Merchant& merchant) {
    if (header_pairs_.empty()) {
      header_pairs_ = signing::SignedHeaderPairs({merchant.merchant_id(), last_sent_.amz_date, expires_,
                                                  options_.source, options_.user_agent, options_.user_ip});
      return;
    }
    // kSignedHeaderNames order: algorithm, client id, date, expires, source, user agent, user ip.
    header_pairs_[1].value.assign(merchant.merchant_id());
    header_pairs_[2].value.assign(last_sent_.amz_date);
  }

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
        exchange.http_status = reader_.status();
        ReadHeaders(reader_, exchange.headers);
        exchange.body = std::move(reader_.body());
        if (reader_.state() == net::wire::ResponseReader::State::kError) {
          session.reset();
          return ReaderFailure(reader_);
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
  std::string signing_host_;
  std::string expires_;
  Poco::Net::Context::Ptr context_;
  std::unique_ptr<Poco::Net::HTTPClientSession> session_;
  SentRequest last_sent_;
  std::optional<Failure> connect_failure_;  // PrepareConnection's, for the next Send
  int connections_opened_ = 0;
  std::string host_header_;
  std::string host_path_;
  std::vector<signing::Pair> header_pairs_;
  std::vector<std::pair<std::string_view, std::string_view>> wire_headers_;
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
