#include "sandbox/sandbox.h"

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <functional>
#include <tuple>
#include <sstream>

#include "core/json.h"
#include "core/money.h"
#include "core/time.h"
#include "env/clock.h"
#include "sandbox/scenario.h"
#include "signing/canonical.h"
#include "signing/signer.h"

namespace payrecon::sandbox {

using core::JsonValue;

namespace {

constexpr std::string_view kInvalidSignature = "Specified signature is invalid.";

// Ineligibility codes and the reasons Amazon's page shows for them (docs/amazon-pay-protocol.md §4).
struct Ineligibility {
  std::string_view code;
  std::string_view reason;
};
constexpr Ineligibility kIneligibilities[] = {
    {"APL_KYC_EXPIRED", "Your KYC has expired, please update on the Amazon app."},
    {"APL_UNAVAILABLE", "Amazon Pay Later is unavailable for this transaction."},
    {"APL_UNREGISTERED_ACCOUNT",
     "You are not registered with Amazon Pay Later. Please complete your registration on the Amazon app."},
    {"APL_STANDING_INSTRUCTION_EXCEEDED", "Your standing instructions do not cover the current purchase."},
    {"APL_ONE_MONTH_INSTALLMENT_UNAVAILABLE", "Amazon Pay Later is unavailable for this transaction."},
    {"APL_INSUFFICIENT_CREDIT", "Your Amazon Pay Later credit is not available at this merchant."},
};
// An access token starting with this is stale: 403 InvalidAccessToken.
constexpr std::string_view kStaleTokenPrefix = "stale";

// "a=1&b=%7C" -> decoded pairs. '+' stays '+' (the signing scheme encodes space as %20). False on a bad escape
// or a repeated key.
bool ParseQuery(std::string_view q, std::vector<signing::Pair>& out) {
  std::size_t start = 0;
  while (start <= q.size() && !q.empty()) {
    const auto amp = q.find('&', start);
    const std::string_view part = q.substr(start, amp == std::string_view::npos ? std::string_view::npos : amp - start);
    if (!part.empty()) {
      const auto eq = part.find('=');
      auto key = signing::PercentDecode(part.substr(0, eq));
      auto value = signing::PercentDecode(eq != std::string_view::npos ? part.substr(eq + 1) : std::string_view());
      if (!key || !value) return false;
      signing::Pair p{std::move(*key), std::move(*value)};
      for (const auto& existing : out) {
        if (existing.key == p.key) return false;
      }
      out.push_back(std::move(p));
    }
    if (amp == std::string_view::npos) break;
    start = amp + 1;
  }
  return true;
}

bool IsId(std::string_view s, std::size_t max_len) {
  if (s.empty() || s.size() > max_len) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
  });
}

std::optional<std::int64_t> ParseInt(std::string_view s) {
  std::int64_t v = 0;
  if (s.empty()) return std::nullopt;
  const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

std::string Iso(std::int64_t ms) { return core::FormatIso8601Millis(core::Instant(core::Millis(ms))); }

JsonValue Str(std::string_view s) { return JsonValue::String(std::string(s)); }
JsonValue Num(std::int64_t n) { return JsonValue::Number(std::to_string(n)); }

JsonValue ErrorBody(std::string_view code, std::string_view message) {
  JsonValue o = JsonValue::Object();
  o.Add("code", Str(code));
  o.Add("message", Str(message));
  return o;
}

JsonValue Ok() {
  JsonValue o = JsonValue::Object();
  o.Add("status", Str("ok"));
  return o;
}

HttpReply ControlReply(int status, const JsonValue& body) {
  HttpReply r;
  r.status = status;
  r.body = core::SerializeJson(body);
  return r;
}

core::Paise WrongAmount(core::Paise amount) {
  return amount > kWrongAmountDeltaPaise ? amount - kWrongAmountDeltaPaise : amount + kWrongAmountDeltaPaise;
}

}  // namespace

const std::string* HttpRequest::Header(std::string_view lowercase_name) const {
  for (const auto& [name, value] : headers) {
    if (name == lowercase_name) return &value;
  }
  return nullptr;
}

std::int64_t SandboxClock::RealNowMs() { return env::WallNow().time_since_epoch().count(); }

// One API request while it is handled.
struct Sandbox::Call {
  const HttpRequest& request;
  Endpoint endpoint;
  std::string host_path;
  const Merchant* merchant = nullptr;  // known once the access key is
  std::vector<signing::Pair> query;
  JsonValue body;
  FaultPlan::Draw draw;                // the global fault and latency
  std::string outcome;                 // for the stats

  const std::string* Param(std::string_view name) const {
    if (request.method == "GET") {
      for (const auto& p : query) {
        if (p.key == name) return &p.value;
      }
      return nullptr;
    }
    const JsonValue* v = body.Find(name);
    return v != nullptr && v->type() == JsonValue::Type::kString ? &v->text() : nullptr;
  }
};

Sandbox::Sandbox(MerchantDirectory merchants, SandboxOptions options)
    : merchants_(std::move(merchants)), options_(std::move(options)), store_(options_.seed), faults_(options_.seed) {}

std::size_t Sandbox::LoadScenario(std::istream& in) {
  std::lock_guard lock(load_mu_);
  return sandbox::LoadScenario(in, merchants_, store_, clock_.NowMs());
}

Lifecycle Sandbox::GetLifecycle() const {
  std::lock_guard lock(lifecycle_mu_);
  return options_.lifecycle;
}

std::string Sandbox::NewRequestId() {
  const std::uint64_t n = request_counter_.fetch_add(1);
  const std::uint64_t a = Mix64(options_.seed ^ Mix64(2 * n + 0x5EED));
  const std::uint64_t b = Mix64(a ^ (2 * n + 1));
  char buf[40];
  std::snprintf(buf, sizeof buf, "%08x-%04x-4%03x-%04x-%012llx", static_cast<unsigned>(a >> 32),
                static_cast<unsigned>((a >> 16) & 0xFFFF), static_cast<unsigned>(a & 0xFFF),
                static_cast<unsigned>(0x8000 | ((b >> 48) & 0x3FFF)),
                static_cast<unsigned long long>(b & 0xFFFFFFFFFFFFULL));
  return buf;
}

HttpReply Sandbox::Handle(const HttpRequest& request) {
  const std::string_view path = request.path;
  if (path.starts_with("/sandbox/")) {
    HttpReply r = HandleControl(request);
    stats_.Count(Endpoint::kControl, std::to_string(r.status));
    return r;
  }
  Endpoint endpoint = Endpoint::kOther;
  if (path == "/v1/payments/charge") {
    endpoint = request.method == "GET" ? Endpoint::kStatus : request.method == "POST" ? Endpoint::kCharge : Endpoint::kOther;
  } else if (path == "/v1/payments/refund" && request.method == "POST") {
    endpoint = Endpoint::kRefund;
  } else if (path == "/v1/payments/topup" && request.method == "POST") {
    endpoint = Endpoint::kTopup;
  } else if (path == "/v1/payments/instruments" && request.method == "GET") {
    endpoint = Endpoint::kInstruments;
  }
  if (endpoint == Endpoint::kOther) {
    HttpReply r = ControlReply(404, ErrorBody("NotFound", "no such endpoint: " + request.method + " " + request.path));
    stats_.Count(Endpoint::kOther, "404");
    return r;
  }
  return HandleApi(request, endpoint);
}

void Sandbox::SignReply(HttpReply& reply, const JsonValue* body, const Call& call, const FaultSpec& fault) {
  const std::string amz_date = core::FormatAmzDate(core::Instant(core::Millis(SandboxClock::RealNowMs())));
  const std::string request_id = NewRequestId();
  reply.headers.emplace_back("x-amz-algorithm", std::string(signing::kAlgorithm));
  reply.headers.emplace_back("x-amz-date", amz_date);
  reply.headers.emplace_back("x-amz-request-id", request_id);
  if (call.merchant == nullptr || fault.kind == FaultKind::kMissingSignature) return;
  std::string canonical = signing::CanonicalResponseText(call.request.method, call.host_path, signing::kAlgorithm,
                                                         amz_date, request_id, body != nullptr ? *body : JsonValue());
  // A wrong signature that looks right: the signature of a slightly different text.
  if (fault.kind == FaultKind::kWrongSignature) canonical += "\n";
  reply.headers.emplace_back("x-amz-signature", call.merchant->signer->Sign(canonical, amz_date));
}

// Builds the reply for an API call: applies the fault (replacing status and body for the HTTP ones), signs,
// and sets the delivery instructions.
static HttpReply FinishReply(int status, JsonValue body, const FaultSpec& fault, std::int64_t latency_ms,
                             std::string& outcome,
                             const std::function<void(HttpReply&, const JsonValue*, const FaultSpec&)>& sign) {
  HttpReply r;
  r.delay_ms = latency_ms + (fault.kind == FaultKind::kLatency ? fault.param : 0);
  switch (fault.kind) {
    case FaultKind::kHttp500:
      status = 500;
      body = ErrorBody("InternalServerError", "An internal server error has occurred. Try your request again later");
      break;
    case FaultKind::kHttp503:
      status = 503;
      body = ErrorBody("ServiceUnavailable", "The service is temporarily unavailable. Try your request again later");
      if (fault.param >= 0) r.headers.emplace_back("Retry-After", std::to_string(fault.param));
      break;
    case FaultKind::kHttp429:
      status = 429;
      body = ErrorBody("TooManyRequests", "Rate exceeded");
      r.headers.emplace_back("Retry-After", std::to_string(fault.param >= 0 ? fault.param : kDefault429RetryAfterS));
      break;
    default:
      break;
  }
  r.status = status;
  r.body = core::SerializeJson(body);
  sign(r, &body, fault);
  switch (fault.kind) {
    case FaultKind::kMalformedJson:
      r.body = r.body.substr(0, r.body.size() - 1) + ",\"status\":";
      break;
    case FaultKind::kHang:
      r.delivery = Delivery::kHang;
      r.hang_ms = fault.param >= 0 ? fault.param : kDefaultHangMs;
      break;
    case FaultKind::kReset:
      r.delivery = Delivery::kReset;
      break;
    case FaultKind::kTruncatedBody:
      r.delivery = Delivery::kTruncate;
      break;
    default:
      break;
  }
  if (fault.kind != FaultKind::kNone && fault.kind != FaultKind::kLatency) {
    outcome = "fault " + std::string(FaultKindName(fault.kind));
  } else {
    outcome = std::to_string(status);
    if (const JsonValue* code = body.Find("code"); code != nullptr && status >= 400) outcome += " " + code->text();
  }
  return r;
}

HttpReply Sandbox::HandleApi(const HttpRequest& request, Endpoint endpoint) {
  stats_.Arrived(request.arrived_ns);
  Call call{request, endpoint,
            (options_.signing_host.empty() ? request.host : options_.signing_host) + request.path,
            nullptr, {}, {}, {}, {}};
  auto sign = [&](HttpReply& r, const JsonValue* body, const FaultSpec& fault) { SignReply(r, body, call, fault); };
  auto fail = [&](int status, std::string_view code, std::string_view message) {
    // A 401 is not signed: the caller's key is what is in doubt, so it could not verify the signature anyway.
    const Merchant* signer = call.merchant;
    if (status == 401) call.merchant = nullptr;
    HttpReply r = FinishReply(status, ErrorBody(code, message), FaultSpec{}, 0, call.outcome, sign);
    call.merchant = signer;
    stats_.Count(endpoint, call.outcome);
    return r;
  };

  // Authentication, as Amazon does it: key, signature, age, then the merchant id.
  const std::string* auth = request.Header("authorization");
  const auto parts = auth != nullptr ? signing::ParseAuthorization(*auth) : std::nullopt;
  const std::string_view key_id = parts ? parts->access_key_id : std::string_view();
  const std::string_view signature = parts ? parts->signature : std::string_view();
  if (!parts) {
    stats_.SignatureFailure();
    return fail(401, "AuthorizationFailed", "Authorization header must be \"AMZ <access key id>:<signature>\"");
  }
  call.merchant = merchants_.ByAccessKey(key_id);
  if (call.merchant == nullptr) {
    stats_.SignatureFailure();
    return fail(401, "AuthorizationFailed", kInvalidSignature);
  }
  std::vector<signing::Pair> header_pairs;
  for (std::string_view name : signing::kSignedHeaderNames) {
    const std::string* v = request.Header(name);
    if (v == nullptr) {
      stats_.SignatureFailure();
      return fail(401, "AuthorizationFailed", "missing header \"" + std::string(name) + "\"");
    }
    header_pairs.push_back({std::string(name), *v});
  }
  if (!ParseQuery(request.query, call.query)) {
    return fail(400, "InvalidArguments", "the query string is badly encoded or repeats a parameter");
  }
  if (request.method == "POST") {
    auto parsed = core::ParseJson(request.body);
    if (!parsed || !parsed->is_object()) return fail(400, "InvalidArguments", "the request body must be a JSON object");
    call.body = std::move(parsed).value();
  }
  const std::string& amz_date = header_pairs[2].value;
  const std::string canonical = signing::CanonicalText(
      {request.method, call.host_path, call.query, header_pairs,
       request.method == "POST" ? signing::BodyPairs(call.body) : std::vector<signing::Pair>{}});
  if (header_pairs[0].value != signing::kAlgorithm || amz_date.size() < 8 ||
      !call.merchant->signer->Verify(canonical, amz_date, signature)) {
    stats_.SignatureFailure();
    return fail(401, "AuthorizationFailed", kInvalidSignature);
  }
  const auto date = core::ParseAmzDate(amz_date);
  if (!date) return fail(401, "AuthorizationFailed", "x-amz-date must be YYYYMMDDTHHMMSSZ");
  const auto expires = ParseInt(header_pairs[3].value);
  if (!expires || *expires < 1 || *expires > options_.max_expires_s) {
    return fail(401, "AuthorizationFailed",
                "x-amz-expires must be 1 to " + std::to_string(options_.max_expires_s) + " seconds");
  }
  const std::int64_t signed_ms = date->time_since_epoch().count();
  const std::int64_t now_ms = SandboxClock::RealNowMs();
  const std::int64_t skew_ms = options_.clock_skew_s * 1000;
  if (now_ms > signed_ms + *expires * 1000 + skew_ms) return fail(401, "AuthorizationExpired", "Request has expired.");
  if (signed_ms > now_ms + skew_ms) return fail(401, "AuthorizationFailed", "x-amz-date is in the future");
  if (header_pairs[1].value != call.merchant->merchant_id) {
    return fail(401, "AuthorizationFailed", "the access key does not belong to the merchant in x-amz-client-id");
  }
  const std::string* merchant_id = call.Param("merchantId");
  if (merchant_id == nullptr) return fail(400, "InvalidArguments", "merchantId is required");
  if (*merchant_id != header_pairs[1].value) {
    return fail(400, "MerchantIdMismatch", "Specified merchant id does not match with x-amz-client-id header value.");
  }

  if (endpoint != Endpoint::kStatus) {
    call.draw = faults_.Decide(endpoint, Mix64(request_counter_.load() ^ 0xC0FFEE));
  }
  HttpReply r;
  const FaultKind early = call.draw.spec.kind;
  if (early == FaultKind::kHttp500 || early == FaultKind::kHttp503 || early == FaultKind::kHttp429) {
    // Refused before any processing: a POST that met one of these created nothing.
    r = FinishReply(200, JsonValue::Object(), call.draw.spec, call.draw.latency_ms, call.outcome, sign);
    stats_.Count(endpoint, call.outcome);
    return r;
  }
  switch (endpoint) {
    case Endpoint::kStatus: r = Status(call); break;
    case Endpoint::kCharge: r = Charge(call, false); break;
    case Endpoint::kTopup: r = Charge(call, true); break;
    case Endpoint::kRefund: r = Refund(call); break;
    case Endpoint::kInstruments: r = Instruments(call); break;
    default: break;
  }
  stats_.Count(endpoint, call.outcome);
  return r;
}

JsonValue Sandbox::TxnBody(const Txn& t, std::int64_t now_ms, const FaultSpec& fault, std::string_view host,
                           bool with_pay_url) const {
  const core::Status status = t.StatusAt(now_ms);
  const std::string status_word =
      fault.kind == FaultKind::kUnknownStatus ? std::string(kUnknownStatusWord) : std::string(core::StatusName(status));
  const bool wrong = fault.kind == FaultKind::kWrongAmount;
  JsonValue o = JsonValue::Object();
  if (t.kind == core::Kind::kRefund) {
    const core::Paise amount = wrong ? WrongAmount(t.amount) : t.amount;
    auto money = [&](core::Paise p) {
      return options_.refund_amounts_as_strings ? Str(core::FormatAmount(p)) : JsonValue::Number(core::FormatAmount(p));
    };
    o.Add("refundId", Str(t.merchant_txn_id));
    o.Add("amazonRefundId", Str(t.amazon_txn_id));
    o.Add("amount", money(amount));
    o.Add("refundedFee", money(0));
    o.Add("currencyCode", Str(t.Currency()));
    o.Add("status", Str(status_word));
    o.Add("createTime", Str(Iso(t.created_ms)));
    o.Add("updateTime", Str(Iso(t.UpdatedAt(now_ms))));
    return o;
  }
  o.Add("merchantId", Str(merchants_.At(t.merchant).merchant_id));
  o.Add("chargeId", Str(t.merchant_txn_id));
  o.Add("amazonChargeId", Str(t.amazon_txn_id));
  o.Add("status", Str(status_word));
  o.Add("requestedAmount", Str(core::FormatAmount(t.amount)));
  if (status == core::Status::kCaptureApproved) {
    o.Add("approvedAmount", Str(core::FormatAmount(wrong ? WrongAmount(t.approved_amount) : t.approved_amount)));
  }
  o.Add("currencyCode", Str(t.Currency()));
  if (with_pay_url && status == core::Status::kCapturePending) {
    o.Add("amazonPayUrl", Str("https://" + std::string(host) + "/pay?amazonChargeId=" + t.amazon_txn_id));
  }
  if (!t.custom_data.empty()) o.Add("customData", Str(t.custom_data));
  o.Add("createTime", Str(Iso(t.created_ms)));
  o.Add("updateTime", Str(Iso(t.UpdatedAt(now_ms))));
  return o;
}

HttpReply Sandbox::Status(Call& call) {
  auto sign = [&](HttpReply& r, const JsonValue* body, const FaultSpec& fault) { SignReply(r, body, call, fault); };
  const std::string* type = call.Param("txnIdType");
  const std::string* id = call.Param("txnId");
  if (type == nullptr || id == nullptr || id->empty()) {
    call.draw = faults_.Decide(Endpoint::kStatus, Mix64(request_counter_.load() ^ 0xC0FFEE));
    return FinishReply(400, ErrorBody("InvalidArguments", "txnIdType and txnId are required"), call.draw.spec,
                       call.draw.latency_ms, call.outcome, sign);
  }
  if (*type != "MerchantTxnId" && *type != "AmazonTxnId") {
    call.draw = faults_.Decide(Endpoint::kStatus, Mix64(request_counter_.load() ^ 0xC0FFEE));
    return FinishReply(400, ErrorBody("InvalidArguments", "txnIdType must be one of [MerchantTxnId, AmazonTxnId]"),
                       call.draw.spec, call.draw.latency_ms, call.outcome, sign);
  }
  const bool by_amazon = *type == "AmazonTxnId";
  const std::int64_t now_ms = clock_.NowMs();
  Txn snapshot;
  FaultSpec txn_fault;
  std::uint32_t check_no = 0;
  const bool found = store_.WithTxn(call.merchant->index, *id, by_amazon, [&](Txn& t) {
    check_no = ++t.checks;
    txn_fault = t.fault;
    if (t.fault.times > 0 && --t.fault.times == 0) t.fault = FaultSpec{};
    snapshot = t;
  });
  if (!found) {
    call.draw = faults_.Decide(Endpoint::kStatus, Mix64(request_counter_.load() ^ 0xC0FFEE));
    const bool refund = by_amazon && id->find("-R") != std::string::npos;
    return FinishReply(400,
                       refund ? ErrorBody("InvalidRefundId", "Specified refundId does not exist.")
                              : ErrorBody("InvalidChargeId", "Specified chargeId does not exist."),
                       call.draw.spec, call.draw.latency_ms, call.outcome, sign);
  }
  // Keyed by the transaction and its check number, so the same check meets the same fault in every run.
  call.draw = faults_.Decide(Endpoint::kStatus,
                             HashText(options_.seed, call.merchant->merchant_id + "/" + snapshot.merchant_txn_id) ^
                                 Mix64(check_no));
  const FaultSpec fault = txn_fault.kind != FaultKind::kNone ? txn_fault : call.draw.spec;
  return FinishReply(200, TxnBody(snapshot, now_ms, fault, call.request.host, false), fault, call.draw.latency_ms,
                     call.outcome, sign);
}

HttpReply Sandbox::Charge(Call& call, bool topup) {
  auto sign = [&](HttpReply& r, const JsonValue* body, const FaultSpec& fault) { SignReply(r, body, call, fault); };
  auto reply = [&](int status, JsonValue body) {
    return FinishReply(status, std::move(body), call.draw.spec, call.draw.latency_ms, call.outcome, sign);
  };
  auto invalid = [&](std::string_view message) { return reply(400, ErrorBody("InvalidArguments", message)); };
  for (const auto& [k, v] : call.body.members()) {
    if (v.type() != JsonValue::Type::kString) return invalid("\"" + k + "\" must be a string");
  }
  const std::vector<std::string_view> required =
      topup ? std::vector<std::string_view>{"amount", "currencyCode", "chargeId", "accessToken"}
            : std::vector<std::string_view>{"intent", "amount", "currencyCode", "chargeId", "accessToken"};
  for (std::string_view name : required) {
    if (call.Param(name) == nullptr) return invalid(std::string(name) + " is required");
  }
  if (!topup && *call.Param("intent") != "Capture") return invalid("intent must be Capture");
  const auto amount = core::ParseAmount(*call.Param("amount"));
  if (!amount || *amount < 1) return invalid("amount must be greater than or equal to 0.01");
  if (*call.Param("currencyCode") != "INR") return invalid("currencyCode must be INR");
  const std::string& charge_id = *call.Param("chargeId");
  if (!IsId(charge_id, 50)) return invalid("chargeId must be 1 to 50 characters of A-Z a-z 0-9 _ -");
  if (const std::string* program = call.Param("attributableProgram")) {
    const std::string_view want = topup ? "LienAndPay" : "S2SPay";
    if (*program != want) return invalid("attributableProgram must be " + std::string(want));
  }
  if (const std::string* timeout = call.Param("timeoutInSecs")) {
    const auto secs = ParseInt(*timeout);
    if (!secs || *secs < 300 || *secs > 900) return invalid("timeoutInSecs must be between 300 and 900");
  }
  if (const std::string* url = call.Param("callbackUrl");
      url != nullptr && !url->empty() && !url->starts_with("http://") && !url->starts_with("https://")) {
    return reply(400, ErrorBody("InvalidCallbackUrl", "callbackUrl is not an approved URL"));
  }
  if (call.Param("accessToken")->starts_with(kStaleTokenPrefix)) {
    return reply(403, ErrorBody("InvalidAccessToken",
                                "Merchant is not authorized. The access token may be either malformed or unusable."));
  }
  const Lifecycle life = GetLifecycle();
  const std::int64_t now_ms = clock_.NowMs();
  Txn t;
  t.merchant = call.merchant->index;
  t.kind = topup ? core::Kind::kTopup : core::Kind::kCharge;
  t.merchant_txn_id = charge_id;
  t.amount = *amount;
  t.approved_amount = *amount;
  t.created_ms = now_ms;
  t.status = life.charge_status;
  t.settle_to = life.charge_status;
  if (!core::IsFinal(life.charge_status)) {
    t.settle_to = life.charge_settle_to;
    t.settle_at_ms = now_ms + life.settle_ms;
  }
  if (const std::string* custom = call.Param("customData")) t.custom_data = *custom;
  auto stored = store_.Insert(std::move(t));
  if (!stored) return reply(400, ErrorBody("DuplicateChargeId", "Specified chargeId already exists."));
  Txn snapshot;
  store_.WithTxn(call.merchant->index, charge_id, false, [&](Txn& s) { snapshot = s; });
  return reply(200, TxnBody(snapshot, now_ms, call.draw.spec, call.request.host, true));
}

HttpReply Sandbox::Refund(Call& call) {
  auto sign = [&](HttpReply& r, const JsonValue* body, const FaultSpec& fault) { SignReply(r, body, call, fault); };
  auto reply = [&](int status, JsonValue body) {
    return FinishReply(status, std::move(body), call.draw.spec, call.draw.latency_ms, call.outcome, sign);
  };
  auto invalid = [&](std::string_view message) { return reply(400, ErrorBody("InvalidArguments", message)); };
  for (const auto& [k, v] : call.body.members()) {
    if (v.type() != JsonValue::Type::kString) return invalid("\"" + k + "\" must be a string");
  }
  for (std::string_view name : {"amount", "currencyCode", "refundId", "chargeIdType", "chargeId"}) {
    if (call.Param(name) == nullptr) return invalid(std::string(name) + " is required");
  }
  const auto amount = core::ParseAmount(*call.Param("amount"));
  if (!amount || *amount < 1) return invalid("amount must be greater than or equal to 0.01");
  if (*call.Param("currencyCode") != "INR") return invalid("currencyCode must be INR");
  const std::string& refund_id = *call.Param("refundId");
  if (!IsId(refund_id, 32)) return invalid("refundId must be 1 to 32 characters of A-Z a-z 0-9 _ -");
  const std::string& id_type = *call.Param("chargeIdType");
  if (id_type != "MerchantTxnId" && id_type != "AmazonTxnId") {
    return invalid("chargeIdType must be one of [MerchantTxnId, AmazonTxnId]");
  }
  const std::uint16_t m = call.merchant->index;
  if (store_.WithTxn(m, refund_id, false, [](Txn&) {})) {
    return reply(400, ErrorBody("DuplicateRefundId", "Specified refundId already exists."));
  }
  const Lifecycle life = GetLifecycle();
  const std::int64_t now_ms = clock_.NowMs();
  const core::Status final_status = core::IsFinal(life.refund_status) ? life.refund_status : life.refund_settle_to;
  const bool counts = final_status != core::Status::kDeclined;
  std::string error_code;
  Txn* parent = nullptr;
  const bool found = store_.WithTxn(m, *call.Param("chargeId"), id_type == "AmazonTxnId", [&](Txn& p) {
    if (p.kind == core::Kind::kRefund) {
      error_code = "InvalidChargeId";
    } else if (p.StatusAt(now_ms) != core::Status::kCaptureApproved) {
      error_code = "ChargeNotApproved";
    } else if (p.refunded + *amount > p.approved_amount) {
      error_code = "ExcessRefundAmount";
    } else {
      if (counts) p.refunded += *amount;
      parent = &p;
    }
  });
  if (!found || error_code == "InvalidChargeId") {
    return reply(400, ErrorBody("InvalidChargeId", "Specified chargeId does not exist."));
  }
  if (error_code == "ChargeNotApproved") {
    return reply(400, ErrorBody("ChargeNotApproved", "The charge is not in CaptureApproved state."));
  }
  if (error_code == "ExcessRefundAmount") {
    return reply(400, ErrorBody("ExcessRefundAmount", "The refund amount exceeds the refundable amount of the charge."));
  }
  Txn t;
  t.merchant = m;
  t.kind = core::Kind::kRefund;
  t.merchant_txn_id = refund_id;
  t.amount = *amount;
  t.approved_amount = *amount;
  t.parent = parent;
  t.created_ms = now_ms;
  t.status = life.refund_status;
  t.settle_to = life.refund_status;
  if (!core::IsFinal(life.refund_status)) {
    t.settle_to = life.refund_settle_to;
    t.settle_at_ms = now_ms + life.settle_ms;
  }
  auto stored = store_.Insert(std::move(t));
  if (!stored) {
    if (counts) {
      store_.WithTxn(m, parent->merchant_txn_id, false, [&](Txn& p) { p.refunded -= *amount; });
    }
    return reply(400, ErrorBody("DuplicateRefundId", "Specified refundId already exists."));
  }
  Txn snapshot;
  store_.WithTxn(m, refund_id, false, [&](Txn& s) { snapshot = s; });
  return reply(200, TxnBody(snapshot, now_ms, call.draw.spec, call.request.host, false));
}

HttpReply Sandbox::Instruments(Call& call) {
  auto sign = [&](HttpReply& r, const JsonValue* body, const FaultSpec& fault) { SignReply(r, body, call, fault); };
  auto reply = [&](int status, JsonValue body) {
    return FinishReply(status, std::move(body), call.draw.spec, call.draw.latency_ms, call.outcome, sign);
  };
  auto invalid = [&](std::string_view message) { return reply(400, ErrorBody("InvalidArguments", message)); };
  const std::string* token = call.Param("accessToken");
  const std::string* types = call.Param("instrumentTypes");
  if (token == nullptr || token->empty()) return invalid("accessToken is required");
  if (types == nullptr) return invalid("instrumentTypes is required");
  bool balance = false;
  bool pay_later = false;
  std::string_view list = *types;
  while (true) {
    const auto comma = list.find(',');
    const std::string_view type = list.substr(0, comma);
    if (type == "AmazonPayBalance") {
      balance = true;
    } else if (type == "AmazonPayLater") {
      pay_later = true;
    } else {
      return invalid("instrumentTypes must be one of following: [AmazonPayBalance, AmazonPayLater, Card, UPI]");
    }
    if (comma == std::string_view::npos) break;
    list = list.substr(comma + 1);
  }
  std::optional<core::Paise> amount;
  if (const std::string* text = call.Param("amount")) {
    const auto parsed = core::ParseAmount(*text);
    if (!parsed || *parsed < 1) return invalid("amount must be greater than or equal to 0.01");
    amount = *parsed;
  }
  if (token->starts_with(kStaleTokenPrefix)) {
    return reply(403, ErrorBody("InvalidAccessToken",
                                "Merchant is not authorized. The access token may be either malformed or unusable."));
  }
  JsonValue body = JsonValue::Object();
  if (balance) {
    JsonValue b = JsonValue::Object();
    b.Add("enabled", JsonValue::Bool(true));
    b.Add("priority", Num(0));
    b.Add("totalBalance", Str(core::FormatAmount(call.merchant->balance)));
    b.Add("redeemableBalance", Str(core::FormatAmount(call.merchant->balance)));
    body.Add("amazonPayBalance", std::move(b));
  }
  if (pay_later) {
    const Ineligibility* why = nullptr;
    for (const auto& row : kIneligibilities) {
      if (token->find(row.code) != std::string::npos) why = &row;
    }
    if (why == nullptr && !amount) why = &kIneligibilities[1];  // without an amount the user is not eligible
    if (why == nullptr && *amount > call.merchant->pay_later_credit) why = &kIneligibilities[5];
    JsonValue p = JsonValue::Object();
    p.Add("enabled", JsonValue::Bool(why == nullptr));
    p.Add("priority", Num(3));
    p.Add("availableCredit", Str(why == nullptr ? core::FormatAmount(call.merchant->pay_later_credit) : "0"));
    p.Add("ineligibilityCode", why == nullptr ? JsonValue::Null() : Str(why->code));
    p.Add("ineligibilityReason", why == nullptr ? JsonValue::Null() : Str(why->reason));
    if (why == nullptr) {
      p.Add("keyFactStatementUrl", Str("https://" + call.request.host + "/render_kfs?merchantId=" +
                                       call.merchant->merchant_id));
    }
    body.Add("amazonPayLater", std::move(p));
  }
  return reply(200, std::move(body));
}

JsonValue Sandbox::StatsJson() {
  struct Row {
    std::string merchant_id;
    std::string merchant_txn_id;
    core::Kind kind;
    std::uint32_t checks;
  };
  const bool full = store_.size() <= 1000;
  std::vector<Row> listed;
  std::uint64_t never = 0, once = 0, more = 0, total = 0;
  store_.ForEach([&](const Txn& t) {
    total += t.checks;
    if (t.checks == 0) {
      ++never;
    } else if (t.checks == 1) {
      ++once;
    } else {
      ++more;
    }
    if (full || t.checks > 1) listed.push_back({merchants_.At(t.merchant).merchant_id, t.merchant_txn_id, t.kind, t.checks});
  });
  std::sort(listed.begin(), listed.end(), [](const Row& a, const Row& b) {
    return std::tie(a.merchant_id, a.merchant_txn_id) < std::tie(b.merchant_id, b.merchant_txn_id);
  });
  auto row_json = [](const Row& r) {
    JsonValue o = JsonValue::Object();
    o.Add("merchant_id", Str(r.merchant_id));
    o.Add("merchant_txn_id", Str(r.merchant_txn_id));
    o.Add("kind", Str(core::KindName(r.kind)));
    o.Add("checks", Num(r.checks));
    return o;
  };
  constexpr std::size_t kMaxListed = 10000;
  JsonValue more_list = JsonValue::Array();
  std::size_t more_listed = 0;
  bool truncated = false;
  JsonValue per = JsonValue::Array();
  for (const Row& r : listed) {
    if (full) per.Push(row_json(r));
    if (r.checks > 1) {
      if (more_listed < kMaxListed) {
        more_list.Push(row_json(r));
        ++more_listed;
      } else {
        truncated = true;
      }
    }
  }
  JsonValue checks = JsonValue::Object();
  checks.Add("never", Num(static_cast<std::int64_t>(never)));
  checks.Add("once", Num(static_cast<std::int64_t>(once)));
  checks.Add("more_than_once", Num(static_cast<std::int64_t>(more)));
  checks.Add("total", Num(static_cast<std::int64_t>(total)));
  JsonValue root = JsonValue::Object();
  root.Add("requests", stats_.RequestsJson());
  root.Add("signature_failures", Num(static_cast<std::int64_t>(stats_.signature_failures())));
  root.Add("rate", stats_.RateJson());
  root.Add("transactions", Num(static_cast<std::int64_t>(store_.size())));
  root.Add("checks", std::move(checks));
  root.Add("checked_more_than_once", std::move(more_list));
  root.Add("checked_more_than_once_truncated", JsonValue::Bool(truncated));
  if (full) root.Add("per_transaction", std::move(per));
  return root;
}

HttpReply Sandbox::HandleControl(const HttpRequest& request) {
  std::vector<signing::Pair> query;
  if (!ParseQuery(request.query, query)) {
    return ControlReply(400, ErrorBody("InvalidArguments", "the query string is badly encoded or repeats a parameter"));
  }
  auto param = [&](std::string_view name) -> const std::string* {
    for (const auto& p : query) {
      if (p.key == name) return &p.value;
    }
    return nullptr;
  };
  auto bad = [](std::string_view message) { return ControlReply(400, ErrorBody("InvalidArguments", message)); };
  const std::string& path = request.path;
  const bool get = request.method == "GET";
  const bool post = request.method == "POST";
  if (path == "/sandbox/health" && get) return ControlReply(200, Ok());
  if (path == "/sandbox/transactions" && post) {
    std::istringstream in(request.body);
    try {
      const std::size_t n = LoadScenario(in);
      JsonValue o = JsonValue::Object();
      o.Add("loaded", Num(static_cast<std::int64_t>(n)));
      o.Add("transactions", Num(static_cast<std::int64_t>(store_.size())));
      return ControlReply(200, o);
    } catch (const ScenarioError& e) {
      return ControlReply(400, ErrorBody("InvalidScenario", e.what()));
    }
  }
  if (path == "/sandbox/clock" && (get || post)) {
    if (post) {
      const std::string* advance = param("advance_ms");
      const auto ms = advance != nullptr ? ParseInt(*advance) : std::nullopt;
      if (!ms || *ms < 0) return bad("advance_ms must be a non-negative integer");
      if (!clock_.Advance(*ms)) return bad("advance_ms would move the sandbox clock more than 100 years ahead");
    }
    const std::int64_t now = clock_.NowMs();
    JsonValue o = JsonValue::Object();
    o.Add("now", Str(Iso(now)));
    o.Add("now_ms", Num(now));
    o.Add("offset_ms", Num(clock_.offset_ms()));
    return ControlReply(200, o);
  }
  if (path == "/sandbox/faults" && (get || post)) {
    if (post) {
      auto parsed = ParseGlobalFaults(request.body.empty() ? "{}" : request.body);
      if (!parsed) return bad(parsed.error());
      faults_.Set(std::move(parsed).value());
    }
    return ControlReply(200, GlobalFaultsToJson(faults_.Get()));
  }
  if (path == "/sandbox/lifecycle" && (get || post)) {
    std::lock_guard lock(lifecycle_mu_);
    Lifecycle next = options_.lifecycle;
    if (post) {
      struct Field {
        std::string_view name;
        core::Status* status;
        core::Kind kind;
        bool final_only;
      } fields[] = {{"charge_status", &next.charge_status, core::Kind::kCharge, false},
                    {"charge_settle_to", &next.charge_settle_to, core::Kind::kCharge, true},
                    {"refund_status", &next.refund_status, core::Kind::kRefund, false},
                    {"refund_settle_to", &next.refund_settle_to, core::Kind::kRefund, true}};
      for (const auto& p : query) {
        bool known = false;
        for (auto& f : fields) {
          if (p.key != f.name) continue;
          known = true;
          const auto s = core::StatusFromName(p.value);
          if (!s || !core::StatusBelongsTo(f.kind, *s) || (f.final_only && !core::IsFinal(*s))) {
            return bad(std::string(f.name) + ": \"" + p.value + "\" is not allowed here");
          }
          *f.status = *s;
        }
        if (p.key == "settle_ms") {
          known = true;
          const auto ms = ParseInt(p.value);
          if (!ms || *ms < 0) return bad("settle_ms must be a non-negative integer");
          next.settle_ms = *ms;
        }
        if (!known) return bad("unknown lifecycle parameter \"" + p.key + "\"");
      }
      options_.lifecycle = next;
    }
    JsonValue o = JsonValue::Object();
    o.Add("charge_status", Str(core::StatusName(next.charge_status)));
    o.Add("charge_settle_to", Str(core::StatusName(next.charge_settle_to)));
    o.Add("refund_status", Str(core::StatusName(next.refund_status)));
    o.Add("refund_settle_to", Str(core::StatusName(next.refund_settle_to)));
    o.Add("settle_ms", Num(next.settle_ms));
    return ControlReply(200, o);
  }
  if (path == "/sandbox/stats" && get) return ControlReply(200, StatsJson());
  if (path == "/sandbox/stats/checks" && get) {
    const std::string* txn_id = param("merchant_txn_id");
    const std::string* merchant_id = param("merchant_id");
    if (txn_id == nullptr) return bad("merchant_txn_id is required");
    std::optional<std::uint32_t> checks;
    std::string owner;
    for (std::size_t i = 0; i < merchants_.size(); ++i) {
      const Merchant& m = merchants_.At(static_cast<std::uint16_t>(i));
      if (merchant_id != nullptr && m.merchant_id != *merchant_id) continue;
      const bool found = store_.WithTxn(m.index, *txn_id, false, [&](Txn& t) { checks = t.checks; });
      if (found) {
        if (!owner.empty()) return bad("merchant_txn_id is known for several merchants: give merchant_id");
        owner = m.merchant_id;
      }
    }
    if (!checks) return ControlReply(404, ErrorBody("NotFound", "no transaction \"" + *txn_id + "\""));
    JsonValue o = JsonValue::Object();
    o.Add("merchant_id", Str(owner));
    o.Add("merchant_txn_id", Str(*txn_id));
    o.Add("checks", Num(*checks));
    return ControlReply(200, o);
  }
  return ControlReply(404, ErrorBody("NotFound", "no such control endpoint: " + request.method + " " + path));
}

}  // namespace payrecon::sandbox
