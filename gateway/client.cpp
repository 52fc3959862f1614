#include "gateway/client.h"

#include <Poco/Exception.h>
#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPSClientSession.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/RejectCertificateHandler.h>
#include <Poco/Net/SSLException.h>
#include <Poco/Net/SSLManager.h>

#include <chrono>
#include <istream>
#include <mutex>

namespace payrecon::gateway {
namespace {

// Exposes Poco's protected keep-alive decision so the client knows whether a send reuses a connection.
template <class Base>
class Session final : public Base {
 public:
  using Base::Base;
  bool WillOpenConnection() const { return !this->connected() || this->mustReconnect(); }
};

void InitializeSslOnce() {
  static std::once_flag once;
  std::call_once(once, [] { Poco::Net::initializeSSL(); });
}

Poco::Timespan ToTimespan(std::chrono::milliseconds ms) {
  return Poco::Timespan(static_cast<Poco::Timespan::TimeDiff>(ms.count()) * 1000);
}

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

}  // namespace

class Client::Impl {
 public:
  Impl(GatewayOptions options, Clock clock) : options_(std::move(options)), clock_(std::move(clock)) {
    ValidateOptions(options_);
    endpoint_ = ParseEndpoint(options_.endpoint);
    signing_host_ = options_.signing_host.empty() ? endpoint_.host : options_.signing_host;
    expires_ = std::to_string(options_.expires_seconds);
    if (endpoint_.https) {
      InitializeSslOnce();
      Poco::Net::Context::Params params;
      params.caLocation = options_.ca_file;
      params.loadDefaultCAs = options_.ca_file.empty();
      // STRICT, not RELAXED: for a client both verify the chain, but Poco skips the host name check for
      // loopback peers unless the mode is STRICT (the local TLS tests depend on it).
      params.verificationMode = Poco::Net::Context::VERIFY_STRICT;
      params.verificationDepth = 9;
      try {
        context_ = new Poco::Net::Context(Poco::Net::Context::TLSV1_2_CLIENT_USE, params);
      } catch (const Poco::Exception& e) {
        throw InvalidOptions("gateway option 'ca_file': '" + options_.ca_file + "' cannot be used: " +
                             e.displayText());
      }
      // Host name checks after the handshake; failures are rejected, never prompted for or accepted.
      context_->enableExtendedCertificateVerification(true);
      context_->setInvalidCertificateHandler(new Poco::Net::RejectCertificateHandler(false));
    }
  }

  Exchange Call(const Merchant& merchant, const Request& request) {
    const bool post = request.method == "POST";
    const core::Instant now = clock_();
    SentRequest sent;
    sent.amz_date = core::FormatAmzDate(now);
    const signing::RequestSigningHeaders headers{merchant.merchant_id(), sent.amz_date,   expires_,
                                                 options_.source,        options_.user_agent, options_.user_ip};
    const std::string host_path = signing_host_ + request.path;
    std::vector<signing::Pair> header_pairs = signing::SignedHeaderPairs(headers);
    sent.canonical =
        signing::CanonicalText({request.method, host_path, post ? std::vector<signing::Pair>{} : request.query,
                                header_pairs, post ? request.body : std::vector<signing::Pair>{}});
    sent.authorization =
        signing::AuthorizationHeader(merchant.access_key_id(), merchant.signer().Sign(sent.canonical, sent.amz_date));
    sent.target = request.path;
    if (!post && !request.query.empty()) sent.target += "?" + signing::CanonicalPairs(request.query);
    if (post) sent.body = BodyJson(request.body);

    Poco::Net::HTTPRequest http(post ? Poco::Net::HTTPRequest::HTTP_POST : Poco::Net::HTTPRequest::HTTP_GET,
                                sent.target, Poco::Net::HTTPMessage::HTTP_1_1);
    for (const auto& [name, value] : header_pairs) http.set(name, value);
    http.set("Authorization", sent.authorization);
    http.set("Accept", "application/json");
    if (post) {
      http.setContentType("application/json");
      http.setContentLength(static_cast<std::streamsize>(sent.body.size()));
    }
    last_sent_ = std::move(sent);

    const auto started = std::chrono::steady_clock::now();
    Exchange exchange;
    bool reused = false;
    auto failure = Send(http, exchange, reused);
    if (failure && !post && reused && failure->before_response && failure->transport == Transport::kNetwork) {
      exchange = Exchange{};
      failure = Send(http, exchange, reused);
    }
    exchange.latency_us =
        std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - started).count();
    exchange.received_at = clock_();
    if (failure) {
      exchange.transport = failure->transport;
      exchange.transport_error = std::move(failure->message);
      if (exchange.transport == Transport::kTruncated) {
        InspectResponse(exchange, request.method, host_path, merchant.signer());
        CheckResponseDate(exchange, options_.response_max_skew);
      }
      return exchange;
    }
    exchange.transport = Transport::kCompleted;
    InspectResponse(exchange, request.method, host_path, merchant.signer());
    CheckResponseDate(exchange, options_.response_max_skew);
    return exchange;
  }

  const SentRequest& last_sent() const { return last_sent_; }
  int connections_opened() const { return connections_opened_; }
  const GatewayOptions& options() const { return options_; }
  const std::string& signing_host() const { return signing_host_; }

 private:
  Poco::Net::HTTPClientSession& EnsureSession() {
    if (!session_) {
      if (endpoint_.https) {
        session_ = std::make_unique<Session<Poco::Net::HTTPSClientSession>>(endpoint_.host, endpoint_.port, context_);
      } else {
        session_ = std::make_unique<Session<Poco::Net::HTTPClientSession>>(endpoint_.host, endpoint_.port);
      }
      session_->setKeepAlive(true);
      session_->setTimeout(ToTimespan(options_.connect_timeout), ToTimespan(options_.read_timeout),
                           ToTimespan(options_.read_timeout));
    }
    return *session_;
  }

  bool WillOpenConnection() const {
    if (endpoint_.https) {
      return static_cast<const Session<Poco::Net::HTTPSClientSession>&>(*session_).WillOpenConnection();
    }
    return static_cast<const Session<Poco::Net::HTTPClientSession>&>(*session_).WillOpenConnection();
  }

  // Sends and reads one response into `exchange`; nullopt on success.
  std::optional<Failure> Send(Poco::Net::HTTPRequest& http, Exchange& exchange, bool& reused) {
    Poco::Net::HTTPClientSession& session = EnsureSession();
    reused = !WillOpenConnection();
    if (!reused) ++connections_opened_;
    bool response_started = false;
    try {
      std::ostream& os = session.sendRequest(http);
      if (http.getMethod() == Poco::Net::HTTPRequest::HTTP_POST) os << last_sent_.body;
      Poco::Net::HTTPResponse response;
      std::istream& is = session.receiveResponse(response);
      response_started = true;
      exchange.http_status = static_cast<int>(response.getStatus());
      ReadHeaders(response, exchange.headers);
      const bool complete = ReadBody(is, response, exchange.body);
      if (!complete) {
        session.reset();
        return Failure{Transport::kTruncated,
                       exchange.body.size() > kMaxResponseBytes
                           ? "response body exceeds " + std::to_string(kMaxResponseBytes) + " bytes"
                           : "response body truncated after " + std::to_string(exchange.body.size()) + " of " +
                                 std::to_string(response.getContentLength64()) + " bytes",
                       false};
      }
      if (!response.getKeepAlive()) session.reset();
      return std::nullopt;
    } catch (const Poco::TimeoutException& e) {
      session.reset();
      return Failure{Transport::kTimeout, "timed out: " + Describe(e), !response_started};
    } catch (const Poco::Net::MessageException& e) {
      session.reset();
      // A malformed status line or chunk framing: the peer spoke, but not usable HTTP.
      if (response_started) return Failure{Transport::kTruncated, "bad response framing: " + Describe(e), false};
      return Failure{Transport::kNetwork, "bad response: " + Describe(e), false};
    } catch (const Poco::Net::SSLException& e) {
      session.reset();
      return Failure{Transport::kNetwork, "tls failure: " + Describe(e), !response_started};
    } catch (const Poco::Exception& e) {
      session.reset();
      return Failure{Transport::kNetwork, "network failure: " + Describe(e), !response_started};
    } catch (const std::exception& e) {
      session.reset();
      return Failure{Transport::kNetwork, std::string("network failure: ") + e.what(), !response_started};
    }
  }

  static void ReadHeaders(const Poco::Net::HTTPResponse& response, ResponseHeaders& h) {
    h.has_signature = response.has("x-amz-signature");
    h.has_algorithm = response.has("x-amz-algorithm");
    h.signature = response.get("x-amz-signature", "");
    h.algorithm = response.get("x-amz-algorithm", "");
    h.amz_date = response.get("x-amz-date", "");
    h.request_id = response.get("x-amz-request-id", "");
    h.retry_after = response.get("Retry-After", "");
  }

  // Reads the whole body (so the connection can be reused). False when it ended short of Content-Length or
  // exceeded kMaxResponseBytes.
  static bool ReadBody(std::istream& is, const Poco::Net::HTTPResponse& response, std::string& body) {
    // Let a timeout or reset inside the stream surface as its exception instead of a silent badbit.
    is.exceptions(std::ios::badbit);
    char buffer[8192];
    while (is) {
      is.read(buffer, sizeof buffer);
      body.append(buffer, static_cast<std::size_t>(is.gcount()));
      if (body.size() > kMaxResponseBytes) return false;
    }
    if (is.bad()) return false;
    if (response.hasContentLength() &&
        static_cast<std::int64_t>(body.size()) < static_cast<std::int64_t>(response.getContentLength64())) {
      return false;
    }
    return true;
  }

  GatewayOptions options_;
  Clock clock_;
  Endpoint endpoint_;
  std::string signing_host_;
  std::string expires_;
  Poco::Net::Context::Ptr context_;
  std::unique_ptr<Poco::Net::HTTPClientSession> session_;
  SentRequest last_sent_;
  int connections_opened_ = 0;
};

Client::Client(GatewayOptions options, Clock clock)
    : impl_(std::make_unique<Impl>(std::move(options), std::move(clock))) {}
Client::~Client() = default;
Client::Client(Client&&) noexcept = default;
Client& Client::operator=(Client&&) noexcept = default;

Exchange Client::Call(const Merchant& merchant, const Request& request) { return impl_->Call(merchant, request); }
const SentRequest& Client::last_sent() const { return impl_->last_sent(); }
int Client::connections_opened() const { return impl_->connections_opened(); }
const GatewayOptions& Client::options() const { return impl_->options(); }
const std::string& Client::signing_host() const { return impl_->signing_host(); }

}  // namespace payrecon::gateway
