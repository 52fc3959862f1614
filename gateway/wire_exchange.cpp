#include "gateway/wire_exchange.h"

#include <stdexcept>

#include "core/json.h"
#include "signing/canonical.h"

namespace payrecon::gateway::detail {
namespace {

const std::vector<signing::Pair> kNoPairs;

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

}  // namespace

Endpoint ValidatedEndpoint(const GatewayOptions& options) {
  ValidateOptions(options);
  return ParseEndpoint(options.endpoint);
}

RequestWriter::RequestWriter(const GatewayOptions& options, const Endpoint& endpoint)
    : options_(options),
      signing_host_(options.signing_host.empty() ? endpoint.host : options.signing_host),
      expires_(std::to_string(options.expires_seconds)),
      host_header_(net::wire::HostHeader(endpoint.host, endpoint.port)) {}

std::optional<Failure> RequestWriter::Write(const Merchant& merchant, const Request& request, core::Instant now,
                                            SentRequest& sent, std::string& bytes) {
  const bool post = request.method == "POST";
  sent.amz_date = core::FormatAmzDate(now);
  // The seven signed headers' pairs, in place: only the merchant's id and the date change between calls.
  if (header_pairs_.empty()) {
    header_pairs_ = signing::SignedHeaderPairs({merchant.merchant_id(), sent.amz_date, expires_, options_.source,
                                                options_.user_agent, options_.user_ip});
  } else {
    // kSignedHeaderNames order: algorithm, client id, date, expires, source, user agent, user ip.
    header_pairs_[1].value.assign(merchant.merchant_id());
    header_pairs_[2].value.assign(sent.amz_date);
  }
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
  bytes.clear();
  try {
    net::wire::AppendRequest(bytes, request.method, sent.target, host_header_, wire_headers_, sent.body);
  } catch (const std::invalid_argument& e) {
    // Options and merchants are validated before; this guards the wire against a header split all the same.
    return Failure{Transport::kNetwork, std::string("invalid request: ") + e.what(), true};
  }
  return std::nullopt;
}

Failure ReaderFailure(const net::wire::ResponseReader& r) {
  if (!r.any_bytes()) return {Transport::kNetwork, "network failure: " + r.error(), true};
  if (!r.started()) return {Transport::kNetwork, "bad response: " + r.error(), false};
  if (r.truncated()) return {Transport::kTruncated, r.error(), false};
  return {Transport::kTruncated, "bad response framing: " + r.error(), false};
}

void TakeResponse(net::wire::ResponseReader& r, Exchange& exchange) {
  exchange.http_status = r.status();
  ResponseHeaders& h = exchange.headers;
  const auto signature = r.Header("x-amz-signature");
  const auto algorithm = r.Header("x-amz-algorithm");
  h.has_signature = signature.has_value();
  h.has_algorithm = algorithm.has_value();
  h.signature = signature.value_or("");
  h.algorithm = algorithm.value_or("");
  h.amz_date = r.Header("x-amz-date").value_or("");
  h.request_id = r.Header("x-amz-request-id").value_or("");
  h.retry_after = r.Header("Retry-After").value_or("");
  exchange.body = std::move(r.body());
}

void Conclude(Exchange& exchange, std::optional<Failure> failure, std::string_view method, std::string_view host_path,
              const signing::Signer& signer, core::Millis max_skew) {
  if (failure) {
    exchange.transport = failure->transport;
    exchange.transport_error = std::move(failure->message);
    if (exchange.transport != Transport::kTruncated) return;
  } else {
    exchange.transport = Transport::kCompleted;
  }
  InspectResponse(exchange, method, host_path, signer);
  CheckResponseDate(exchange, max_skew);
}

}  // namespace payrecon::gateway::detail
