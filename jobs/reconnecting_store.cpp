#include "jobs/reconnecting_store.h"

#include <utility>

#include "jobs/log.h"
#include "jobs/retry.h"

namespace payrecon::jobs {

ReconnectingStore::ReconnectingStore(std::unique_ptr<core::TransactionStore> first, Factory factory,
                                     Deadline give_up_at, Transient transient)
    : store_(std::move(first)),
      factory_(std::move(factory)),
      give_up_at_(std::move(give_up_at)),
      transient_(std::move(transient)) {}

template <class F>
auto ReconnectingStore::WithRetry(const char* what, F&& call) {
  RetryPolicy policy{give_up_at_, transient_};
  return RetryWhileUnavailable(what, policy, [this] { store_.reset(); }, [&] {
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

}  // namespace payrecon::jobs
