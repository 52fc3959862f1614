#include "db/pg_store.h"

#include <algorithm>
#include <charconv>
#include <cassert>
#include <unordered_map>
#include <unordered_set>

#include "db/result.h"
#include "db/sql.h"

namespace payrecon::db {

using internal::Bool;
using internal::Exec;
using internal::Int;
using internal::IsNull;
using internal::Ms;
using internal::OptInt;
using internal::OptTime;
using internal::Text;
using internal::Time;

namespace {

// Milliseconds since the epoch for an array parameter; nullopt stays NULL.
std::optional<std::int64_t> MsOrNull(const std::optional<core::Instant>& t) {
  if (!t) return std::nullopt;
  return t->time_since_epoch().count();
}

core::Kind KindOf(std::string_view word) {
  const auto kind = core::KindFromName(word);
  assert(kind && "the kind check constraint admits only known kinds");
  return kind.value_or(core::Kind::kCharge);
}

core::Status StatusOf(std::string_view word) {
  const auto status = core::StatusFromName(word);
  assert(status && "the status check constraint admits only known statuses");
  return status.value_or(core::Status::kCapturePending);
}

// Reads PR_TRANSACTION_COLUMNS (db/sql.cpp).
core::Transaction ReadTransaction(const PGresult* r, int row) {
  core::Transaction t;
  t.id = Int(r, row, 0);
  t.kind = KindOf(Text(r, row, 1));
  t.merchant_id = Text(r, row, 2);
  t.merchant_txn_id = Text(r, row, 3);
  t.amazon_txn_id = Text(r, row, 4);
  t.parent_merchant_txn_id = Text(r, row, 5);
  t.amount = Int(r, row, 6);
  t.currency = Text(r, row, 7);
  t.status = StatusOf(Text(r, row, 8));
  t.created_at = Time(r, row, 9);
  t.updated_at = Time(r, row, 10);
  t.next_check_at = Time(r, row, 11);
  t.check_count = static_cast<int>(Int(r, row, 12));
  t.error_count = static_cast<int>(Int(r, row, 13));
  t.approved_amount = OptInt(r, row, 14);
  t.gateway_updated_at = OptTime(r, row, 15);
  t.last_error = Text(r, row, 16);
  t.needs_review = Bool(r, row, 17);
  return t;
}

std::vector<core::Transaction> ReadTransactions(const PGresult* r) {
  std::vector<core::Transaction> out;
  const int n = PQntuples(r);
  out.reserve(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) out.push_back(ReadTransaction(r, i));
  return out;
}

// Reads PR_DISCREPANCY_COLUMNS (db/sql.cpp).
core::DiscrepancyRow ReadDiscrepancy(const PGresult* r, int row) {
  core::DiscrepancyRow d;
  d.id = Int(r, row, 0);
  d.transaction_id = Int(r, row, 1);
  d.kind = KindOf(Text(r, row, 2));
  d.merchant_id = Text(r, row, 3);
  d.merchant_txn_id = Text(r, row, 4);
  d.amazon_txn_id = Text(r, row, 5);
  const auto code = core::DiscrepancyCodeFromName(Text(r, row, 6));
  assert(code && "the code check constraint admits only known codes");
  d.code = code.value_or(core::DiscrepancyCode::kNotFound);
  d.detail = Text(r, row, 7);
  // Our status when it was raised; a row written before the status words were checked reads as the pending one.
  d.local_status = core::StatusFromName(Text(r, row, 8)).value_or(core::PendingStatusOf(d.kind));
  d.gateway_status = Text(r, row, 9);
  d.local_amount = Int(r, row, 10);
  d.gateway_amount = OptInt(r, row, 11);
  d.opened_at = Time(r, row, 12);
  d.run_id = Text(r, row, 13);
  d.resolved_at = OptTime(r, row, 14);
  d.resolved_by = Text(r, row, 15);
  d.resolution_note = Text(r, row, 16);
  return d;
}

const char* OptionalText(const std::optional<std::string>& s) { return s ? s->c_str() : nullptr; }

// errors.csv's class of a recorded failed check; the job records only the names of core::kErrorClasses.
core::CheckOutcome ErrorClassOf(std::string_view word) {
  for (core::CheckOutcome c : core::kErrorClasses) {
    if (core::CheckOutcomeName(c) == word) return c;
  }
  assert(false && "run_errors holds only the error classes of errors.csv");
  return core::CheckOutcome::kNetwork;
}

}  // namespace

std::vector<core::Transaction> PgStore::TransactionsClaimDue(const core::ClaimParams& params) {
  const std::string now = Ms(params.now);
  const std::string until = Ms(params.now + params.lease);
  const std::string limit = std::to_string(params.limit);
  auto r = internal::ExecPinned(conn_, "TransactionsClaimDue", sql::kTransactionsClaimDue,
                {params.run_id.c_str(), now.c_str(), until.c_str(), limit.c_str()});
  auto out = ReadTransactions(r.get());
  std::sort(out.begin(), out.end(), [](const core::Transaction& a, const core::Transaction& b) {
    return a.next_check_at != b.next_check_at ? a.next_check_at < b.next_check_at : a.id < b.id;
  });
  return out;
}

std::vector<core::Transaction> PgStore::TransactionsListDue(const core::ClaimParams& params) {
  const std::string now = Ms(params.now);
  const std::string limit = std::to_string(params.limit);
  auto r = internal::ExecPinned(conn_, "TransactionsListDue", sql::kTransactionsListDue, {now.c_str(), limit.c_str()});
  return ReadTransactions(r.get());
}

std::vector<core::Transaction> PgStore::TransactionsClaimWindow(const core::WindowClaimParams& params) {
  const std::string now = Ms(params.now);
  const std::string until = Ms(params.now + params.lease);
  const std::string limit = std::to_string(params.limit);
  const std::string from = Ms(params.created_from);
  const std::string to = Ms(params.created_to);
  const std::optional<std::string> kind =
      params.kind ? std::optional<std::string>(core::KindName(*params.kind)) : std::nullopt;
  const std::string after = std::to_string(params.after_id);
  internal::ArrayText only;
  for (std::int64_t id : params.only_ids) only.Add(id);
  auto r = internal::ExecPinned(conn_, "TransactionsClaimWindow", sql::kTransactionsClaimWindow,
                {params.run_id.c_str(), now.c_str(), until.c_str(), limit.c_str(), from.c_str(), to.c_str(),
                 OptionalText(kind), OptionalText(params.merchant_id), after.c_str(),
                 params.only_ids.empty() ? nullptr : only.c_str()});
  auto out = ReadTransactions(r.get());
  std::sort(out.begin(), out.end(),
            [](const core::Transaction& a, const core::Transaction& b) { return a.id < b.id; });
  return out;
}

std::vector<core::Transaction> PgStore::TransactionsListWindow(const core::WindowClaimParams& params) {
  const std::string now = Ms(params.now);
  const std::string limit = std::to_string(params.limit);
  const std::string from = Ms(params.created_from);
  const std::string to = Ms(params.created_to);
  const std::optional<std::string> kind =
      params.kind ? std::optional<std::string>(core::KindName(*params.kind)) : std::nullopt;
  const std::string after = std::to_string(params.after_id);
  auto r = internal::ExecPinned(conn_, "TransactionsListWindow", sql::kTransactionsListWindow,
                {params.run_id.c_str(), now.c_str(), limit.c_str(), from.c_str(), to.c_str(), OptionalText(kind),
                 OptionalText(params.merchant_id), after.c_str()});
  return ReadTransactions(r.get());
}

namespace {

// A batch without discrepancies is applied by this statement, prepared once per connection and run with its generic
// plan; one with any, by the full kTransactionsApply, planned for its own parameters (its discrepancy joins are
// planned as nested loops or hash joins by how many discrepancies the batch has).
const internal::PreparedStatement kApplyPlain{"payrecon_apply_plain", sql::kTransactionsApplyPlain};

}  // namespace

core::ApplyResult PgStore::TransactionsApply(const core::ApplyParams& params) {
  core::ApplyResult result;
  result.outcomes.resize(params.updates.size());
  if (params.updates.empty()) return result;

  internal::ArrayText ids, expected, new_status, next_check, check_count, error_count, last_error, amazon,
      approved, gateway_updated, request_id, digest, has_discrepancy;
  internal::ArrayText d_ids, d_code, d_detail, d_gateway_status, d_gateway_amount, d_repeat;
  std::unordered_map<std::int64_t, std::size_t> index;  // id -> position in the batch
  index.reserve(params.updates.size());
  // Without discrepancies the batch goes to kApplyPlain, which takes neither the flags nor the discrepancy arrays.
  const bool any_discrepancy = std::any_of(params.updates.begin(), params.updates.end(),
                                           [](const core::TransactionUpdate& u) { return !u.discrepancies.empty(); });
  for (std::size_t i = 0; i < params.updates.size(); ++i) {
    const core::TransactionUpdate& u = params.updates[i];
    const bool distinct = index.emplace(u.id, i).second;
    assert(distinct && "a batch updates each transaction at most once");
    (void)distinct;
    result.outcomes[i].id = u.id;
    ids.Add(u.id);
    expected.AddText(core::StatusName(u.expected_status));
    if (u.new_status) {
      new_status.AddText(core::StatusName(*u.new_status));
    } else {
      new_status.AddNull();
    }
    next_check.Add(u.next_check_at.time_since_epoch().count());
    check_count.Add(static_cast<std::int64_t>(u.check_count));
    error_count.Add(static_cast<std::int64_t>(u.error_count));
    last_error.AddTextOrNull(u.last_error);
    amazon.AddTextOrNull(u.amazon_txn_id);
    approved.Add(u.approved_amount);
    gateway_updated.Add(MsOrNull(u.gateway_updated_at));
    request_id.AddText(u.request_id);
    digest.AddText(u.response_digest);
    if (any_discrepancy) has_discrepancy.Add(!u.discrepancies.empty());
    std::unordered_set<int> codes;
    for (const core::DiscrepancyRecord& d : u.discrepancies) {
      if (!codes.insert(static_cast<int>(d.code)).second) continue;  // one per code and update
      d_ids.Add(u.id);
      d_code.AddText(core::DiscrepancyCodeName(d.code));
      d_detail.AddText(d.detail);
      d_gateway_status.AddTextOrNull(d.gateway_status);
      d_gateway_amount.Add(d.gateway_amount);
      d_repeat.Add(d.repeat_after ? std::optional<std::int64_t>(d.repeat_after->count()) : std::nullopt);
    }
  }
  const std::string now = Ms(params.now);
  std::vector<const char*> values = {params.run_id.c_str(), now.c_str(), ids.c_str(), expected.c_str(),
                                     new_status.c_str(), next_check.c_str(), check_count.c_str(),
                                     error_count.c_str(), last_error.c_str(), amazon.c_str(), approved.c_str(),
                                     gateway_updated.c_str(), request_id.c_str(), digest.c_str()};
  internal::Result r;
  if (!any_discrepancy) {
    r = internal::ExecPinnedGeneric(conn_, "TransactionsApply", kApplyPlain, values);
  } else {
    values.insert(values.end(), {has_discrepancy.c_str(), d_ids.c_str(), d_code.c_str(), d_detail.c_str(),
                                 d_gateway_status.c_str(), d_gateway_amount.c_str(), d_repeat.c_str()});
    r = internal::ExecPinned(conn_, "TransactionsApply", sql::kTransactionsApply, values);
  }
  const int n = PQntuples(r.get());
  // Newly opened discrepancies are reported in the order the update listed them.
  std::vector<std::vector<core::DiscrepancyCode>> opened(params.updates.size());
  for (int row = 0; row < n; ++row) {
    const auto it = index.find(Int(r.get(), row, 1));
    assert(it != index.end());
    if (Text(r.get(), row, 0) == "a") {
      result.outcomes[it->second].applied = true;
    } else if (const auto code = core::DiscrepancyCodeFromName(Text(r.get(), row, 2))) {
      opened[it->second].push_back(*code);
    }
  }
  for (std::size_t i = 0; i < params.updates.size(); ++i) {
    for (const core::DiscrepancyRecord& d : params.updates[i].discrepancies) {
      const auto& got = opened[i];
      auto& raised = result.outcomes[i].raised;
      if (std::find(got.begin(), got.end(), d.code) != got.end() &&
          std::find(raised.begin(), raised.end(), d.code) == raised.end()) {
        raised.push_back(d.code);
      }
    }
  }
  return result;
}

void PgStore::LeasesRelease(const core::ReleaseParams& params) {
  if (params.ids.empty()) return;
  internal::ArrayText ids;
  for (std::int64_t id : params.ids) ids.Add(id);
  internal::ExecPinned(conn_, "LeasesRelease", sql::kLeasesRelease, {params.run_id.c_str(), ids.c_str()});
}

void PgStore::TransactionsForEachPending(const core::PendingListParams& params,
                                         const core::RowSink<core::Transaction>& sink) {
  if (sink.restart) sink.restart();
  const std::optional<std::string> kind =
      params.kind ? std::optional<std::string>(core::KindName(*params.kind)) : std::nullopt;
  // No bound is a bound past every created_at, so the condition is always an index condition.
  const std::string before = params.created_before ? Ms(*params.created_before) : std::string("253402300799999");
  const std::optional<std::string> limit =
      params.limit ? std::optional<std::string>(std::to_string(*params.limit)) : std::nullopt;
  internal::StreamPinned(conn_, "TransactionsForEachPending", sql::kTransactionsForEachPending,
                         {OptionalText(kind), before.c_str(), OptionalText(limit)},
                         [&](const PGresult* r, int row) { sink.row(ReadTransaction(r, row)); });
}

std::int64_t PgStore::TransactionsCountPending() {
  auto r = Exec(conn_, "TransactionsCountPending", sql::kTransactionsCountPending, {});
  return Int(r.get(), 0, 0);
}

std::int64_t PgStore::TransactionsCountWindow(const core::WindowClaimParams& params) {
  const std::string from = Ms(params.created_from);
  const std::string to = Ms(params.created_to);
  const std::optional<std::string> kind =
      params.kind ? std::optional<std::string>(core::KindName(*params.kind)) : std::nullopt;
  const std::string after = std::to_string(params.after_id);
  auto r = Exec(conn_, "TransactionsCountWindow", sql::kTransactionsCountWindow,
                {from.c_str(), to.c_str(), OptionalText(kind), OptionalText(params.merchant_id), after.c_str()});
  return Int(r.get(), 0, 0);
}

std::optional<core::Transaction> PgStore::TransactionGet(std::int64_t id) {
  const std::string text = std::to_string(id);
  auto r = Exec(conn_, "TransactionGet", sql::kTransactionGet, {text.c_str()});
  if (PQntuples(r.get()) == 0) return std::nullopt;
  return ReadTransaction(r.get(), 0);
}

std::optional<core::Transaction> PgStore::TransactionFind(const std::string& merchant_id, core::Kind kind,
                                                          const std::string& merchant_txn_id) {
  const std::string kind_name(core::KindName(kind));
  auto r = Exec(conn_, "TransactionFind", sql::kTransactionFind,
                {merchant_id.c_str(), kind_name.c_str(), merchant_txn_id.c_str()});
  if (PQntuples(r.get()) == 0) return std::nullopt;
  return ReadTransaction(r.get(), 0);
}

void PgStore::RunStart(const core::RunStartParams& params) {
  const std::string started = Ms(params.started_at);
  Exec(conn_, "RunStart", sql::kRunStart,
       {params.run_id.c_str(), params.mode.c_str(), params.arguments_json.c_str(), started.c_str(),
        params.host.c_str(), params.dry_run ? "true" : "false"});
}

bool PgStore::RunFinish(const core::RunFinishParams& params) {
  const std::string finished = Ms(params.finished_at);
  const std::string exit_code = std::to_string(params.exit_code);
  auto r = Exec(conn_, "RunFinish", sql::kRunFinish,
                {params.run_id.c_str(), finished.c_str(), params.counts_json.c_str(), params.outcome.c_str(),
                 exit_code.c_str()});
  return std::string_view(PQcmdTuples(r.get())) == "1";
}

bool PgStore::RunCheckpoint(const core::RunCheckpointParams& params) {
  const std::string after = std::to_string(params.after_id);
  auto r = Exec(conn_, "RunCheckpoint", sql::kRunCheckpoint,
                {params.run_id.c_str(), after.c_str(), params.counts_json.c_str()});
  return std::string_view(PQcmdTuples(r.get())) == "1";
}

std::optional<core::Run> PgStore::RunGet(const std::string& run_id) {
  auto r = Exec(conn_, "RunGet", sql::kRunGet, {run_id.c_str()});
  if (PQntuples(r.get()) == 0) return std::nullopt;
  const PGresult* p = r.get();
  core::Run run;
  run.run_id = Text(p, 0, 0);
  run.mode = Text(p, 0, 1);
  run.arguments_json = Text(p, 0, 2);
  run.started_at = Time(p, 0, 3);
  run.finished_at = OptTime(p, 0, 4);
  run.counts_json = Text(p, 0, 5);
  run.outcome = Text(p, 0, 6);
  if (const auto code = OptInt(p, 0, 7)) run.exit_code = static_cast<int>(*code);
  run.host = Text(p, 0, 8);
  run.dry_run = Bool(p, 0, 9);
  run.resume_after_id = Int(p, 0, 10);
  return run;
}

std::vector<std::int64_t> PgStore::LeasesRenew(const core::RenewParams& params) {
  if (params.ids.empty()) return {};
  internal::ArrayText ids;
  for (std::int64_t id : params.ids) ids.Add(id);
  const std::string now = Ms(params.now);
  const std::string until = Ms(params.now + params.lease);
  auto r = internal::ExecPinned(conn_, "LeasesRenew", sql::kLeasesRenew, {params.run_id.c_str(), ids.c_str(), now.c_str(), until.c_str()});
  std::vector<std::int64_t> out;
  for (int row = 0; row < PQntuples(r.get()); ++row) out.push_back(Int(r.get(), row, 0));
  return out;
}

std::vector<std::int64_t> PgStore::TransactionsHeldInWindow(const core::WindowHeldParams& params) {
  const core::WindowClaimParams& w = params.window;
  const std::string from = Ms(w.created_from);
  const std::string to = Ms(w.created_to);
  const std::optional<std::string> kind =
      w.kind ? std::optional<std::string>(core::KindName(*w.kind)) : std::nullopt;
  const std::string after = std::to_string(w.after_id);
  const std::optional<std::string> through =
      params.through ? std::optional<std::string>(std::to_string(*params.through)) : std::nullopt;
  internal::ArrayText claimed;
  for (std::int64_t id : params.claimed) claimed.Add(id);
  auto r = internal::ExecPinned(conn_, "TransactionsHeldInWindow", sql::kTransactionsHeldInWindow,
                {from.c_str(), to.c_str(), OptionalText(kind), OptionalText(w.merchant_id), after.c_str(),
                 OptionalText(through), claimed.c_str()});
  std::vector<std::int64_t> ids;
  for (int row = 0; row < PQntuples(r.get()); ++row) ids.push_back(Int(r.get(), row, 0));
  return ids;
}

std::vector<std::string> PgStore::RunsMarkAbandoned(const core::RunsAbandonParams& params) {
  const std::string now_ms = Ms(params.now);
  const std::string grace_ms = std::to_string(params.grace.count());
  const std::optional<std::string>& run_id = params.run_id;
  auto r = Exec(conn_, "RunsMarkAbandoned", sql::kRunsMarkAbandoned,
                {now_ms.c_str(), grace_ms.c_str(), run_id ? run_id->c_str() : nullptr});
  std::vector<std::string> ids;
  for (int row = 0; row < PQntuples(r.get()); ++row) ids.emplace_back(Text(r.get(), row, 0));
  return ids;
}

std::int64_t PgStore::LeasesReleaseRun(const std::string& run_id) {
  auto r = Exec(conn_, "LeasesReleaseRun", sql::kLeasesReleaseRun, {run_id.c_str()});
  return std::stoll(std::string(PQcmdTuples(r.get())));
}

void PgStore::RunErrorsRecord(const core::RunErrorsParams& params) {
  if (params.errors.empty()) return;
  internal::ArrayText ids, classes, http, codes, messages, attempts, next_check, at;
  for (const core::RunError& e : params.errors) {
    ids.Add(e.transaction_id);
    classes.AddText(e.error_class);
    http.Add(static_cast<std::int64_t>(e.http_status));
    codes.AddText(e.gateway_code);
    messages.AddText(e.message);
    attempts.Add(static_cast<std::int64_t>(e.attempts));
    next_check.Add(MsOrNull(e.next_check_at));
    at.Add(e.at.time_since_epoch().count());
  }
  Exec(conn_, "RunErrorsRecord", sql::kRunErrorsRecord,
       {params.run_id.c_str(), ids.c_str(), classes.c_str(), http.c_str(), codes.c_str(), messages.c_str(),
        attempts.c_str(), next_check.c_str(), at.c_str()});
}

core::HistoryPruneResult PgStore::HistoryPrune(const core::HistoryPruneParams& params) {
  const std::string before = Ms(params.before);
  auto r = Exec(conn_, "HistoryPrune", sql::kHistoryPrune, {before.c_str()});
  return {Int(r.get(), 0, 0), Int(r.get(), 0, 1)};
}

void PgStore::RunTransitionsForEach(const std::string& run_id, const core::RowSink<core::TransitionRow>& sink) {
  if (sink.restart) sink.restart();
  internal::StreamPinned(conn_, "RunTransitionsForEach", sql::kRunTransitionsForEach, {run_id.c_str()},
                   [&](const PGresult* r, int row) {
                     core::TransitionRow t;
                     t.run_id = run_id;
                     t.transaction_id = Int(r, row, 0);
                     t.kind = KindOf(Text(r, row, 1));
                     t.merchant_id = Text(r, row, 2);
                     t.merchant_txn_id = Text(r, row, 3);
                     t.amazon_txn_id = Text(r, row, 4);
                     t.from_status = StatusOf(Text(r, row, 5));
                     t.to_status = StatusOf(Text(r, row, 6));
                     t.amount = Int(r, row, 7);
                     t.approved_amount = OptInt(r, row, 8);
                     t.gateway_updated_at = OptTime(r, row, 9);
                     t.checked_at = Time(r, row, 10);
                     t.request_id = Text(r, row, 11);
                     t.response_digest = Text(r, row, 12);
                     sink.row(t);
                   });
}

std::int64_t PgStore::RunTransitionsCount(const std::string& run_id) {
  auto r = internal::ExecPinned(conn_, "RunTransitionsCount", sql::kRunTransitionsCount, {run_id.c_str()});
  return Int(r.get(), 0, 0);
}

void PgStore::RunDiscrepanciesForEach(const std::string& run_id,
                                      const core::RowSink<core::DiscrepancyRow>& sink) {
  if (sink.restart) sink.restart();
  internal::StreamPinned(conn_, "RunDiscrepanciesForEach", sql::kRunDiscrepanciesForEach, {run_id.c_str()},
                   [&](const PGresult* r, int row) { sink.row(ReadDiscrepancy(r, row)); });
}

void PgStore::RunErrorsForEach(const std::string& run_id, const core::RowSink<core::ErrorRow>& sink) {
  if (sink.restart) sink.restart();
  internal::StreamPinned(conn_, "RunErrorsForEach", sql::kRunErrorsForEach, {run_id.c_str()},
                   [&](const PGresult* r, int row) {
                     core::ErrorRow e;
                     e.run_id = run_id;
                     e.kind = KindOf(Text(r, row, 0));
                     e.merchant_id = Text(r, row, 1);
                     e.merchant_txn_id = Text(r, row, 2);
                     e.transaction_id = Int(r, row, 3);
                     e.error_class = ErrorClassOf(Text(r, row, 4));
                     e.http_status = static_cast<int>(Int(r, row, 5));
                     e.gateway_code = Text(r, row, 6);
                     e.message = Text(r, row, 7);
                     e.attempts = static_cast<int>(Int(r, row, 8));
                     e.next_check_at = OptTime(r, row, 9);
                     e.at = Time(r, row, 10);
                     sink.row(e);
                   });
}

std::vector<core::DiscrepancyRow> PgStore::DiscrepanciesListOpen(const core::DiscrepanciesOpenParams& params) {
  const std::optional<std::string> code =
      params.code ? std::optional<std::string>(core::DiscrepancyCodeName(*params.code)) : std::nullopt;
  const std::optional<std::string> before =
      params.opened_before ? std::optional<std::string>(Ms(*params.opened_before)) : std::nullopt;
  const std::string limit = std::to_string(params.limit);
  auto r = Exec(conn_, "DiscrepanciesListOpen", sql::kDiscrepanciesListOpen,
                {OptionalText(code), OptionalText(before), limit.c_str()});
  std::vector<core::DiscrepancyRow> out;
  const int n = PQntuples(r.get());
  for (int i = 0; i < n; ++i) out.push_back(ReadDiscrepancy(r.get(), i));
  return out;
}

std::vector<core::DiscrepancyRow> PgStore::DiscrepanciesListAll(const core::DiscrepanciesAllParams& params) {
  const std::optional<std::string> code =
      params.code ? std::optional<std::string>(core::DiscrepancyCodeName(*params.code)) : std::nullopt;
  const std::string limit = std::to_string(params.limit);
  auto r = Exec(conn_, "DiscrepanciesListAll", sql::kDiscrepanciesListAll, {OptionalText(code), limit.c_str()});
  std::vector<core::DiscrepancyRow> out;
  const int n = PQntuples(r.get());
  for (int i = 0; i < n; ++i) out.push_back(ReadDiscrepancy(r.get(), i));
  return out;
}

std::optional<core::DiscrepancyRow> PgStore::DiscrepancyGet(std::int64_t id) {
  const std::string id_text = std::to_string(id);
  auto r = Exec(conn_, "DiscrepancyGet", sql::kDiscrepancyGet, {id_text.c_str()});
  if (PQntuples(r.get()) == 0) return std::nullopt;
  return ReadDiscrepancy(r.get(), 0);
}

bool PgStore::DiscrepancyResolve(const core::DiscrepancyResolveParams& params) {
  const std::string id = std::to_string(params.discrepancy_id);
  const std::string now = Ms(params.now);
  auto r = Exec(conn_, "DiscrepancyResolve", sql::kDiscrepancyResolve,
                {id.c_str(), now.c_str(), params.resolved_by.c_str(), params.note.c_str()});
  return PQntuples(r.get()) == 1;
}

std::vector<core::OpenDiscrepancies> PgStore::DiscrepanciesCountOpen() {
  auto r = Exec(conn_, "DiscrepanciesCountOpen", sql::kDiscrepanciesCountOpen, {});
  std::vector<core::OpenDiscrepancies> out;
  const int n = PQntuples(r.get());
  for (int i = 0; i < n; ++i) {
    const auto code = core::DiscrepancyCodeFromName(Text(r.get(), i, 0));
    assert(code && "the code check constraint admits only known codes");
    if (code) out.push_back({*code, Int(r.get(), i, 1), Time(r.get(), i, 2)});
  }
  return out;
}

std::vector<core::PendingAges> PgStore::TransactionsPendingAges(const core::PendingAgesParams& params) {
  assert(!params.bounds.empty());
  const std::string now = Ms(params.now);
  std::string bounds = "{";
  for (std::size_t i = 0; i < params.bounds.size(); ++i) {
    if (i) bounds += ',';
    bounds += std::to_string(params.bounds[i].count());
  }
  bounds += '}';
  auto r = Exec(conn_, "TransactionsPendingAges", sql::kTransactionsPendingAges, {now.c_str(), bounds.c_str()});
  std::vector<core::PendingAges> out;
  const int n = PQntuples(r.get());
  for (int i = 0; i < n; ++i) {
    const core::Kind kind = KindOf(Text(r.get(), i, 0));
    if (out.empty() || out.back().kind != kind) {
      core::PendingAges a;
      a.kind = kind;
      a.counts.assign(params.bounds.size() + 1, 0);
      a.oldest_created_at = Time(r.get(), i, 3);
      out.push_back(std::move(a));
    }
    core::PendingAges& a = out.back();
    const auto bucket = static_cast<std::size_t>(Int(r.get(), i, 1));
    assert(bucket < a.counts.size());
    a.counts[std::min(bucket, a.counts.size() - 1)] += Int(r.get(), i, 2);
    a.oldest_created_at = std::min(a.oldest_created_at, Time(r.get(), i, 3));
  }
  return out;
}

// ---- amounts, figures, `check` and `show` ----

namespace {

// A numeric sum read back as text; exact, or QueryError when it does not fit int64 paise.
core::Paise SumOf(const PGresult* r, int row, int col, std::string_view what) {
  if (IsNull(r, row, col)) return 0;
  const std::string_view text = Text(r, row, col);
  core::Paise v = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || ptr != text.data() + text.size()) {
    throw QueryError(std::string(what) + ": sum " + std::string(text) + " does not fit in int64 paise", "22003");
  }
  return v;
}

core::DiscrepancyCode CodeOf(std::string_view word) {
  const auto code = core::DiscrepancyCodeFromName(word);
  assert(code && "the code check constraint admits only known codes");
  return code.value_or(core::DiscrepancyCode::kNotFound);
}

std::string BoundsArray(const std::vector<core::Millis>& bounds) {
  std::string out = "{";
  for (std::size_t i = 0; i < bounds.size(); ++i) {
    if (i) out += ',';
    out += std::to_string(bounds[i].count());
  }
  return out + '}';
}

}  // namespace

std::vector<core::PendingTotal> PgStore::TransactionsPendingTotals(const core::PendingAgesParams& params) {
  assert(!params.bounds.empty());
  const std::string now = Ms(params.now);
  const std::string bounds = BoundsArray(params.bounds);
  auto r = Exec(conn_, "TransactionsPendingTotals", sql::kTransactionsPendingTotals, {now.c_str(), bounds.c_str()});
  std::vector<core::PendingTotal> out;
  const int n = PQntuples(r.get());
  for (int i = 0; i < n; ++i) {
    core::PendingTotal t;
    t.kind = KindOf(Text(r.get(), i, 0));
    t.bucket = std::min(static_cast<std::size_t>(Int(r.get(), i, 1)), params.bounds.size());
    t.count = Int(r.get(), i, 2);
    t.amount = SumOf(r.get(), i, 3, "TransactionsPendingTotals");
    out.push_back(t);
  }
  return out;
}

std::vector<core::OpenTotal> PgStore::DiscrepanciesTotalsOpen() {
  auto r = Exec(conn_, "DiscrepanciesTotalsOpen", sql::kDiscrepanciesTotalsOpen, {});
  std::vector<core::OpenTotal> out;
  const int n = PQntuples(r.get());
  for (int i = 0; i < n; ++i) {
    out.push_back(core::OpenTotal{CodeOf(Text(r.get(), i, 0)), Int(r.get(), i, 1),
                            SumOf(r.get(), i, 2, "DiscrepanciesTotalsOpen")});
  }
  return out;
}

bool PgStore::RunFiguresSet(const core::RunFiguresParams& params) {
  auto r = Exec(conn_, "RunFiguresSet", sql::kRunFiguresSet, {params.run_id.c_str(), params.figures_json.c_str()});
  return std::string_view(PQcmdTuples(r.get())) != "0";
}

std::vector<core::RunListed> PgStore::RunsListRecent(const core::RunsListParams& params) {
  const std::string l = std::to_string(params.limit);
  auto r = Exec(conn_, "RunsListRecent", sql::kRunsListRecent, {l.c_str()});
  std::vector<core::RunListed> out;
  const int n = PQntuples(r.get());
  for (int i = 0; i < n; ++i) {
    core::RunListed run;
    run.run_id = Text(r.get(), i, 0);
    run.mode = Text(r.get(), i, 1);
    run.started_at = Time(r.get(), i, 2);
    run.finished_at = OptTime(r.get(), i, 3);
    if (auto code = OptInt(r.get(), i, 4)) run.exit_code = static_cast<int>(*code);
    run.figures_json = Text(r.get(), i, 5);
    out.push_back(std::move(run));
  }
  return out;
}

std::optional<core::Transaction> PgStore::TransactionClaimOne(const core::ClaimOneParams& params) {
  const std::string now = Ms(params.now);
  const std::string until = Ms(params.now + params.lease);
  const std::string id = std::to_string(params.transaction_id);
  auto r = Exec(conn_, "TransactionClaimOne", sql::kTransactionClaimOne,
                {params.run_id.c_str(), now.c_str(), until.c_str(), id.c_str()});
  if (PQntuples(r.get()) == 0) return std::nullopt;
  return ReadTransaction(r.get(), 0);
}

std::vector<core::Transaction> PgStore::TransactionsFindByTxn(const core::TransactionFindParams& params) {
  const std::string& merchant_id = params.merchant_id;
  const std::string& merchant_txn_id = params.merchant_txn_id;
  const std::optional<core::Kind>& kind = params.kind;
  const std::string k = kind ? std::string(core::KindName(*kind)) : std::string();
  auto r = Exec(conn_, "TransactionsFindByTxn", sql::kTransactionsFindByTxn,
                {merchant_id.c_str(), merchant_txn_id.c_str(), kind ? k.c_str() : nullptr});
  return ReadTransactions(r.get());
}

core::LeaseHolder PgStore::TransactionLeaseGet(std::int64_t transaction_id) {
  const std::string id = std::to_string(transaction_id);
  auto r = Exec(conn_, "TransactionLeaseGet", sql::kTransactionLeaseGet, {id.c_str()});
  if (PQntuples(r.get()) == 0) return {};
  return core::LeaseHolder{std::string(Text(r.get(), 0, 0)), OptTime(r.get(), 0, 1)};
}

std::vector<core::EventRow> PgStore::TransactionEventsList(std::int64_t transaction_id) {
  const std::string id = std::to_string(transaction_id);
  auto r = Exec(conn_, "TransactionEventsList", sql::kTransactionEventsList, {id.c_str()});
  std::vector<core::EventRow> out;
  const int n = PQntuples(r.get());
  for (int i = 0; i < n; ++i) {
    core::EventRow e;
    e.id = Int(r.get(), i, 0);
    e.run_id = Text(r.get(), i, 1);
    e.event_type = Text(r.get(), i, 2);
    e.from_status = Text(r.get(), i, 3);
    e.to_status = Text(r.get(), i, 4);
    e.discrepancy_code = Text(r.get(), i, 5);
    e.amazon_txn_id = Text(r.get(), i, 6);
    e.approved_amount = OptInt(r.get(), i, 7);
    e.gateway_updated_at = OptTime(r.get(), i, 8);
    e.request_id = Text(r.get(), i, 9);
    e.response_digest = Text(r.get(), i, 10);
    e.at = Time(r.get(), i, 11);
    e.actor = Text(r.get(), i, 12);
    e.note = Text(r.get(), i, 13);
    out.push_back(std::move(e));
  }
  return out;
}

std::vector<core::CheckErrorRow> PgStore::TransactionRunErrorsList(std::int64_t transaction_id) {
  const std::string id = std::to_string(transaction_id);
  auto r = Exec(conn_, "TransactionRunErrorsList", sql::kTransactionRunErrorsList, {id.c_str()});
  std::vector<core::CheckErrorRow> out;
  const int n = PQntuples(r.get());
  for (int i = 0; i < n; ++i) {
    core::CheckErrorRow e;
    e.run_id = Text(r.get(), i, 0);
    e.error.transaction_id = transaction_id;
    e.error.error_class = Text(r.get(), i, 1);
    e.error.http_status = static_cast<int>(Int(r.get(), i, 2));
    e.error.gateway_code = Text(r.get(), i, 3);
    e.error.message = Text(r.get(), i, 4);
    e.error.attempts = static_cast<int>(Int(r.get(), i, 5));
    e.error.next_check_at = OptTime(r.get(), i, 6);
    e.error.at = Time(r.get(), i, 7);
    out.push_back(std::move(e));
  }
  return out;
}

std::vector<core::DiscrepancyRow> PgStore::TransactionDiscrepanciesList(std::int64_t transaction_id) {
  const std::string id = std::to_string(transaction_id);
  auto r = Exec(conn_, "TransactionDiscrepanciesList", sql::kTransactionDiscrepanciesList, {id.c_str()});
  std::vector<core::DiscrepancyRow> out;
  const int n = PQntuples(r.get());
  for (int i = 0; i < n; ++i) out.push_back(ReadDiscrepancy(r.get(), i));
  return out;
}

std::vector<core::CheckRunRow> PgStore::TransactionCheckRunsList(std::int64_t transaction_id) {
  const std::string id = std::to_string(transaction_id);
  auto r = Exec(conn_, "TransactionCheckRunsList", sql::kTransactionCheckRunsList, {id.c_str()});
  std::vector<core::CheckRunRow> out;
  const int n = PQntuples(r.get());
  for (int i = 0; i < n; ++i) {
    out.push_back(core::CheckRunRow{std::string(Text(r.get(), i, 0)), Time(r.get(), i, 1), std::string(Text(r.get(), i, 2))});
  }
  return out;
}

}  // namespace payrecon::db
