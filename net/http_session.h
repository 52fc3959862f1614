#pragma once
// The one way payrecon opens an HTTP(S) client session (Poco): the TLS client context (TLS 1.2 or later, chain and
// host name verified strictly, a failed check rejected and never prompted for), the CA bundle, and the timeouts.
// Used by the gateway client and the Pushgateway push, so both trust and time out alike.
#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPSClientSession.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

namespace payrecon::net {

// Where a session connects.
struct Target {
  bool https = true;
  std::string host;
  std::uint16_t port = 443;
};

// Limits of one session: connecting (TCP and TLS handshake), then each send and each receive.
struct Timeouts {
  std::chrono::milliseconds connect{5000};
  std::chrono::milliseconds send{10000};
  std::chrono::milliseconds receive{10000};
};

// A TLS client context trusting the PEM bundle `ca_file`, or the system store when it is empty. Initialises
// OpenSSL (once per process). Throws Poco::Exception when `ca_file` cannot be used.
Poco::Net::Context::Ptr ClientTlsContext(const std::string& ca_file);

void SetTimeouts(Poco::Net::HTTPClientSession& session, const Timeouts& timeouts);

// A session to `target` (not yet connected) with `timeouts`; `tls` is used for https and must then be set.
// Http and Https name the session classes, so a caller may use a subclass of Poco's (the gateway client reads
// their protected keep-alive state).
template <class Http = Poco::Net::HTTPClientSession, class Https = Poco::Net::HTTPSClientSession>
std::unique_ptr<Poco::Net::HTTPClientSession> OpenSession(const Target& target, const Poco::Net::Context::Ptr& tls,
                                                          const Timeouts& timeouts) {
  std::unique_ptr<Poco::Net::HTTPClientSession> session;
  if (target.https) {
    session = std::make_unique<Https>(target.host, target.port, tls);
  } else {
    session = std::make_unique<Http>(target.host, target.port);
  }
  SetTimeouts(*session, timeouts);
  return session;
}

}  // namespace payrecon::net
