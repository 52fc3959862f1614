#pragma once
// `payrecon show --merchant M --txn ID [--kind K] [--format table|json]`: one transaction's current row and its
// whole history, oldest first, read from the database only (no gateway call, no merchant secret needed):
// hand-over, each `check` run, each failed check (run id, error class), status changes, discrepancies raised and
// resolved (with actor and note), with the gateway's request ids and response digests. Checks by `run` and
// `backfill` that changed nothing and failed nothing leave no row to show; the transaction's check_count counts
// them. Exit 2 for an unknown transaction (named) or an id several kinds share without --kind.
#include <string>
#include <vector>

#include "core/time_zone.h"
#include "core/transaction.h"
#include "db/pg_store.h"
#include "jobs/cli.h"
#include "jobs/commands.h"

namespace payrecon::jobs {

struct TransactionHistory {
  core::Transaction transaction;
  std::vector<core::EventRow> events;
  std::vector<core::CheckErrorRow> errors;
  std::vector<core::DiscrepancyRow> discrepancies;
  std::vector<core::CheckRunRow> checks;
};

// The output of `show` for one transaction:
// - kTable: "key: value" lines for the row (times in `zone`, amounts in rupees), a blank line, then an aligned
//   timeline table TIME, EVENT, RUN, DETAIL, REQUEST ID, DIGEST (the first 12 hex digits); outside text (details,
//   notes, messages) has control characters replaced and is cut to 80 characters.
// - kJson: one object per line: first {"type":"transaction",...} (the row, amounts in paise, UTC times), then one
//   per timeline entry in order, "type" one of handover, check, check_failed, transition, discrepancy, resolution.
std::string FormatHistory(const TransactionHistory& history, ListFormat format, const core::TimeZone& zone);

int CommandShow(const CommandContext& ctx);

}  // namespace payrecon::jobs
