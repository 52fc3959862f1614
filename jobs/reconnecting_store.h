#pragma once
// The store's one decorator: every port of core::Store, each call retried across a lost database. When a call
// throws a transient StoreUnavailable it reconnects (only when the connection itself was lost) with back-off
// (0.1 s doubling to 2 s) and tries the call again, until `give_up_at(first failure)`; then StoreUnavailable
// propagates and the run ends with exit 3; a stop request while it waits ends the wait with JobError(kInterrupted),
// exit 6. Retrying is safe because every store call is one database transaction: a claim whose answer was lost
// leaves leases that expire, an apply is compare-and-set (and recognises its own earlier commit), a release is
// idempotent, a read is read again (a streamed read restarts its sink first).
#include <atomic>
#include <chrono>
#include <functional>
#include <stdexcept>

#include "core/store_ports.h"

namespace payrecon::jobs {

class ReconnectingStore : public core::Store {
 public:
  // The ports to decorate; a port left null is one its user never calls (a call is a bug: std::logic_error).
  struct Inner {
    core::TransactionStore* transactions = nullptr;
    core::RunStore* runs = nullptr;
    core::DiscrepancyStore* discrepancies = nullptr;
    core::ReportStore* reports = nullptr;
  };
  static Inner All(core::Store& store) { return Inner{&store, &store, &store, &store}; }

  using Reconnect = std::function<void()>;  // re-establishes what the ports use; may throw StoreUnavailable
  using Deadline = std::function<std::chrono::steady_clock::time_point(std::chrono::steady_clock::time_point)>;
  using Transient = std::function<bool(const core::StoreUnavailable&)>;
  // A failure a reconnect cures (null: every one); the others are retried on the same connection.
  using NeedsReconnect = std::function<bool(const core::StoreUnavailable&)>;
  // The stop flag to watch while waiting (read at each call, so it can be set after construction).
  using Interrupt = std::function<const std::atomic<bool>*()>;

  // `give_up_at(first_failure)` says until when to keep trying; `transient` says which failures a retry may cure
  // (null: all); `interrupt` gives the flag that ends a wait with JobError(kInterrupted) (null: none).
  ReconnectingStore(Inner inner, Reconnect reconnect, Deadline give_up_at, Transient transient = nullptr,
                    NeedsReconnect needs_reconnect = nullptr, Interrupt interrupt = nullptr);

  int reconnects() const { return reconnects_; }

  // ---- core::TransactionStore ----
  std::vector<core::Transaction> TransactionsClaimDue(const core::ClaimParams& params) override;
  std::vector<core::Transaction> TransactionsClaimWindow(const core::WindowClaimParams& params) override;
  core::ApplyResult TransactionsApply(const core::ApplyParams& params) override;
  void LeasesRelease(const core::ReleaseParams& params) override;
  std::vector<std::int64_t> LeasesRenew(const core::RenewParams& params) override;
  std::vector<std::int64_t> TransactionsHeldInWindow(const core::WindowHeldParams& params) override;
  std::optional<core::Transaction> TransactionClaimOne(const core::ClaimOneParams& params) override;
  std::int64_t LeasesReleaseRun(const std::string& run_id) override;

  // ---- core::RunStore ----
  void RunStart(const core::RunStartParams& params) override;
  bool RunFinish(const core::RunFinishParams& params) override;
  bool RunCheckpoint(const core::RunCheckpointParams& params) override;
  std::optional<core::Run> RunGet(const std::string& run_id) override;
  std::vector<std::string> RunsMarkAbandoned(const core::RunsAbandonParams& params) override;
  void RunErrorsRecord(const core::RunErrorsParams& params) override;
  bool RunFiguresSet(const core::RunFiguresParams& params) override;
  std::vector<core::RunListed> RunsListRecent(const core::RunsListParams& params) override;
  core::HistoryPruneResult HistoryPrune(const core::HistoryPruneParams& params) override;

  // ---- core::DiscrepancyStore ----
  std::vector<core::DiscrepancyRow> DiscrepanciesListOpen(const core::DiscrepanciesOpenParams& params) override;
  std::vector<core::DiscrepancyRow> DiscrepanciesListAll(const core::DiscrepanciesAllParams& params) override;
  std::optional<core::DiscrepancyRow> DiscrepancyGet(std::int64_t id) override;
  bool DiscrepancyResolve(const core::DiscrepancyResolveParams& params) override;
  std::vector<core::OpenTotal> DiscrepanciesTotalsOpen() override;
  std::vector<core::OpenDiscrepancies> DiscrepanciesCountOpen() override;

  // ---- core::ReportStore ----
  std::vector<core::Transaction> TransactionsListDue(const core::ClaimParams& params) override;
  std::vector<core::Transaction> TransactionsListWindow(const core::WindowClaimParams& params) override;
  void TransactionsForEachPending(const core::PendingListParams& params,
                                  const core::RowSink<core::Transaction>& sink) override;
  std::int64_t TransactionsCountPending() override;
  std::int64_t TransactionsCountWindow(const core::WindowClaimParams& params) override;
  std::optional<core::Transaction> TransactionGet(std::int64_t id) override;
  std::vector<core::Transaction> TransactionsFindByTxn(const core::TransactionFindParams& params) override;
  core::LeaseHolder TransactionLeaseGet(std::int64_t transaction_id) override;
  void RunTransitionsForEach(const std::string& run_id, const core::RowSink<core::TransitionRow>& sink) override;
  std::int64_t RunTransitionsCount(const std::string& run_id) override;
  void RunDiscrepanciesForEach(const std::string& run_id,
                               const core::RowSink<core::DiscrepancyRow>& sink) override;
  void RunErrorsForEach(const std::string& run_id, const core::RowSink<core::ErrorRow>& sink) override;
  std::vector<core::PendingAges> TransactionsPendingAges(const core::PendingAgesParams& params) override;
  std::vector<core::PendingTotal> TransactionsPendingTotals(const core::PendingAgesParams& params) override;
  std::vector<core::EventRow> TransactionEventsList(std::int64_t transaction_id) override;
  std::vector<core::CheckErrorRow> TransactionRunErrorsList(std::int64_t transaction_id) override;
  std::vector<core::DiscrepancyRow> TransactionDiscrepanciesList(std::int64_t transaction_id) override;
  std::vector<core::CheckRunRow> TransactionCheckRunsList(std::int64_t transaction_id) override;

 private:
  template <class Port, class F>
  auto Call(const char* what, Port* port, F&& call);

  Inner inner_;
  Reconnect reconnect_;
  Deadline give_up_at_;
  Transient transient_;
  NeedsReconnect needs_reconnect_;
  Interrupt interrupt_;
  bool broken_ = false;  // the connection was lost: reconnect before the next attempt
  int reconnects_ = 0;
};

}  // namespace payrecon::jobs
