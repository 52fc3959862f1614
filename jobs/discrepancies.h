#pragma once
// `payrecon discrepancies list` and `payrecon discrepancies resolve`: the human side of discrepancies. Listing
// prints an aligned table (people), CSV or JSON lines (programs) on stdout; resolving records who and why in the
// audit trail (db::PgStore::DiscrepancyResolve), after which the item is not raised again until its facts change.
#include <string>
#include <vector>

#include "core/time.h"
#include "db/pg_store.h"
#include "jobs/cli.h"
#include "jobs/commands.h"

namespace payrecon::jobs {

// The listing's text for `rows` in their order.
// - kTable: a header line and one line per row, columns padded to their widest cell; text from outside (details,
//   gateway words, notes) has control characters replaced by spaces and is cut to 60 characters with "..."; AGE
//   is the time since it was opened at `now` for open rows and "-" for resolved ones; a RESOLUTION column
//   ("<by> <resolved_at>: <note>") appears when any row is resolved. No rows: "no discrepancies\n".
// - kCsv: the header "id,code,state,opened_at,opened_by_run,kind,merchant_id,merchant_txn_id,amazon_txn_id,
//   local_status,local_amount,gateway_status,gateway_amount,detail,resolved_at,resolved_by,resolution_note" and
//   one record per row, per core/csv.h (CRLF, text neutralised).
// - kJson: one compact JSON object per row and line with the CSV's columns as members; amounts as strings
//   ("15.00"), absent values as null, id as a number.
std::string FormatDiscrepancyList(const std::vector<core::DiscrepancyRow>& rows, ListFormat format, core::Instant now);

// "45s", "12m", "3h05m", "2d04h": a compact age for the table; negative ages print as "0s".
std::string FormatAge(core::Millis age);

// `discrepancies list`: without --open every discrepancy, newest first; with --open only open ones, oldest first
// (the work queue). --limit defaults to 100; when more exist a warning on stderr says so. Exit 0.
int CommandDiscrepanciesList(const CommandContext& ctx);

// `discrepancies resolve ID --note TEXT [--by NAME]`: --by defaults to $USER, else "unknown". Prints one JSON
// line on success. An unknown or already resolved ID is a JobError(kUsage) (exit 2) naming it.
int CommandDiscrepanciesResolve(const CommandContext& ctx);

}  // namespace payrecon::jobs
