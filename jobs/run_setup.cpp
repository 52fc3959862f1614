#include "jobs/run_setup.h"

#include <array>
#include <random>
#include <vector>

namespace payrecon::jobs {

std::string NewRunId() {
  std::random_device rd;
  std::array<unsigned char, 16> b{};
  for (auto& x : b) x = static_cast<unsigned char>(rd() & 0xff);
  b[6] = static_cast<unsigned char>((b[6] & 0x0f) | 0x40);  // UUID version 4
  b[8] = static_cast<unsigned char>((b[8] & 0x3f) | 0x80);  // RFC 4122 variant
  static const char* kHex = "0123456789abcdef";
  std::string s;
  for (std::size_t i = 0; i < b.size(); ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) s += '-';
    s += kHex[b[i] >> 4];
    s += kHex[b[i] & 0x0f];
  }
  return s;
}

gateway::GatewayOptions GatewayOptionsFrom(const config::AmazonPaySettings& a) {
  gateway::GatewayOptions o;
  o.endpoint = a.endpoint;
  o.signing_host = a.signing_host;
  o.allow_insecure_http = a.allow_insecure_http;
  o.ca_file = a.ca_file;
  o.connect_timeout = a.connect_timeout;
  o.read_timeout = a.read_timeout;
  o.user_ip = a.user_ip;
  o.user_agent = a.user_agent;
  o.expires_seconds = a.expires;
  o.response_max_skew = a.response_max_skew;
  return o;
}

std::shared_ptr<const gateway::Merchants> MerchantsFrom(const config::Settings& s) {
  std::vector<gateway::MerchantCredentials> creds;
  for (const auto& m : s.merchants) creds.push_back({m.merchant_id, m.access_key_id, m.secret_key});
  return std::make_shared<const gateway::Merchants>(std::move(creds));
}

}  // namespace payrecon::jobs
