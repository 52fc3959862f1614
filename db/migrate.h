#pragma once
// Schema migrations: the numbered SQL files of migrations/ are compiled into the binary; Migrate() applies the
// missing ones, each in its own transaction under a transaction-scoped advisory lock (a concurrent migrator
// waits), and records each in payrecon.schema_migrations (version, name, checksum = md5 of the text, applied_at).
#include <string>
#include <string_view>
#include <vector>

#include "db/connection.h"

namespace payrecon::db {

struct Migration {
  int version = 0;        // from the file name V<version>__<name>.sql
  std::string_view name;  // e.g. "create_schema"
  std::string_view sql;
};

// The embedded migrations in version order (generated at build time from migrations/*.sql).
const std::vector<Migration>& EmbeddedMigrations();

struct MigrateResult {
  int from_version = 0;       // the schema's version before
  int to_version = 0;         // and after
  std::vector<int> applied;   // versions applied by this call; empty when the schema was already current
};

// Applies every embedded migration not yet recorded. Running it twice is a no-op.
// Throws QueryError when a migration fails (that migration is rolled back; earlier ones stay) or when an applied
// migration's recorded checksum differs from the embedded text ("migration 1 \"create_schema\" was changed after
// it was applied"); ConnectionLost when the connection breaks.
MigrateResult Migrate(Connection& conn);

struct SchemaState {
  int current = 0;    // highest applied version; 0 when nothing is applied
  int expected = 0;   // highest embedded version
  bool behind() const { return current < expected; }
  bool ahead() const { return current > expected; }  // applied by a newer payrecon; still usable (forward-only)
};

// Reads the schema's version without changing anything.
SchemaState SchemaStatus(Connection& conn);

// The schema is behind this binary: commands other than `migrate` refuse to run (exit 3).
class SchemaBehind : public core::StoreUnavailable {
 public:
  using core::StoreUnavailable::StoreUnavailable;
};

// Throws SchemaBehind when the schema is behind: "database schema is at version 1 but this payrecon needs
// version 3: run `payrecon migrate`".
void SchemaRequireCurrent(Connection& conn);

}  // namespace payrecon::db
