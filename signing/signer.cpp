#include "signing/signer.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/core_names.h>
#include <openssl/params.h>

#include <stdexcept>

namespace payrecon::signing {
namespace {

// OpenSSL 3 looks algorithms up by name on every implicit use (EVP_sha384(), HMAC()); fetching once and reusing a
// per-thread context halves the cost of a signature (bench/bench_gateway.cpp).
const EVP_MD* FetchedDigest(const char* name) {
  const EVP_MD* md = EVP_MD_fetch(nullptr, name, nullptr);
  if (md == nullptr) throw std::runtime_error(std::string("digest '") + name + "' unavailable in OpenSSL");
  return md;
}
const EVP_MD* Sha384() {
  static const EVP_MD* md = FetchedDigest("SHA384");
  return md;
}
const EVP_MD* Sha256() {
  static const EVP_MD* md = FetchedDigest("SHA256");
  return md;
}

struct MacContext {
  EVP_MAC_CTX* ctx = nullptr;
  MacContext() {
    static EVP_MAC* mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
    if (mac == nullptr) throw std::runtime_error("HMAC unavailable in OpenSSL");
    ctx = EVP_MAC_CTX_new(mac);
    char digest[] = "SHA384";
    const OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
                                 OSSL_PARAM_construct_end()};
    if (ctx == nullptr || EVP_MAC_CTX_set_params(ctx, params) != 1) {
      throw std::runtime_error("HMAC-SHA384 context setup failed in OpenSSL");
    }
  }
  ~MacContext() {
    EVP_MAC_CTX_free(ctx);
    OPENSSL_cleanse(key.data(), key.size());
  }
  MacContext(const MacContext&) = delete;
  MacContext& operator=(const MacContext&) = delete;

  // The key the context holds: HMAC keeps the key's inner and outer pads, so signing again with the same key (a
  // merchant's key of the day, twice per check) starts from them instead of hashing the key again.
  std::string key;
};

constexpr std::size_t kSha384Size = 48;

// HMAC-SHA384 with this thread's reused context. `out` receives 48 bytes.
void Hmac384Into(std::string_view key, std::string_view data, unsigned char* out) {
  thread_local MacContext mac;
  std::size_t len = 0;
  const bool same_key = !mac.key.empty() && mac.key.size() == key.size() &&
                        CRYPTO_memcmp(mac.key.data(), key.data(), key.size()) == 0;
  if (!same_key) {
    OPENSSL_cleanse(mac.key.data(), mac.key.size());
    mac.key.clear();
  }
  const int initialised =
      same_key ? EVP_MAC_init(mac.ctx, nullptr, 0, nullptr)
               : EVP_MAC_init(mac.ctx, reinterpret_cast<const unsigned char*>(key.data()), key.size(), nullptr);
  if (initialised == 1 && !same_key) mac.key.assign(key);
  if (initialised != 1 ||
      EVP_MAC_update(mac.ctx, reinterpret_cast<const unsigned char*>(data.data()), data.size()) != 1 ||
      EVP_MAC_final(mac.ctx, out, &len, kSha384Size) != 1 || len != kSha384Size) {
    throw std::runtime_error("HMAC-SHA384 failed in OpenSSL");
  }
}

std::string Hmac384(std::string_view key, std::string_view data) {
  unsigned char out[kSha384Size];
  Hmac384Into(key, data, out);
  return std::string(reinterpret_cast<const char*>(out), kSha384Size);
}

struct DigestContext {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  DigestContext() {
    if (ctx == nullptr) throw std::runtime_error("digest context allocation failed in OpenSSL");
  }
  ~DigestContext() { EVP_MD_CTX_free(ctx); }
  DigestContext(const DigestContext&) = delete;
  DigestContext& operator=(const DigestContext&) = delete;
};

std::size_t DigestInto(const EVP_MD* md, std::string_view data, unsigned char* out);
void AppendHex(std::string& out, const unsigned char* data, std::size_t size);

std::string DigestHex(const EVP_MD* md, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  const std::size_t len = DigestInto(md, data, out);
  std::string hex;
  AppendHex(hex, out, len);
  return hex;
}

}  // namespace

std::vector<Pair> SignedHeaderPairs(const RequestSigningHeaders& h) {
  const std::string_view* name = kSignedHeaderNames.data();
  return {{std::string(name[0]), std::string(kAlgorithm)}, {std::string(name[1]), h.client_id},
          {std::string(name[2]), h.amz_date},                {std::string(name[3]), h.expires},
          {std::string(name[4]), h.source},                  {std::string(name[5]), h.user_agent},
          {std::string(name[6]), h.user_ip}};
}

std::vector<Pair> SignedResponseHeaderPairs(const ResponseSigningHeaders& h) {
  return {{"x-amz-algorithm", std::string(kAlgorithm)},
          {"x-amz-date", h.amz_date},
          {"x-amz-request-id", h.request_id}};
}

std::string CanonicalResponseText(std::string_view method, std::string_view host_path,
                                  std::string_view algorithm, std::string_view amz_date,
                                  std::string_view request_id, const core::JsonValue& body) {
  // The three headers' names sort as written (x-amz-algorithm < x-amz-date < x-amz-request-id).
  std::string out;
  out.reserve(512);
  out += method;
  out += '\n';
  out += host_path;
  out += "\n\nx-amz-algorithm=";
  AppendPercentEncoded(out, algorithm);
  out += "&x-amz-date=";
  AppendPercentEncoded(out, amz_date);
  out += "&x-amz-request-id=";
  AppendPercentEncoded(out, request_id);
  out += '\n';
  AppendCanonicalBody(out, body);
  return out;
}

namespace {

// Appends lowercase hex of `size` bytes.
void AppendHex(std::string& out, const unsigned char* data, std::size_t size) {
  static constexpr char kHex[] = "0123456789abcdef";
  const std::size_t at = out.size();
  out.resize(at + 2 * size);
  for (std::size_t i = 0; i < size; ++i) {
    out[at + 2 * i] = kHex[data[i] >> 4];
    out[at + 2 * i + 1] = kHex[data[i] & 0x0F];
  }
}

std::size_t DigestInto(const EVP_MD* md, std::string_view data, unsigned char* out) {
  thread_local DigestContext digest;
  unsigned int len = 0;
  if (EVP_DigestInit_ex(digest.ctx, md, nullptr) != 1 || EVP_DigestUpdate(digest.ctx, data.data(), data.size()) != 1 ||
      EVP_DigestFinal_ex(digest.ctx, out, &len) != 1) {
    throw std::runtime_error("digest failed in OpenSSL");
  }
  return len;
}

void AppendStringToSign(std::string& s, std::string_view canonical, std::string_view amz_date) {
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
  unsigned char digest[EVP_MAX_MD_SIZE];
  AppendHex(s, digest, DigestInto(Sha384(), canonical, digest));
}

}  // namespace

std::string StringToSign(std::string_view canonical, std::string_view amz_date) {
  std::string s;
  s.reserve(200);
  AppendStringToSign(s, canonical, amz_date);
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

std::optional<AuthorizationParts> ParseAuthorization(std::string_view value) {
  if (!value.starts_with(kAuthorizationPrefix)) return std::nullopt;
  value.remove_prefix(kAuthorizationPrefix.size());
  if (value.empty() || (value.front() != kAuthorizationSeparator.front() && value.front() != '+')) return std::nullopt;
  value.remove_prefix(1);
  const auto colon = value.find(':');
  if (colon == std::string_view::npos || colon == 0) return std::nullopt;
  return AuthorizationParts{value.substr(0, colon), value.substr(colon + 1)};
}

std::string Sha384Hex(std::string_view data) { return DigestHex(Sha384(), data); }
std::string Sha256Hex(std::string_view data) { return DigestHex(Sha256(), data); }

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

const Signer::DayKey& Signer::KeyFor(std::string_view day) const {
  if (const DayKey* key = key_.load(std::memory_order_acquire); key != nullptr && key->day == day) return *key;
  std::lock_guard lock(keys_mu_);
  for (const auto& known : keys_) {  // a day seen before (answers dated yesterday while signing today)
    if (known->day == day) {
      key_.store(known.get(), std::memory_order_release);
      return *known;
    }
  }
  std::string k = Hmac384("AWS4" + secret_.Reveal(), day);
  k = Hmac384(k, kRegion);
  k = Hmac384(k, kService);
  auto fresh = std::make_unique<DayKey>();
  fresh->day = std::string(day);
  fresh->key = Hmac384(k, kTerminator);
  const DayKey* published = fresh.get();
  keys_.push_back(std::move(fresh));
  key_.store(published, std::memory_order_release);
  return *published;
}

std::string Signer::Sign(std::string_view canonical, std::string_view amz_date) const {
  const DayKey& key = KeyFor(amz_date.substr(0, 8));
  thread_local std::string to_sign;
  to_sign.clear();
  AppendStringToSign(to_sign, canonical, amz_date);
  unsigned char mac[kSha384Size];
  Hmac384Into(key.key, to_sign, mac);
  return Base64UrlNoPad(mac, kSha384Size);
}

bool Signer::Verify(std::string_view canonical, std::string_view amz_date, std::string_view signature) const {
  return ConstantTimeEquals(Sign(canonical, amz_date), signature);
}

}  // namespace payrecon::signing
