#pragma once
#include <algorithm>
#include <cassert>
#include <cstdint>
#include <deque>
#include <optional>
#include <unordered_map>
#include <vector>

#include "core/transaction.h"

namespace payrecon::engine {

// Which prefix of the handed-out ids is done, for backfill's --resume. Batches are handed out in order; the scan's
// batches ascend by id, and the rows revisited after the scan (held by another run during it) come last with
// lower ids. An id is done once its result is applied; a transaction handed back unchecked blocks progress from
// its batch on. Used by the runner's coordinating thread only.
class ProgressTracker {
 public:
  void OnBatch(const std::vector<core::Transaction>& batch) {
    const std::uint64_t seq = front_seq_ + batches_.size();
    std::int64_t max_id = 0;
    for (const auto& t : batch) {
      index_[t.id] = seq;
      max_id = std::max(max_id, t.id);
    }
    batches_.push_back(Batch{max_id, static_cast<std::int64_t>(batch.size()), true});
  }
  void OnDone(std::int64_t id, bool completed) {
    auto it = index_.find(id);
    assert(it != index_.end());
    Batch& b = batches_[it->second - front_seq_];
    index_.erase(it);
    --b.remaining;
    if (!completed) b.complete = false;
  }
  // The highest id through which everything is done, when it moved since the last call.
  std::optional<std::int64_t> Advance() {
    std::optional<std::int64_t> moved;
    while (!blocked_ && !batches_.empty() && batches_.front().remaining == 0) {
      if (!batches_.front().complete) {
        blocked_ = true;
        break;
      }
      // Several batches may finish together, a revisit batch (low ids) after the scan's last: the highest wins.
      moved = std::max(moved.value_or(0), batches_.front().max_id);
      batches_.pop_front();
      ++front_seq_;
    }
    return moved;
  }

 private:
  struct Batch {
    std::int64_t max_id;
    std::int64_t remaining;
    bool complete;
  };
  std::deque<Batch> batches_;
  std::uint64_t front_seq_ = 0;
  std::unordered_map<std::int64_t, std::uint64_t> index_;
  bool blocked_ = false;
};

}  // namespace payrecon::engine
