#include "config/settings.h"

namespace payrecon::config {

core::Policy WorkerSettings::ToPolicy() const {
  core::Policy policy;
  policy.pending_ladder = pending_ladder;
  policy.pending_after_ladder = pending_after_ladder;
  policy.error_backoff_base = error_backoff_base;
  policy.error_backoff_max = error_backoff_max;
  policy.error_limit = error_limit;
  policy.failing_recheck = failing_recheck;
  policy.not_found_grace = not_found_grace;
  policy.charge_stuck_after = charge_stuck_after;
  policy.refund_stuck_after = refund_stuck_after;
  policy.stuck_repeat = stuck_repeat;
  return policy;
}

const MerchantSettings* Settings::FindMerchant(std::string_view merchant_id) const {
  for (const MerchantSettings& m : merchants) {
    if (m.merchant_id == merchant_id) return &m;
  }
  return nullptr;
}

}  // namespace payrecon::config
