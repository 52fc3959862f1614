#include "jobs/reconnecting_store.h"

#include <utility>

#include "jobs/database.h"
#include "jobs/log.h"
#include "jobs/retry.h"

namespace payrecon::jobs {

ReconnectingStore::ReconnectingStore(std::unique_ptr<core::TransactionStore> first, Factory factory,
                                     Deadline give_up_at, Transient transient, Interrupt interrupt)
    : store_(std::move(first)),
      factory_(std::move(factory)),
      give_up_at_(std::move(give_up_at)),
      transient_(std::move(transient)),
      interrupt_(std::move(interrupt)) {}

template <class F>
auto ReconnectingStore::WithRetry(const char* what, F&& call) {
  RetryPolicy policy{give_up_at_, transient_, interrupt_ ? interrupt_() : nullptr};
  // Only a lost connection is worth a new one: a deadlock or serialization failure is retried on this one.
  return RetryWhileUnavailable(what, policy, [this](const core::StoreUnavailable& e) {
    if (!transient_ || Database::NeedsReconnect(e)) store_.reset();
  }, [&] {
    if (!store_) {
      store_ = factory_();
      ++reconnects_;
      LogInfo("database connection re-established");
    }
    return call(*store_);
  });
}

std::vector<core::Transaction> ReconnectingStore::TransactionsClaimDue(const core::ClaimParams& params) {
  return WithRetry("TransactionsClaimDue", [&](core::TransactionStore& s) { return s.TransactionsClaimDue(params); });
}

std::vector<core::Transaction> ReconnectingStore::TransactionsClaimWindow(const core::WindowClaimParams& params) {
  return WithRetry("TransactionsClaimWindow",
                   [&](core::TransactionStore& s) { return s.TransactionsClaimWindow(params); });
}

core::ApplyResult ReconnectingStore::TransactionsApply(const core::ApplyParams& params) {
  return WithRetry("TransactionsApply", [&](core::TransactionStore& s) { return s.TransactionsApply(params); });
}

void ReconnectingStore::LeasesRelease(const core::ReleaseParams& params) {
  WithRetry("LeasesRelease", [&](core::TransactionStore& s) { s.LeasesRelease(params); });
}

std::vector<std::int64_t> ReconnectingStore::LeasesRenew(const core::RenewParams& params) {
  return WithRetry("LeasesRenew", [&](core::TransactionStore& s) { return s.LeasesRenew(params); });
}

std::vector<std::int64_t> ReconnectingStore::TransactionsHeldInWindow(const core::WindowHeldParams& params) {
  return WithRetry("TransactionsHeldInWindow",
                   [&](core::TransactionStore& s) { return s.TransactionsHeldInWindow(params); });
}

}  // namespace payrecon::jobs
