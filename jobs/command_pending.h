#pragma once
// `payrecon pending [--format csv|json] [--kind K] [--older-than DURATION]`: every pending transaction, oldest
// first, streamed from one snapshot (memory stays flat whatever the backlog). CSV has pending.csv's header and
// columns; JSON is one object per line. Reads the database only: no gateway call, no merchant secret needed.
#include <string>

#include "core/report_rows.h"
#include "jobs/commands.h"

namespace payrecon::jobs {

int CommandPending(const CommandContext& ctx);

// One pending row as a JSON line (without the newline): kind, merchant_id, merchant_txn_id, amazon_txn_id (null
// when empty), status, amount (decimal rupees as text), created_at, age_seconds, attempts, next_check_at (or
// null), last_error (null when empty).
std::string PendingJsonLine(const core::PendingRow& row);

}  // namespace payrecon::jobs
