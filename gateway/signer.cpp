#include "gateway/signer.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <stdexcept>

namespace payrecon::gateway {
namespace {

std::string Hmac384(std::string_view key, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (HMAC(EVP_sha384(), key.data(), static_cast<int>(key.size()),
           reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, &len) == nullptr) {
    throw std::runtime_error("HMAC-SHA384 failed in OpenSSL");
  }
  return std::string(reinterpret_cast<const char*>(out), len);
}

std::string DigestHex(const EVP_MD* md, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(data.data(), data.size(), out, &len, md, nullptr) != 1) {
    throw std::runtime_error("digest failed in OpenSSL");
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(len * 2);
  for (unsigned i = 0; i < len; ++i) {
    hex += kHex[out[i] >> 4];
    hex += kHex[out[i] & 0x0F];
  }
  return hex;
}

}  // namespace

std::vector<core::Pair> SignedHeaderPairs(const RequestSigningHeaders& h) {
  return {{"x-amz-algorithm", std::string(kAlgorithm)}, {"x-amz-client-id", h.client_id},
          {"x-amz-date", h.amz_date},                    {"x-amz-expires", h.expires},
          {"x-amz-source", h.source},                    {"x-amz-user-agent", h.user_agent},
          {"x-amz-user-ip", h.user_ip}};
}

std::vector<core::Pair> SignedResponseHeaderPairs(const ResponseSigningHeaders& h) {
  return {{"x-amz-algorithm", std::string(kAlgorithm)},
          {"x-amz-date", h.amz_date},
          {"x-amz-request-id", h.request_id}};
}

std::string StringToSign(std::string_view canonical, std::string_view amz_date) {
  std::string s;
  s.reserve(200);
  s += kAlgorithm;
  s += '\n';
  s += amz_date;
  s += '\n';
  s += amz_date.substr(0, 8);
  s += '/';
  s += kRegion;
  s += '/';
  s += kService;
  s += '/';
  s += kTerminator;
  s += '\n';
  s += Sha384Hex(canonical);
  return s;
}

std::string AuthorizationHeader(std::string_view access_key_id, std::string_view signature) {
  std::string s(kAuthorizationPrefix);
  s += kAuthorizationSeparator;
  s += access_key_id;
  s += ':';
  s += signature;
  return s;
}

std::string Sha384Hex(std::string_view data) { return DigestHex(EVP_sha384(), data); }
std::string Sha256Hex(std::string_view data) { return DigestHex(EVP_sha256(), data); }

std::string Base64UrlNoPad(const unsigned char* data, std::size_t size) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  out.reserve((size + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 3 <= size; i += 3) {
    const unsigned v = (data[i] << 16) | (data[i + 1] << 8) | data[i + 2];
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += kAlphabet[v & 63];
  }
  if (size - i == 1) {
    const unsigned v = data[i] << 16;
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
  } else if (size - i == 2) {
    const unsigned v = (data[i] << 16) | (data[i + 1] << 8);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
  }
  return out;
}

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

Signer::Signer(core::Secret secret) : secret_(std::move(secret)) {}

std::string Signer::SigningKey(std::string_view day) const {
  std::lock_guard lock(mu_);
  if (cached_day_ != day || cached_key_.empty()) {
    std::string k = Hmac384("AWS4" + secret_.Reveal(), day);
    k = Hmac384(k, kRegion);
    k = Hmac384(k, kService);
    cached_key_ = Hmac384(k, kTerminator);
    cached_day_ = std::string(day);
  }
  return cached_key_;
}

std::string Signer::Sign(std::string_view canonical, std::string_view amz_date) const {
  const std::string key = SigningKey(amz_date.substr(0, 8));
  const std::string mac = Hmac384(key, StringToSign(canonical, amz_date));
  return Base64UrlNoPad(reinterpret_cast<const unsigned char*>(mac.data()), mac.size());
}

bool Signer::Verify(std::string_view canonical, std::string_view amz_date, std::string_view signature) const {
  return ConstantTimeEquals(Sign(canonical, amz_date), signature);
}

}  // namespace payrecon::gateway
