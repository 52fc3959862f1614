// libFuzzer target over what reads untrusted gateway bytes: core::ParseJson, core::ParseAmount, the canonicalizer,
// response inspection (signature verification, then the x-amz-date replay bound) and Classify with the
// status-body reader.
// Input: byte 0 = flags (bit 0: sign the body correctly; bits 1-2: kind; bits 3-5: allowed date skew in minutes),
// byte 1-2 = HTTP status seed (byte 1 also sets how far the arrival is from x-amz-date), then
// header lines "name: value\n" up to a blank line, then the body.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "core/json.h"
#include "core/money.h"
#include "core/time.h"
#include "gateway/calls.h"
#include "gateway/response.h"
#include "signing/canonical.h"
#include "signing/signer.h"

using namespace payrecon;

namespace {

void Check(bool ok) {
  if (!ok) std::abort();
}

void Properties(std::string_view text) {
  // A parsed document serializes to JSON that parses again to the same serialization.
  if (auto json = core::ParseJson(text); json.ok()) {
    const std::string once = core::SerializeJson(*json);
    const auto again = core::ParseJson(once);
    Check(again.ok());
    Check(core::SerializeJson(*again) == once);
    (void)signing::CanonicalPairs(signing::BodyPairs(*json));
    (void)signing::CanonicalValue(*json);
  }
  // An accepted amount formats and parses back to itself, never negative.
  if (auto paise = core::ParseAmount(text); paise.ok()) {
    Check(*paise >= 0);
    const auto back = core::ParseAmount(core::FormatAmount(*paise));
    Check(back.ok() && *back == *paise);
  }
  const std::string encoded = signing::PercentEncode(text);
  for (char c : encoded) {
    const bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                            c == '-' || c == '_' || c == '.' || c == '~' || c == '%';
    Check(unreserved);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view all(reinterpret_cast<const char*>(data), size);
  Properties(all);
  if (size < 3) return 0;

  static const signing::Signer signer(core::Secret("TEST_SECRET_DO_NOT_USE"));
  const std::uint8_t flags = data[0];
  const int status = 100 + (data[1] * 256 + data[2]) % 500;
  const core::Kind kind = core::kAllKinds[(flags >> 1) % 3];
  std::string_view rest = all.substr(3);

  gateway::Exchange e;
  e.transport = gateway::Transport::kCompleted;
  e.http_status = status;
  const std::size_t blank = rest.find("\n\n");
  std::string_view head = blank == std::string_view::npos ? std::string_view() : rest.substr(0, blank);
  e.body = std::string(blank == std::string_view::npos ? rest : rest.substr(blank + 2));
  while (!head.empty()) {
    const std::size_t nl = head.find('\n');
    const std::string_view line = head.substr(0, nl);
    head = nl == std::string_view::npos ? std::string_view() : head.substr(nl + 1);
    const std::size_t colon = line.find(": ");
    if (colon == std::string_view::npos) continue;
    const std::string_view name = line.substr(0, colon);
    const std::string value(line.substr(colon + 2));
    if (name == "x-amz-signature") {
      e.headers.has_signature = true;
      e.headers.signature = value;
    } else if (name == "x-amz-algorithm") {
      e.headers.has_algorithm = true;
      e.headers.algorithm = value;
    } else if (name == "x-amz-date") {
      e.headers.amz_date = value;
    } else if (name == "x-amz-request-id") {
      e.headers.request_id = value;
    } else if (name == "retry-after") {
      e.headers.retry_after = value;
      (void)gateway::ParseRetryAfter(value, core::Instant{});
    }
  }

  const std::string_view host_path = "amazonpay.amazon.in/v1/payments/charge";
  if ((flags & 1) != 0) {
    // Sign like the gateway would, so the verified path (and the body reader) is exercised too.
    if (auto json = core::ParseJson(e.body); json.ok() && core::ParseAmzDate(e.headers.amz_date).ok()) {
      e.headers.has_signature = true;
      e.headers.signature = signer.Sign(
          signing::CanonicalResponseText("GET", host_path, signing::kAlgorithm, e.headers.amz_date,
                                         e.headers.request_id, *json),
          e.headers.amz_date);
      e.headers.has_algorithm = false;
    }
  }
  gateway::InspectResponse(e, "GET", host_path, signer);
  // The replay bound: the answer arrives up to about 17 minutes before or after its x-amz-date (byte 1), with an
  // allowed skew of 0-7 minutes (flags bits 3-5). Only a verified signature is judged; it stays verified exactly
  // when the date is within the skew, and turns stale (no digest) otherwise.
  {
    const gateway::SignatureCheck before = e.signature;
    const core::Millis max_skew{std::int64_t{(flags >> 3) & 7} * 60'000};
    const std::int64_t offset_ms = (static_cast<std::int64_t>(data[1]) - 128) * 7'919;
    const auto date = core::ParseAmzDate(e.headers.amz_date);
    if (date.ok()) e.received_at = *date - core::Millis{offset_ms};
    gateway::CheckResponseDate(e, max_skew);
    if (before != gateway::SignatureCheck::kVerified) {
      Check(e.signature == before);
    } else {
      Check(date.ok());
      const bool within = offset_ms <= max_skew.count() && -offset_ms <= max_skew.count();
      Check(e.signature == (within ? gateway::SignatureCheck::kVerified : gateway::SignatureCheck::kStale));
      if (!within) Check(e.response_digest.empty() && !e.signature_detail.empty());
    }
  }
  core::Observation observation;
  const core::CheckResult r = gateway::Classify(e, [&](const core::JsonValue& body) -> std::optional<std::string> {
    auto o = gateway::ParseObservation(body, kind);
    if (!o.ok()) return o.error();
    observation = std::move(o).value();
    return std::nullopt;
  });
  // Nothing is observed without a verified signature on a 2xx.
  if (r.outcome == core::CheckOutcome::kObserved) {
    Check(e.signature == gateway::SignatureCheck::kVerified);
    Check(status >= 200 && status < 300);
    Check(!observation.status_word.empty());
    Check(r.response_digest.size() == 64);
  }
  if (e.signature != gateway::SignatureCheck::kVerified) Check(r.outcome != core::CheckOutcome::kObserved);
  return 0;
}
