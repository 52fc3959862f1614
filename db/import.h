#pragma once
// Loading validated import rows (core/import_csv.h) all or nothing, in one database transaction. Two ways:
// - new rows only: COPY straight into payrecon.transactions. The cheap way, and the usual case; it fails as a
//   whole (unique violation) when any key (merchant_id, kind, merchant_txn_id) is present already;
// - skipping present rows: COPY into a temporary table, then INSERT … ON CONFLICT DO NOTHING: rows already present
//   are left untouched and counted as skipped.
// ImportTransactions tries the first and, when a key is present, feeds the rows again the second way. New rows are
// due at their created_at (next_check_at = created_at), so pending ones created in the past are checked by the next
// run. After a commit that inserted rows the table is analysed, so the next run's plans know how many rows there
// are.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "core/import_csv.h"
#include "db/connection.h"

namespace payrecon::db {

struct ImportResult {
  std::int64_t inserted = 0;
  std::int64_t skipped = 0;   // already present
};

enum class ImportMode {
  kNewOnly,      // COPY into the table; Commit() throws QueryError with sqlstate 23505 when a key is present
  kSkipPresent,  // COPY into a temporary table, then insert the rows that are not present
};

// Streams rows to the server as they come; nothing is visible to others before Commit().
// Usage: TransactionsImporter imp(conn, mode, now); for each row imp.Add(row); auto result = imp.Commit();
// Destroying it without Commit() rolls everything back. Throws ConnectionLost / QueryError.
class TransactionsImporter {
 public:
  // Begins the transaction and the COPY. kSkipPresent with `some_present` (a key is known to be present, as after
  // a failed kNewOnly attempt) goes straight to the insert that skips present rows.
  TransactionsImporter(Connection& conn, ImportMode mode, core::Instant now, bool some_present = false);
  ~TransactionsImporter();
  TransactionsImporter(const TransactionsImporter&) = delete;
  TransactionsImporter& operator=(const TransactionsImporter&) = delete;

  void Add(const core::ImportRow& row);
  // Ends the COPY, inserts the new rows (updated_at = the constructor's `now`) and commits.
  ImportResult Commit();
  // Rolls back (also done by the destructor when Commit() was not reached).
  void Abort();

 private:
  void Flush();

  Connection& conn_;
  const ImportMode mode_;
  const bool some_present_;
  const std::string now_;  // kNewOnly: the import's time as COPY text; kSkipPresent: milliseconds
  std::string buffer_;
  std::int64_t rows_ = 0;
  bool open_ = false;
};

// Imports the rows that `feed` adds, all or nothing. `feed` may run twice: first with a kNewOnly importer, and
// again with a kSkipPresent one when a key is present (the first attempt then left nothing behind). A feed that
// cannot give the same rows again (a pipe) passes replayable = false: it then runs once, with kSkipPresent.
// An exception from `feed` rolls back and propagates.
ImportResult ImportTransactions(Connection& conn, core::Instant now, bool replayable,
                                const std::function<void(TransactionsImporter&)>& feed);

// Convenience: imports `rows` in one transaction.
ImportResult TransactionsImport(Connection& conn, const std::vector<core::ImportRow>& rows, core::Instant now);

}  // namespace payrecon::db
