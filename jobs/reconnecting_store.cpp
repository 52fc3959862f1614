#include "jobs/reconnecting_store.h"

#include <string>
#include <utility>

#include "jobs/log.h"
#include "jobs/retry.h"

namespace payrecon::jobs {

ReconnectingStore::ReconnectingStore(Inner inner, Reconnect reconnect, Deadline give_up_at, Transient transient,
                                     NeedsReconnect needs_reconnect, Interrupt interrupt)
    : inner_(inner),
      reconnect_(std::move(reconnect)),
      give_up_at_(std::move(give_up_at)),
      transient_(std::move(transient)),
      needs_reconnect_(std::move(needs_reconnect)),
      interrupt_(std::move(interrupt)) {}

template <class Port, class F>
auto ReconnectingStore::Call(const char* what, Port* port, F&& call) {
  if (!port) throw std::logic_error(std::string("the store was built without the port of '") + what + "'");
  RetryPolicy policy{give_up_at_, transient_, interrupt_ ? interrupt_() : nullptr};
  // Only a lost connection is worth a new one: a deadlock or serialization failure is retried on this one.
  return RetryWhileUnavailable(what, policy, [this](const core::StoreUnavailable& e) {
    if (!needs_reconnect_ || needs_reconnect_(e)) broken_ = true;
  }, [&] {
    if (broken_) {
      if (reconnect_) reconnect_();
      broken_ = false;
      ++reconnects_;
      LogInfo("database connection re-established");
    }
    return call(*port);
  });
}

std::vector<core::Transaction> ReconnectingStore::TransactionsClaimDue(const core::ClaimParams& params) {
  return Call("TransactionsClaimDue", inner_.transactions, [&](auto& s) { return s.TransactionsClaimDue(params); });
}

std::vector<core::Transaction> ReconnectingStore::TransactionsClaimWindow(const core::WindowClaimParams& params) {
  return Call("TransactionsClaimWindow", inner_.transactions,
              [&](auto& s) { return s.TransactionsClaimWindow(params); });
}

core::ApplyResult ReconnectingStore::TransactionsApply(const core::ApplyParams& params) {
  return Call("TransactionsApply", inner_.transactions, [&](auto& s) { return s.TransactionsApply(params); });
}

void ReconnectingStore::LeasesRelease(const core::ReleaseParams& params) {
  Call("LeasesRelease", inner_.transactions, [&](auto& s) { s.LeasesRelease(params); });
}

std::vector<std::int64_t> ReconnectingStore::LeasesRenew(const core::RenewParams& params) {
  return Call("LeasesRenew", inner_.transactions, [&](auto& s) { return s.LeasesRenew(params); });
}

std::vector<std::int64_t> ReconnectingStore::TransactionsHeldInWindow(const core::WindowHeldParams& params) {
  return Call("TransactionsHeldInWindow", inner_.transactions,
              [&](auto& s) { return s.TransactionsHeldInWindow(params); });
}

std::optional<core::Transaction> ReconnectingStore::TransactionClaimOne(const core::ClaimOneParams& params) {
  return Call("TransactionClaimOne", inner_.transactions, [&](auto& s) { return s.TransactionClaimOne(params); });
}

std::int64_t ReconnectingStore::LeasesReleaseRun(const std::string& run_id) {
  return Call("LeasesReleaseRun", inner_.transactions, [&](auto& s) { return s.LeasesReleaseRun(run_id); });
}

void ReconnectingStore::RunStart(const core::RunStartParams& params) {
  Call("RunStart", inner_.runs, [&](auto& s) { s.RunStart(params); });
}

bool ReconnectingStore::RunFinish(const core::RunFinishParams& params) {
  return Call("RunFinish", inner_.runs, [&](auto& s) { return s.RunFinish(params); });
}

bool ReconnectingStore::RunCheckpoint(const core::RunCheckpointParams& params) {
  return Call("RunCheckpoint", inner_.runs, [&](auto& s) { return s.RunCheckpoint(params); });
}

std::optional<core::Run> ReconnectingStore::RunGet(const std::string& run_id) {
  return Call("RunGet", inner_.runs, [&](auto& s) { return s.RunGet(run_id); });
}

std::vector<std::string> ReconnectingStore::RunsMarkAbandoned(const core::RunsAbandonParams& params) {
  return Call("RunsMarkAbandoned", inner_.runs, [&](auto& s) { return s.RunsMarkAbandoned(params); });
}

void ReconnectingStore::RunErrorsRecord(const core::RunErrorsParams& params) {
  Call("RunErrorsRecord", inner_.runs, [&](auto& s) { s.RunErrorsRecord(params); });
}

bool ReconnectingStore::RunFiguresSet(const core::RunFiguresParams& params) {
  return Call("RunFiguresSet", inner_.runs, [&](auto& s) { return s.RunFiguresSet(params); });
}

std::vector<core::RunListed> ReconnectingStore::RunsListRecent(const core::RunsListParams& params) {
  return Call("RunsListRecent", inner_.runs, [&](auto& s) { return s.RunsListRecent(params); });
}

core::HistoryPruneResult ReconnectingStore::HistoryPrune(const core::HistoryPruneParams& params) {
  return Call("HistoryPrune", inner_.runs, [&](auto& s) { return s.HistoryPrune(params); });
}

std::vector<core::DiscrepancyRow> ReconnectingStore::DiscrepanciesListOpen(
    const core::DiscrepanciesOpenParams& params) {
  return Call("DiscrepanciesListOpen", inner_.discrepancies, [&](auto& s) { return s.DiscrepanciesListOpen(params); });
}

std::vector<core::DiscrepancyRow> ReconnectingStore::DiscrepanciesListAll(const core::DiscrepanciesAllParams& params) {
  return Call("DiscrepanciesListAll", inner_.discrepancies, [&](auto& s) { return s.DiscrepanciesListAll(params); });
}

std::optional<core::DiscrepancyRow> ReconnectingStore::DiscrepancyGet(std::int64_t id) {
  return Call("DiscrepancyGet", inner_.discrepancies, [&](auto& s) { return s.DiscrepancyGet(id); });
}

bool ReconnectingStore::DiscrepancyResolve(const core::DiscrepancyResolveParams& params) {
  return Call("DiscrepancyResolve", inner_.discrepancies, [&](auto& s) { return s.DiscrepancyResolve(params); });
}

std::vector<core::OpenTotal> ReconnectingStore::DiscrepanciesTotalsOpen() {
  return Call("DiscrepanciesTotalsOpen", inner_.discrepancies, [&](auto& s) { return s.DiscrepanciesTotalsOpen(); });
}

std::vector<core::OpenDiscrepancies> ReconnectingStore::DiscrepanciesCountOpen() {
  return Call("DiscrepanciesCountOpen", inner_.discrepancies, [&](auto& s) { return s.DiscrepanciesCountOpen(); });
}

std::vector<core::Transaction> ReconnectingStore::TransactionsListDue(const core::ClaimParams& params) {
  return Call("TransactionsListDue", inner_.reports, [&](auto& s) { return s.TransactionsListDue(params); });
}

std::vector<core::Transaction> ReconnectingStore::TransactionsListWindow(const core::WindowClaimParams& params) {
  return Call("TransactionsListWindow", inner_.reports, [&](auto& s) { return s.TransactionsListWindow(params); });
}

void ReconnectingStore::TransactionsForEachPending(const core::PendingListParams& params,
                                                   const core::RowSink<core::Transaction>& sink) {
  Call("TransactionsForEachPending", inner_.reports, [&](auto& s) { s.TransactionsForEachPending(params, sink); });
}

std::int64_t ReconnectingStore::TransactionsCountPending() {
  return Call("TransactionsCountPending", inner_.reports, [&](auto& s) { return s.TransactionsCountPending(); });
}

std::int64_t ReconnectingStore::TransactionsCountWindow(const core::WindowClaimParams& params) {
  return Call("TransactionsCountWindow", inner_.reports, [&](auto& s) { return s.TransactionsCountWindow(params); });
}

std::optional<core::Transaction> ReconnectingStore::TransactionGet(std::int64_t id) {
  return Call("TransactionGet", inner_.reports, [&](auto& s) { return s.TransactionGet(id); });
}

std::vector<core::Transaction> ReconnectingStore::TransactionsFindByTxn(const core::TransactionFindParams& params) {
  return Call("TransactionsFindByTxn", inner_.reports, [&](auto& s) { return s.TransactionsFindByTxn(params); });
}

core::LeaseHolder ReconnectingStore::TransactionLeaseGet(std::int64_t transaction_id) {
  return Call("TransactionLeaseGet", inner_.reports, [&](auto& s) { return s.TransactionLeaseGet(transaction_id); });
}

void ReconnectingStore::RunTransitionsForEach(const std::string& run_id,
                                              const core::RowSink<core::TransitionRow>& sink) {
  Call("RunTransitionsForEach", inner_.reports, [&](auto& s) { s.RunTransitionsForEach(run_id, sink); });
}

std::int64_t ReconnectingStore::RunTransitionsCount(const std::string& run_id) {
  return Call("RunTransitionsCount", inner_.reports, [&](auto& s) { return s.RunTransitionsCount(run_id); });
}

void ReconnectingStore::RunDiscrepanciesForEach(const std::string& run_id,
                                                const core::RowSink<core::DiscrepancyRow>& sink) {
  Call("RunDiscrepanciesForEach", inner_.reports, [&](auto& s) { s.RunDiscrepanciesForEach(run_id, sink); });
}

void ReconnectingStore::RunErrorsForEach(const std::string& run_id, const core::RowSink<core::ErrorRow>& sink) {
  Call("RunErrorsForEach", inner_.reports, [&](auto& s) { s.RunErrorsForEach(run_id, sink); });
}

std::vector<core::PendingAges> ReconnectingStore::TransactionsPendingAges(const core::PendingAgesParams& params) {
  return Call("TransactionsPendingAges", inner_.reports, [&](auto& s) { return s.TransactionsPendingAges(params); });
}

std::vector<core::PendingTotal> ReconnectingStore::TransactionsPendingTotals(const core::PendingAgesParams& params) {
  return Call("TransactionsPendingTotals", inner_.reports,
              [&](auto& s) { return s.TransactionsPendingTotals(params); });
}

std::vector<core::EventRow> ReconnectingStore::TransactionEventsList(std::int64_t transaction_id) {
  return Call("TransactionEventsList", inner_.reports,
              [&](auto& s) { return s.TransactionEventsList(transaction_id); });
}

std::vector<core::CheckErrorRow> ReconnectingStore::TransactionRunErrorsList(std::int64_t transaction_id) {
  return Call("TransactionRunErrorsList", inner_.reports,
              [&](auto& s) { return s.TransactionRunErrorsList(transaction_id); });
}

std::vector<core::DiscrepancyRow> ReconnectingStore::TransactionDiscrepanciesList(std::int64_t transaction_id) {
  return Call("TransactionDiscrepanciesList", inner_.reports,
              [&](auto& s) { return s.TransactionDiscrepanciesList(transaction_id); });
}

std::vector<core::CheckRunRow> ReconnectingStore::TransactionCheckRunsList(std::int64_t transaction_id) {
  return Call("TransactionCheckRunsList", inner_.reports,
              [&](auto& s) { return s.TransactionCheckRunsList(transaction_id); });
}

}  // namespace payrecon::jobs
