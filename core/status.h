#pragma once
// Transaction kinds and statuses in the gateway's own words, and which statuses are final.
// Top-ups follow the charge lifecycle: their words are undocumented, so they are treated like charges
// (docs/amazon-pay-protocol.md §3).
#include <optional>
#include <string_view>

namespace payrecon::core {

enum class Kind { kCharge, kRefund, kTopup };

enum class Status {
  kCapturePending,   // charge / top-up: the customer still has to pay
  kCaptureApproved,  // charge / top-up: final, paid
  kFailed,           // charge / top-up: final, not paid
  kPending,          // refund: not settled yet
  kApproved,         // refund: final, money returned
  kDeclined,         // refund: final, refused
};

inline constexpr Kind kAllKinds[] = {Kind::kCharge, Kind::kRefund, Kind::kTopup};
inline constexpr Status kAllStatuses[] = {Status::kCapturePending, Status::kCaptureApproved, Status::kFailed,
                                          Status::kPending, Status::kApproved, Status::kDeclined};

// "charge", "refund", "topup".
std::string_view KindName(Kind kind);
std::optional<Kind> KindFromName(std::string_view name);

// The gateway's word: "CapturePending", "CaptureApproved", "Failed", "Pending", "Approved", "Declined".
std::string_view StatusName(Status status);
// Exact, case-sensitive match of a gateway word; nullopt for anything else (an "unknown status").
std::optional<Status> StatusFromName(std::string_view name);

bool IsFinal(Status status);
// Whether `status` belongs to `kind`'s lifecycle (a refund is never CaptureApproved).
bool StatusBelongsTo(Kind kind, Status status);
// The status a new transaction of `kind` waits in: CapturePending or Pending.
Status PendingStatusOf(Kind kind);

}  // namespace payrecon::core
