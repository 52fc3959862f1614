#pragma once
// In-memory fakes of core's ports for unit tests of the runner's logic (no services): a TransactionStore with
// the store's documented semantics (leases, compare-and-set, discrepancies raised once while open, events) and a
// scripted StatusChecker that counts calls per transaction. Thread-safe.
#include <algorithm>
#include <atomic>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "core/ports.h"

namespace payrecon::testing {

struct FakeEvent {
  std::int64_t transaction_id = 0;
  std::string run_id;
  std::string kind;  // "transition" or "discrepancy"
  std::string text;  // "CapturePending->CaptureApproved" or the code's name
};

class FakeStore : public core::TransactionStore {
 public:
  void Add(core::Transaction t) {
    std::lock_guard lock(mu_);
    rows_[t.id] = Row{std::move(t), "", {}};
  }

  std::vector<core::Transaction> TransactionsClaimDue(const core::ClaimParams& p) override {
    std::lock_guard lock(mu_);
    MaybeFail();
    std::vector<std::pair<core::Instant, std::int64_t>> due;
    for (auto& [id, row] : rows_) {
      if (!core::IsFinal(row.t.status) && row.t.next_check_at <= p.now && (row.lease_run.empty() || row.lease_until <= p.now)) {
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
      if (id <= p.after_id || row.t.created_at < p.created_from || row.t.created_at >= p.created_to) continue;
      if (p.kind && row.t.kind != *p.kind) continue;
      if (!p.only_ids.empty() && std::find(p.only_ids.begin(), p.only_ids.end(), id) == p.only_ids.end()) continue;
      if (!row.lease_run.empty() && row.lease_run != p.run_id && row.lease_until > p.now) continue;
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
      if (it != rows_.end() && it->second.t.status == u.expected_status && it->second.lease_run == p.run_id) {
        Row& row = it->second;
        o.applied = true;
        if (u.new_status) {
          events_.push_back({u.id, p.run_id, "transition",
                             std::string(core::StatusName(row.t.status)) + "->" +
                                 std::string(core::StatusName(*u.new_status))});
          row.t.status = *u.new_status;
        }
        row.t.next_check_at = u.next_check_at;
        row.t.check_count = u.check_count;
        row.t.error_count = u.error_count;
        row.t.last_error = u.last_error;
        if (!u.amazon_txn_id.empty()) row.t.amazon_txn_id = u.amazon_txn_id;
        if (u.approved_amount) row.t.approved_amount = u.approved_amount;
        if (u.gateway_updated_at) row.t.gateway_updated_at = u.gateway_updated_at;
        for (const auto& d : u.discrepancies) {
          if (open_.insert({u.id, d.code}).second) {
            o.raised.push_back(d.code);
            events_.push_back({u.id, p.run_id, "discrepancy", std::string(core::DiscrepancyCodeName(d.code))});
          }
        }
        if (!u.discrepancies.empty()) row.t.needs_review = true;
        row.lease_run.clear();
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
      if (it != rows_.end() && it->second.lease_run == p.run_id) it->second.lease_run.clear();
    }
  }

  std::vector<std::int64_t> LeasesRenew(const core::RenewParams& p) override {
    std::lock_guard lock(mu_);
    MaybeFail();
    std::vector<std::int64_t> out;
    for (auto id : p.ids) {
      auto it = rows_.find(id);
      if (it == rows_.end() || it->second.lease_run != p.run_id) continue;
      it->second.lease_until = p.now + p.lease;
      out.push_back(id);
    }
    renewals_ += static_cast<int>(out.size());
    return out;
  }
  int renewals() {
    std::lock_guard lock(mu_);
    return renewals_;
  }

  std::vector<std::int64_t> TransactionsHeldInWindow(const core::WindowHeldParams& p) override {
    std::lock_guard lock(mu_);
    MaybeFail();
    std::vector<std::int64_t> out;
    for (auto& [id, row] : rows_) {
      if (id <= p.window.after_id || (p.through && id > *p.through)) continue;
      if (row.t.created_at < p.window.created_from || row.t.created_at >= p.window.created_to) continue;
      if (p.window.kind && row.t.kind != *p.window.kind) continue;
      if (std::find(p.claimed.begin(), p.claimed.end(), id) != p.claimed.end()) continue;
      out.push_back(id);
    }
    return out;
  }

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
    std::string lease_run;
    core::Instant lease_until{};
  };
  void MaybeFail() {
    if (fail_next_ > 0) {
      --fail_next_;
      throw core::StoreUnavailable("fake database gone");
    }
  }

  std::mutex mu_;
  std::map<std::int64_t, Row> rows_;
  std::vector<FakeEvent> events_;
  std::set<std::pair<std::int64_t, core::DiscrepancyCode>> open_;
  int applies_ = 0;
  int claims_ = 0;
  int renewals_ = 0;
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
  core::CheckResult StatusCheck(const core::StatusQuery& q) override { return gateway_.Call(q); }

 private:
  FakeGateway& gateway_;
};

}  // namespace payrecon::testing
