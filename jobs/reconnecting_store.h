#pragma once
// A TransactionStore that survives a lost database: when a call throws StoreUnavailable, it reconnects with
// back-off (0.1 s doubling to 2 s) and retries the call, until `give_up_at()`; then StoreUnavailable propagates
// and the run ends with exit 3; a stop request while it waits ends the wait with JobError(kInterrupted), exit 6.
// Retrying is safe because every store call is one database transaction:
// a claim whose answer was lost leaves leases that expire, an apply is compare-and-set, a release is idempotent.
#include <atomic>
#include <chrono>
#include <functional>
#include <memory>

#include "core/ports.h"

namespace payrecon::jobs {

class ReconnectingStore : public core::TransactionStore {
 public:
  using Factory = std::function<std::unique_ptr<core::TransactionStore>()>;  // may throw StoreUnavailable
  using Deadline = std::function<std::chrono::steady_clock::time_point(std::chrono::steady_clock::time_point)>;

  using Transient = std::function<bool(const core::StoreUnavailable&)>;
  // The stop flag to watch while waiting (read at each call, so it can be set after construction).
  using Interrupt = std::function<const std::atomic<bool>*()>;

  // `first` is the connected store to begin with; `give_up_at(first_failure)` says until when to keep trying;
  // `transient` says which failures a retry may cure (null: all); `interrupt` gives the flag that ends a wait
  // with JobError(kInterrupted) (null: none).
  ReconnectingStore(std::unique_ptr<core::TransactionStore> first, Factory factory, Deadline give_up_at,
                    Transient transient = nullptr, Interrupt interrupt = nullptr);

  std::vector<core::Transaction> TransactionsClaimDue(const core::ClaimParams& params) override;
  std::vector<core::Transaction> TransactionsClaimWindow(const core::WindowClaimParams& params) override;
  core::ApplyResult TransactionsApply(const core::ApplyParams& params) override;
  void LeasesRelease(const core::ReleaseParams& params) override;
  std::vector<std::int64_t> TransactionsHeldInWindow(const core::WindowHeldParams& params) override;
  std::vector<std::int64_t> LeasesRenew(const core::RenewParams& params) override;

  int reconnects() const { return reconnects_; }

 private:
  template <class F>
  auto WithRetry(const char* what, F&& call);

  std::unique_ptr<core::TransactionStore> store_;
  Factory factory_;
  Deadline give_up_at_;
  Transient transient_;
  Interrupt interrupt_;
  int reconnects_ = 0;
};

}  // namespace payrecon::jobs
