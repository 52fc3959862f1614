#include "jobs/reconnecting_store.h"

#include <algorithm>
#include <optional>
#include <string>
#include <thread>
#include <utility>

#include "jobs/log.h"

namespace payrecon::jobs {

ReconnectingStore::ReconnectingStore(std::unique_ptr<core::TransactionStore> first, Factory factory,
                                     Deadline give_up_at)
    : store_(std::move(first)), factory_(std::move(factory)), give_up_at_(std::move(give_up_at)) {}

template <class F>
auto ReconnectingStore::WithRetry(const char* what, F&& call) {
  using Clock = std::chrono::steady_clock;
  std::optional<Clock::time_point> give_up;
  std::chrono::milliseconds backoff{100};
  for (;;) {
    try {
      if (!store_) {
        store_ = factory_();
        ++reconnects_;
        LogInfo("database connection re-established");
      }
      return call(*store_);
    } catch (const core::StoreUnavailable& e) {
      store_.reset();
      const auto now = Clock::now();
      if (!give_up) give_up = give_up_at_(now);
      if (now + backoff > *give_up) throw;
      LogWarn(std::string("database unavailable during '") + what + "', retrying in " +
              std::to_string(backoff.count()) + " ms: " + e.what());
      std::this_thread::sleep_for(backoff);
      backoff = std::min<std::chrono::milliseconds>(backoff * 2, std::chrono::seconds(2));
    }
  }
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
