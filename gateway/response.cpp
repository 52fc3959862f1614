#include "gateway/response.h"

#include <algorithm>

#include <array>
#include <charconv>

#include "signing/canonical.h"

namespace payrecon::gateway {
namespace {

// docs/amazon-pay-protocol.md §5: the 400 codes that mean "the gateway does not know this id".
constexpr std::array<std::string_view, 2> kNotFoundCodes = {"InvalidChargeId", "InvalidRefundId"};

const std::string* StringMember(const core::JsonValue& body, std::string_view key) {
  const core::JsonValue* v = body.Find(key);
  if (v == nullptr || v->type() != core::JsonValue::Type::kString) return nullptr;
  return &v->text();
}

int MonthFromName(std::string_view m) {
  static constexpr std::array<std::string_view, 12> kMonths = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                               "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  for (std::size_t i = 0; i < kMonths.size(); ++i) {
    if (kMonths[i] == m) return static_cast<int>(i) + 1;
  }
  return 0;
}

bool Number(std::string_view s, int& out) {
  if (s.empty()) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size();
}

// IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT" (RFC 9110 §5.6.7). The obsolete forms are not accepted.
std::optional<core::Instant> ParseHttpDate(std::string_view v) {
  if (v.size() != 29 || v[3] != ',' || v[4] != ' ' || v[7] != ' ' || v[11] != ' ' || v[16] != ' ' ||
      v[19] != ':' || v[22] != ':' || v.substr(25) != " GMT") {
    return std::nullopt;
  }
  int day = 0, year = 0, hour = 0, minute = 0, second = 0;
  const int month = MonthFromName(v.substr(8, 3));
  if (month == 0 || !Number(v.substr(5, 2), day) || !Number(v.substr(12, 4), year) ||
      !Number(v.substr(17, 2), hour) || !Number(v.substr(20, 2), minute) || !Number(v.substr(23, 2), second)) {
    return std::nullopt;
  }
  if (day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) return std::nullopt;
  const std::int64_t days = core::DaysFromCivil(year, static_cast<unsigned>(month), static_cast<unsigned>(day));
  return core::Instant{core::Millis{(days * 86400 + hour * 3600 + minute * 60 + second) * 1000}};
}

bool Is2xx(int status) { return status >= 200 && status < 300; }

}  // namespace

void InspectResponse(Exchange& exchange, std::string_view method, std::string_view host_path,
                     const signing::Signer& signer) {
  exchange.json.reset();
  exchange.json_error.clear();
  exchange.response_digest.clear();
  if (exchange.body.empty()) {
    exchange.json_error = "empty body";
  } else {
    auto parsed = core::ParseJson(exchange.body);
    if (parsed.ok()) {
      exchange.json = std::move(parsed).value();
    } else {
      exchange.json_error = parsed.error();
    }
  }

  const ResponseHeaders& h = exchange.headers;
  if (!h.has_signature) {
    exchange.signature = SignatureCheck::kMissing;
    return;
  }
  if (!exchange.json) {
    exchange.signature = SignatureCheck::kUnreadable;
    return;
  }
  // A response that omits x-amz-algorithm can only have been signed with the one algorithm there is.
  const std::string_view algorithm = h.has_algorithm ? std::string_view(h.algorithm) : signing::kAlgorithm;
  if (algorithm != signing::kAlgorithm || !core::ParseAmzDate(h.amz_date).ok()) {
    exchange.signature = SignatureCheck::kWrong;
    return;
  }
  const std::string canonical =
      signing::CanonicalResponseText(method, host_path, algorithm, h.amz_date, h.request_id, *exchange.json);
  if (signer.Verify(canonical, h.amz_date, h.signature)) {
    exchange.signature = SignatureCheck::kVerified;
    exchange.response_digest = signing::Sha256Hex(canonical);
  } else {
    exchange.signature = SignatureCheck::kWrong;
  }
}

void CheckResponseDate(Exchange& exchange, core::Millis max_skew) {
  if (exchange.signature != SignatureCheck::kVerified) return;
  const auto date = core::ParseAmzDate(exchange.headers.amz_date);
  if (!date) {  // InspectResponse only verifies well-formed dates; kept for safety
    exchange.signature = SignatureCheck::kWrong;
    return;
  }
  const core::Millis off = *date - exchange.received_at;
  if (off > max_skew || -off > max_skew) {
    const auto secs = [](core::Millis m) { return std::to_string(std::chrono::duration_cast<std::chrono::seconds>(m).count()); };
    exchange.signature = SignatureCheck::kStale;
    exchange.signature_detail = "x-amz-date " + exchange.headers.amz_date + " is " + secs(off < core::Millis{0} ? -off : off) +
                                " s " + (off < core::Millis{0} ? "behind" : "ahead of") + " our clock (allowed " +
                                secs(max_skew) + " s): a replayed or mis-dated answer";
    exchange.response_digest.clear();
  }
}

std::optional<std::int64_t> ParseRetryAfter(std::string_view value, core::Instant now) {
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
  if (value.empty()) return std::nullopt;
  if (value.front() >= '0' && value.front() <= '9') {
    std::int64_t seconds = 0;
    const auto [p, ec] = std::from_chars(value.data(), value.data() + value.size(), seconds);
    if (p != value.data() + value.size()) return std::nullopt;
    if (ec == std::errc::result_out_of_range) return kMaxRetryAfterSeconds;
    if (ec != std::errc()) return std::nullopt;
    return std::min(seconds, kMaxRetryAfterSeconds);
  }
  const auto when = ParseHttpDate(value);
  if (!when) return std::nullopt;
  const auto delta = std::chrono::ceil<std::chrono::seconds>(*when - now).count();
  return std::clamp<std::int64_t>(delta, 0, kMaxRetryAfterSeconds);
}

core::CheckResult Classify(const Exchange& exchange, const BodyReader& read_body) {
  using core::CheckOutcome;
  core::CheckResult r;
  r.latency_us = exchange.latency_us;
  switch (exchange.transport) {
    case Transport::kTimeout:
      r.outcome = CheckOutcome::kTimeout;
      r.message = exchange.transport_error;
      return r;
    case Transport::kNetwork:
      r.outcome = CheckOutcome::kNetwork;
      r.message = exchange.transport_error;
      return r;
    case Transport::kTruncated:
      r.outcome = CheckOutcome::kMalformed;
      r.http_status = exchange.http_status;
      r.request_id = exchange.headers.request_id;
      r.message = exchange.transport_error;
      return r;
    case Transport::kCompleted: break;
  }

  const int status = exchange.http_status;
  r.http_status = status;
  r.request_id = exchange.headers.request_id;
  if (!exchange.headers.retry_after.empty()) {
    r.retry_after_seconds = ParseRetryAfter(exchange.headers.retry_after, exchange.received_at);
  }
  const core::JsonValue* body = exchange.json && exchange.json->is_object() ? &*exchange.json : nullptr;
  if (body != nullptr) {
    if (const std::string* code = StringMember(*body, "code")) r.gateway_code = *code;
    if (const std::string* message = StringMember(*body, "message")) r.message = *message;
  }

  if (Is2xx(status)) {
    // Nothing from a 2xx is believed before its signature verifies.
    r.gateway_code.clear();
    r.message.clear();
    switch (exchange.signature) {
      case SignatureCheck::kMissing:
        r.outcome = CheckOutcome::kBadSignature;
        r.message = "response signature missing";
        return r;
      case SignatureCheck::kWrong:
        r.outcome = CheckOutcome::kBadSignature;
        r.message = "response signature does not verify";
        return r;
      case SignatureCheck::kStale:
        r.outcome = CheckOutcome::kBadSignature;
        r.message = "response signature verifies but " + exchange.signature_detail;
        return r;
      case SignatureCheck::kUnreadable:
        r.outcome = CheckOutcome::kMalformed;
        r.message = "response body is not JSON: " + exchange.json_error;
        return r;
      case SignatureCheck::kVerified: break;
    }
    r.response_digest = exchange.response_digest;
    if (const auto error = read_body(*exchange.json)) {
      r.outcome = CheckOutcome::kMalformed;
      r.message = *error;
      return r;
    }
    r.outcome = CheckOutcome::kObserved;
    return r;
  }

  // [unknown] docs/amazon-pay-protocol.md §2: whether error responses are signed is undocumented. A signature that is
  // present is checked; an unsigned error is accepted as an error (it can only make us retry or flag, never apply a
  // status).
  if (exchange.signature == SignatureCheck::kWrong) {
    r.outcome = CheckOutcome::kBadSignature;
    r.message = "error response signature does not verify";
    return r;
  }
  if (exchange.signature == SignatureCheck::kStale) {
    r.outcome = CheckOutcome::kBadSignature;
    r.message = "error response signature verifies but " + exchange.signature_detail;
    return r;
  }
  if (exchange.signature == SignatureCheck::kVerified) r.response_digest = exchange.response_digest;

  const auto local_message = [&](std::string text) {
    if (r.message.empty()) r.message = std::move(text);
  };
  if (status == 400) {
    if (body == nullptr || r.gateway_code.empty()) {
      r.outcome = CheckOutcome::kMalformed;
      r.message = body == nullptr ? "400 response body is not a JSON object" : "400 response without a code";
      return r;
    }
    for (std::string_view code : kNotFoundCodes) {
      if (r.gateway_code == code) {
        r.outcome = CheckOutcome::kNotFound;
        return r;
      }
    }
    r.outcome = CheckOutcome::kInvalidRequest;
    return r;
  }
  if (status == 401 || status == 403) {
    r.outcome = CheckOutcome::kAuth;
    local_message("http " + std::to_string(status));
    return r;
  }
  if (status == 429 || status == 503) {
    r.outcome = CheckOutcome::kRateLimited;
    local_message("http " + std::to_string(status));
    return r;
  }
  if (status >= 500 && status <= 599) {
    r.outcome = CheckOutcome::kHttp5xx;
    local_message("http " + std::to_string(status));
    return r;
  }
  if (status == 408) {
    r.outcome = CheckOutcome::kTimeout;
    local_message("http 408");
    return r;
  }
  r.outcome = CheckOutcome::kInvalidRequest;
  local_message("unexpected http status " + std::to_string(status));
  return r;
}

}  // namespace payrecon::gateway
