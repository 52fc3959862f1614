#include "net/http_session.h"

#include <Poco/Net/RejectCertificateHandler.h>
#include <Poco/Net/SSLManager.h>

#include <mutex>

namespace payrecon::net {
namespace {

Poco::Timespan ToTimespan(std::chrono::milliseconds ms) {
  return Poco::Timespan(static_cast<Poco::Timespan::TimeDiff>(ms.count()) * 1000);
}

}  // namespace

Poco::Net::Context::Ptr ClientTlsContext(const std::string& ca_file) {
  static std::once_flag once;
  std::call_once(once, [] { Poco::Net::initializeSSL(); });
  Poco::Net::Context::Params params;
  params.caLocation = ca_file;
  params.loadDefaultCAs = ca_file.empty();
  // STRICT, not RELAXED: for a client both verify the chain, but Poco skips the host name check for loopback peers
  // unless the mode is STRICT (the local TLS tests depend on it).
  params.verificationMode = Poco::Net::Context::VERIFY_STRICT;
  params.verificationDepth = 9;
  Poco::Net::Context::Ptr context = new Poco::Net::Context(Poco::Net::Context::TLSV1_2_CLIENT_USE, params);
  // Host name checks after the handshake; failures are rejected, never prompted for or accepted.
  context->enableExtendedCertificateVerification(true);
  context->setInvalidCertificateHandler(new Poco::Net::RejectCertificateHandler(false));
  return context;
}

void SetTimeouts(Poco::Net::HTTPClientSession& session, const Timeouts& timeouts) {
  session.setTimeout(ToTimespan(timeouts.connect), ToTimespan(timeouts.send), ToTimespan(timeouts.receive));
}

}  // namespace payrecon::net
