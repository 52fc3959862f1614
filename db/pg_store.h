#pragma once
// The PostgreSQL transaction store: core::TransactionStore plus what the job needs around it (runs, per-run check
// errors, listings for the reports, discrepancies). All SQL lives in db/sql.cpp, each statement named after the
// method that runs it. One PgStore uses one Connection from one thread at a time. Every method throws
// ConnectionLost when the connection breaks and QueryError when a statement fails; both are core::StoreUnavailable.
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/ports.h"
#include "db/connection.h"

namespace payrecon::db {

// ---- runs ----

struct RunStartParams {
  std::string run_id;               // unique, chosen by the job
  std::string mode;                 // "run", "backfill", "import", …
  std::string arguments_json = "{}";  // a JSON object of the command's arguments (no secrets)
  core::Instant started_at{};
  std::string host;
  bool dry_run = false;
};

struct RunFinishParams {
  std::string run_id;
  core::Instant finished_at{};
  std::string counts_json = "{}";   // a JSON object, e.g. the summary's counts
  std::string outcome;              // e.g. "done", "interrupted", "failed"
  int exit_code = 0;
};

// A backfill's resume point: every window transaction with id <= after_id has been handled.
struct RunCheckpointParams {
  std::string run_id;
  std::int64_t after_id = 0;
  std::string counts_json = "{}";
};

struct Run {
  std::string run_id;
  std::string mode;
  std::string arguments_json;
  core::Instant started_at{};
  std::optional<core::Instant> finished_at;
  std::string counts_json;
  std::string outcome;                 // empty while running (or after a crash)
  std::optional<int> exit_code;
  std::string host;
  bool dry_run = false;
  std::int64_t resume_after_id = 0;    // the last checkpoint
};

// One failed check of a run (errors.csv).
struct RunError {
  std::int64_t transaction_id = 0;
  std::string error_class;             // TIMEOUT, NETWORK, HTTP_5XX, RATE_LIMITED, AUTH, MALFORMED, BAD_SIGNATURE, INVALID_REQUEST
  int http_status = 0;                 // 0 when no HTTP answer arrived
  std::string gateway_code;
  std::string message;
  int attempts = 0;
  std::optional<core::Instant> next_check_at;
  core::Instant at{};
};

struct RunErrorsParams {
  std::string run_id;
  std::vector<RunError> errors;
};

// ---- report rows ----

// One status change recorded by a run (transitions.csv), with the transaction's identity.
struct TransitionRow {
  std::int64_t transaction_id = 0;
  core::Kind kind = core::Kind::kCharge;
  std::string merchant_id;
  std::string merchant_txn_id;
  std::string amazon_txn_id;
  core::Status from_status = core::Status::kCapturePending;
  core::Status to_status = core::Status::kCapturePending;
  core::Paise amount = 0;
  std::optional<core::Paise> approved_amount;
  std::optional<core::Instant> gateway_updated_at;
  core::Instant checked_at{};          // the apply's `now`
  std::string request_id;
  std::string response_digest;
};

// A discrepancy with its transaction's identity (discrepancies.csv and the open list).
struct DiscrepancyRow {
  std::int64_t id = 0;
  std::int64_t transaction_id = 0;
  core::Kind kind = core::Kind::kCharge;
  std::string merchant_id;
  std::string merchant_txn_id;
  std::string amazon_txn_id;
  core::DiscrepancyCode code = core::DiscrepancyCode::kNotFound;
  std::string detail;
  std::string local_status;            // our status when it was raised
  std::string gateway_status;          // the gateway's word, empty when none
  core::Paise local_amount = 0;
  std::optional<core::Paise> gateway_amount;
  core::Instant opened_at{};
  std::string opened_by_run;
  std::optional<core::Instant> resolved_at;
  std::string resolved_by;
  std::string resolution_note;
};

// One failed check with its transaction's identity (errors.csv).
struct RunErrorRow {
  core::Kind kind = core::Kind::kCharge;
  std::string merchant_id;
  std::string merchant_txn_id;
  RunError error;
};

struct DiscrepanciesOpenParams {
  std::optional<core::DiscrepancyCode> code;    // only this code
  std::optional<core::Instant> opened_before;   // only those opened before (older than an age)
  int limit = 1000;
};

struct DiscrepanciesAllParams {
  std::optional<core::DiscrepancyCode> code;    // only this code
  int limit = 1000;
};

struct DiscrepancyResolveParams {
  std::int64_t discrepancy_id = 0;
  core::Instant now{};
  std::string resolved_by;
  std::string note;
};

// ---- the pending listing ----

struct PendingListParams {
  std::optional<core::Kind> kind;              // only this kind
  std::optional<core::Instant> created_before; // only those created before (older than an age)
  std::optional<std::int64_t> limit;           // at most this many (the oldest); nullopt: all
};

// ---- history ----

struct HistoryPruneParams {
  core::Instant before{};                      // runs started before this, and their errors
};

struct HistoryPruneResult {
  std::int64_t runs = 0;
  std::int64_t run_errors = 0;
};

// ---- metrics ----

// Pending transactions counted by age (now - created_at) against ascending bounds: bucket 0 is younger than
// bounds[0], bucket i is [bounds[i-1], bounds[i]), the last is at least bounds.back().
struct PendingAgesParams {
  core::Instant now{};
  std::vector<core::Millis> bounds;  // ascending, not empty
};

struct PendingAges {
  core::Kind kind = core::Kind::kCharge;
  std::vector<std::int64_t> counts;  // bounds.size() + 1 buckets
  core::Instant oldest_created_at{};  // meaningful when any count is non-zero
};

// ---- amounts, figures, `check` and `show` ----

// Pending transactions of one kind and age bucket (as PendingAgesParams buckets them) with their summed amount.
struct PendingTotal {
  core::Kind kind = core::Kind::kCharge;
  std::size_t bucket = 0;
  std::int64_t count = 0;
  core::Paise amount = 0;
};

struct OpenTotal {
  core::DiscrepancyCode code = core::DiscrepancyCode::kNotFound;
  std::int64_t count = 0;
  core::Paise amount = 0;   // summed local_amount_paise
};

struct TransitionTotal {
  core::Kind kind = core::Kind::kCharge;
  core::Status from_status = core::Status::kCapturePending;
  core::Status to_status = core::Status::kCapturePending;
  std::int64_t count = 0;
  core::Paise amount = 0;   // summed amount_paise of the transactions
};

// A run as reports/index.html lists it.
struct RunListed {
  std::string run_id;
  std::string mode;
  core::Instant started_at{};
  std::optional<core::Instant> finished_at;
  std::optional<int> exit_code;
  std::string figures_json;  // "{}" when none were recorded
};

struct ClaimOneParams {
  std::string run_id;
  core::Instant now{};
  core::Millis lease{};
  std::int64_t transaction_id = 0;
};

// Who holds a transaction's lease; empty run_id when nobody does.
struct LeaseHolder {
  std::string run_id;
  std::optional<core::Instant> until;
};

// One row of a transaction's audit trail (transaction_events).
struct EventRow {
  std::int64_t id = 0;
  std::string run_id;            // empty for a resolution
  std::string event_type;        // transition, discrepancy, resolution
  std::string from_status;
  std::string to_status;
  std::string discrepancy_code;
  std::string amazon_txn_id;
  std::optional<core::Paise> approved_amount;
  std::optional<core::Instant> gateway_updated_at;
  std::string request_id;
  std::string response_digest;
  core::Instant at{};
  std::string actor;
  std::string note;
};

// A failed check of a transaction (run_errors) with its run.
struct CheckErrorRow {
  std::string run_id;
  RunError error;
};

// A `check` run of a transaction: its id, start and the check's result JSON (runs.figures).
struct CheckRunRow {
  std::string run_id;
  core::Instant started_at{};
  std::string result_json;
};

// The open discrepancies of one code.
struct OpenDiscrepancies {
  core::DiscrepancyCode code = core::DiscrepancyCode::kNotFound;
  std::int64_t count = 0;
  core::Instant oldest_opened_at{};
};

class PgStore : public core::TransactionStore {
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

  // ---- read-only (dry runs, reports, tests) ----

  // The same selection and order as TransactionsClaimDue, without taking leases or locks.
  std::vector<core::Transaction> TransactionsListDue(const core::ClaimParams& params);
  // The same selection and order as TransactionsClaimWindow, without taking leases or locks.
  std::vector<core::Transaction> TransactionsListWindow(const core::WindowClaimParams& params);
  // Calls `fn` for each pending transaction (any lease, due or not) that matches `params`, oldest first (created_at,
  // id), streaming rows one at a time from one snapshot off the pending index: memory does not grow with the
  // backlog, and a limit reads only that many rows. `fn` must not use this connection.
  void TransactionsForEachPending(const PendingListParams& params,
                                  const std::function<void(const core::Transaction&)>& fn);
  std::int64_t TransactionsCountPending();
  // How many transactions TransactionsListWindow would page through (any lease): backfill's progress line.
  std::int64_t TransactionsCountWindow(const core::WindowClaimParams& params);
  std::optional<core::Transaction> TransactionGet(std::int64_t id);
  std::optional<core::Transaction> TransactionFind(const std::string& merchant_id, core::Kind kind,
                                                   const std::string& merchant_txn_id);

  // ---- runs ----

  // Inserts the run's row. Throws QueryError (sqlstate 23505) when the run id exists.
  void RunStart(const RunStartParams& params);
  // Records the end of a run. Returns false when no such run exists.
  bool RunFinish(const RunFinishParams& params);
  // Records a backfill's resume point. Returns false when no such run exists.
  bool RunCheckpoint(const RunCheckpointParams& params);
  std::optional<Run> RunGet(const std::string& run_id);
  // Closes as abandoned (outcome 'abandoned', exit code NULL) every open run row (or only `run_id`) whose
  // started_at + its deadline (arguments.deadline_ms) + `grace` is before `now` and which holds no live lease:
  // its process died without recording its end. Returns the ids closed.
  std::vector<std::string> RunsMarkAbandoned(core::Instant now, core::Millis grace,
                                             const std::optional<std::string>& run_id = std::nullopt);
  // Gives back every claim `run_id` holds (a run that ended with an error). Returns how many.
  std::int64_t LeasesReleaseRun(const std::string& run_id);
  // Stores a batch of failed checks in one statement.
  void RunErrorsRecord(const RunErrorsParams& params);

  // ---- a run's report, streamed (`fn` must not use this connection) ----

  // The run's status changes in event order.
  void RunTransitionsForEach(const std::string& run_id, const std::function<void(const TransitionRow&)>& fn);
  // The discrepancies the run opened, in order.
  void RunDiscrepanciesForEach(const std::string& run_id, const std::function<void(const DiscrepancyRow&)>& fn);
  // The run's failed checks, in order.
  void RunErrorsForEach(const std::string& run_id, const std::function<void(const RunErrorRow&)>& fn);

  // ---- discrepancies ----

  // Open discrepancies, oldest first.
  std::vector<DiscrepancyRow> DiscrepanciesListOpen(const DiscrepanciesOpenParams& params);
  // Open and resolved discrepancies, newest first (in the order they were raised, reversed).
  std::vector<DiscrepancyRow> DiscrepanciesListAll(const DiscrepanciesAllParams& params);
  // One discrepancy, open or resolved; nullopt when no such id.
  std::optional<DiscrepancyRow> DiscrepancyGet(std::int64_t id);
  // Resolves an open discrepancy and clears the transaction's needs_review when none stays open.
  // Returns false when it does not exist or is already resolved.
  bool DiscrepancyResolve(const DiscrepancyResolveParams& params);

  // ---- history ----

  // Deletes finished runs (finished_at set) started before `before`, and every run_errors row of runs started
  // before it, in one transaction. Never touches a run still open (no finished_at: running, or crashed and
  // resumable) nor its errors, and never audit events or discrepancies.
  HistoryPruneResult HistoryPrune(const HistoryPruneParams& params);

  // ---- metrics (one aggregate query each) ----

  // Open discrepancies per code, with the oldest one's opened_at; codes with none are left out.
  std::vector<OpenDiscrepancies> DiscrepanciesCountOpen();
  // Pending transactions per kind by age; kinds with none pending are left out.
  std::vector<PendingAges> TransactionsPendingAges(const PendingAgesParams& params);

  // ---- amounts, figures, `check` and `show` ----

  // Pending transactions per kind and age bucket with their summed amount (SQL numeric, read back exactly);
  // empty buckets are left out. Throws QueryError when a sum exceeds int64 paise.
  std::vector<PendingTotal> TransactionsPendingTotals(const PendingAgesParams& params);
  // Open discrepancies per code with the summed amount of our side; codes with none are left out.
  std::vector<OpenTotal> DiscrepanciesTotalsOpen();
  // A run's status changes per kind and (from, to), with the summed amounts of the transactions.
  std::vector<TransitionTotal> RunTransitionTotals(const std::string& run_id);
  // Stores the run's figures (a JSON object). Returns false when no such run exists.
  bool RunFiguresSet(const std::string& run_id, const std::string& figures_json);
  // The last `limit` runs and backfills that changed the database (no dry runs, no checks), newest first.
  std::vector<RunListed> RunsListRecent(int limit);
  // Leases one transaction, whatever its status, unless another live lease holds it (nullopt then).
  std::optional<core::Transaction> TransactionClaimOne(const ClaimOneParams& params);
  // Transactions of a merchant with this merchant_txn_id, of `kind` or of any kind, ordered by kind.
  std::vector<core::Transaction> TransactionsFindByTxn(const std::string& merchant_id,
                                                        const std::string& merchant_txn_id,
                                                        std::optional<core::Kind> kind);
  LeaseHolder TransactionLeaseGet(std::int64_t transaction_id);
  // A transaction's audit trail, failed checks, discrepancies and `check` runs, each oldest first.
  std::vector<EventRow> TransactionEventsList(std::int64_t transaction_id);
  std::vector<CheckErrorRow> TransactionRunErrorsList(std::int64_t transaction_id);
  std::vector<DiscrepancyRow> TransactionDiscrepanciesList(std::int64_t transaction_id);
  std::vector<CheckRunRow> TransactionCheckRunsList(std::int64_t transaction_id);

 private:
  Connection& conn_;
};

}  // namespace payrecon::db
