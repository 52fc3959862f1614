#pragma once
// Loading validated import rows (core/import_csv.h) all or nothing: one database transaction, COPY into a
// temporary table, then INSERT … ON CONFLICT DO NOTHING: rows already present (same merchant_id, kind,
// merchant_txn_id) are left untouched and counted as skipped. New rows are due at their created_at
// (next_check_at = created_at), so pending ones created in the past are checked by the next run. After a commit
// that inserted rows the table is analysed, so the next run's plans know how many rows there are.
#include <cstdint>
#include <string>
#include <vector>

#include "core/import_csv.h"
#include "db/connection.h"

namespace payrecon::db {

struct ImportResult {
  std::int64_t inserted = 0;
  std::int64_t skipped = 0;   // already present
};

// Streams rows to the server as they come; nothing is visible to others before Commit().
// Usage: TransactionsImporter imp(conn); for each row imp.Add(row); auto result = imp.Commit(now);
// Destroying it without Commit() rolls everything back. Throws ConnectionLost / QueryError.
class TransactionsImporter {
 public:
  // Begins the transaction and the COPY.
  explicit TransactionsImporter(Connection& conn);
  ~TransactionsImporter();
  TransactionsImporter(const TransactionsImporter&) = delete;
  TransactionsImporter& operator=(const TransactionsImporter&) = delete;

  void Add(const core::ImportRow& row);
  // Ends the COPY, inserts the new rows (updated_at = now) and commits.
  ImportResult Commit(core::Instant now);
  // Rolls back (also done by the destructor when Commit() was not reached).
  void Abort();

 private:
  void Flush();

  Connection& conn_;
  std::string buffer_;
  std::int64_t rows_ = 0;
  bool open_ = false;
};

// Convenience: imports `rows` in one transaction.
ImportResult TransactionsImport(Connection& conn, const std::vector<core::ImportRow>& rows, core::Instant now);

}  // namespace payrecon::db
