#pragma once
// The ports through which the job reaches the outside: the transaction store (db/) and the status checker
// (gateway/). Adapters translate their libraries' errors into core terms: per-transaction problems are values;
// a store that cannot do its work throws StoreUnavailable (the run ends with exit 3).
#include <chrono>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "core/check.h"
#include "core/transaction.h"

namespace payrecon::core {

// ---- Status checker (gateway/) ----

struct StatusQuery {
  std::string merchant_id;
  Kind kind = Kind::kCharge;
  std::string txn_id;           // merchant_txn_id, or amazon_txn_id when by_amazon_id
  bool by_amazon_id = false;    // txnIdType=AmazonTxnId instead of MerchantTxnId
};

// One Get Status call, signed with the merchant's credentials, response verified and classified.
// Never throws for per-transaction problems. One instance is used by one thread at a time.
class StatusChecker {
 public:
  virtual ~StatusChecker() = default;
  virtual CheckResult StatusCheck(const StatusQuery& query) = 0;
  // Opens the connection the next StatusCheck will use when there is none to reuse, so that a call admitted by
  // the rate limiter leaves at once: a connection opened after admission would delay its request, and the gateway
  // would count it together with later ones. A failure here is what the next StatusCheck reports, without a
  // second attempt. Default: nothing to prepare.
  virtual void PrepareConnection() {}
};

// Many Get Status calls in flight from one thread: a call is started without waiting for it, and results are
// collected as calls end (an event loop over non-blocking connections, so that a worker thread is not parked per
// request). One instance is used by one thread. Never throws for per-transaction problems.
class ConcurrentStatusChecker {
 public:
  virtual ~ConcurrentStatusChecker() = default;
  // How many calls may be in flight at once.
  virtual int capacity() const = 0;
  // As StatusChecker::PrepareConnection, for the next Start: begins opening a connection when no open one is free.
  virtual void PrepareConnection() {}
  // Whether a call started now would be sent at once: a free connection is open (or the last opening failed, and
  // the call would fail at once). False while no free connection is open, whether one is being opened or not.
  // Under a rate limit the runner starts a call only then, each call checking again (PrepareConnection when it must
  // wait): a request that left a handshake after its slot would reach the gateway bunched up with later ones. After
  // PrepareConnection this turns true within the connect timeout (the connection opened, or its opening failed), or
  // when a call in flight ends and frees its connection.
  virtual bool ReadyToSend() const { return true; }
  // Starts a call (fewer than capacity() must be in flight); its result comes back from Poll with `tag`.
  virtual void Start(std::uint64_t tag, const StatusQuery& query) = 0;
  // Waits until some started call has ended, or `timeout` has passed (also with nothing in flight), then appends
  // the tag and result of every call that has ended to `done`.
  virtual void Poll(std::chrono::milliseconds timeout, std::vector<std::pair<std::uint64_t, CheckResult>>& done) = 0;
};

// ---- Transaction store (db/) ----

class StoreUnavailable : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct ClaimParams {
  std::string run_id;
  Instant now{};
  Millis lease{};     // the claim holds until now + lease; a crashed run's claims expire then
  int limit = 1000;   // at most this many rows
};

// Backfill: every transaction created in [created_from, created_to), pending or final, in id order after `after_id`.
struct WindowClaimParams {
  std::string run_id;
  Instant now{};
  Millis lease{};
  int limit = 1000;
  Instant created_from{};
  Instant created_to{};
  std::optional<Kind> kind;
  std::optional<std::string> merchant_id;
  std::int64_t after_id = 0;
  std::vector<std::int64_t> only_ids;  // when not empty: only these ids (a backfill revisiting rows it skipped)
};

// The rows of a window a claim passed over because another run held them: window rows with after_id < id <=
// through (every remaining one when `through` is nullopt) that are not among `claimed`.
struct WindowHeldParams {
  WindowClaimParams window;
  std::optional<std::int64_t> through;
  std::vector<std::int64_t> claimed;
};

struct DiscrepancyRecord {
  DiscrepancyCode code = DiscrepancyCode::kNotFound;
  std::string detail;
  std::string gateway_status;           // the gateway's word, empty when none
  std::optional<Paise> gateway_amount;
  // Raised again, facts unchanged, once the last one for (transaction, code) was resolved at least this long
  // ago (STUCK_PENDING: still pending long after someone looked). nullopt: only when the facts change.
  std::optional<Millis> repeat_after;
};

// What a check of one claimed transaction changes. Applied with compare-and-set on (id, expected_status);
// the status change, its event and its discrepancies commit together, and the claim is released.
struct TransactionUpdate {
  std::int64_t id = 0;
  Status expected_status = Status::kCapturePending;
  std::optional<Status> new_status;          // a transition; nullopt keeps the status
  Instant next_check_at{};
  int check_count = 0;
  int error_count = 0;
  std::string last_error;                    // empty clears it
  std::string amazon_txn_id;                 // empty keeps the stored one
  std::optional<Paise> approved_amount;      // nullopt keeps the stored one
  std::optional<Instant> gateway_updated_at; // nullopt keeps the stored one
  std::vector<DiscrepancyRecord> discrepancies;  // raised once per (transaction, code) while open
  std::string request_id;                    // the gateway's x-amz-request-id, for the audit trail
  std::string response_digest;               // hex SHA-256 of the signed response text
};

struct ApplyParams {
  std::string run_id;
  Instant now{};
  std::vector<TransactionUpdate> updates;
};

struct UpdateOutcome {
  std::int64_t id = 0;
  bool applied = false;   // false: the compare-and-set found another status (a conflict, not an error)
  std::vector<DiscrepancyCode> raised;  // discrepancies newly opened by this update
  // The time the update was written with (ApplyParams::now): its audit event's created_at. Set by the runner.
  Instant applied_at{};
};

struct ApplyResult {
  std::vector<UpdateOutcome> outcomes;  // one per update, same order
};

struct RenewParams {
  std::string run_id;
  std::vector<std::int64_t> ids;  // claims of this run to keep
  Instant now{};
  Millis lease{};                 // they now hold until now + lease
};

struct ReleaseParams {
  std::string run_id;
  std::vector<std::int64_t> ids;  // claims of this run to give back unchanged
};

// `check`: one transaction, whatever its status.
struct ClaimOneParams {
  std::string run_id;
  Instant now{};
  Millis lease{};
  std::int64_t transaction_id = 0;
};

class TransactionStore {
 public:
  virtual ~TransactionStore() = default;
  // Claims due pending transactions (next_check_at <= now, no live lease) with FOR UPDATE SKIP LOCKED.
  virtual std::vector<Transaction> TransactionsClaimDue(const ClaimParams& params) = 0;
  virtual std::vector<Transaction> TransactionsClaimWindow(const WindowClaimParams& params) = 0;
  // Applies a batch in one transaction.
  virtual ApplyResult TransactionsApply(const ApplyParams& params) = 0;
  virtual void LeasesRelease(const ReleaseParams& params) = 0;
  // Extends this run's live claims among `ids`; returns the ids extended (a claim that expired or passed to
  // another run is not).
  virtual std::vector<std::int64_t> LeasesRenew(const RenewParams& params) = 0;
  // Ids of window rows a claim skipped (held by another run), in id order. See WindowHeldParams.
  virtual std::vector<std::int64_t> TransactionsHeldInWindow(const WindowHeldParams& params) = 0;
  // Leases one transaction, whatever its status, unless another run's live lease holds it (nullopt then, and
  // nullopt when no such id).
  virtual std::optional<Transaction> TransactionClaimOne(const ClaimOneParams& params) = 0;
  // Gives back every claim `run_id` holds (a run that ended with an error). Returns how many.
  virtual std::int64_t LeasesReleaseRun(const std::string& run_id) = 0;
};

}  // namespace payrecon::core
