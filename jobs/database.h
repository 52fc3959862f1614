#pragma once
// The job's database: one connection, the PgStore over it, and the store the commands use: PgStore behind the
// reconnecting decorator (reconnect with back-off until the run's give-up time; then StoreUnavailable, exit 3).
// Used from one thread (the runner's coordinating thread and the command around it).
#include <atomic>
#include <chrono>
#include <memory>
#include <string>

#include "db/connection.h"
#include "db/pg_store.h"
#include "jobs/reconnecting_store.h"
#include "jobs/retry.h"

namespace payrecon::jobs {

class Database {
 public:
  // Connects once (no retry: a database down at start is exit 3 at once). Throws db::ConnectionLost.
  explicit Database(const std::string& conninfo);

  // From now on a lost connection is retried until give_up_at(first failure).
  void SetGiveUp(ReconnectingStore::Deadline give_up_at) { give_up_at_ = std::move(give_up_at); }
  // From now on a stop request ends any wait for the database with JobError(kInterrupted) (null: waits go on).
  void SetInterrupt(const std::atomic<bool>* interrupt) { interrupt_ = interrupt; }

  // Throws db::SchemaBehind when the schema is behind this binary.
  void RequireCurrentSchema();

  // Every port of the store, each call retried across a lost connection (the reconnecting decorator).
  core::Store& store() { return *retrying_; }
  // The transaction port of store(), for the runner.
  core::TransactionStore& transactions() { return *retrying_; }
  // For the importer's COPY (not a port: it streams a file into a staging table on this connection).
  db::Connection& connection() { return conn_; }

  // A lost connection, a deadlock (SQLSTATE 40P01) or a serialization failure (40001): every store call is one
  // statement in its own transaction, so trying it again is safe; only a lost connection needs a reconnect.
  static bool IsTransient(const core::StoreUnavailable& e);
  static bool NeedsReconnect(const core::StoreUnavailable& e);

 private:
  db::Connection conn_;
  db::PgStore store_;
  ReconnectingStore::Deadline give_up_at_;
  const std::atomic<bool>* interrupt_ = nullptr;
  std::unique_ptr<ReconnectingStore> retrying_;
};

}  // namespace payrecon::jobs
