#include "db/import.h"

#include <libpq-fe.h>

#include <optional>

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

TransactionsImporter::TransactionsImporter(Connection& conn) : conn_(conn) {
  conn_.Execute("BEGIN");
  open_ = true;
  try {
    // The staged rows stay in memory (temp_buffers, settable only before this session first touches a temporary
    // table: a later import on the same connection keeps what it has) and the file-order sort of the insert runs
    // in memory (work_mem) instead of spilling a million rows to disk twice.
    conn_.Execute("SAVEPOINT payrecon_import_buffers");
    try {
      conn_.Execute(sql::kImportTempBuffers);
    } catch (const QueryError&) {
      conn_.Execute("ROLLBACK TO SAVEPOINT payrecon_import_buffers");
    }
    conn_.Execute("RELEASE SAVEPOINT payrecon_import_buffers");
    conn_.Execute(sql::kImportWorkMem);
    conn_.Execute(sql::kImportCreateTemp);
    internal::Result r(PQexec(conn_.native(), sql::kImportCopy));
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
  buffer_ += std::to_string(row.line);
  buffer_ += '\t';
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
  buffer_ += std::to_string(row.created_at.time_since_epoch().count());
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

ImportResult TransactionsImporter::Commit(core::Instant now) {
  Flush();
  PGconn* pg = conn_.native();
  if (PQputCopyEnd(pg, nullptr) != 1) internal::ThrowFor(conn_, nullptr, "import COPY");
  {
    internal::Result r(PQgetResult(pg));
    if (!r || PQresultStatus(r.get()) != PGRES_COMMAND_OK) internal::ThrowFor(conn_, r.get(), "import COPY");
    while (PGresult* rest = PQgetResult(pg)) PQclear(rest);
  }
  const std::string now_ms = internal::Ms(now);
  ImportResult result;
  // Most files hold only new rows. A plain INSERT checks uniqueness while it inserts, where ON CONFLICT first
  // looks every key up in the unique index and then inserts: a fifth of the insert's time for a million rows.
  // When a key exists already (or another import commits the same key first) the plain INSERT fails as a whole
  // and the ON CONFLICT form runs instead, skipping those rows.
  conn_.Execute("SAVEPOINT payrecon_import_new");
  std::optional<internal::Result> inserted;
  try {
    inserted = internal::Exec(conn_, "import INSERT", sql::kImportInsertNew, {now_ms.c_str()});
    conn_.Execute("RELEASE SAVEPOINT payrecon_import_new");
  } catch (const QueryError& e) {
    if (e.sqlstate() != "23505") throw;
    conn_.Execute("ROLLBACK TO SAVEPOINT payrecon_import_new");
    conn_.Execute("RELEASE SAVEPOINT payrecon_import_new");
    inserted = internal::Exec(conn_, "import INSERT", sql::kImportInsert, {now_ms.c_str()});
  }
  result.inserted = std::stoll(PQcmdTuples(inserted->get()));
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

ImportResult TransactionsImport(Connection& conn, const std::vector<core::ImportRow>& rows, core::Instant now) {
  TransactionsImporter importer(conn);
  for (const core::ImportRow& row : rows) importer.Add(row);
  return importer.Commit(now);
}

}  // namespace payrecon::db
