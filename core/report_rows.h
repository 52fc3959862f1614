#pragma once
// The report files' contract (issue 4): column names, row formatting of transitions.csv, discrepancies.csv,
// errors.csv and pending.csv, summary.json, and the one-line JSON that `run` and `backfill` print on stdout.
// Pure text: the job writes the files (temporary names, then rename).
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#include "core/check.h"
#include "core/money.h"
#include "core/run_counts.h"
#include "core/run_figures.h"
#include "core/status.h"
#include "core/time.h"
#include "core/transaction.h"

namespace payrecon::core {

inline constexpr std::string_view kTransitionsCsv = "transitions.csv";
inline constexpr std::string_view kDiscrepanciesCsv = "discrepancies.csv";
inline constexpr std::string_view kErrorsCsv = "errors.csv";
inline constexpr std::string_view kPendingCsv = "pending.csv";
inline constexpr std::string_view kSummaryJson = "summary.json";

// How a run folder holds its four CSV reports (reports.compress): as plain files, or each compressed with gzip
// under its name plus ".gz" ("transitions.csv.gz"). summary.json and summary.html are always plain.
enum class ReportCompression { kNone, kGzip };
inline constexpr std::string_view kGzipSuffix = ".gz";

// The four CSV reports: summary.json's key (also index.html's link text) and the plain file name.
struct ReportCsv {
  std::string_view key;   // "transitions"
  std::string_view file;  // "transitions.csv"
};
inline constexpr ReportCsv kReportCsvs[] = {{"transitions", kTransitionsCsv},
                                            {"discrepancies", kDiscrepanciesCsv},
                                            {"errors", kErrorsCsv},
                                            {"pending", kPendingCsv}};

// The setting's words: "none", "gzip"; ParseReportCompression is its inverse (nullopt for any other word).
std::string_view ReportCompressionName(ReportCompression compression);
std::optional<ReportCompression> ParseReportCompression(std::string_view word);

// The name a CSV report has on disk: `csv` ("transitions.csv"), with ".gz" appended under kGzip.
std::string ReportFileName(std::string_view csv, ReportCompression compression);

// The error classes of errors.csv, in the order summary.json lists them.
inline constexpr CheckOutcome kErrorClasses[] = {
    CheckOutcome::kTimeout,     CheckOutcome::kNetwork,      CheckOutcome::kHttp5xx,
    CheckOutcome::kRateLimited, CheckOutcome::kAuth,         CheckOutcome::kMalformed,
    CheckOutcome::kBadSignature, CheckOutcome::kInvalidRequest};

// One status change applied (or, in a dry run, that would have been applied).
struct TransitionRow {
  std::string run_id;
  Kind kind = Kind::kCharge;
  std::string merchant_id;
  std::string merchant_txn_id;
  std::string amazon_txn_id;                   // empty cell when empty
  Status from_status = Status::kCapturePending;
  Status to_status = Status::kCaptureApproved;
  Paise amount = 0;                            // ours
  std::optional<Paise> approved_amount;        // the gateway's; empty cell when nullopt
  std::optional<Instant> gateway_updated_at;   // the gateway's updateTime; empty cell when nullopt
  Instant checked_at{};
  // Read back from the audit trail (not in the CSV file):
  std::int64_t transaction_id = 0;
  std::string request_id;                      // the gateway's x-amz-request-id
  std::string response_digest;                 // hex SHA-256 of the signed response text
};

// One discrepancy raised in this run (run_id: the run that opened it).
struct DiscrepancyRow {
  std::string run_id;
  Kind kind = Kind::kCharge;
  std::string merchant_id;
  std::string merchant_txn_id;
  std::string amazon_txn_id;
  DiscrepancyCode code = DiscrepancyCode::kNotFound;
  Status local_status = Status::kCapturePending;
  std::string gateway_status;                  // the gateway's word as sent (may be unknown); empty when none
  Paise local_amount = 0;
  std::optional<Paise> gateway_amount;
  std::string detail;
  // As the store holds it (not in the CSV file):
  std::int64_t id = 0;
  std::int64_t transaction_id = 0;
  Instant opened_at{};
  std::optional<Instant> resolved_at;          // nullopt while open
  std::string resolved_by;
  std::string resolution_note;
};

// One failed check.
struct ErrorRow {
  std::string run_id;
  Kind kind = Kind::kCharge;
  std::string merchant_id;
  std::string merchant_txn_id;
  CheckOutcome error_class = CheckOutcome::kNetwork;  // one of kErrorClasses; written as CheckOutcomeName
  int http_status = 0;                         // empty cell when 0 (no HTTP answer)
  std::string gateway_code;                    // e.g. "InvalidChargeId"; may be empty
  std::string message;
  int attempts = 0;                            // consecutive failed checks of this transaction, this one included
  std::optional<Instant> next_check_at;        // empty cell when nullopt
  // As the store holds it (not in the CSV file):
  std::int64_t transaction_id = 0;
  Instant at{};
};

// One transaction still pending after the run (all of them, not only this run's).
struct PendingRow {
  Kind kind = Kind::kCharge;
  std::string merchant_id;
  std::string merchant_txn_id;
  std::string amazon_txn_id;
  Status status = Status::kCapturePending;
  Paise amount = 0;
  Instant created_at{};
  std::int64_t age_seconds = 0;                // whole seconds from created_at to the report time (may be < 0)
  int attempts = 0;
  std::optional<Instant> next_check_at;
  std::string last_error;
};

// A PendingRow for a stored transaction at report time `now`: age_seconds = floor((now - created_at) / 1 s),
// attempts = check_count + error_count (answered pending checks plus the current run of failures).
PendingRow PendingRowFrom(const Transaction& transaction, Instant now);

// The header lines, each ending in CRLF, e.g.
// "run_id,kind,merchant_id,merchant_txn_id,amazon_txn_id,from_status,to_status,amount,approved_amount,gateway_updated_at,checked_at\r\n".
std::string TransitionsHeader();
std::string DiscrepanciesHeader();
std::string ErrorsHeader();
std::string PendingHeader();

// One record each, ending in CRLF: kinds and statuses as their words (KindName, StatusName), codes and error
// classes as their names, amounts via FormatAmount, times via FormatIso8601 (UTC, seconds, "Z"); free text
// (ids, messages, details, gateway words) is neutralised and quoted per core/csv.h.
std::string FormatTransition(const TransitionRow& row);
std::string FormatDiscrepancy(const DiscrepancyRow& row);
std::string FormatError(const ErrorRow& row);
std::string FormatPending(const PendingRow& row);

// What a run did, for summary.json and the stdout line.
// A run whose process never recorded its end has no exit code: summary.json and the run line say null.
inline constexpr int kExitCodeUnknown = -1;

struct RunSummary {
  std::string run_id;
  std::string mode;                  // "run" or "backfill"
  bool dry_run = false;
  std::string report_dir;            // where the reports were written
  ReportCompression compression = ReportCompression::kNone;  // how its CSV files are stored (their names)
  int exit_code = 0;                 // kExitCodeUnknown: the run never recorded its end (running or abandoned)
  std::string outcome;               // set only when the run did not end normally, e.g. "abandoned", "running"
  Instant started_at{};
  Instant finished_at{};
  RunCounts counts;                  // checks, calls and their latency, CPU, claim and apply timings
  std::int64_t transitions = 0;      // status changes (would-be changes in a dry run)
  std::int64_t discrepancies = 0;    // discrepancies raised
  std::int64_t errors = 0;           // failed checks (errors.csv rows)
  std::int64_t still_pending = 0;    // pending transactions after the run (all of them)
  std::int64_t pending_listed = 0;   // pending.csv rows: the oldest still_pending, at most reports.pending_limit
  std::map<std::pair<Status, Status>, std::int64_t> transitions_by_status;  // (from, to) -> count
  std::map<DiscrepancyCode, std::int64_t> discrepancies_by_code;
  std::map<CheckOutcome, std::int64_t> errors_by_class;
  // Amounts in paise beside the counts.
  std::map<std::pair<Status, Status>, Paise> transition_amounts;  // our amounts of the transitioned transactions
  // The same by kind too (payrecon_last_run_transitions_amount_paise): a run that changed the database sums them
  // while transitions.csv streams its rows from the audit trail.
  std::map<std::tuple<Kind, Status, Status>, Paise> transition_amounts_by_kind;
  std::map<DiscrepancyCode, Paise> discrepancy_amounts;           // our amounts, discrepancies raised in this run
  // The whole database as the run ended (summed in SQL): pending by kind and age bucket (empty buckets left out;
  // every age label in order in pending_ages), open discrepancies by code (codes with none left out).
  std::vector<std::string> pending_ages;
  std::vector<KindAgeTotal> pending_totals;
  std::vector<CodeTotal> open_discrepancies;
};

// summary.json, pretty-printed with two-space indents and a final newline. Members, in order: run_id, mode,
// dry_run, exit_code, report_dir, files {transitions, discrepancies, errors, pending: each CSV's file name in the
// folder, per `compression`}, started_at, finished_at, elapsed_ms, totals {checked, transitions,
// discrepancies, errors, still_pending}, checked_by_kind {charge, refund, topup}, transitions
// {"CapturePending->CaptureApproved": n, ... only those that occurred, sorted by from then to status},
// discrepancies_by_code {every code, zeros included, in kAllDiscrepancyCodes order}, errors_by_class {every class
// of kErrorClasses, zeros included}, timings {gateway_calls, gateway_latency_total_us, gateway_latency_mean_us,
// gateway_latency_max_us, cpu_seconds (a decimal with 6 places), claims, claim_p50_us, claim_p99_us, applies,
// apply_p50_us, apply_p99_us}, then the amounts in integer paise: amounts_paise {transitions {as "transitions"},
// discrepancies_by_code {every code}}, pending {listed (pending.csv's rows), count, amount_paise, by_kind_age
// [{kind, age, count, amount_paise} for every kind and pending_ages label, zeros included]}, open_discrepancies
// {count, amount_paise, by_code {every code: {count, amount_paise}}}. Times ISO 8601 UTC with milliseconds.
// exit_code is null when unknown; an `outcome` member follows it when the summary has one.
std::string RenderSummaryJson(const RunSummary& summary);

// The stdout line of `run` and `backfill`, compact, without a newline:
// {"run_id":"…","mode":"run","report_dir":"…","checked":0,"transitions":0,"discrepancies":0,"errors":0,
//  "still_pending":0,"exit_code":0}
std::string RenderRunLine(const RunSummary& summary);

}  // namespace payrecon::core
