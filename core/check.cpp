#include "core/check.h"

namespace payrecon::core {

std::string_view CheckOutcomeName(CheckOutcome outcome) {
  switch (outcome) {
    case CheckOutcome::kObserved: return "OBSERVED";
    case CheckOutcome::kNotFound: return "NOT_FOUND";
    case CheckOutcome::kTimeout: return "TIMEOUT";
    case CheckOutcome::kNetwork: return "NETWORK";
    case CheckOutcome::kHttp5xx: return "HTTP_5XX";
    case CheckOutcome::kRateLimited: return "RATE_LIMITED";
    case CheckOutcome::kAuth: return "AUTH";
    case CheckOutcome::kInvalidRequest: return "INVALID_REQUEST";
    case CheckOutcome::kBadSignature: return "BAD_SIGNATURE";
    case CheckOutcome::kMalformed: return "MALFORMED";
  }
  return "?";
}

}  // namespace payrecon::core
