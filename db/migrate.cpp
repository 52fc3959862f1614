#include "db/migrate.h"

#include <string>

#include "db/sql.h"

namespace payrecon::db {
namespace {

class Transaction {
 public:
  explicit Transaction(Connection& conn) : conn_(conn) { conn_.Execute("BEGIN"); }
  ~Transaction() {
    if (!done_ && !conn_.Broken()) {
      try {
        conn_.Execute("ROLLBACK");
      } catch (...) {  // NOLINT(bugprone-empty-catch): the original error is what matters
      }
    }
  }
  void Commit() {
    conn_.Execute("COMMIT");
    done_ = true;
  }

 private:
  Connection& conn_;
  bool done_ = false;
};

int CurrentVersion(Connection& conn) {
  const auto exists = conn.Query(sql::kSchemaStatusExists);
  if (exists.empty() || exists[0][0] != "t") return 0;
  const auto rows = conn.Query(sql::kSchemaStatusVersion);
  return std::stoi(rows.at(0).at(0).value_or("0"));
}

}  // namespace

MigrateResult Migrate(Connection& conn) {
  MigrateResult result;
  result.from_version = CurrentVersion(conn);
  for (const Migration& m : EmbeddedMigrations()) {
    const std::string version = std::to_string(m.version);
    const std::string name(m.name);
    const std::string text(m.sql);
    Transaction tx(conn);
    conn.Query(sql::kMigrateLock);  // a concurrent migrator waits here until this transaction ends
    conn.Execute(sql::kMigrateBootstrap);
    const auto recorded = conn.Query(sql::kMigrateRecorded, {version, text});
    if (!recorded.empty()) {
      if (recorded[0][1] != "t") {
        throw QueryError("migration " + version + " \"" + name + "\" was changed after it was applied (recorded as \"" +
                             recorded[0][0].value_or("") + "\"): migrations are never edited, add a new one",
                         "");
      }
      tx.Commit();
      continue;
    }
    try {
      conn.Execute(text);
    } catch (const QueryError& e) {
      throw QueryError("migration " + version + " \"" + name + "\" failed: " + e.what(), e.sqlstate());
    }
    conn.Query(sql::kMigrateRecord, {version, name, text});
    tx.Commit();
    result.applied.push_back(m.version);
  }
  result.to_version = CurrentVersion(conn);
  return result;
}

SchemaState SchemaStatus(Connection& conn) {
  SchemaState state;
  state.current = CurrentVersion(conn);
  state.expected = EmbeddedMigrations().empty() ? 0 : EmbeddedMigrations().back().version;
  return state;
}

void SchemaRequireCurrent(Connection& conn) {
  const SchemaState state = SchemaStatus(conn);
  if (state.behind()) {
    throw SchemaBehind("database schema is at version " + std::to_string(state.current) +
                       " but this payrecon needs version " + std::to_string(state.expected) +
                       ": run `payrecon migrate`");
  }
}

}  // namespace payrecon::db
