#pragma once
// The runner's work sources: claiming (run and backfill, with leases) and read-only (dry runs: nothing in the
// database changes, not even a lease).
#include <cstdint>
#include <functional>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "core/ports.h"
#include "engine/runner.h"

namespace payrecon::engine {

// `run`: due pending transactions. Due means next_check_at <= the run's start, so a transaction this run
// rescheduled is not checked twice by it; each claim's lease still lasts `lease` from the moment of the claim.
class ClaimDueSource : public WorkSource {
 public:
  // `apply_store`, when given, is a store over another connection that Apply writes through, from the runner's apply
  // thread; otherwise Apply uses `store` on the coordinating thread.
  ClaimDueSource(core::TransactionStore& store, std::string run_id, core::Instant run_start, core::Millis lease,
                 core::TransactionStore* apply_store = nullptr);
  std::vector<core::Transaction> Next(int max, core::Instant now) override;
  core::ApplyResult Apply(std::vector<core::TransactionUpdate> updates, core::Instant now) override;
  bool ApplyOffThread() const override { return apply_store_ != nullptr; }
  void Release(std::vector<std::int64_t> ids) override;
  std::vector<std::int64_t> Renew(std::vector<std::int64_t> ids, core::Instant now) override;

 private:
  core::TransactionStore& store_;
  core::TransactionStore* apply_store_;
  std::string run_id_;
  core::Instant run_start_;
  core::Millis lease_;
};

// `backfill`: every transaction created in a window, pending or final, in id order after `params.after_id`.
// `save_progress` receives the id through which everything is done (stored in the run's row for --resume).
// Rows another run holds when the scan reaches them are not skipped for good: they are remembered, claimed
// again once the scan is through (by then that run has usually finished with them), and the resume point never
// passes one that is still unverified, so `backfill --resume` checks what this run could not.
class ClaimWindowSource : public WorkSource {
 public:
  // `apply_store`: as for ClaimDueSource.
  ClaimWindowSource(core::TransactionStore& store, core::WindowClaimParams params,
                    std::function<void(std::int64_t)> save_progress, core::TransactionStore* apply_store = nullptr);
  std::vector<core::Transaction> Next(int max, core::Instant now) override;
  core::ApplyResult Apply(std::vector<core::TransactionUpdate> updates, core::Instant now) override;
  bool ApplyOffThread() const override { return apply_store_ != nullptr; }
  void Release(std::vector<std::int64_t> ids) override;
  void Progress(std::int64_t id) override;
  std::vector<std::int64_t> Renew(std::vector<std::int64_t> ids, core::Instant now) override;

  // Window rows that were held by another run and are not verified by this one (yet).
  std::size_t unverified() const {
    std::lock_guard lock(mu_);
    return held_.size() + revisiting_.size();
  }

 private:
  core::TransactionStore& store_;
  core::TransactionStore* apply_store_;
  core::WindowClaimParams params_;
  std::function<void(std::int64_t)> save_progress_;
  bool scan_done_ = false;
  bool revisited_ = false;
  // Guards held_ and revisiting_: Apply may run on the runner's apply thread.
  mutable std::mutex mu_;
  std::set<std::int64_t> held_;        // passed over, not claimed yet
  std::set<std::int64_t> revisiting_;  // claimed on the second pass, not applied yet
  std::int64_t saved_ = 0;             // the last resume point saved
  std::int64_t done_through_ = 0;      // the highest id the runner reported done through
};

// Dry runs: pages through `list(after_id, max)` (transactions in id order, read without locking or claiming)
// and applies nothing. Every update is reported as applied and every discrepancy it carries as raised (whether
// one is already open is not looked up).
class ReadOnlySource : public WorkSource {
 public:
  using Lister = std::function<std::vector<core::Transaction>(std::int64_t after_id, int max)>;
  explicit ReadOnlySource(Lister list) : list_(std::move(list)) {}
  std::vector<core::Transaction> Next(int max, core::Instant now) override;
  core::ApplyResult Apply(std::vector<core::TransactionUpdate> updates, core::Instant now) override;
  void Release(std::vector<std::int64_t> ids) override;

 private:
  Lister list_;
  std::int64_t after_id_ = 0;
};

}  // namespace payrecon::engine
