#pragma once
// In-memory fakes of core's ports for unit tests (no services): a store with the database's semantics (leases,
// compare-and-set, discrepancies raised once per facts, events, runs), checked against db::PgStore by the
// conformance suite (tests/conformance), and a scripted StatusChecker that counts calls per transaction.
// Thread-safe.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "core/json.h"
#include "core/ports.h"
#include "core/store_ports.h"

namespace payrecon::testing {

struct FakeEvent {
  std::int64_t transaction_id = 0;
  std::string run_id;
  std::string kind;  // "transition", "discrepancy" or "resolution"
  std::string text;  // "CapturePending->CaptureApproved" or the code's name
  core::Instant at{};
  std::string to_status;   // transition: the new status
  std::string request_id;  // transition: the update's request id
};

// The store's documented semantics in memory: transactions, runs and discrepancies as db::PgStore keeps them.
// tests/conformance runs the same cases against this and against PgStore; where they disagree, PgStore is right.
class FakeStore : public core::TransactionStore, public core::RunStore, public core::DiscrepancyStore {
 public:
  void Add(core::Transaction t) {
    std::lock_guard lock(mu_);
    rows_[t.id] = Row{std::move(t), "", std::nullopt};
  }

  // ---- core::TransactionStore ----

  std::vector<core::Transaction> TransactionsClaimDue(const core::ClaimParams& p) override {
    std::lock_guard lock(mu_);
    MaybeFail();
    std::vector<std::pair<core::Instant, std::int64_t>> due;
    for (auto& [id, row] : rows_) {
      if (!core::IsFinal(row.t.status) && row.t.next_check_at <= p.now && LeaseFree(row, p.now)) {
        due.push_back({row.t.next_check_at, id});
      }
    }
    std::sort(due.begin(), due.end());
    std::vector<core::Transaction> out;
    for (auto& [at, id] : due) {
      if (static_cast<int>(out.size()) >= p.limit) break;
      Row& row = rows_[id];
      row.lease_run = p.run_id;
      row.lease_until = p.now + p.lease;
      out.push_back(row.t);
      ++claims_;
    }
    return out;
  }

  std::vector<core::Transaction> TransactionsClaimWindow(const core::WindowClaimParams& p) override {
    std::lock_guard lock(mu_);
    MaybeFail();
    std::vector<core::Transaction> out;
    for (auto& [id, row] : rows_) {
      if (static_cast<int>(out.size()) >= p.limit) break;
      if (!InWindow(row, id, p)) continue;
      if (!p.only_ids.empty() && std::find(p.only_ids.begin(), p.only_ids.end(), id) == p.only_ids.end()) continue;
      // The run's own live leases count as free (`--resume` after a crash).
      if (!LeaseFree(row, p.now) && row.lease_run != p.run_id) continue;
      row.lease_run = p.run_id;
      row.lease_until = p.now + p.lease;
      out.push_back(row.t);
    }
    return out;
  }

  core::ApplyResult TransactionsApply(const core::ApplyParams& p) override {
    std::lock_guard lock(mu_);
    MaybeFail();
    core::ApplyResult result;
    for (const auto& u : p.updates) {
      core::UpdateOutcome o{u.id, false, {}};
      auto it = rows_.find(u.id);
      if (it == rows_.end()) {
        result.outcomes.push_back(std::move(o));
        continue;
      }
      Row& row = it->second;
      const bool transition_allowed =
          !u.new_status || (!core::IsFinal(u.expected_status) && core::StatusBelongsTo(row.t.kind, *u.new_status));
      if (row.t.status == u.expected_status && row.lease_run == p.run_id && transition_allowed) {
        o.applied = true;
        const core::Status from = row.t.status;
        const core::Status to = u.new_status.value_or(from);
        // Review is needed when one of the update's discrepancies is (or stays) open.
        bool review = false;
        for (const auto& d : u.discrepancies) {
          if (Opens(u.id, d, Facts(to, d, row.t.amount), p.now) || OpenFor(u.id, d.code)) review = true;
        }
        row.t.status = to;
        row.t.next_check_at = u.next_check_at;
        row.t.check_count = u.check_count;
        row.t.error_count = u.error_count;
        row.t.last_error = u.last_error;
        if (!u.amazon_txn_id.empty()) row.t.amazon_txn_id = u.amazon_txn_id;
        if (u.approved_amount) row.t.approved_amount = u.approved_amount;
        if (u.gateway_updated_at) row.t.gateway_updated_at = u.gateway_updated_at;
        row.t.needs_review = row.t.needs_review || review;
        row.t.updated_at = p.now;
        row.lease_run.clear();
        row.lease_until.reset();
        if (to != from) {
          events_.push_back({u.id, p.run_id, "transition",
                             std::string(core::StatusName(from)) + "->" + std::string(core::StatusName(to)), p.now,
                             std::string(core::StatusName(to)), u.request_id});
        }
        std::set<core::DiscrepancyCode> seen;  // one per code and update
        for (const auto& d : u.discrepancies) {
          if (!seen.insert(d.code).second) continue;
          const std::string facts = Facts(to, d, row.t.amount);
          if (!Opens(u.id, d, facts, p.now) || OpenFor(u.id, d.code)) continue;
          Discrepancy x;
          x.row.id = next_discrepancy_id_++;
          x.row.transaction_id = u.id;
          x.row.code = d.code;
          x.row.detail = d.detail;
          x.row.local_status = to;
          x.row.gateway_status = d.gateway_status;
          x.row.local_amount = row.t.amount;
          x.row.gateway_amount = d.gateway_amount;
          x.row.opened_at = p.now;
          x.row.run_id = p.run_id;
          x.facts = facts;
          discrepancies_.push_back(std::move(x));
          o.raised.push_back(d.code);
          events_.push_back(
              {u.id, p.run_id, "discrepancy", std::string(core::DiscrepancyCodeName(d.code)), p.now, "", ""});
        }
      } else if (row.lease_run.empty() && row.t.updated_at == p.now && row.t.check_count == u.check_count &&
                 row.t.status == u.new_status.value_or(u.expected_status) &&
                 (!u.new_status || *u.new_status == u.expected_status ||
                  std::any_of(events_.begin(), events_.end(), [&](const FakeEvent& e) {
                    return e.transaction_id == u.id && e.run_id == p.run_id && e.kind == "transition" &&
                           e.to_status == core::StatusName(*u.new_status) && e.request_id == u.request_id;
                  }))) {
        // This run already applied it with this `now`: a retry whose first reply was lost.
        o.applied = true;
      }
      result.outcomes.push_back(std::move(o));
    }
    ++applies_;
    return result;
  }

  void LeasesRelease(const core::ReleaseParams& p) override {
    std::lock_guard lock(mu_);
    MaybeFail();
    for (auto id : p.ids) {
      auto it = rows_.find(id);
      if (it != rows_.end() && it->second.lease_run == p.run_id) {
        it->second.lease_run.clear();
        it->second.lease_until.reset();
      }
    }
  }

  std::vector<std::int64_t> LeasesRenew(const core::RenewParams& p) override {
    std::lock_guard lock(mu_);
    MaybeFail();
    std::vector<std::int64_t> out;
    if (refuse_renewals_) return out;  // as if another run had taken every row
    for (auto& [id, row] : rows_) {
      if (std::find(p.ids.begin(), p.ids.end(), id) == p.ids.end()) continue;
      if (row.lease_run != p.run_id || !row.lease_until || *row.lease_until < p.now) continue;
      row.lease_until = p.now + p.lease;
      out.push_back(id);
    }
    renewals_ += static_cast<int>(out.size());
    return out;
  }
  int renewals() {
    std::lock_guard lock(mu_);
    return renewals_;
  }
  // From now on every lease renewal renews nothing.
  void RefuseRenewals() {
    std::lock_guard lock(mu_);
    refuse_renewals_ = true;
  }

  std::vector<std::int64_t> TransactionsHeldInWindow(const core::WindowHeldParams& p) override {
    std::lock_guard lock(mu_);
    MaybeFail();
    std::vector<std::int64_t> out;
    for (auto& [id, row] : rows_) {
      if (!InWindow(row, id, p.window) || (p.through && id > *p.through)) continue;
      if (std::find(p.claimed.begin(), p.claimed.end(), id) != p.claimed.end()) continue;
      out.push_back(id);
    }
    return out;
  }

  std::optional<core::Transaction> TransactionClaimOne(const core::ClaimOneParams& p) override {
    std::lock_guard lock(mu_);
    MaybeFail();
    auto it = rows_.find(p.transaction_id);
    if (it == rows_.end() || !LeaseFree(it->second, p.now)) return std::nullopt;
    it->second.lease_run = p.run_id;
    it->second.lease_until = p.now + p.lease;
    return it->second.t;
  }

  std::int64_t LeasesReleaseRun(const std::string& run_id) override {
    std::lock_guard lock(mu_);
    MaybeFail();
    std::int64_t n = 0;
    for (auto& [id, row] : rows_) {
      if (row.lease_run != run_id) continue;
      row.lease_run.clear();
      row.lease_until.reset();
      ++n;
    }
    return n;
  }

  // ---- core::RunStore ----

  void RunStart(const core::RunStartParams& p) override {
    std::lock_guard lock(mu_);
    MaybeFail();
    for (const auto& r : runs_) {
      if (r.run.run_id == p.run_id) throw core::StoreUnavailable("run '" + p.run_id + "' exists");
    }
    StoredRun r;
    r.run.run_id = p.run_id;
    r.run.mode = p.mode;
    r.run.arguments_json = p.arguments_json;
    r.run.started_at = p.started_at;
    r.run.counts_json = "{}";
    r.run.host = p.host;
    r.run.dry_run = p.dry_run;
    runs_.push_back(std::move(r));
  }

  bool RunFinish(const core::RunFinishParams& p) override {
    std::lock_guard lock(mu_);
    MaybeFail();
    StoredRun* r = FindRun(p.run_id);
    if (!r) return false;
    r->run.finished_at = p.finished_at;
    r->run.counts_json = p.counts_json;
    r->run.outcome = p.outcome;
    r->run.exit_code = p.exit_code;
    return true;
  }

  bool RunCheckpoint(const core::RunCheckpointParams& p) override {
    std::lock_guard lock(mu_);
    MaybeFail();
    StoredRun* r = FindRun(p.run_id);
    if (!r) return false;
    r->run.resume_after_id = p.after_id;
    r->run.counts_json = p.counts_json;
    return true;
  }

  std::optional<core::Run> RunGet(const std::string& run_id) override {
    std::lock_guard lock(mu_);
    MaybeFail();
    StoredRun* r = FindRun(run_id);
    if (!r) return std::nullopt;
    return r->run;
  }

  std::vector<std::string> RunsMarkAbandoned(const core::RunsAbandonParams& p) override {
    std::lock_guard lock(mu_);
    MaybeFail();
    std::vector<std::string> out;
    for (auto& r : runs_) {
      if (r.run.finished_at || (p.run_id && r.run.run_id != *p.run_id)) continue;
      if (!(r.run.started_at + DeadlineOf(r.run.arguments_json) + p.grace < p.now)) continue;
      const bool leasing = std::any_of(rows_.begin(), rows_.end(), [&](const auto& entry) {
        const Row& row = entry.second;
        return row.lease_run == r.run.run_id && row.lease_until && *row.lease_until >= p.now;
      });
      if (leasing) continue;
      core::Instant finished = r.run.started_at;
      for (const auto& e : events_) {
        if (e.run_id == r.run.run_id) finished = std::max(finished, e.at);
      }
      r.run.finished_at = finished;
      r.run.outcome = "abandoned";
      r.run.exit_code.reset();
      out.push_back(r.run.run_id);
    }
    return out;
  }

  void RunErrorsRecord(const core::RunErrorsParams& p) override {
    std::lock_guard lock(mu_);
    MaybeFail();
    for (const auto& e : p.errors) run_errors_.push_back({p.run_id, e});
  }

  bool RunFiguresSet(const core::RunFiguresParams& p) override {
    std::lock_guard lock(mu_);
    MaybeFail();
    StoredRun* r = FindRun(p.run_id);
    if (!r) return false;
    r->figures_json = p.figures_json;
    return true;
  }

  std::vector<core::RunListed> RunsListRecent(const core::RunsListParams& p) override {
    std::lock_guard lock(mu_);
    MaybeFail();
    std::vector<const StoredRun*> listed;
    for (const auto& r : runs_) {
      if ((r.run.mode == "run" || r.run.mode == "backfill") && !r.run.dry_run) listed.push_back(&r);
    }
    std::sort(listed.begin(), listed.end(), [](const StoredRun* a, const StoredRun* b) {
      return std::tie(a->run.started_at, a->run.run_id) > std::tie(b->run.started_at, b->run.run_id);
    });
    std::vector<core::RunListed> out;
    for (const StoredRun* r : listed) {
      if (static_cast<int>(out.size()) >= p.limit) break;
      out.push_back({r->run.run_id, r->run.mode, r->run.started_at, r->run.finished_at, r->run.exit_code,
                     r->figures_json});
    }
    return out;
  }

  core::HistoryPruneResult HistoryPrune(const core::HistoryPruneParams& p) override {
    std::lock_guard lock(mu_);
    MaybeFail();
    core::HistoryPruneResult result;
    std::set<std::string> old;
    for (const auto& r : runs_) {
      if (r.run.started_at < p.before && r.run.finished_at) old.insert(r.run.run_id);
    }
    const auto errors_before = run_errors_.size();
    std::erase_if(run_errors_, [&](const auto& e) { return old.count(e.first) > 0; });
    result.run_errors = static_cast<std::int64_t>(errors_before - run_errors_.size());
    result.runs = static_cast<std::int64_t>(std::erase_if(runs_, [&](const StoredRun& r) {
      return old.count(r.run.run_id) > 0;
    }));
    return result;
  }

  // ---- core::DiscrepancyStore ----

  std::vector<core::DiscrepancyRow> DiscrepanciesListOpen(const core::DiscrepanciesOpenParams& p) override {
    std::lock_guard lock(mu_);
    MaybeFail();
    std::vector<core::DiscrepancyRow> out;
    for (const auto& d : discrepancies_) {
      if (d.row.resolved_at || (p.code && d.row.code != *p.code)) continue;
      if (p.opened_before && !(d.row.opened_at < *p.opened_before)) continue;
      out.push_back(WithIdentity(d.row));
    }
    std::stable_sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
      return std::tie(a.opened_at, a.id) < std::tie(b.opened_at, b.id);
    });
    if (static_cast<int>(out.size()) > p.limit) out.resize(static_cast<std::size_t>(p.limit));
    return out;
  }

  std::vector<core::DiscrepancyRow> DiscrepanciesListAll(const core::DiscrepanciesAllParams& p) override {
    std::lock_guard lock(mu_);
    MaybeFail();
    std::vector<core::DiscrepancyRow> out;
    for (auto it = discrepancies_.rbegin(); it != discrepancies_.rend(); ++it) {
      if (static_cast<int>(out.size()) >= p.limit) break;
      if (!p.code || it->row.code == *p.code) out.push_back(WithIdentity(it->row));
    }
    return out;
  }

  std::optional<core::DiscrepancyRow> DiscrepancyGet(std::int64_t id) override {
    std::lock_guard lock(mu_);
    MaybeFail();
    for (const auto& d : discrepancies_) {
      if (d.row.id == id) return WithIdentity(d.row);
    }
    return std::nullopt;
  }

  bool DiscrepancyResolve(const core::DiscrepancyResolveParams& p) override {
    std::lock_guard lock(mu_);
    MaybeFail();
    for (auto& d : discrepancies_) {
      if (d.row.id != p.discrepancy_id || d.row.resolved_at) continue;
      d.row.resolved_at = p.now;
      d.row.resolved_by = p.resolved_by;
      d.row.resolution_note = p.note;
      events_.push_back({d.row.transaction_id, "", "resolution", std::string(core::DiscrepancyCodeName(d.row.code)),
                         p.now, "", ""});
      auto row = rows_.find(d.row.transaction_id);
      if (row != rows_.end()) {
        row->second.t.needs_review = std::any_of(discrepancies_.begin(), discrepancies_.end(), [&](const auto& x) {
          return x.row.transaction_id == d.row.transaction_id && !x.row.resolved_at;
        });
      }
      return true;
    }
    return false;
  }

  std::vector<core::OpenTotal> DiscrepanciesTotalsOpen() override {
    std::lock_guard lock(mu_);
    MaybeFail();
    std::map<std::string, core::OpenTotal> by_name;  // ordered by the code's name, as the database orders it
    for (const auto& d : discrepancies_) {
      if (d.row.resolved_at) continue;
      core::OpenTotal& t = by_name[std::string(core::DiscrepancyCodeName(d.row.code))];
      t.code = d.row.code;
      ++t.count;
      t.amount += d.row.local_amount;
    }
    std::vector<core::OpenTotal> out;
    for (auto& [name, t] : by_name) out.push_back(t);
    return out;
  }

  std::vector<core::OpenDiscrepancies> DiscrepanciesCountOpen() override {
    std::lock_guard lock(mu_);
    MaybeFail();
    std::map<std::string, core::OpenDiscrepancies> by_name;
    for (const auto& d : discrepancies_) {
      if (d.row.resolved_at) continue;
      const std::string name(core::DiscrepancyCodeName(d.row.code));
      auto [it, fresh] = by_name.try_emplace(name, core::OpenDiscrepancies{d.row.code, 0, d.row.opened_at});
      ++it->second.count;
      it->second.oldest_opened_at = std::min(it->second.oldest_opened_at, d.row.opened_at);
    }
    std::vector<core::OpenDiscrepancies> out;
    for (auto& [name, c] : by_name) out.push_back(c);
    return out;
  }

  // ---- for tests ----

  // Leases a row to another run until `until` (a concurrent job).
  void Lease(std::int64_t id, const std::string& run_id, core::Instant until) {
    std::lock_guard lock(mu_);
    rows_.at(id).lease_run = run_id;
    rows_.at(id).lease_until = until;
  }

  // Read-only listing in id order after `after_id` (what a dry run uses).
  std::vector<core::Transaction> List(std::int64_t after_id, int max) {
    std::lock_guard lock(mu_);
    std::vector<core::Transaction> out;
    for (auto it = rows_.upper_bound(after_id); it != rows_.end() && static_cast<int>(out.size()) < max; ++it) {
      out.push_back(it->second.t);
    }
    return out;
  }

  core::Transaction Get(std::int64_t id) {
    std::lock_guard lock(mu_);
    return rows_.at(id).t;
  }
  std::string LeaseOf(std::int64_t id) {
    std::lock_guard lock(mu_);
    return rows_.at(id).lease_run;
  }
  std::vector<FakeEvent> events() {
    std::lock_guard lock(mu_);
    return events_;
  }
  int applies() {
    std::lock_guard lock(mu_);
    return applies_;
  }
  // The next `n` calls throw StoreUnavailable.
  void FailNext(int n) {
    std::lock_guard lock(mu_);
    fail_next_ = n;
  }

 private:
  struct Row {
    core::Transaction t;
    std::string lease_run;                   // stays set after the lease expires, as in the database
    std::optional<core::Instant> lease_until;
  };
  struct Discrepancy {
    core::DiscrepancyRow row;                // without the transaction's identity (added when read)
    std::string facts;                       // what a repeat is compared with
  };
  struct StoredRun {
    core::Run run;
    std::string figures_json = "{}";
  };

  void MaybeFail() {
    if (fail_next_ > 0) {
      --fail_next_;
      throw core::StoreUnavailable("fake database gone");
    }
  }

  // A lease that ended strictly before `now` is free; one ending at `now` still holds.
  static bool LeaseFree(const Row& row, core::Instant now) { return !row.lease_until || *row.lease_until < now; }

  static bool InWindow(const Row& row, std::int64_t id, const core::WindowClaimParams& p) {
    return id > p.after_id && row.t.created_at >= p.created_from && row.t.created_at < p.created_to &&
           (!p.kind || row.t.kind == *p.kind) && (!p.merchant_id || row.t.merchant_id == *p.merchant_id);
  }

  // The facts of a discrepancy: raised again only when they differ from the last one's (or, with repeat_after,
  // once that one was resolved long enough ago).
  static std::string Facts(core::Status status, const core::DiscrepancyRecord& d, core::Paise amount) {
    return std::string(core::StatusName(status)) + "|" + d.gateway_status + "|" + std::to_string(amount) + "|" +
           (d.gateway_amount ? std::to_string(*d.gateway_amount) : std::string());
  }
  bool Opens(std::int64_t id, const core::DiscrepancyRecord& d, const std::string& facts, core::Instant now) const {
    const Discrepancy* latest = nullptr;
    for (const auto& x : discrepancies_) {
      if (x.row.transaction_id == id && x.row.code == d.code) latest = &x;
    }
    if (!latest) return true;
    if (latest->row.resolved_at && d.repeat_after && *latest->row.resolved_at <= now - *d.repeat_after) return true;
    return latest->facts != facts;
  }
  bool OpenFor(std::int64_t id, core::DiscrepancyCode code) const {
    return std::any_of(discrepancies_.begin(), discrepancies_.end(), [&](const Discrepancy& x) {
      return x.row.transaction_id == id && x.row.code == code && !x.row.resolved_at;
    });
  }
  core::DiscrepancyRow WithIdentity(core::DiscrepancyRow d) const {
    const core::Transaction& t = rows_.at(d.transaction_id).t;
    d.kind = t.kind;
    d.merchant_id = t.merchant_id;
    d.merchant_txn_id = t.merchant_txn_id;
    d.amazon_txn_id = t.amazon_txn_id;
    return d;
  }
  StoredRun* FindRun(const std::string& run_id) {
    for (auto& r : runs_) {
      if (r.run.run_id == run_id) return &r;
    }
    return nullptr;
  }
  // arguments_json's deadline_ms (0 when absent).
  static core::Millis DeadlineOf(const std::string& arguments_json) {
    const auto parsed = core::ParseJson(arguments_json);
    if (!parsed) return core::Millis{0};
    const core::JsonValue* d = parsed->Find("deadline_ms");
    return d && d->type() == core::JsonValue::Type::kNumber ? core::Millis{std::stoll(d->text())} : core::Millis{0};
  }

  std::mutex mu_;
  std::map<std::int64_t, Row> rows_;
  std::vector<FakeEvent> events_;
  std::vector<Discrepancy> discrepancies_;
  std::vector<StoredRun> runs_;
  std::vector<std::pair<std::string, core::RunError>> run_errors_;
  std::int64_t next_discrepancy_id_ = 1;
  int applies_ = 0;
  int claims_ = 0;
  int renewals_ = 0;
  bool refuse_renewals_ = false;
  int fail_next_ = 0;
};

// Answers with `script(query)` and counts calls per txn_id.
class FakeGateway {
 public:
  using Script = std::function<core::CheckResult(const core::StatusQuery&)>;
  explicit FakeGateway(Script script) : script_(std::move(script)) {}

  core::CheckResult Call(const core::StatusQuery& q) {
    {
      std::lock_guard lock(mu_);
      ++calls_[q.txn_id];
    }
    return script_(q);
  }
  int CallsFor(const std::string& txn_id) {
    std::lock_guard lock(mu_);
    auto it = calls_.find(txn_id);
    return it == calls_.end() ? 0 : it->second;
  }
  int TotalCalls() {
    std::lock_guard lock(mu_);
    int n = 0;
    for (auto& [k, v] : calls_) n += v;
    return n;
  }

 private:
  std::mutex mu_;
  Script script_;
  std::map<std::string, int> calls_;
};

class FakeChecker : public core::StatusChecker {
 public:
  explicit FakeChecker(FakeGateway& gateway) : gateway_(gateway) {}
  core::CheckResult StatusCheck(const core::StatusQuery& q) override {
    if (prepared_ == 0) unprepared_calls_.fetch_add(1);
    prepared_ = 0;
    return gateway_.Call(q);
  }
  void PrepareConnection() override { ++prepared_; }
  // Calls not preceded by a PrepareConnection, over every FakeChecker.
  static int unprepared_calls() { return unprepared_calls_.load(); }
  static void ResetCounts() { unprepared_calls_ = 0; }

 private:
  FakeGateway& gateway_;
  int prepared_ = 0;  // since the last call
  static inline std::atomic<int> unprepared_calls_{0};
};

// A ConcurrentStatusChecker over a FakeGateway: Start only records the call; Poll answers every recorded call, the
// last started first, so the runner must match answers to claims by their tags. Records the most calls it held
// in flight at once and every capacity it was made with.
class FakeConcurrentChecker : public core::ConcurrentStatusChecker {
 public:
  FakeConcurrentChecker(FakeGateway& gateway, int capacity) : gateway_(gateway), capacity_(capacity) {
    std::lock_guard lock(mu_);
    capacities_.push_back(capacity);
  }
  int capacity() const override { return capacity_; }

  // The connection model (see SetConnections): free_ connections open and unused; opening_ holds, per connection
  // being opened, the poll at which it is open. Like the gateway checker, one is opened ahead only when none is
  // free or being opened.
  void PrepareConnection() override {
    if (connect_after_polls_ < 0 || free_ > 0 || !opening_.empty()) return;
    opening_.push_back(polls_ + connect_after_polls_);
  }
  bool ReadyToSend() const override { return connect_after_polls_ < 0 || free_ > 0; }
  void Start(std::uint64_t tag, const core::StatusQuery& query) override {
    if (!ReadyToSend()) {
      unready_starts_.fetch_add(1);  // the gateway checker would open a connection now, and send late
    } else if (connect_after_polls_ >= 0) {
      --free_;
    }
    started_.push_back(Call{tag, query, polls_ + answer_after_polls_});
    const int n = static_cast<int>(started_.size());
    std::lock_guard lock(mu_);
    max_in_flight_ = std::max(max_in_flight_, n);
    if (n > capacity_) over_capacity_ = true;
  }
  // Never waits: an empty Poll returns at once. Answers the calls due (newest first), whose connections are free
  // again, and finishes the openings due.
  void Poll(std::chrono::milliseconds timeout,
            std::vector<std::pair<std::uint64_t, core::CheckResult>>& done) override {
    (void)timeout;
    ++polls_;
    while (!opening_.empty() && opening_.front() <= polls_) {
      opening_.pop_front();
      ++free_;
    }
    for (auto it = started_.rbegin(); it != started_.rend(); ++it) {
      if (it->answer_at > polls_) continue;
      done.emplace_back(it->tag, gateway_.Call(it->query));
      if (connect_after_polls_ >= 0) ++free_;
    }
    std::erase_if(started_, [&](const Call& c) { return c.answer_at <= polls_; });
  }

  // Turns the connection model on: no connection is open at first, and one opened ahead is open `connect_after`
  // polls later; every call is answered `answer_after` polls after it started. Off (the default): always ready,
  // every call answered at the next poll.
  static void SetConnections(int connect_after, int answer_after) {
    connect_after_polls_ = connect_after;
    answer_after_polls_ = answer_after;
  }
  static int unready_starts() { return unready_starts_.load(); }
  static void ResetCounts() {
    connect_after_polls_ = -1;
    answer_after_polls_ = 0;
    unready_starts_ = 0;
    std::lock_guard lock(mu_);
    capacities_.clear();
    max_in_flight_ = 0;
    over_capacity_ = false;
  }
  static std::vector<int> capacities() {
    std::lock_guard lock(mu_);
    return capacities_;
  }
  static int max_in_flight() {
    std::lock_guard lock(mu_);
    return max_in_flight_;
  }
  static bool over_capacity() {
    std::lock_guard lock(mu_);
    return over_capacity_;
  }

 private:
  struct Call {
    std::uint64_t tag;
    core::StatusQuery query;
    int answer_at;  // the poll that answers it
  };
  FakeGateway& gateway_;
  const int capacity_;
  std::vector<Call> started_;
  int polls_ = 0;
  int free_ = 0;
  std::deque<int> opening_;
  static inline std::atomic<int> connect_after_polls_{-1};
  static inline std::atomic<int> answer_after_polls_{0};
  static inline std::atomic<int> unready_starts_{0};
  static inline std::mutex mu_;
  static inline std::vector<int> capacities_;
  static inline int max_in_flight_ = 0;
  static inline bool over_capacity_ = false;
};

}  // namespace payrecon::testing
