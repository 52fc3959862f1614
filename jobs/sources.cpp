#include "jobs/sources.h"

#include <algorithm>
#include <utility>

namespace payrecon::jobs {

ClaimDueSource::ClaimDueSource(core::TransactionStore& store, std::string run_id, core::Instant run_start,
                               core::Millis lease)
    : store_(store), run_id_(std::move(run_id)), run_start_(run_start), lease_(lease) {}

std::vector<core::Transaction> ClaimDueSource::Next(int max, core::Instant now) {
  // The store reads "due" and "lease expired" against `now` and leases until now + lease: pass the run's
  // start as `now` and stretch the lease by the time elapsed since, so the lease ends at claim time + lease.
  const core::Millis elapsed = std::max(core::Millis{0}, now - run_start_);
  return store_.TransactionsClaimDue(core::ClaimParams{run_id_, run_start_, lease_ + elapsed, max});
}

core::ApplyResult ClaimDueSource::Apply(std::vector<core::TransactionUpdate> updates, core::Instant now) {
  return store_.TransactionsApply(core::ApplyParams{run_id_, now, std::move(updates)});
}

void ClaimDueSource::Release(std::vector<std::int64_t> ids) {
  store_.LeasesRelease(core::ReleaseParams{run_id_, std::move(ids)});
}

ClaimWindowSource::ClaimWindowSource(core::TransactionStore& store, core::WindowClaimParams params,
                                     std::function<void(std::int64_t)> save_progress)
    : store_(store), params_(std::move(params)), save_progress_(std::move(save_progress)) {}

std::vector<core::Transaction> ClaimWindowSource::Next(int max, core::Instant now) {
  core::WindowClaimParams p = params_;
  p.now = now;
  p.limit = max;
  std::vector<core::Transaction> got = store_.TransactionsClaimWindow(p);
  for (const auto& t : got) params_.after_id = std::max(params_.after_id, t.id);
  return got;
}

core::ApplyResult ClaimWindowSource::Apply(std::vector<core::TransactionUpdate> updates, core::Instant now) {
  return store_.TransactionsApply(core::ApplyParams{params_.run_id, now, std::move(updates)});
}

void ClaimWindowSource::Release(std::vector<std::int64_t> ids) {
  store_.LeasesRelease(core::ReleaseParams{params_.run_id, std::move(ids)});
}

void ClaimWindowSource::Progress(std::int64_t id) {
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

}  // namespace payrecon::jobs
