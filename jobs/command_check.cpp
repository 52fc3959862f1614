#include "jobs/command_check.h"

#include <algorithm>
#include <ostream>
#include <random>

#include "core/decision.h"
#include "core/money.h"
#include "core/store_ports.h"
#include "env/clock.h"
#include "env/host.h"
#include "gateway/status_checker.h"
#include "jobs/database.h"
#include "jobs/exit_code.h"
#include "jobs/log.h"
#include "jobs/run_setup.h"
#include "engine/sources.h"

namespace payrecon::jobs {

namespace {

using core::JsonValue;

JsonValue Int(std::int64_t v) { return JsonValue::Number(std::to_string(v)); }
JsonValue OptInt(const std::optional<std::int64_t>& v) { return v ? Int(*v) : JsonValue::Null(); }
JsonValue TextOrNull(const std::string& s) { return s.empty() ? JsonValue::Null() : JsonValue::String(s); }
JsonValue TimeOrNull(const std::optional<core::Instant>& t) {
  return t ? JsonValue::String(core::FormatIso8601Millis(*t)) : JsonValue::Null();
}

std::string Describe(const std::string& merchant, const std::string& txn, const std::optional<core::Kind>& kind) {
  return (kind ? std::string(core::KindName(*kind)) + " " : std::string("transaction ")) + "'" + merchant + "/" +
         txn + "'";
}

// The one transaction of a check: claimed with a lease (any status) or, in a dry run, read as it is.
class OneTransactionSource : public engine::WorkSource {
 public:
  OneTransactionSource(core::Store& store, std::string run_id, core::Transaction transaction, core::Millis lease,
                       bool dry_run)
      : store_(store), run_id_(std::move(run_id)), transaction_(std::move(transaction)), lease_(lease), dry_run_(dry_run) {}

  std::vector<core::Transaction> Next(int, core::Instant now) override {
    if (handed_out_) return {};
    handed_out_ = true;
    if (dry_run_) return {transaction_};
    auto claimed = store_.TransactionClaimOne(core::ClaimOneParams{run_id_, now, lease_, transaction_.id});
    if (!claimed) {
      const core::LeaseHolder holder = store_.TransactionLeaseGet(transaction_.id);
      throw JobError(ExitCode::kUsage,
                     std::string(core::KindName(transaction_.kind)) + " '" + transaction_.merchant_id + "/" +
                         transaction_.merchant_txn_id + "' is being checked by run '" + holder.run_id + "' until " +
                         (holder.until ? core::FormatIso8601(*holder.until) : std::string("now")) +
                         "; try again after that");
    }
    return {*claimed};
  }

  core::ApplyResult Apply(std::vector<core::TransactionUpdate> updates, core::Instant now) override {
    if (dry_run_) return dry_.Apply(std::move(updates), now);
    const core::ApplyParams p{run_id_, now, std::move(updates)};
    return store_.TransactionsApply(p);
  }

  void Release(std::vector<std::int64_t> ids) override {
    if (dry_run_) return;
    store_.LeasesRelease(core::ReleaseParams{run_id_, std::move(ids)});
  }

 private:
  core::Store& store_;
  std::string run_id_;
  core::Transaction transaction_;
  core::Millis lease_;
  bool dry_run_;
  bool handed_out_ = false;
  engine::ReadOnlySource dry_{[](std::int64_t, int) { return std::vector<core::Transaction>{}; }};
};

class Capture : public engine::RunObserver {
 public:
  void OnChecked(const engine::CheckRecord& record, const core::UpdateOutcome& outcome) override {
    record_ = record;
    outcome_ = outcome;
  }
  const std::optional<engine::CheckRecord>& record() const { return record_; }
  const core::UpdateOutcome& outcome() const { return outcome_; }

 private:
  std::optional<engine::CheckRecord> record_;
  core::UpdateOutcome outcome_;
};

std::string ArgumentsJson(const core::Transaction& t) {
  JsonValue o = JsonValue::Object();
  o.Add("merchant", JsonValue::String(t.merchant_id))
      .Add("kind", JsonValue::String(std::string(core::KindName(t.kind))))
      .Add("txn", JsonValue::String(t.merchant_txn_id))
      .Add("transaction_id", Int(t.id));
  return core::SerializeJson(o);
}

}  // namespace

JsonValue CheckResultJson(const std::string& run_id, bool dry_run, const engine::CheckRecord& rec,
                          const core::UpdateOutcome& outcome, core::Status after) {
  const core::Transaction& t = rec.transaction;
  const core::CheckResult& c = rec.check;
  const core::Decision& d = rec.decision;
  JsonValue txn = JsonValue::Object();
  txn.Add("id", Int(t.id))
      .Add("kind", JsonValue::String(std::string(core::KindName(t.kind))))
      .Add("merchant_id", JsonValue::String(t.merchant_id))
      .Add("merchant_txn_id", JsonValue::String(t.merchant_txn_id))
      .Add("amazon_txn_id", TextOrNull(t.amazon_txn_id))
      .Add("amount_paise", Int(t.amount))
      .Add("currency", JsonValue::String(t.currency));

  JsonValue gw = JsonValue::Object();
  gw.Add("outcome", JsonValue::String(std::string(core::CheckOutcomeName(c.outcome))))
      .Add("http_status", c.http_status ? Int(c.http_status) : JsonValue::Null());
  const core::Observation& o = c.observation;
  const bool observed = c.outcome == core::CheckOutcome::kObserved;
  gw.Add("status", observed ? JsonValue::String(o.status_word) : JsonValue::Null())
      .Add("amazon_txn_id", observed ? TextOrNull(o.amazon_txn_id) : JsonValue::Null())
      .Add("requested_amount_paise", observed ? OptInt(o.requested_amount) : JsonValue::Null())
      .Add("approved_amount_paise", observed ? OptInt(o.approved_amount) : JsonValue::Null())
      .Add("amount_paise", observed ? OptInt(o.amount) : JsonValue::Null())
      .Add("currency", observed ? TextOrNull(o.currency) : JsonValue::Null())
      .Add("updated_at", observed ? TimeOrNull(o.update_time) : JsonValue::Null())
      .Add("gateway_code", TextOrNull(c.gateway_code))
      .Add("message", TextOrNull(c.message))
      .Add("request_id", TextOrNull(c.request_id))
      .Add("response_digest", TextOrNull(c.response_digest))
      .Add("latency_us", Int(c.latency_us));

  JsonValue decision = JsonValue::Object();
  const core::TransactionUpdate& u = d.update;
  decision
      .Add("new_status", u.new_status ? JsonValue::String(std::string(core::StatusName(*u.new_status)))
                                      : JsonValue::Null())
      .Add("error_class", d.error ? JsonValue::String(std::string(core::CheckOutcomeName(*d.error))) : JsonValue::Null())
      .Add("stale", JsonValue::Bool(d.stale))
      .Add("next_check_at", core::IsFinal(t.status) ? JsonValue::Null()
                                                    : JsonValue::String(core::FormatIso8601Millis(u.next_check_at)))
      .Add("summary", JsonValue::String(core::RenderDecision(d, core::DecisionInput{t, c, rec.checked_at, 0, true})));

  JsonValue discrepancies = JsonValue::Array();
  for (const core::DiscrepancyRecord& r : u.discrepancies) {
    JsonValue x = JsonValue::Object();
    const bool raised = std::find(outcome.raised.begin(), outcome.raised.end(), r.code) != outcome.raised.end();
    x.Add("code", JsonValue::String(std::string(core::DiscrepancyCodeName(r.code))))
        .Add("detail", JsonValue::String(r.detail))
        .Add("gateway_status", TextOrNull(r.gateway_status))
        .Add("gateway_amount_paise", OptInt(r.gateway_amount))
        .Add("raised", JsonValue::Bool(raised));
    discrepancies.Push(std::move(x));
  }

  JsonValue root = JsonValue::Object();
  root.Add("run_id", JsonValue::String(run_id))
      .Add("mode", JsonValue::String("check"))
      .Add("dry_run", JsonValue::Bool(dry_run))
      .Add("checked_at", JsonValue::String(core::FormatIso8601Millis(rec.checked_at)))
      .Add("transaction", std::move(txn))
      .Add("status_before", JsonValue::String(std::string(core::StatusName(t.status))))
      .Add("status_after", JsonValue::String(std::string(core::StatusName(after))))
      .Add("gateway", std::move(gw))
      .Add("decision", std::move(decision))
      .Add("applied", JsonValue::Bool(outcome.applied && !dry_run))
      .Add("discrepancies", std::move(discrepancies));
  return root;
}

int CommandCheck(const CommandContext& ctx) {
  const CommandLine& cl = ctx.command_line;
  const config::Settings& s = ctx.settings;
  const std::string merchant = cl.merchant.value_or("");
  const std::string& txn_id = cl.txn;
  auto merchants = MerchantsFrom(s);
  const gateway::GatewayOptions gateway_options = GatewayOptionsFrom(s.amazonpay);
  gateway::ValidateOptions(gateway_options);

  Database db(s.database.conninfo);
  db.RequireCurrentSchema();
  const auto deadline = std::chrono::steady_clock::now() + s.worker.deadline;
  db.SetGiveUp([deadline](SteadyTime first_failure) {
    return std::max(deadline, first_failure + std::chrono::seconds(5));
  });
  core::Store& store = db.store();
  const auto found = store.TransactionsFindByTxn(core::TransactionFindParams{merchant, txn_id, cl.kind});
  if (found.empty()) throw JobError(ExitCode::kUsage, Describe(merchant, txn_id, cl.kind) + " not found");
  if (found.size() > 1) {
    std::string kinds;
    for (const auto& t : found) kinds += (kinds.empty() ? "" : ", ") + std::string(core::KindName(t.kind));
    throw JobError(ExitCode::kUsage, Describe(merchant, txn_id, std::nullopt) + " exists as " + kinds +
                                         ": choose one with '--kind'");
  }
  const core::Transaction& t = found.front();

  const std::string run_id = NewRunId();
  SetLogRunId(run_id);
  const core::Instant started_at = env::WallNow();
  if (!cl.dry_run) {
    store.RunStart(core::RunStartParams{run_id, "check", ArgumentsJson(t), started_at, env::HostName(), false});
  }
  LogInfo(std::string("check") + (cl.dry_run ? " (dry run)" : "") + " of " +
          Describe(t.merchant_id, t.merchant_txn_id, t.kind) + " started");

  OneTransactionSource source(store, run_id, t, s.worker.lease, cl.dry_run);
  Capture capture;
  engine::RunnerOptions options;
  options.batch_size = 1;
  options.in_flight = 1;
  options.deadline = deadline;
  options.auth_failures_to_stop = 1;
  options.merchant_count = static_cast<int>(s.merchants.size());
  if (!cl.dry_run) {
    const auto call = s.amazonpay.connect_timeout + s.amazonpay.read_timeout;
    options.claim_valid_for = std::max(std::chrono::milliseconds{0}, s.worker.lease - call);
  }
  options.apply_interval = std::chrono::milliseconds{0};
  options.policy = s.worker.ToPolicy();
  engine::RunnerDeps deps;
  deps.source = &source;
  deps.make_checker = [&]() -> std::unique_ptr<core::StatusChecker> {
    return std::make_unique<gateway::GatewayStatusChecker>(gateway_options, merchants);
  };
  deps.merchant_configured = [&](std::string_view m) { return merchants->Find(m) != nullptr; };
  deps.now = env::WallNow;
  deps.seed = std::random_device{}();
  deps.observer = &capture;
  deps.interrupt = &ctx.interrupt;
  engine::RunStats stats;
  try {
    stats = engine::Runner(options, deps).Run();
  } catch (const JobError& e) {
    // Refused before the call (another run holds the lease): the run's row says so.
    if (!cl.dry_run) {
      store.RunFinish(core::RunFinishParams{run_id, env::WallNow(), "{}", "refused", ToInt(e.code())});
    }
    throw;
  }

  int exit_code = ToInt(ExitCode::kOk);
  if (stats.stop == engine::StopReason::kInterrupted) exit_code = ToInt(ExitCode::kInterrupted);
  if (stats.stop == engine::StopReason::kAuth || !stats.auth_refused.empty()) exit_code = ToInt(ExitCode::kGateway);

  JsonValue line = JsonValue::Object();
  if (const auto& rec = capture.record()) {
    if (rec->decision.error && !cl.dry_run) {
      core::RunError e;
      e.transaction_id = t.id;
      e.error_class = std::string(core::CheckOutcomeName(*rec->decision.error));
      e.http_status = rec->check.http_status;
      e.gateway_code = rec->check.gateway_code;
      e.message = rec->check.message;
      e.attempts = rec->transaction.error_count + 1;
      if (!core::IsFinal(rec->transaction.status)) e.next_check_at = rec->decision.update.next_check_at;
      e.at = rec->checked_at;
      store.RunErrorsRecord(core::RunErrorsParams{run_id, {e}});
    }
    core::Status after = rec->transaction.status;
    if (cl.dry_run) {
      if (rec->decision.update.new_status) after = *rec->decision.update.new_status;
    } else if (auto now_row = store.TransactionGet(t.id)) {
      after = now_row->status;
    }
    line = CheckResultJson(run_id, cl.dry_run, *rec, capture.outcome(), after);
  } else {
    // Handed back before its check (interrupted).
    line.Add("run_id", JsonValue::String(run_id))
        .Add("mode", JsonValue::String("check"))
        .Add("dry_run", JsonValue::Bool(cl.dry_run))
        .Add("status_before", JsonValue::String(std::string(core::StatusName(t.status))))
        .Add("status_after", JsonValue::String(std::string(core::StatusName(t.status))))
        .Add("applied", JsonValue::Bool(false));
  }
  line.Add("exit_code", Int(exit_code));
  const std::string text = core::SerializeJson(line);
  if (!cl.dry_run) {
    store.RunFinish(core::RunFinishParams{run_id, env::WallNow(), "{}", std::string(engine::StopReasonName(stats.stop)),
                                          exit_code});
    store.RunFiguresSet(core::RunFiguresParams{run_id, text});
  }
  if (exit_code == ToInt(ExitCode::kGateway)) {
    LogError("the gateway refused merchant '" + t.merchant_id + "': check its access key and secret");
  }
  ctx.out << text << '\n' << std::flush;
  return exit_code;
}

}  // namespace payrecon::jobs
