#pragma once
// The PostgreSQL store: every port of core::Store (transactions, runs, discrepancies, the reports' reads).
// All SQL lives in db/sql.cpp, each statement named after the method that runs it. One PgStore uses one Connection
// from one thread at a time. Every method throws ConnectionLost when the connection breaks and QueryError when a
// statement fails; both are core::StoreUnavailable.
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/store_ports.h"
#include "db/connection.h"

namespace payrecon::db {

class PgStore : public core::Store {
 public:
  explicit PgStore(Connection& conn) : conn_(conn) {}

  // ---- core::TransactionStore ----

  // Leases up to `limit` due pending transactions (next_check_at <= now, lease free or expired) in one short
  // transaction with FOR UPDATE SKIP LOCKED; returns them ordered by next_check_at. Concurrent callers get
  // disjoint rows.
  std::vector<core::Transaction> TransactionsClaimDue(const core::ClaimParams& params) override;
  // Leases up to `limit` transactions created in [created_from, created_to) with id > after_id, pending or final,
  // optionally of one kind / merchant, in id order; rows leased by someone else are skipped.
  std::vector<core::Transaction> TransactionsClaimWindow(const core::WindowClaimParams& params) override;
  // Applies a batch in one database transaction (arrays, one round trip). Per update, compare-and-set on
  // (id, expected_status, lease_run_id = run_id): zero rows is a conflict (applied = false), not an error.
  // A transition requires a pending expected status and a new status of the transaction's kind, else it is a
  // conflict too. An applied update writes the bookkeeping, releases the lease, writes one `transition` event when
  // the status changes, opens each discrepancy not already open for (transaction, code) with a `discrepancy`
  // event, and sets needs_review when it carries any discrepancy. Ids in one batch must be distinct.
  core::ApplyResult TransactionsApply(const core::ApplyParams& params) override;
  // Clears this run's leases on the given ids; rows leased by another run are untouched.
  void LeasesRelease(const core::ReleaseParams& params) override;
  // Ids of window rows another run held when a claim passed over them, in id order.
  std::vector<std::int64_t> TransactionsHeldInWindow(const core::WindowHeldParams& params) override;
  // Extends this run's live leases among the ids to now + lease; returns the ids extended.
  std::vector<std::int64_t> LeasesRenew(const core::RenewParams& params) override;

  // Leases one transaction, whatever its status, unless another live lease holds it (nullopt then).
  std::optional<core::Transaction> TransactionClaimOne(const core::ClaimOneParams& params) override;
  std::int64_t LeasesReleaseRun(const std::string& run_id) override;

  // ---- core::ReportStore (`fn`/sinks must not use this connection) ----

  std::vector<core::Transaction> TransactionsListDue(const core::ClaimParams& params) override;
  std::vector<core::Transaction> TransactionsListWindow(const core::WindowClaimParams& params) override;
  // Streams rows one at a time from one snapshot off the pending index: memory does not grow with the backlog,
  // and a limit reads only that many rows.
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
  // Sums in SQL numeric, read back exactly; QueryError when a sum exceeds int64 paise.
  std::vector<core::PendingTotal> TransactionsPendingTotals(const core::PendingAgesParams& params) override;
  std::vector<core::EventRow> TransactionEventsList(std::int64_t transaction_id) override;
  std::vector<core::CheckErrorRow> TransactionRunErrorsList(std::int64_t transaction_id) override;
  std::vector<core::DiscrepancyRow> TransactionDiscrepanciesList(std::int64_t transaction_id) override;
  std::vector<core::CheckRunRow> TransactionCheckRunsList(std::int64_t transaction_id) override;

  // The one transaction of (merchant, kind, merchant_txn_id) (tests and benchmarks).
  std::optional<core::Transaction> TransactionFind(const std::string& merchant_id, core::Kind kind,
                                                   const std::string& merchant_txn_id);

  // ---- core::RunStore ----

  // Throws QueryError (sqlstate 23505) when the run id exists.
  void RunStart(const core::RunStartParams& params) override;
  bool RunFinish(const core::RunFinishParams& params) override;
  bool RunCheckpoint(const core::RunCheckpointParams& params) override;
  std::optional<core::Run> RunGet(const std::string& run_id) override;
  // A run row is open while finished_at is NULL; its deadline is arguments.deadline_ms.
  std::vector<std::string> RunsMarkAbandoned(const core::RunsAbandonParams& params) override;
  void RunErrorsRecord(const core::RunErrorsParams& params) override;
  bool RunFiguresSet(const core::RunFiguresParams& params) override;
  std::vector<core::RunListed> RunsListRecent(const core::RunsListParams& params) override;
  core::HistoryPruneResult HistoryPrune(const core::HistoryPruneParams& params) override;

  // ---- core::DiscrepancyStore ----

  std::vector<core::DiscrepancyRow> DiscrepanciesListOpen(const core::DiscrepanciesOpenParams& params) override;
  // Newest first: in the order they were raised, reversed.
  std::vector<core::DiscrepancyRow> DiscrepanciesListAll(const core::DiscrepanciesAllParams& params) override;
  std::optional<core::DiscrepancyRow> DiscrepancyGet(std::int64_t id) override;
  bool DiscrepancyResolve(const core::DiscrepancyResolveParams& params) override;
  std::vector<core::OpenTotal> DiscrepanciesTotalsOpen() override;
  std::vector<core::OpenDiscrepancies> DiscrepanciesCountOpen() override;

 private:
  Connection& conn_;
};

}  // namespace payrecon::db
