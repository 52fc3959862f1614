#pragma once
// The store's ports beside core::TransactionStore (core/ports.h): runs (RunStore), discrepancies (DiscrepancyStore)
// and the reads behind the reports and the `report`, `show`, `check` and `pending` commands (ReportStore).
// core::Store is all of them: what db::PgStore implements and the job's reconnecting decorator wraps.
// The same rules as TransactionStore: a store that cannot do its work throws StoreUnavailable; rows come back as
// core's own row types (core/report_rows.h for the report files' rows).
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "core/ports.h"
#include "core/report_rows.h"

namespace payrecon::core {

// A streamed read. `restart` (may be null) is called before the first row of every pass: a read that failed
// half-way and is tried again (the reconnecting decorator) delivers its rows again from the first one.
template <class Row>
struct RowSink {
  RowSink() = default;
  template <class F, class = std::enable_if_t<std::is_invocable_v<F&, const Row&>>>
  RowSink(F f) : row(std::move(f)) {}  // NOLINT: a plain callable is a sink that needs no restart
  RowSink(std::function<void()> restart_fn, std::function<void(const Row&)> row_fn)
      : restart(std::move(restart_fn)), row(std::move(row_fn)) {}

  std::function<void()> restart;
  std::function<void(const Row&)> row;
};

// ---- runs ----

struct RunStartParams {
  std::string run_id;               // unique, chosen by the job
  std::string mode;                 // "run", "backfill", "import", …
  std::string arguments_json = "{}";  // a JSON object of the command's arguments (no secrets)
  Instant started_at{};
  std::string host;
  bool dry_run = false;
};

struct RunFinishParams {
  std::string run_id;
  Instant finished_at{};
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
  Instant started_at{};
  std::optional<Instant> finished_at;
  std::string counts_json;
  std::string outcome;                 // empty while running (or after a crash)
  std::optional<int> exit_code;
  std::string host;
  bool dry_run = false;
  std::int64_t resume_after_id = 0;    // the last checkpoint
};

// Open run rows whose process died without recording its end: started_at + the run's deadline
// (arguments_json's deadline_ms) + grace is before now, and no live lease of the run remains.
struct RunsAbandonParams {
  Instant now{};
  Millis grace{};
  std::optional<std::string> run_id;   // only this run
};

struct RunFiguresParams {
  std::string run_id;
  std::string figures_json;            // a JSON object
};

struct RunsListParams {
  int limit = 20;                      // the newest this many
};

// One failed check of a run, as recorded (errors.csv is read back as ErrorRow).
struct RunError {
  std::int64_t transaction_id = 0;
  std::string error_class;             // a name of core::kErrorClasses: TIMEOUT, NETWORK, HTTP_5XX, …
  int http_status = 0;                 // 0 when no HTTP answer arrived
  std::string gateway_code;
  std::string message;
  int attempts = 0;
  std::optional<Instant> next_check_at;
  Instant at{};
};

struct RunErrorsParams {
  std::string run_id;
  std::vector<RunError> errors;
};

struct HistoryPruneParams {
  Instant before{};                    // runs started before this, and their errors
};

struct HistoryPruneResult {
  std::int64_t runs = 0;
  std::int64_t run_errors = 0;
};

// A run as reports/index.html lists it.
struct RunListed {
  std::string run_id;
  std::string mode;
  Instant started_at{};
  std::optional<Instant> finished_at;
  std::optional<int> exit_code;
  std::string figures_json;  // "{}" when none were recorded
};

class RunStore {
 public:
  virtual ~RunStore() = default;
  // Inserts the run's row. Throws StoreUnavailable when the run id exists.
  virtual void RunStart(const RunStartParams& params) = 0;
  // Records the end of a run. Returns false when no such run exists.
  virtual bool RunFinish(const RunFinishParams& params) = 0;
  // Records a backfill's resume point. Returns false when no such run exists.
  virtual bool RunCheckpoint(const RunCheckpointParams& params) = 0;
  virtual std::optional<Run> RunGet(const std::string& run_id) = 0;
  // Closes as abandoned (outcome "abandoned", no exit code) every run RunsAbandonParams selects; returns their ids.
  virtual std::vector<std::string> RunsMarkAbandoned(const RunsAbandonParams& params) = 0;
  // Stores a batch of failed checks in one statement.
  virtual void RunErrorsRecord(const RunErrorsParams& params) = 0;
  // Stores the run's figures. Returns false when no such run exists.
  virtual bool RunFiguresSet(const RunFiguresParams& params) = 0;
  // The last `limit` runs and backfills that changed the database (no dry runs, no checks), newest first.
  virtual std::vector<RunListed> RunsListRecent(const RunsListParams& params) = 0;
  // Deletes finished runs started before `before`, and every failed check of runs started before it, in one
  // transaction. Never touches a run still open (running, or crashed and resumable) nor its errors, and never
  // audit events or discrepancies.
  virtual HistoryPruneResult HistoryPrune(const HistoryPruneParams& params) = 0;
};

// ---- discrepancies ----

struct DiscrepanciesOpenParams {
  std::optional<DiscrepancyCode> code;    // only this code
  std::optional<Instant> opened_before;   // only those opened before (older than an age)
  int limit = 1000;
};

struct DiscrepanciesAllParams {
  std::optional<DiscrepancyCode> code;    // only this code
  int limit = 1000;
};

struct DiscrepancyResolveParams {
  std::int64_t discrepancy_id = 0;
  Instant now{};
  std::string resolved_by;
  std::string note;
};

struct OpenTotal {
  DiscrepancyCode code = DiscrepancyCode::kNotFound;
  std::int64_t count = 0;
  Paise amount = 0;   // summed local amounts
};

// The open discrepancies of one code.
struct OpenDiscrepancies {
  DiscrepancyCode code = DiscrepancyCode::kNotFound;
  std::int64_t count = 0;
  Instant oldest_opened_at{};
};

class DiscrepancyStore {
 public:
  virtual ~DiscrepancyStore() = default;
  // Open discrepancies, oldest first.
  virtual std::vector<DiscrepancyRow> DiscrepanciesListOpen(const DiscrepanciesOpenParams& params) = 0;
  // Open and resolved discrepancies, newest first.
  virtual std::vector<DiscrepancyRow> DiscrepanciesListAll(const DiscrepanciesAllParams& params) = 0;
  // One discrepancy, open or resolved; nullopt when no such id.
  virtual std::optional<DiscrepancyRow> DiscrepancyGet(std::int64_t id) = 0;
  // Resolves an open discrepancy with a `resolution` event and clears the transaction's needs_review when none
  // stays open. Returns false when it does not exist or is already resolved.
  virtual bool DiscrepancyResolve(const DiscrepancyResolveParams& params) = 0;
  // Open discrepancies per code with the summed amount of our side; codes with none are left out.
  virtual std::vector<OpenTotal> DiscrepanciesTotalsOpen() = 0;
  // Open discrepancies per code, with the oldest one's opened_at; codes with none are left out.
  virtual std::vector<OpenDiscrepancies> DiscrepanciesCountOpen() = 0;
};

// ---- reads for the reports and the read-only commands ----

struct PendingListParams {
  std::optional<Kind> kind;              // only this kind
  std::optional<Instant> created_before; // only those created before (older than an age)
  std::optional<std::int64_t> limit;     // at most this many (the oldest); nullopt: all
};

// Pending transactions counted by age (now - created_at) against ascending bounds: bucket 0 is younger than
// bounds[0], bucket i is [bounds[i-1], bounds[i]), the last is at least bounds.back().
struct PendingAgesParams {
  Instant now{};
  std::vector<Millis> bounds;  // ascending, not empty
};

struct PendingAges {
  Kind kind = Kind::kCharge;
  std::vector<std::int64_t> counts;  // bounds.size() + 1 buckets
  Instant oldest_created_at{};       // meaningful when any count is non-zero
};

// Pending transactions of one kind and age bucket (as PendingAgesParams buckets them) with their summed amount.
struct PendingTotal {
  Kind kind = Kind::kCharge;
  std::size_t bucket = 0;
  std::int64_t count = 0;
  Paise amount = 0;
};

// Transactions of a merchant with this merchant_txn_id, of `kind` or of any kind.
struct TransactionFindParams {
  std::string merchant_id;
  std::string merchant_txn_id;
  std::optional<Kind> kind;
};

// Who holds a transaction's lease; empty run_id when nobody does.
struct LeaseHolder {
  std::string run_id;
  std::optional<Instant> until;
};

// One row of a transaction's audit trail.
struct EventRow {
  std::int64_t id = 0;
  std::string run_id;            // empty for a resolution
  std::string event_type;        // transition, discrepancy, resolution
  std::string from_status;
  std::string to_status;
  std::string discrepancy_code;
  std::string amazon_txn_id;
  std::optional<Paise> approved_amount;
  std::optional<Instant> gateway_updated_at;
  std::string request_id;
  std::string response_digest;
  Instant at{};
  std::string actor;
  std::string note;
};

// A failed check of a transaction with its run.
struct CheckErrorRow {
  std::string run_id;
  RunError error;
};

// A `check` run of a transaction: its id, start and the check's result JSON (the run's figures).
struct CheckRunRow {
  std::string run_id;
  Instant started_at{};
  std::string result_json;
};

class ReportStore {
 public:
  virtual ~ReportStore() = default;
  // The same selection and order as TransactionsClaimDue / TransactionsClaimWindow, without leases or locks.
  virtual std::vector<Transaction> TransactionsListDue(const ClaimParams& params) = 0;
  virtual std::vector<Transaction> TransactionsListWindow(const WindowClaimParams& params) = 0;
  // Each pending transaction (any lease, due or not) that matches, oldest first (created_at, id), streamed.
  virtual void TransactionsForEachPending(const PendingListParams& params, const RowSink<Transaction>& sink) = 0;
  virtual std::int64_t TransactionsCountPending() = 0;
  // How many transactions TransactionsListWindow would page through (any lease).
  virtual std::int64_t TransactionsCountWindow(const WindowClaimParams& params) = 0;
  virtual std::optional<Transaction> TransactionGet(std::int64_t id) = 0;
  // Ordered by kind.
  virtual std::vector<Transaction> TransactionsFindByTxn(const TransactionFindParams& params) = 0;
  virtual LeaseHolder TransactionLeaseGet(std::int64_t transaction_id) = 0;

  // A run's status changes in event order, the discrepancies it opened and its failed checks, streamed.
  virtual void RunTransitionsForEach(const std::string& run_id, const RowSink<TransitionRow>& sink) = 0;
  // How many status changes the run recorded (its transition events).
  virtual std::int64_t RunTransitionsCount(const std::string& run_id) = 0;
  virtual void RunDiscrepanciesForEach(const std::string& run_id, const RowSink<DiscrepancyRow>& sink) = 0;
  virtual void RunErrorsForEach(const std::string& run_id, const RowSink<ErrorRow>& sink) = 0;

  // Pending transactions per kind by age (kinds with none left out), and per kind and bucket with the summed
  // amount (empty buckets left out; a sum beyond int64 paise throws StoreUnavailable).
  virtual std::vector<PendingAges> TransactionsPendingAges(const PendingAgesParams& params) = 0;
  virtual std::vector<PendingTotal> TransactionsPendingTotals(const PendingAgesParams& params) = 0;

  // A transaction's audit trail, failed checks, discrepancies and `check` runs, each oldest first.
  virtual std::vector<EventRow> TransactionEventsList(std::int64_t transaction_id) = 0;
  virtual std::vector<CheckErrorRow> TransactionRunErrorsList(std::int64_t transaction_id) = 0;
  virtual std::vector<DiscrepancyRow> TransactionDiscrepanciesList(std::int64_t transaction_id) = 0;
  virtual std::vector<CheckRunRow> TransactionCheckRunsList(std::int64_t transaction_id) = 0;
};

// Every port of the store.
class Store : public TransactionStore, public RunStore, public DiscrepancyStore, public ReportStore {};

}  // namespace payrecon::core
