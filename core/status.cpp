#include "core/status.h"

namespace payrecon::core {

std::string_view KindName(Kind kind) {
  switch (kind) {
    case Kind::kCharge: return "charge";
    case Kind::kRefund: return "refund";
    case Kind::kTopup: return "topup";
  }
  return "?";
}

std::optional<Kind> KindFromName(std::string_view name) {
  for (Kind k : kAllKinds) {
    if (KindName(k) == name) return k;
  }
  return std::nullopt;
}

std::string_view StatusName(Status status) {
  switch (status) {
    case Status::kCapturePending: return "CapturePending";
    case Status::kCaptureApproved: return "CaptureApproved";
    case Status::kFailed: return "Failed";
    case Status::kPending: return "Pending";
    case Status::kApproved: return "Approved";
    case Status::kDeclined: return "Declined";
  }
  return "?";
}

std::optional<Status> StatusFromName(std::string_view name) {
  for (Status s : kAllStatuses) {
    if (StatusName(s) == name) return s;
  }
  return std::nullopt;
}

bool IsFinal(Status status) { return status != Status::kCapturePending && status != Status::kPending; }

bool StatusBelongsTo(Kind kind, Status status) {
  const bool refund_status =
      status == Status::kPending || status == Status::kApproved || status == Status::kDeclined;
  return (kind == Kind::kRefund) == refund_status;
}

Status PendingStatusOf(Kind kind) { return kind == Kind::kRefund ? Status::kPending : Status::kCapturePending; }

}  // namespace payrecon::core
