#include "db/import.h"

#include <libpq-fe.h>

#include <optional>

#include "core/time.h"
#include "db/result.h"
#include "db/sql.h"

namespace payrecon::db {
namespace {

constexpr std::size_t kFlushBytes = 1 << 20;

// COPY text format: a field with its special characters escaped, or \N for NULL (empty optional text).
void Field(std::string& out, std::string_view value, bool empty_is_null) {
  if (value.empty() && empty_is_null) {
    out += "\\N";
    return;
  }
  for (char c : internal::ValidUtf8(value)) {
    switch (c) {
      case '\\': out += "\\\\"; break;
      case '\t': out += "\\t"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      default: out += c;
    }
  }
}

}  // namespace

TransactionsImporter::TransactionsImporter(Connection& conn, ImportMode mode, core::Instant now, bool some_present)
    : conn_(conn),
      mode_(mode),
      some_present_(some_present),
      now_(mode == ImportMode::kNewOnly ? core::FormatIso8601Millis(now) : internal::Ms(now)) {
  conn_.Execute("BEGIN");
  open_ = true;
  try {
    const char* copy = sql::kImportCopyNew;
    if (mode_ == ImportMode::kSkipPresent) {
      // The staged rows stay in memory (temp_buffers, settable only before this session first touches a temporary
      // table: a later import on the same connection keeps what it has) and the file-order sort of the insert
      // runs in memory (work_mem) instead of spilling a million rows to disk twice.
      conn_.Execute("SAVEPOINT payrecon_import_buffers");
      try {
        conn_.Execute(sql::kImportTempBuffers);
      } catch (const QueryError&) {
        conn_.Execute("ROLLBACK TO SAVEPOINT payrecon_import_buffers");
      }
      conn_.Execute("RELEASE SAVEPOINT payrecon_import_buffers");
      conn_.Execute(sql::kImportWorkMem);
      conn_.Execute(sql::kImportCreateTemp);
      copy = sql::kImportCopy;
    }
    internal::Result r(PQexec(conn_.native(), copy));
    if (!r || PQresultStatus(r.get()) != PGRES_COPY_IN) internal::ThrowFor(conn_, r.get(), "import COPY");
  } catch (...) {
    Abort();
    throw;
  }
}

TransactionsImporter::~TransactionsImporter() {
  try {
    Abort();
  } catch (...) {  // NOLINT(bugprone-empty-catch): a destructor must not throw; the server rolls back anyway
  }
}

void TransactionsImporter::Add(const core::ImportRow& row) {
  // kSkipPresent: the temporary table's columns (line, ..., created_ms); kNewOnly: the table's (kind, ...,
  // created_at, updated_at, next_check_at), in file order.
  if (mode_ == ImportMode::kSkipPresent) {
    buffer_ += std::to_string(row.line);
    buffer_ += '\t';
  }
  buffer_ += core::KindName(row.kind);
  buffer_ += '\t';
  Field(buffer_, row.merchant_id, false);
  buffer_ += '\t';
  Field(buffer_, row.merchant_txn_id, false);
  buffer_ += '\t';
  Field(buffer_, row.amazon_txn_id, true);
  buffer_ += '\t';
  Field(buffer_, row.parent_merchant_txn_id, true);
  buffer_ += '\t';
  buffer_ += std::to_string(row.amount);
  buffer_ += '\t';
  Field(buffer_, row.currency, false);
  buffer_ += '\t';
  buffer_ += core::StatusName(row.status);
  buffer_ += '\t';
  if (mode_ == ImportMode::kSkipPresent) {
    buffer_ += std::to_string(row.created_at.time_since_epoch().count());
  } else {
    // ISO 8601 in UTC ("2026-01-01T00:00:00.250Z"): read the same whatever the session's DateStyle and TimeZone.
    const std::string created = core::FormatIso8601Millis(row.created_at);
    buffer_ += created;
    buffer_ += '\t';
    buffer_ += now_;
    buffer_ += '\t';
    buffer_ += created;
  }
  buffer_ += '\n';
  ++rows_;
  if (buffer_.size() >= kFlushBytes) Flush();
}

void TransactionsImporter::Flush() {
  if (buffer_.empty()) return;
  if (PQputCopyData(conn_.native(), buffer_.data(), static_cast<int>(buffer_.size())) != 1) {
    internal::ThrowFor(conn_, nullptr, "import COPY");
  }
  buffer_.clear();
}

ImportResult TransactionsImporter::Commit() {
  Flush();
  PGconn* pg = conn_.native();
  if (PQputCopyEnd(pg, nullptr) != 1) internal::ThrowFor(conn_, nullptr, "import COPY");
  ImportResult result;
  {
    internal::Result r(PQgetResult(pg));
    if (!r || PQresultStatus(r.get()) != PGRES_COMMAND_OK) internal::ThrowFor(conn_, r.get(), "import COPY");
    while (PGresult* rest = PQgetResult(pg)) PQclear(rest);
    if (mode_ == ImportMode::kNewOnly) result.inserted = std::stoll(PQcmdTuples(r.get()));
  }
  if (mode_ == ImportMode::kSkipPresent) {
    // Most files hold only new rows. A plain INSERT checks uniqueness while it inserts, where ON CONFLICT first
    // looks every key up in the unique index and then inserts: a fifth of the insert's time for a million rows.
    // When a key exists already (or another import commits the same key first) the plain INSERT fails as a whole
    // and the ON CONFLICT form runs instead, skipping those rows. When a key is known to be present (a COPY into
    // the table has just failed on one), the plain INSERT would only fail, so the ON CONFLICT form runs at once.
    std::optional<internal::Result> inserted;
    if (!some_present_) {
      conn_.Execute("SAVEPOINT payrecon_import_new");
      try {
        inserted = internal::Exec(conn_, "import INSERT", sql::kImportInsertNew, {now_.c_str()});
        conn_.Execute("RELEASE SAVEPOINT payrecon_import_new");
      } catch (const QueryError& e) {
        if (e.sqlstate() != "23505") throw;
        conn_.Execute("ROLLBACK TO SAVEPOINT payrecon_import_new");
        conn_.Execute("RELEASE SAVEPOINT payrecon_import_new");
      }
    }
    if (!inserted) inserted = internal::Exec(conn_, "import INSERT", sql::kImportInsert, {now_.c_str()});
    result.inserted = std::stoll(PQcmdTuples(inserted->get()));
  }
  result.skipped = rows_ - result.inserted;
  conn_.Execute("COMMIT");
  open_ = false;
  // Fresh statistics at once: autovacuum would analyse the table only after its naptime, and until then the
  // planner would think the rows just loaded are not there.
  if (result.inserted > 0) conn_.Execute(sql::kImportAnalyze);
  return result;
}

void TransactionsImporter::Abort() {
  if (!open_) return;
  open_ = false;
  buffer_.clear();
  if (conn_.Broken()) return;
  PGconn* pg = conn_.native();
  if (PQtransactionStatus(pg) == PQTRANS_ACTIVE) {
    // Still inside COPY: end it with an error so the server discards it.
    PQputCopyEnd(pg, "import aborted");
    while (PGresult* rest = PQgetResult(pg)) PQclear(rest);
  }
  conn_.Execute("ROLLBACK");
}

ImportResult ImportTransactions(Connection& conn, core::Instant now, bool replayable,
                                const std::function<void(TransactionsImporter&)>& feed) {
  bool key_present = false;
  if (replayable) {
    // COPY into the table costs less than staging the rows and inserting them (1,000,000 rows: 8.3-9.5 s against
    // 10.9-12.7 s, paired), so it goes first; a present key makes it fail as a whole (libpq reports that only when
    // the COPY ends), and the rows come again below.
    try {
      TransactionsImporter importer(conn, ImportMode::kNewOnly, now);
      feed(importer);
      return importer.Commit();
    } catch (const QueryError& e) {
      if (e.sqlstate() != "23505") throw;
      key_present = true;
    }
  }
  TransactionsImporter importer(conn, ImportMode::kSkipPresent, now, key_present);
  feed(importer);
  return importer.Commit();
}

ImportResult TransactionsImport(Connection& conn, const std::vector<core::ImportRow>& rows, core::Instant now) {
  return ImportTransactions(conn, now, true, [&](TransactionsImporter& importer) {
    for (const core::ImportRow& row : rows) importer.Add(row);
  });
}

}  // namespace payrecon::db
