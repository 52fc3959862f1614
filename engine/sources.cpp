#include "engine/sources.h"

#include <algorithm>
#include <utility>

namespace payrecon::engine {

ClaimDueSource::ClaimDueSource(core::TransactionStore& store, std::string run_id, core::Instant run_start,
                               core::Millis lease, core::TransactionStore* apply_store)
    : store_(store), apply_store_(apply_store), run_id_(std::move(run_id)), run_start_(run_start), lease_(lease) {}

std::vector<core::Transaction> ClaimDueSource::Next(int max, core::Instant now) {
  // The store reads "due" and "lease expired" against `now` and leases until now + lease: pass the run's
  // start as `now` and stretch the lease by the time elapsed since, so the lease ends at claim time + lease.
  const core::Millis elapsed = std::max(core::Millis{0}, now - run_start_);
  return store_.TransactionsClaimDue(core::ClaimParams{run_id_, run_start_, lease_ + elapsed, max});
}

core::ApplyResult ClaimDueSource::Apply(std::vector<core::TransactionUpdate> updates, core::Instant now) {
  return (apply_store_ ? *apply_store_ : store_).TransactionsApply(core::ApplyParams{run_id_, now, std::move(updates)});
}

void ClaimDueSource::Release(std::vector<std::int64_t> ids) {
  store_.LeasesRelease(core::ReleaseParams{run_id_, std::move(ids)});
}

std::vector<std::int64_t> ClaimDueSource::Renew(std::vector<std::int64_t> ids, core::Instant now) {
  return store_.LeasesRenew(core::RenewParams{run_id_, std::move(ids), now, lease_});
}

ClaimWindowSource::ClaimWindowSource(core::TransactionStore& store, core::WindowClaimParams params,
                                     std::function<void(std::int64_t)> save_progress,
                                     core::TransactionStore* apply_store)
    : store_(store), apply_store_(apply_store), params_(std::move(params)), save_progress_(std::move(save_progress)) {}

std::vector<core::Transaction> ClaimWindowSource::Next(int max, core::Instant now) {
  if (!scan_done_) {
    core::WindowClaimParams p = params_;
    p.now = now;
    p.limit = max;
    std::vector<core::Transaction> got = store_.TransactionsClaimWindow(p);
    core::WindowHeldParams h{params_, std::nullopt, {}};
    for (const auto& t : got) {
      h.claimed.push_back(t.id);
      h.through = std::max(h.through.value_or(0), t.id);
    }
    // What the claim passed over is held by another run; with nothing claimed, every remaining row is.
    const std::vector<std::int64_t> passed_over = store_.TransactionsHeldInWindow(h);
    std::lock_guard lock(mu_);
    for (std::int64_t id : passed_over) {
      held_.insert(id);
      params_.after_id = std::max(params_.after_id, id);
    }
    if (h.through) params_.after_id = std::max(params_.after_id, *h.through);
    if (!got.empty()) return got;
    scan_done_ = true;
  }
  core::WindowClaimParams p = params_;
  {
    std::lock_guard lock(mu_);
    if (revisited_ || held_.empty()) return {};
    // Once, after the scan: the rows passed over, if their holder is done with them.
    revisited_ = true;
    p.now = now;
    p.after_id = 0;
    p.limit = static_cast<int>(std::min<std::size_t>(held_.size(), static_cast<std::size_t>(max)));
    p.only_ids.assign(held_.begin(), held_.end());
    p.only_ids.resize(static_cast<std::size_t>(p.limit));
  }
  std::vector<core::Transaction> got = store_.TransactionsClaimWindow(p);
  std::lock_guard lock(mu_);
  for (const auto& t : got) {
    held_.erase(t.id);
    revisiting_.insert(t.id);
  }
  return got;
}

core::ApplyResult ClaimWindowSource::Apply(std::vector<core::TransactionUpdate> updates, core::Instant now) {
  {
    std::lock_guard lock(mu_);
    for (const auto& u : updates) revisiting_.erase(u.id);  // verified (applied, or found moved by someone else)
  }
  return (apply_store_ ? *apply_store_ : store_).TransactionsApply(core::ApplyParams{params_.run_id, now, std::move(updates)});
}

void ClaimWindowSource::Release(std::vector<std::int64_t> ids) {
  {
    std::lock_guard lock(mu_);
    for (std::int64_t id : ids) {
      if (revisiting_.erase(id) > 0) held_.insert(id);  // still unverified
    }
  }
  store_.LeasesRelease(core::ReleaseParams{params_.run_id, std::move(ids)});
}

std::vector<std::int64_t> ClaimWindowSource::Renew(std::vector<std::int64_t> ids, core::Instant now) {
  return store_.LeasesRenew(core::RenewParams{params_.run_id, std::move(ids), now, params_.lease});
}

void ClaimWindowSource::Progress(std::int64_t id) {
  // Never past a row that is still unverified: --resume starts after the resume point. Batches of revisited
  // rows report their own (lower) ids: the highest id reported so far is what the resume point may reach.
  done_through_ = std::max(done_through_, id);
  id = done_through_;
  {
    std::lock_guard lock(mu_);
    if (!held_.empty()) id = std::min(id, *held_.begin() - 1);
    if (!revisiting_.empty()) id = std::min(id, *revisiting_.begin() - 1);
  }
  if (id <= saved_) return;
  saved_ = id;
  if (save_progress_) save_progress_(id);
}

std::vector<core::Transaction> ReadOnlySource::Next(int max, core::Instant) {
  std::vector<core::Transaction> got = list_(after_id_, max);
  for (const auto& t : got) after_id_ = std::max(after_id_, t.id);
  return got;
}

core::ApplyResult ReadOnlySource::Apply(std::vector<core::TransactionUpdate> updates, core::Instant) {
  core::ApplyResult result;
  result.outcomes.reserve(updates.size());
  for (const auto& u : updates) {
    core::UpdateOutcome o{u.id, true, {}};
    for (const auto& d : u.discrepancies) o.raised.push_back(d.code);
    result.outcomes.push_back(std::move(o));
  }
  return result;
}

void ReadOnlySource::Release(std::vector<std::int64_t>) {}

}  // namespace payrecon::engine
